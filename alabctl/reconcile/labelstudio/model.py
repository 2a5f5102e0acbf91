"""Values the Label Studio reconciler passes between its stages: desired, observed, planned, done."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from alabctl.spec.tasks import TaskRecord

BACKEND_TITLE = "alabctl"
"""The title of the ML backend alabctl connects; others are left alone."""
META_KEY = "alabctl"
"""The key of a task's ``meta`` where alabctl keeps the task's content hash."""
_BACKEND_STATES = {
    "CO": "connected",
    "DI": "disconnected",
    "ER": "error",
    "TR": "training",
    "PR": "predicting",
}


def backend_state(code: str) -> str:
    """Label Studio's two-letter state of an ML backend, in words."""
    return _BACKEND_STATES.get(code, code)


@dataclass(frozen=True)
class DesiredProject:
    """What one Project manifest asks of Label Studio."""

    name: str
    instance: str
    title: str
    description: str
    label_config: str
    renames: Mapping[str, str] = field(default_factory=dict)
    """Old label -> new label (``renamedFrom``)."""
    tasks: tuple[TaskRecord, ...] = ()
    backend_url: str | None = None
    """How Label Studio reaches the project's pre-annotation server."""
    predict_url: str | None = None
    """How alabctl reaches it for batch pre-annotation (the server's own URL)."""
    server: str = ""
    """The pre-annotation server's name; its URLs are None while it does not run."""
    server_changing: str = ""
    """Why the server's build changes in this apply (its model_version is known only after), if it does."""

    @property
    def resource(self) -> str:
        return f"labelstudio/{self.instance}/{self.name}"


@dataclass(frozen=True)
class ObservedTask:
    id: int
    digest: str | None
    """The content hash alabctl put in ``meta``; None for a task alabctl did not import."""
    annotations: int
    versions: frozenset[str]
    """The ``model_version`` of each of its predictions."""
    skipped: int = 0
    """Annotations an annotator cancelled (skipped the task with)."""
    draft: bool = False
    """Someone has a draft annotation of it."""

    @property
    def worked_on(self) -> bool:
        """An annotator did something with it: ``prune`` keeps it."""
        return bool(self.annotations or self.skipped or self.draft)


@dataclass(frozen=True)
class ObservedBackend:
    id: int
    url: str
    title: str
    state: str


@dataclass(frozen=True)
class ObservedProject:
    """A project as Label Studio has it."""

    id: int
    title: str
    description: str
    label_config: str
    tasks: tuple[ObservedTask, ...] = ()
    backends: tuple[ObservedBackend, ...] = ()
    model_version: str = ""


class Verb(StrEnum):
    """What apply does to a Label Studio project."""

    CREATE = "create"
    UPDATE = "update"
    """Title or description."""
    CONFIGURE = "configure"
    """A new labeling config."""
    RENAME = "rename"
    """Move annotations and predictions from old labels to new ones, before the config changes."""
    CONNECT = "connect"
    """Connect (or re-point) the ML backend."""
    DISCONNECT = "disconnect"
    """Remove a surplus alabctl ML backend."""
    IMPORT = "import"
    PRUNE = "prune"
    PREDICT = "predict"
    REFUSE = "refuse"
    """A change apply will not make (it would orphan annotations)."""


@dataclass(frozen=True)
class Action:
    """One step, why, and how many things it touches."""

    verb: Verb
    reason: str
    count: int = 0
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"verb": str(self.verb), "reason": self.reason, "count": self.count}


@dataclass(frozen=True)
class ProjectPlan:
    """The actions for one project, in the order apply runs them."""

    desired: DesiredProject
    observed: ObservedProject | None
    actions: tuple[Action, ...]

    @property
    def refused(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.verb is Verb.REFUSE)

    @property
    def changes(self) -> bool:
        """Whether apply would change the project (a refused project changes nothing)."""
        return bool(self.actions) and not self.refused

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.desired.resource,
            "labelStudioId": self.observed.id if self.observed else None,
            "actions": [a.to_json() for a in self.actions],
        }


class Outcome(StrEnum):
    """What apply did to a resource."""

    CREATED = "created"
    CONFIGURED = "configured"
    UNCHANGED = "unchanged"
    PRUNED = "pruned"
    FAILED = "failed"


@dataclass(frozen=True)
class ProjectResult:
    resource: str
    outcome: Outcome
    project_id: int | None
    done: tuple[str, ...] = ()
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "outcome": str(self.outcome),
            "labelStudioId": self.project_id,
            "done": list(self.done),
            "error": self.error,
        }
