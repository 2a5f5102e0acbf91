"""Chunks found on a page's text -> one box per chunk per line -> Label Studio results.

Annotation Lab's own visual pre-annotation came out token by token; here a chunk's words on one
line become one region (their boxes merged), and a chunk broken across lines becomes one region
per line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alabctl.runtime.engine import Chunk
from alabctl.runtime.visual.geometry import Box, union
from alabctl.runtime.visual.page import NO_WORD, PageText


@dataclass(frozen=True, slots=True)
class Region:
    """One box of one chunk: the chunk's words on one line of one page."""

    page: int
    """0-based page index."""
    box: Box
    """Pixels of the page."""
    text: str
    """The part of the chunk's text on this line."""
    chunk: Chunk
    line: int
    page_width: int
    page_height: int


@dataclass(frozen=True, slots=True)
class ResultNames:
    """The config's tag names a region result points at."""

    control: str = "label"
    """``<RectangleLabels name=…>``."""
    image: str = "image"
    """``<Image name=…>``."""
    transcription: str | None = "answer"
    """The per-region ``<TextArea name=…>`` that carries the region's text, or None for none."""


def chunk_regions(text: PageText, chunk: Chunk) -> list[Region]:
    """The chunk's words grouped by line, one merged box per line, in reading order."""
    words = text.page.words
    lines: dict[int, list[int]] = {}
    for index in text.words_in(chunk.start, chunk.end):
        lines.setdefault(words[index].line, []).append(index)
    regions = []
    for line, members in lines.items():
        regions.append(
            Region(
                page=text.page.index,
                box=union(words[i].box for i in members),
                text=_line_part(text, chunk, set(members)),
                chunk=chunk,
                line=line,
                page_width=text.page.width,
                page_height=text.page.height,
            )
        )
    return regions


def _line_part(text: PageText, chunk: Chunk, members: set[int]) -> str:
    """The characters of the chunk that belong to the given words, with what lies between them."""
    inside = [
        i
        for i in range(chunk.start, min(chunk.end, len(text.owners)))
        if text.owners[i] != NO_WORD and text.owners[i] in members
    ]
    return text.text[inside[0] : inside[-1] + 1] if inside else ""


def page_regions(text: PageText, chunks: Sequence[Chunk]) -> list[Region]:
    """Every chunk's regions on one page."""
    return [region for chunk in chunks for region in chunk_regions(text, chunk)]


def region_id(region: Region) -> str:
    """A stable 10-character id (Label Studio's length), the same for the same region."""
    key = f"{region.page}:{region.line}:{region.chunk.start}:{region.chunk.end}:{region.chunk.label}"
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def geometry(region: Region) -> dict[str, float]:
    """``x``, ``y``, ``width``, ``height`` in percent of the page, and ``rotation`` (always 0)."""
    w, h = region.page_width, region.page_height
    box = region.box
    left, top = _clamp(box.left / w * 100), _clamp(box.top / h * 100)
    right, bottom = _clamp(box.right / w * 100), _clamp(box.bottom / h * 100)
    return {
        "x": round(left, 4),
        "y": round(top, 4),
        "width": round(right - left, 4),
        "height": round(bottom - top, 4),
        "rotation": 0,
    }


def _clamp(percent: float) -> float:
    return min(100.0, max(0.0, percent))


def region_results(region: Region, label: str, names: ResultNames) -> list[dict[str, Any]]:
    """The ``rectanglelabels`` result of a region (and its transcription, sharing the id)."""
    rid = region_id(region)
    common: dict[str, Any] = {
        "id": rid,
        "to_name": names.image,
        "original_width": region.page_width,
        "original_height": region.page_height,
        "image_rotation": 0,
        "item_index": region.page,
    }
    where = geometry(region)
    results: list[dict[str, Any]] = [
        {
            **common,
            "from_name": names.control,
            "type": "rectanglelabels",
            "value": {**where, "rectanglelabels": [label], "text": region.text},
            "score": round(region.chunk.score, 4),
        }
    ]
    if names.transcription:
        results.append(
            {
                **common,
                "from_name": names.transcription,
                "type": "textarea",
                "value": {**where, "text": [region.text]},
            }
        )
    return results
