"""Spark NLP's offsets to Label Studio's: UTF-16 code units, end inclusive -> code points, end exclusive.

The JVM indexes strings by UTF-16 code unit, so every character outside the Basic Multilingual
Plane (emoji, many CJK extensions, mathematical letters) counts twice there and once in Python.
Pure functions; no Spark here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Converts the JVM's offsets into one text to Python's."""

    text: str
    units: Sequence[int] | None
    """UTF-16 unit index -> code-point index (length: units + 1); ``None`` when they are equal."""

    @property
    def unit_length(self) -> int:
        """The text's length in UTF-16 code units."""
        return len(self.text) if self.units is None else len(self.units) - 1

    def span(self, begin: int, end: int) -> tuple[int, int] | None:
        """``(start, end)`` in code points, end exclusive, for a JVM ``begin``/``end`` (inclusive).

        ``None`` for a span that is empty, reversed or outside the text. A boundary inside a
        surrogate pair (never produced by Spark NLP's tokenizer) widens to the whole character.
        """
        if begin < 0 or end < begin or end >= self.unit_length:
            return None
        if self.units is None:
            return begin, end + 1
        start = self.units[begin]
        stop = self.units[end + 1]
        if stop == start:
            stop += 1
        return start, stop


def offset_map(text: str) -> OffsetMap:
    """The map for ``text``; the identity (no table) when it has no astral characters."""
    if all(ord(ch) < 0x10000 for ch in text):
        return OffsetMap(text, None)
    units: list[int] = []
    for index, ch in enumerate(text):
        units.append(index)
        if ord(ch) >= 0x10000:
            units.append(index)
    units.append(len(text))
    return OffsetMap(text, units)
