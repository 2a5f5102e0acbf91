"""What an engine returns, and the interface every engine (native rules, Spark NLP) implements.

An engine runs one server's compiled pipeline (``servers/<s>/pipeline.json``) on texts and returns,
for each text, what each output column of the pipeline found. Turning those into Label Studio
results (renaming and filtering labels, checking them against a project's config) is not the
engine's business: ``pipeline.json``'s ``outputs`` say how, and the results stage does it.

Offsets are Python string indices (code points) into the original text, ``end`` exclusive, as
Label Studio counts them. An engine that computes them otherwise (Spark NLP: UTF-16, end
inclusive) converts before returning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span of the text that a rule or a model labelled (NER, or an assertion on a NER span)."""

    start: int
    """Code-point offset of the first character."""
    end: int
    """Code-point offset one past the last character (exclusive)."""
    text: str
    """``original_text[start:end]``."""
    label: str
    """The label as the predictor emits it (a rule's entity, a model's tag), before renaming."""
    score: float
    """Confidence in [0, 1]."""
    source: str
    """The predictor: a rule's or a model's name."""
    normalized: str | None = None
    """A dictionary entry's normalized value, when a dictionary rule matched."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Anything else the predictor reports (sentence index, matched context words …)."""


@dataclass(frozen=True, slots=True)
class Category:
    """A label for the whole text (classification)."""

    label: str
    score: float
    source: str


@dataclass(frozen=True, slots=True)
class Relation:
    """A labelled, directed link between two chunks of the same text."""

    head: Chunk
    tail: Chunk
    label: str
    score: float
    source: str


Finding = Chunk | Category | Relation

Findings = Mapping[str, Sequence[Finding]]
"""For one text: output column (``pipeline.json``'s ``outputs[].column``) -> what it found."""


class Engine(Protocol):
    """Runs one server's compiled pipeline. Loaded once per build; ``predict`` is thread-safe."""

    def predict(self, texts: Sequence[str]) -> list[Findings]:
        """One ``Findings`` per text, in order. Never raises for one bad text: it finds nothing."""
        ...

    def close(self) -> None:
        """Release what loading took (a JVM session, file handles)."""
        ...
