"""Plan and apply every project's Label Studio side: observe all first, then act.

Observing every project before acting means an unreachable Label Studio, a refused token or a
refused config change stops the run before anything is changed anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from alabctl.reconcile.labelstudio.apply import apply_project
from alabctl.reconcile.labelstudio.client import Connection, LabelStudioClient
from alabctl.reconcile.labelstudio.labels import removed_labels, union_config
from alabctl.reconcile.labelstudio.model import DesiredProject, ProjectPlan, ProjectResult
from alabctl.reconcile.labelstudio.observe import Usage, observe_project, usage
from alabctl.reconcile.labelstudio.plan import Facts, plan_project, renames_in
from alabctl.reconcile.labelstudio.predict import Predictor, PredictorError
from alabctl.spec.errors import UserError


@dataclass
class LabelStudioPlan:
    """Every project's plan, and the connections apply will use."""

    projects: tuple[ProjectPlan, ...]
    connections: Mapping[str, Connection] = field(repr=False)

    @property
    def refused(self) -> list[ProjectPlan]:
        return [p for p in self.projects if p.refused]

    @property
    def changes(self) -> bool:
        return any(p.changes for p in self.projects)

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.projects]


@contextmanager
def _clients(connections: Mapping[str, Connection]) -> Iterator[dict[str, LabelStudioClient]]:
    with ExitStack() as stack:
        clients: dict[str, LabelStudioClient] = {}
        for name, connection in connections.items():
            client = LabelStudioClient(connection)
            stack.callback(client.close)
            clients[name] = client
        yield clients


def _model_version(desired: DesiredProject) -> str | None:
    if desired.predict_url is None or desired.server_changing:
        return None
    try:
        return Predictor(desired.predict_url, desired.name).model_version(desired.label_config)
    except PredictorError:
        return None


def gather(
    client: LabelStudioClient, desired: DesiredProject, projects: Sequence[Mapping[str, Any]]
) -> Facts:
    """Observe one project and ask Label Studio what a config change would do (reads only)."""
    observed = observe_project(client, desired, projects)
    found = Usage()
    problem = None
    if observed is not None and observed.label_config.strip() != desired.label_config.strip():
        if removed_labels(observed.label_config, desired.label_config):
            found = usage(client.export(observed.id))
        renames = renames_in(desired, observed.label_config)
        check = (
            union_config(desired.label_config, observed.label_config, renames)
            if renames
            else desired.label_config
        )
        problem = client.validate_config(observed.id, check)
    return Facts(observed, found, problem, _model_version(desired))


def plan(
    desired: Sequence[DesiredProject], connections: Mapping[str, Connection], *, prune: bool = False
) -> LabelStudioPlan:
    """Observe every project (raising :class:`LabelStudioError` if an instance fails), then plan each."""
    missing = sorted({d.instance for d in desired} - set(connections))
    if missing:
        raise UserError(f"no LabelStudio manifest named {', '.join(missing)}", "run 'alabctl validate'")
    plans: list[ProjectPlan] = []
    with _clients(connections) as clients:
        listed: dict[str, list[dict[str, Any]]] = {}
        for name in sorted({d.instance for d in desired}):
            clients[name].check()
            listed[name] = clients[name].projects()
        for d in desired:
            plans.append(plan_project(d, gather(clients[d.instance], d, listed[d.instance]), prune=prune))
    return LabelStudioPlan(tuple(plans), connections)


def apply(plan: LabelStudioPlan) -> list[ProjectResult]:
    """Run every project's plan; refuse to start when any project's plan is refused."""
    if plan.refused:
        lines = "; ".join(f"{p.desired.name}: {p.refused[0].reason}" for p in plan.refused)
        raise UserError(f"apply refused, nothing changed: {lines}")
    results: list[ProjectResult] = []
    with _clients(plan.connections) as clients:
        for project in plan.projects:
            d = project.desired
            predictor = Predictor(d.predict_url, d.name) if d.predict_url else None
            results.append(apply_project(clients[d.instance], project, predictor))
    return results
