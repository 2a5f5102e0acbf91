"""Making many :class:`~alabctl.runtime.engine.Chunk` values fast.

``Chunk`` is a frozen slots dataclass: its ``__init__`` goes through ``object.__setattr__`` once per
field, which is a quarter of a rule's time on short texts. :func:`make_chunk` builds the very same
object (equal, hashable, immutable to callers) by writing the slots directly. It is derived from
``Chunk``'s fields at import time, and falls back to the constructor if ``Chunk`` ever stops being a
slots dataclass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType

from alabctl.runtime.engine import Chunk

NO_METADATA: Mapping[str, str] = MappingProxyType({})
"""The metadata of every rule chunk: shared, read-only, empty."""

ChunkMaker = Callable[[int, int, str, str, float, str, str | None, Mapping[str, str]], Chunk]

_FIELDS = ("start", "end", "text", "label", "score", "source", "normalized", "metadata")


def _maker() -> ChunkMaker:
    names = tuple(f.name for f in dataclasses.fields(Chunk))
    slots = getattr(Chunk, "__slots__", ())
    if names != _FIELDS or tuple(slots) != _FIELDS:
        return Chunk
    new = object.__new__
    s0, s1, s2, s3, s4, s5, s6, s7 = (getattr(Chunk, name).__set__ for name in _FIELDS)

    def make(
        start: int,
        end: int,
        text: str,
        label: str,
        score: float,
        source: str,
        normalized: str | None,
        metadata: Mapping[str, str],
    ) -> Chunk:
        chunk: Chunk = new(Chunk)
        s0(chunk, start)
        s1(chunk, end)
        s2(chunk, text)
        s3(chunk, label)
        s4(chunk, score)
        s5(chunk, source)
        s6(chunk, normalized)
        s7(chunk, metadata)
        return chunk

    return make


make_chunk: ChunkMaker = _maker()
