"""Batch pre-annotation through a running pre-annotation server, over the ML-backend protocol.

The server is alabctl's own (``alabctl serve``): ``POST /setup`` answers the pipeline's
``model_version``; ``POST /predict`` takes many tasks at once and answers one item per task, in
order. Speaking HTTP keeps this layer independent of the runtime that serves it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from alabctl.reconcile.labelstudio.batches import batches
from alabctl.spec.errors import UserError

BATCH = 500
BATCH_BYTES = 8 << 20
"""Bytes of tasks a ``/predict`` request carries at most (``alabctl serve`` takes 20 MiB bodies)."""
TIMEOUT = 300.0


class PredictorError(UserError):
    """The pre-annotation server is unreachable or answered something unusable."""


@dataclass(frozen=True)
class Predictor:
    """A project's pre-annotation server, as alabctl reaches it."""

    url: str
    project: str

    def _post(self, path: str, body: Mapping[str, Any]) -> Any:
        where = f"{self.url}{path}"
        try:
            response = requests.post(where, json=dict(body), timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise PredictorError(
                f"cannot reach the pre-annotation server of project '{self.project}' at {self.url}: "
                f"{type(exc).__name__}",
                "start it with 'alabctl apply' (or 'alabctl serve'), then apply again",
            ) from None
        if response.status_code >= 400:
            raise PredictorError(
                f"the pre-annotation server of project '{self.project}' answered HTTP "
                f"{response.status_code} to {path}: {response.text[:300]}"
            )
        try:
            return response.json()
        except ValueError:
            raise PredictorError(f"the pre-annotation server at {where} sent a non-JSON answer") from None

    def model_version(self, label_config: str) -> str:
        """The server's current ``model_version`` for this project (``POST /setup``)."""
        body = self._post("/setup", {"project": self.project, "schema": label_config, "extra_params": {}})
        version = body.get("model_version") if isinstance(body, dict) else None
        if not isinstance(version, str) or not version:
            raise PredictorError(
                f"the pre-annotation server at {self.url} answered /setup without a model_version"
            )
        return version

    def predict(
        self, tasks: Sequence[Mapping[str, Any]], label_config: str
    ) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """(task, prediction) for each task, at most ``BATCH`` tasks and ``BATCH_BYTES`` a request."""
        for run in batches(tasks, BATCH, BATCH_BYTES):
            batch = list(run)
            body = self._post(
                "/predict",
                {"tasks": batch, "label_config": label_config, "project": self.project, "params": {}},
            )
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(results, list) or len(results) != len(batch):
                raise PredictorError(
                    f"the pre-annotation server at {self.url} answered /predict with "
                    f"{len(results) if isinstance(results, list) else 'no'} results for {len(batch)} tasks"
                )
            for task, item in zip(batch, results, strict=True):
                yield task, _one(item)


def _one(item: Any) -> Mapping[str, Any]:
    """A task's prediction (a list of several predictions counts as its first)."""
    if isinstance(item, list):
        item = item[0] if item else {"result": []}
    if not isinstance(item, dict):
        return {"result": []}
    return item
