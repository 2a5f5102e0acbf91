"""Making many :class:`~alabctl.runtime.engine.Chunk` values fast.

``Chunk`` is a frozen slots dataclass: its ``__init__`` goes through ``object.__setattr__`` once per
field, which is a quarter of a rule's time on short texts. :func:`make_chunk` builds the very same
object (equal, hashable, immutable to callers) by writing the slots directly.

:func:`hit_chunks` and :func:`rule_chunks` build many at once, faster still: each is made as an
instance of a plain class with the same slots (so its fields are set by ordinary attribute
stores), then its ``__class__`` is set to ``Chunk``. Python allows that between classes whose
instances have the same layout (the same slots, in the same order), and the object then *is* a
``Chunk`` (``type(c) is Chunk``; equality, ``repr``, immutability are ``Chunk``'s); the check runs
once at import time.

All of it is derived from ``Chunk``'s fields at import time, and falls back to the constructor if
``Chunk`` ever stops being a slots dataclass with the fields below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from alabctl.runtime.engine import Chunk
from alabctl.runtime.rules.context import BARE

NO_METADATA: Mapping[str, str] = MappingProxyType({})
"""The metadata of every rule chunk: shared, read-only, empty."""

ChunkMaker = Callable[[int, int, str, str, float, str, str | None, Mapping[str, str]], Chunk]

_FIELDS = ("start", "end", "text", "label", "score", "source", "normalized", "metadata")


def _slotted() -> bool:
    names = tuple(f.name for f in dataclasses.fields(Chunk))
    return names == _FIELDS and tuple(getattr(Chunk, "__slots__", ())) == _FIELDS


def _maker() -> ChunkMaker:
    if not _slotted():
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


def _twin() -> Any:
    """A plain class whose instances can become ``Chunk`` by setting ``__class__``; None if not."""
    if not _slotted():
        return None
    twin: Any = type("_ChunkDraft", (), {"__slots__": _FIELDS, "__module__": __name__})
    probe = twin()
    probe.start, probe.end, probe.text, probe.label = 0, 1, "x", "x"
    probe.score, probe.source, probe.normalized, probe.metadata = BARE, "x", None, NO_METADATA
    try:
        probe.__class__ = Chunk
    except TypeError:
        return None
    if type(probe) is not Chunk or probe != Chunk(0, 1, "x", "x", BARE, "x", None, NO_METADATA):
        return None
    return twin


_TWIN: Any = _twin()


def hit_chunks(
    text: str, hits: Iterable[tuple[int, int, str | None]], label: str, source: str
) -> list[Chunk]:
    """One chunk per ``(start, end, normalized)`` of ``text``, with ``label``, ``source``, the bare
    score and no metadata."""
    twin = _TWIN
    if twin is None:
        return [make_chunk(s, e, text[s:e], label, BARE, source, n, NO_METADATA) for s, e, n in hits]
    out: list[Chunk] = []
    for s, e, n in hits:
        c = twin()
        c.start = s
        c.end = e
        c.text = text[s:e]
        c.label = label
        c.score = BARE
        c.source = source
        c.normalized = n
        c.metadata = NO_METADATA
        c.__class__ = Chunk
        out.append(c)
    return out


def rule_chunks(
    text: str, found: Iterable[tuple[int, int, int]], labels: Sequence[str], sources: Sequence[str]
) -> list[Chunk]:
    """One chunk per ``(start, end, rule)`` of ``text``, with the rule's label and source (by rule
    index in ``labels`` and ``sources``), the bare score, no normalized value and no metadata."""
    twin = _TWIN
    if twin is None:
        return [
            make_chunk(s, e, text[s:e], labels[i], BARE, sources[i], None, NO_METADATA) for s, e, i in found
        ]
    out: list[Chunk] = []
    for s, e, i in found:
        c = twin()
        c.start = s
        c.end = e
        c.text = text[s:e]
        c.label = labels[i]
        c.score = BARE
        c.source = sources[i]
        c.normalized = None
        c.metadata = NO_METADATA
        c.__class__ = Chunk
        out.append(c)
    return out


def hit_chunks_into(
    out: list[list[Chunk]],
    texts: Sequence[str],
    found: Mapping[int, Iterable[tuple[int, int, str | None]]],
    label: str,
    source: str,
) -> None:
    """:func:`hit_chunks` of each ``texts[i]`` with hits ``found[i]``, into ``out[i]``."""
    for i, hits in found.items():
        out[i] = hit_chunks(texts[i], hits, label, source)
