"""Overlapping chunks: within one rule, and across rules and models (Spark NLP's ``ChunkMerge``).

Within one rule (:func:`resolve_rule`): leftmost first, then longest, then highest score; a chunk
that overlaps one already kept is dropped. This is how a regex's ``finditer`` and a dictionary's
leftmost-longest scan already behave, so it only matters after ``matchScope: token`` widening.

Across sources (:func:`merge_chunks`), as ``ChunkMergeApproach`` with ``mergeOverlapping`` on
("chunks with longer lengths ... will be kept"): the longest chunk wins; on equal length the higher
score; then the source that came first in the input; then the leftmost. Chunks are taken in that
order and each is kept unless it overlaps one already kept. The result is sorted by
``(start, end)``. Exact duplicates (same span, label and source) count once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from alabctl.runtime.engine import Chunk


def resolve_rule(chunks: Sequence[Chunk]) -> list[Chunk]:
    """One rule's chunks without overlaps: leftmost, then longest, then highest score."""
    if len(chunks) < 2:
        return list(chunks)
    ordered = sorted(chunks, key=lambda c: (c.start, -c.end, -c.score))
    kept: list[Chunk] = []
    last = -1
    for chunk in ordered:
        if chunk.start >= last:
            kept.append(chunk)
            last = chunk.end
    return kept


def merge_chunks(chunks: Sequence[Chunk]) -> list[Chunk]:
    """Chunks from several sources without overlaps, longest first (see the module docstring)."""
    if len(chunks) < 2:
        return list(chunks)
    rank: dict[str, int] = {}
    for chunk in chunks:
        rank.setdefault(chunk.source, len(rank))
    ordered = sorted(chunks, key=lambda c: (c.start - c.end, -c.score, rank[c.source], c.start))
    kept: list[Chunk] = []
    starts: list[int] = []  # the kept spans, sorted and disjoint
    ends: list[int] = []
    for chunk in ordered:
        i = bisect_right(starts, chunk.start)
        if i > 0 and ends[i - 1] > chunk.start:
            continue  # overlaps the kept span that starts at or before it
        if i < len(starts) and starts[i] < chunk.end:
            continue  # overlaps the next kept span
        starts.insert(i, chunk.start)
        ends.insert(i, chunk.end)
        kept.append(chunk)
    kept.sort(key=lambda c: (c.start, c.end))
    return kept
