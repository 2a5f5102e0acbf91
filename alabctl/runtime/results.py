"""Findings -> Label Studio / Annotation Lab predictions for one project (SPEC §7).

Steps for one task's text, in order:

1. each NER-like output (rules, NER models) renames its chunks' labels with the output's map and
   drops the labels the map leaves out;
2. the chunks of one control are merged across sources (:func:`alabctl.runtime.rules.merge_chunks`,
   Spark NLP's ChunkMerge behaviour), one ``labels`` result per chunk, never per token;
3. assertions become a second ``labels`` result on the same span, classifications a ``choices``
   result, relations a ``type: relation`` result between two emitted regions;
4. every result is checked against the project's compiled config
   (:func:`~alabctl.runtime.labeling.check_result`); one that fails is dropped and counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from alabctl.runtime.build import Output
from alabctl.runtime.engine import Category, Chunk, Findings, Relation
from alabctl.runtime.labeling import LabelingConfig, check_relation, check_result
from alabctl.runtime.rules import merge_chunks

REGION_KINDS = frozenset({"rule", "ner"})
Result = dict[str, Any]


@dataclass(frozen=True)
class ProjectView:
    """What turning findings into one project's predictions needs."""

    name: str
    config: LabelingConfig
    outputs: tuple[Output, ...]
    model_version: str

    @cached_property
    def region_outputs(self) -> dict[str, list[Output]]:
        """Output column -> the NER-like outputs (rules, NER models) it feeds."""
        index: dict[str, list[Output]] = {}
        for output in self.outputs:
            if output.kind in REGION_KINDS:
                index.setdefault(output.column, []).append(output)
        return index

    @cached_property
    def other_outputs(self) -> list[Output]:
        """Assertion, classification and relation outputs."""
        return [o for o in self.outputs if o.kind not in REGION_KINDS]

    @property
    def visual(self) -> bool:
        """A Visual NER project (its outputs annotate an ``<Image>``: boxes on a document's words)."""
        return any(self.config.object_tags.get(o.to_name) == "Image" for o in self.outputs)

    @property
    def text_key(self) -> str:
        """The task data key holding the text the project's outputs annotate."""
        for output in self.outputs:
            if output.to_name in self.config.objects:
                return self.config.data_key(output.to_name)
        keys = self.config.text_keys
        return keys[0] if keys else "text"


@dataclass(frozen=True)
class Prediction:
    """One task's prediction and how many results the config check dropped."""

    result: list[Result]
    score: float
    model_version: str
    dropped: int
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The Label Studio prediction object (``/predict`` item, ``predictions[]`` entry)."""
        return {"result": self.result, "score": self.score, "model_version": self.model_version}


def _id(*parts: object) -> str:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=5).hexdigest()


def _renamed(output: Output, chunks: Sequence[object]) -> list[Chunk]:
    out: list[Chunk] = []
    labels = output.labels
    for chunk in chunks:
        if not isinstance(chunk, Chunk):
            continue
        label = labels.get(chunk.label)
        if label is None:
            continue
        out.append(chunk if label == chunk.label else replace(chunk, label=label))
    return out


def _region(from_name: str, to_name: str, type_: str, chunk: Chunk, rid: str) -> Result:
    return {
        "id": rid,
        "from_name": from_name,
        "to_name": to_name,
        "type": type_,
        "value": {"start": chunk.start, "end": chunk.end, "text": chunk.text, "labels": [chunk.label]},
        "score": round(float(chunk.score), 4),
    }


def _merge(chunks: list[Chunk]) -> list[Chunk]:
    return list(merge_chunks(chunks))


Control = tuple[str, str, str]
"""(from_name, to_name, type) of a control that region outputs feed."""


def region_chunks(
    view: ProjectView, findings: Findings, types: frozenset[str] = frozenset({"labels"})
) -> dict[Control, list[Chunk]]:
    """Control -> its chunks: renamed, filtered, merged across sources (ChunkMerge), sorted by span."""
    index = view.region_outputs
    by_control: dict[Control, list[Chunk]] = {}
    for column, found in findings.items():
        if not found:
            continue
        for output in index.get(column, ()):
            if output.type in types:
                key = (output.from_name, output.to_name, output.type)
                by_control.setdefault(key, []).extend(_renamed(output, found))
    return {
        key: sorted(_merge(chunks) if len(chunks) > 1 else chunks, key=lambda c: (c.start, c.end, c.label))
        for key, chunks in sorted(by_control.items())
        if chunks
    }


def select_chunks(view: ProjectView, findings: Findings) -> list[tuple[Chunk, str]]:
    """A Visual NER project's chunks with the label each gets: ``annotate_pages``' ``select``."""
    chosen = region_chunks(view, findings, frozenset({"rectanglelabels"}))
    return [(chunk, chunk.label) for chunks in chosen.values() for chunk in chunks]


def _regions(view: ProjectView, findings: Findings) -> tuple[list[Result], dict[tuple[int, int], str]]:
    """One result per merged chunk per control; and span -> region id, for relations."""
    results: list[Result] = []
    spans: dict[tuple[int, int], str] = {}
    for (from_name, to_name, type_), chunks in region_chunks(view, findings).items():
        for chunk in chunks:
            rid = _id(from_name, chunk.start, chunk.end, chunk.label)
            results.append(_region(from_name, to_name, type_, chunk, rid))
            spans.setdefault((chunk.start, chunk.end), rid)
    return results, spans


def _assertions(output: Output, findings: Findings) -> list[Result]:
    return [
        _region(
            output.from_name,
            output.to_name,
            output.type,
            chunk,
            _id(output.from_name, chunk.start, chunk.end, "assertion", chunk.label),
        )
        for chunk in _renamed(output, findings.get(output.column, ()))
    ]


def _choices(output: Output, findings: Findings) -> list[Result]:
    out: list[Result] = []
    for found in findings.get(output.column, ()):
        if isinstance(found, Category) and found.label in output.labels:
            label = output.labels[found.label]
            out.append(
                {
                    "id": _id(output.from_name, "choices", label),
                    "from_name": output.from_name,
                    "to_name": output.to_name,
                    "type": "choices",
                    "value": {"choices": [label]},
                    "score": round(float(found.score), 4),
                }
            )
    return out


def _relations(output: Output, findings: Findings, spans: Mapping[tuple[int, int], str]) -> list[Result]:
    out: list[Result] = []
    for found in findings.get(output.column, ()):
        if not isinstance(found, Relation) or found.label not in output.labels:
            continue
        out.append(
            {
                "type": "relation",
                "from_id": spans.get((found.head.start, found.head.end), ""),
                "to_id": spans.get((found.tail.start, found.tail.end), ""),
                "direction": "right",
                "labels": [output.labels[found.label]],
                "score": round(float(found.score), 4),
            }
        )
    return out


def predict_project(view: ProjectView, findings: Findings, text: str) -> Prediction:
    """The project's prediction for one text, every result checked against its config."""
    regions, spans = _regions(view, findings)
    others: list[Result] = []
    relations: list[Result] = []
    for output in view.other_outputs:
        if output.kind == "assertion":
            others.extend(_assertions(output, findings))
        elif output.kind == "classification":
            others.extend(_choices(output, findings))
        elif output.kind == "relation":
            relations.extend(_relations(output, findings, spans))
    kept: list[Result] = []
    reasons: list[str] = []
    for result in regions + others:
        problem = check_result(result, view.config, text)
        if problem is None and not 0.0 <= result.get("score", 0.0) <= 1.0:
            problem = f"score {result['score']} outside [0, 1]"
        (reasons.append(problem) if problem else kept.append(result))
    ids = {str(r["id"]) for r in kept if r["type"] != "choices"}
    for result in relations:
        problem = check_relation(result, view.config, ids)
        (reasons.append(problem) if problem else kept.append(result))
    scores = [float(r["score"]) for r in kept if "score" in r]
    score = round(sum(scores) / len(scores), 4) if scores else 0.0
    return Prediction(kept, score, view.model_version, len(reasons), tuple(reasons))
