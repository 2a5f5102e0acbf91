"""The seam between engines and Visual NER: pages -> page texts -> an engine's findings ->
region results. Which findings become which label (renaming, filtering by the project's config)
is the caller's ``select``: the same step text tasks use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from alabctl.runtime.engine import Chunk, Engine, Findings
from alabctl.runtime.visual.page import Page, PageText, page_text
from alabctl.runtime.visual.regions import ResultNames, page_regions, region_results

Select = Callable[[Findings], Sequence[tuple[Chunk, str]]]
"""One text's findings -> the chunks to show, each with the label it gets in the project."""


def chunks_only(findings: Findings) -> list[tuple[Chunk, str]]:
    """Every chunk of every output column, labelled as the predictor labelled it."""
    return [(f, f.label) for column in findings.values() for f in column if isinstance(f, Chunk)]


def labelled_results(
    texts: Sequence[PageText], chosen: Sequence[Sequence[tuple[Chunk, str]]], names: ResultNames
) -> list[dict[str, Any]]:
    """Label Studio results for every chosen chunk of every page: one region per chunk per line."""
    results: list[dict[str, Any]] = []
    for text, chunks in zip(texts, chosen, strict=True):
        labels = {id(chunk): label for chunk, label in chunks}
        for region in page_regions(text, [chunk for chunk, _ in chunks]):
            results.extend(region_results(region, labels[id(region.chunk)], names))
    return results


def annotate_pages(
    pages: Sequence[Page], engine: Engine, select: Select = chunks_only, names: ResultNames | None = None
) -> list[dict[str, Any]]:
    """Run the engine on every page's text (one batch) and turn what it found into region results."""
    texts = [page_text(page) for page in pages]
    findings = engine.predict([t.text for t in texts]) if texts else []
    return labelled_results(texts, [select(f) for f in findings], names or ResultNames())
