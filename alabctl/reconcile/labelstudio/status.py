"""``alabctl get projects``: each project as Label Studio has it (reads only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from alabctl.reconcile.labelstudio.client import Connection, LabelStudioClient
from alabctl.reconcile.labelstudio.model import BACKEND_TITLE, DesiredProject, backend_state
from alabctl.reconcile.labelstudio.observe import observe_project
from alabctl.reconcile.labelstudio.predict import Predictor, PredictorError


@dataclass(frozen=True)
class ProjectStatus:
    name: str
    instance: str
    id: int | None
    url: str
    tasks: int
    annotated: int
    predicted: int
    """Tasks with a prediction from the server's current model_version (the project's
    model_version, the one its predictions show, when the server does not answer)."""
    model_version: str
    backend: str
    """Label Studio's state of the alabctl ML backend: connected, error, … or none."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def project_status(
    client: LabelStudioClient, desired: DesiredProject, projects: Sequence[Mapping[str, Any]]
) -> ProjectStatus:
    observed = observe_project(client, desired, projects)
    if observed is None:
        return ProjectStatus(desired.name, desired.instance, None, "-", 0, 0, 0, "-", "-")
    version = ""
    if desired.predict_url:
        try:
            version = Predictor(desired.predict_url, desired.name).model_version(desired.label_config)
        except PredictorError:
            version = ""
    version = version or observed.model_version  # the server does not answer: what the project shows
    ours = [b for b in observed.backends if b.title == BACKEND_TITLE]
    return ProjectStatus(
        name=desired.name,
        instance=desired.instance,
        id=observed.id,
        url=f"{client.url}/projects/{observed.id}",
        tasks=len(observed.tasks),
        annotated=sum(1 for t in observed.tasks if t.annotations),
        predicted=sum(1 for t in observed.tasks if version and version in t.versions),
        model_version=version or "-",
        backend=backend_state(ours[0].state) if ours else "none",
    )


def project_statuses(
    desired: Sequence[DesiredProject], connections: Mapping[str, Connection]
) -> list[ProjectStatus]:
    out: list[ProjectStatus] = []
    for name, connection in sorted(connections.items()):
        client = LabelStudioClient(connection)
        try:
            client.check()
            projects = client.projects()
            out.extend(project_status(client, d, projects) for d in desired if d.instance == name)
        finally:
            client.close()
    return sorted(out, key=lambda s: s.name)
