"""Run one project's plan against Label Studio. Every step is safe to re-run after a failure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alabctl.reconcile.labelstudio.batches import batches
from alabctl.reconcile.labelstudio.client import LabelStudioClient, LabelStudioError
from alabctl.reconcile.labelstudio.labels import rename_result, union_config
from alabctl.reconcile.labelstudio.model import (
    BACKEND_TITLE,
    META_KEY,
    Action,
    DesiredProject,
    Outcome,
    ProjectPlan,
    ProjectResult,
    Verb,
    backend_state,
)
from alabctl.reconcile.labelstudio.observe import observed_task, records
from alabctl.reconcile.labelstudio.plan import CONNECTED
from alabctl.reconcile.labelstudio.predict import Predictor, PredictorError
from alabctl.spec.diagnostics import counted

CHUNK = 1000
"""Tasks or predictions per import request, at most."""
CHUNK_BYTES = 1_000_000
"""Bytes of JSON per import request, at most (but always at least one item): large tasks go in
smaller requests, under the body limit of a proxy before Label Studio (nginx's default
``client_max_body_size`` is 1 MiB; Label Studio's own is 250 MiB)."""


def _outcome(actions: Sequence[Action]) -> Outcome:
    verbs = {a.verb for a in actions}
    if Verb.CREATE in verbs:
        return Outcome.CREATED
    if verbs == {Verb.PRUNE}:
        return Outcome.PRUNED
    return Outcome.CONFIGURED if verbs else Outcome.UNCHANGED


class _Run:
    """One project's apply: the client, the plan, and what has been done so far."""

    def __init__(self, client: LabelStudioClient, plan: ProjectPlan, predictor: Predictor | None) -> None:
        self.client = client
        self.plan = plan
        self.desired: DesiredProject = plan.desired
        self.predictor = predictor
        self.project_id = plan.observed.id if plan.observed else None
        self.done: list[str] = []

    @property
    def pid(self) -> int:
        assert self.project_id is not None
        return self.project_id

    def _not_running(self) -> LabelStudioError:
        return LabelStudioError(
            f"the pre-annotation server '{self.desired.server}' does not run",
            "see 'alabctl status'; the next apply connects it and predicts the tasks",
        )

    def create(self, action: Action) -> None:
        d = self.desired
        row = self.client.create_project(
            {"title": d.title, "description": d.description, "label_config": d.label_config}
        )
        self.project_id = int(row["id"])
        self.done.append(f"created project {self.project_id}")

    def update(self, action: Action) -> None:
        self.client.update_project(self.pid, {"description": self.desired.description})
        self.done.append("updated the description")

    def rename(self, action: Action) -> None:
        renames: Mapping[tuple[str, str], str] = action.data["renames"]
        observed = self.plan.observed
        assert observed is not None
        bridge = union_config(self.desired.label_config, observed.label_config, renames)
        problem = self.client.validate_config(self.pid, bridge)
        if problem:
            raise LabelStudioError(f"Label Studio refuses the config with old and new labels: {problem}")
        self.client.update_project(self.pid, {"label_config": bridge})
        annotations = predictions = 0
        for task in self.client.export(self.pid):
            for annotation in records(task, "annotations"):
                result, n = rename_result(annotation.get("result") or [], renames)
                if n:
                    self.client.update_annotation(int(annotation["id"]), result)
                    annotations += 1
            for prediction in records(task, "predictions"):
                result, n = rename_result(prediction.get("result") or [], renames)
                if n:
                    self.client.update_prediction(
                        int(prediction["id"]), result, task=int(task["id"]), project=self.pid
                    )
                    predictions += 1
        self.done.append(
            f"moved {counted(annotations, 'annotation')} and {counted(predictions, 'prediction')} "
            "to renamed labels"
        )

    def configure(self, action: Action) -> None:
        problem = self.client.validate_config(self.pid, self.desired.label_config)
        if problem:
            raise LabelStudioError(f"Label Studio refuses the new config: {problem}")
        self.client.update_project(self.pid, {"label_config": self.desired.label_config})
        self.done.append("updated the labeling config")

    def connect(self, action: Action) -> None:
        url = self.desired.backend_url
        if url is None:
            raise self._not_running()
        backend = action.data.get("backend")
        try:
            if backend is None:
                row = self.client.create_ml_backend(self.pid, url, BACKEND_TITLE)
            else:
                row = self.client.update_ml_backend(int(backend), self.pid, url)
        except LabelStudioError as exc:
            if "connect to ML backend" not in exc.message:  # Label Studio tries it before saving it
                raise
            raise _unreachable(url, "it refuses to save an ML backend it cannot connect to") from None
        state = str(self.client.ml_backend(int(row["id"])).get("state", ""))
        if state != CONNECTED:
            raise _unreachable(url, f"it reports the ML backend as '{backend_state(state)}'")
        self.done.append(f"connected the ML backend at {url}")

    def disconnect(self, action: Action) -> None:
        self.client.delete_ml_backend(int(action.data["backend"]))
        self.done.append("removed an extra alabctl ML backend")

    def import_tasks(self, action: Action) -> None:
        have = {t.digest for t in self.plan.observed.tasks} if self.plan.observed else set()
        new: dict[str, Mapping[str, Any]] = {}
        for record in self.desired.tasks:
            if record.digest not in have and record.digest not in new:
                new[record.digest] = record.data
        rows = [
            {"data": dict(data), "meta": {META_KEY: {"digest": digest, "project": self.desired.name}}}
            for digest, data in new.items()
        ]
        for chunk in batches(rows, CHUNK, CHUNK_BYTES):
            self.client.import_tasks(self.pid, chunk)
        self.done.append(f"imported {counted(len(rows), 'task')}")

    def prune(self, action: Action) -> None:
        ids = list(action.data["tasks"])
        self.client.delete_tasks(self.pid, ids)
        self.done.append(f"pruned {counted(len(ids), 'task')}")

    def predict(self, action: Action) -> None:
        if self.predictor is None:
            raise self._not_running()
        config = self.desired.label_config
        version = self.predictor.model_version(config)
        data = {r.digest: r.data for r in self.desired.tasks}
        targets = [
            {"id": t.id, "data": dict(data[t.digest])}
            for t in map(observed_task, self.client.tasks(self.pid))
            if t.digest in data and version not in t.versions
        ]
        rows = [
            {
                "task": task["id"],
                "model_version": version,
                "score": prediction.get("score", 0.0),
                "result": list(prediction.get("result") or []),
            }
            for task, prediction in self.predictor.predict(targets, config)
        ]
        for chunk in batches(rows, CHUNK, CHUNK_BYTES):
            self.client.import_predictions(self.pid, chunk)
        if str(self.client.project(self.pid).get("model_version") or "") != version:
            self.client.update_project(self.pid, {"model_version": version})
        self.done.append(f"predicted {counted(len(rows), 'task')} with model_version {version}")


def _unreachable(url: str, why: str) -> LabelStudioError:
    return LabelStudioError(
        f"Label Studio cannot reach the pre-annotation server at {url} ({why})",
        "check that the server runs and that Label Studio can reach that URL "
        "(set mlBackendUrl on the LabelStudio manifest when it reaches the servers elsewhere)",
    )


_STEPS = {
    Verb.CREATE: _Run.create,
    Verb.UPDATE: _Run.update,
    Verb.RENAME: _Run.rename,
    Verb.CONFIGURE: _Run.configure,
    Verb.CONNECT: _Run.connect,
    Verb.DISCONNECT: _Run.disconnect,
    Verb.IMPORT: _Run.import_tasks,
    Verb.PRUNE: _Run.prune,
    Verb.PREDICT: _Run.predict,
}


def apply_project(client: LabelStudioClient, plan: ProjectPlan, predictor: Predictor | None) -> ProjectResult:
    """Run the plan's actions in order; stop at the first failure and say what was done before it."""
    run = _Run(client, plan, predictor)
    resource = plan.desired.resource
    if plan.refused:
        return ProjectResult(resource, Outcome.FAILED, run.project_id, (), plan.refused[0].reason)
    try:
        for action in plan.actions:
            _STEPS[action.verb](run, action)
    except (LabelStudioError, PredictorError) as exc:
        message = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return ProjectResult(resource, Outcome.FAILED, run.project_id, tuple(run.done), message)
    return ProjectResult(resource, _outcome(plan.actions), run.project_id, tuple(run.done))
