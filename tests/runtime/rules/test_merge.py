"""merge_chunks: Spark NLP ChunkMerge-like overlap resolution across sources."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from alabctl.runtime.engine import Chunk
from alabctl.runtime.rules import merge_chunks

TEXT = "chronic kidney disease in New York"


def chunk(start: int, end: int, source: str = "a", score: float = 0.5, label: str = "L") -> Chunk:
    return Chunk(start, end, TEXT[start:end], label, score, source)


def spans(chunks: list[Chunk]) -> list[tuple[int, int, str]]:
    return [(c.start, c.end, c.source) for c in chunks]


def test_longest_wins() -> None:
    assert spans(merge_chunks([chunk(8, 14, "ner"), chunk(0, 22, "rule"), chunk(15, 22, "ner")])) == [
        (0, 22, "rule")
    ]


def test_equal_length_higher_score_wins() -> None:
    assert spans(merge_chunks([chunk(0, 7, "a", 0.6), chunk(3, 10, "b", 0.9)])) == [(3, 10, "b")]


def test_equal_length_and_score_first_source_wins() -> None:
    # b came first: of b's two equal chunks the leftmost
    assert spans(merge_chunks([chunk(3, 10, "b"), chunk(0, 7, "a"), chunk(0, 7, "b")])) == [(0, 7, "b")]
    assert spans(merge_chunks([chunk(0, 7, "a"), chunk(0, 7, "b")])) == [(0, 7, "a")]


def test_disjoint_chunks_are_all_kept_and_sorted() -> None:
    got = merge_chunks([chunk(26, 34, "city"), chunk(0, 7, "a"), chunk(8, 14, "b")])
    assert spans(got) == [(0, 7, "a"), (8, 14, "b"), (26, 34, "city")]


def test_touching_chunks_do_not_overlap() -> None:
    assert len(merge_chunks([chunk(0, 7), chunk(7, 14, "b")])) == 2


def test_empty_and_single() -> None:
    assert merge_chunks([]) == []
    assert merge_chunks([chunk(0, 3)]) == [chunk(0, 3)]


CHUNKS = st.lists(
    st.tuples(
        st.integers(0, 30), st.integers(1, 8), st.sampled_from("abc"), st.sampled_from([0.5, 0.7, 0.9])
    ),
    max_size=25,
).map(lambda items: [chunk(s, min(s + n, len(TEXT)), src, sc) for s, n, src, sc in items if s < len(TEXT)])


@given(CHUNKS)
def test_merged_chunks_never_overlap_and_each_dropped_one_lost_to_a_kept_one(chunks: list[Chunk]) -> None:
    kept = merge_chunks(chunks)
    assert all(a.end <= b.start for a, b in itertools.pairwise(kept))
    for c in chunks:
        if c in kept:
            continue
        rivals = [k for k in kept if k.start < c.end and c.start < k.end]
        assert rivals, c
        assert any(k.end - k.start >= c.end - c.start for k in rivals)
