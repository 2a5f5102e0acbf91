"""The ``native`` engine: a rule-only server's regex and dictionary rules, in-process, no JVM.

Each rule's chunks go to the output column ``pipeline.json`` names for it (``rule_<name>``); the
matching itself is :class:`alabctl.runtime.rules.RuleEngine`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from alabctl.runtime.build import Build, Pipeline
from alabctl.runtime.engine import Chunk, Finding, Findings


class NativeEngine:
    """Implements :class:`~alabctl.runtime.engine.Engine` for servers whose outputs are all rules."""

    def __init__(self, build: Build, pipeline: Pipeline, backend: str = "auto") -> None:
        from alabctl.runtime.rules import RuleEngine

        self._columns = {o.predictor: o.column for o in pipeline.outputs if o.kind == "rule"}
        self._rules = RuleEngine.from_build(build.root, sorted(self._columns), backend=backend)

    def _findings(self, chunks: list[Chunk]) -> Findings:
        found: dict[str, list[Finding]] = {}  # only the columns that found something
        for chunk in chunks:
            column = self._columns.get(chunk.source)
            if column is not None:
                found.setdefault(column, []).append(chunk)
        return found

    def predict(self, texts: Sequence[str]) -> list[Findings]:
        """One ``Findings`` per text; a text the rules cannot read finds nothing."""
        try:
            chunks = self._rules.annotate_many(texts)
        except Exception:  # never expected (rules guard themselves): fall back to one text at a time
            chunks = [self._one(text) for text in texts]
        return [self._findings(found) if found else {} for found in chunks]

    def _one(self, text: str) -> list[Chunk]:
        try:
            return self._rules.annotate(text)
        except Exception:  # one bad text never fails the batch (Engine contract)
            return []

    def close(self) -> None:
        """Nothing to release: the compiled rules are garbage-collected with the engine."""
