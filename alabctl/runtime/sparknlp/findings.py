"""Spark NLP annotations to the engine's findings (pure: annotations are read by attribute only).

Chunks keep Spark NLP's text but take their offsets from :mod:`.offsets`, so ``text[start:end]``
is always the chunk. Classification of a text split into sentences (ClassifierDL on sentence
embeddings gives one category per sentence) becomes one category: per-class scores averaged over
the sentences, the best one wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alabctl.runtime.engine import Category, Chunk, Finding
from alabctl.runtime.sparknlp.offsets import OffsetMap


@dataclass(frozen=True)
class Column:
    """How to read one output column: its kind and the metadata keys for label and score."""

    name: str
    kind: str
    """ner | classification (rule columns come from the native engine)."""
    label_key: str
    score_key: str | None
    source: str


def _score(metadata: Mapping[str, str], key: str | None) -> float:
    raw = metadata.get(key) if key else None
    try:
        value = float(raw) if raw is not None else 1.0
    except ValueError:
        return 1.0
    return min(max(value, 0.0), 1.0)


def chunks(annotations: Iterable[Any], column: Column, offsets: OffsetMap) -> list[Chunk]:
    """The column's chunk annotations with code-point offsets; spans outside the text dropped."""
    out: list[Chunk] = []
    for ann in annotations:
        meta = {str(k): str(v) for k, v in dict(ann.metadata).items()}
        span = offsets.span(int(ann.begin), int(ann.end))
        if span is None:
            continue
        start, end = span
        label = meta.get(column.label_key) if column.label_key != "result" else str(ann.result)
        if not label:
            continue
        extra = {k: v for k, v in meta.items() if k not in (column.label_key, column.score_key)}
        text = offsets.text[start:end]
        out.append(Chunk(start, end, text, label, _score(meta, column.score_key), column.source, None, extra))
    return out


def category(annotations: Sequence[Any], column: Column) -> list[Category]:
    """One category for the whole text (empty when the classifier said nothing)."""
    if not annotations:
        return []
    totals: dict[str, float] = {}
    votes: dict[str, int] = {}
    for ann in annotations:
        label = str(ann.result)
        votes[label] = votes.get(label, 0) + 1
        for key, value in dict(ann.metadata).items():
            if key == "sentence":
                continue
            try:
                totals[str(key)] = totals.get(str(key), 0.0) + float(value)
            except ValueError:
                continue
    if totals:
        best = max(sorted(totals), key=totals.__getitem__)
        score = totals[best] / len(annotations)
    else:
        best = max(sorted(votes), key=votes.__getitem__)
        score = votes[best] / len(annotations)
    return [Category(best, min(max(score, 0.0), 1.0), column.source)]


def findings(
    result: Mapping[str, Sequence[Any]], columns: Sequence[Column], offsets: OffsetMap
) -> dict[str, list[Finding]]:
    """One text's ``fullAnnotate`` result, read column by column."""
    out: dict[str, list[Finding]] = {}
    for column in columns:
        annotations = result.get(column.name, [])
        found: list[Finding] = []
        if column.kind == "classification":
            found.extend(category(annotations, column))
        else:
            found.extend(chunks(annotations, column, offsets))
        out[column.name] = found
    return out
