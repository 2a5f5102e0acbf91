"""One task that fails inside an engine gets an empty result; the others are answered."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alabctl.runtime.deployment import load_deployment
from alabctl.runtime.engine import Chunk, Findings
from alabctl.runtime.server import _predict_each


class _Fragile:
    """An engine that cannot read texts holding 'boom' (a stand-in for a crashing model)."""

    def predict(self, texts: Sequence[str]) -> list[Findings]:
        if any("boom" in t for t in texts):
            raise RuntimeError("boom")
        return [{"rule_height": [Chunk(0, 4, t[:4], "Height", 0.5, "height")]} for t in texts]

    def close(self) -> None:
        pass


def test_a_failing_task_gets_none_and_the_rest_are_predicted(build: Path) -> None:
    deployment = load_deployment(build, "quickstart")
    deployment.engine = _Fragile()
    predictions, errors = _predict_each(deployment, "quickstart", ["5'11 tall", "boom", "6'0."])
    assert errors == 1 and predictions[1] is None
    assert predictions[0] is not None and predictions[0].result[0]["value"]["text"] == "5'11"
    assert predictions[2] is not None and predictions[2].result[0]["value"]["labels"] == ["Height"]
