"""Label Studio as the annotation UI (SPEC §8): the projects, tasks, ML backends and predictions.

``desired`` (manifests -> :class:`DesiredProject`) -> ``observe`` (Label Studio's REST API) ->
``plan`` (pure: actions with reasons) -> ``apply`` (REST calls, batch pre-annotation).
"""

from alabctl.reconcile.labelstudio.client import Connection, LabelStudioClient, LabelStudioError
from alabctl.reconcile.labelstudio.desired import connections, desired_projects
from alabctl.reconcile.labelstudio.model import (
    Action,
    DesiredProject,
    Outcome,
    ProjectPlan,
    ProjectResult,
    Verb,
)
from alabctl.reconcile.labelstudio.run import LabelStudioPlan, apply, plan

__all__ = [
    "Action",
    "Connection",
    "DesiredProject",
    "LabelStudioClient",
    "LabelStudioError",
    "LabelStudioPlan",
    "Outcome",
    "ProjectPlan",
    "ProjectResult",
    "Verb",
    "apply",
    "connections",
    "desired_projects",
    "plan",
]
