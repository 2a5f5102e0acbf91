"""Sentences and tokens: Spark NLP-like boundaries, offsets into the original text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alabctl.runtime.rules.text import is_token_end, is_token_start, sentences, tokens


def words(text: str) -> list[str]:
    return [text[s:e] for s, e in tokens(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("(aspirin),", ["(", "aspirin", ")", ","]),
        ("co-amilofruse b.i.d.", ["co-amilofruse", "b.i.d", "."]),
        ("5'11\" tall", ["5'11", '"', "tall"]),
        ("don't", ["don't"]),
        ('"...', ['"', ".", ".", "."]),
        ("a\r\nb\tc", ["a", "b", "c"]),
        (
            "I \u2764\ufe0f you \U0001f44d\U0001f3fd.",
            ["I", "\u2764\ufe0f", "you", "\U0001f44d\U0001f3fd", "."],
        ),
        ("cafe\u0301 ok", ["cafe\u0301", "ok"]),
        ("", []),
        (" \n\t ", []),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_token_offsets_are_code_points_into_the_original_text() -> None:
    text = "x\r\n\U0001f600 cafe\u0301,"
    assert tokens(text) == [(0, 1), (3, 4), (5, 10), (10, 11)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He was seen by Dr. Smith. He left.", ["He was seen by Dr. Smith.", "He left."]),
        ("Take 10 mg b.i.d. on Monday. Stop.", ["Take 10 mg b.i.d. on Monday.", "Stop."]),
        ("Dose 5.5 mg. Next dose", ["Dose 5.5 mg.", "Next dose"]),
        ("J. Smith came. Then left", ["J. Smith came.", "Then left"]),
        ("Stop! Go? Yes.", ["Stop!", "Go?", "Yes."]),
        ('He said "stop." Then left', ['He said "stop."', "Then left"]),
        ("First line\r\n\r\nsecond line", ["First line", "second line"]),
        ("one line\nnext line", ["one line\nnext line"]),
        ("  padded.  ", ["padded."]),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentences(text)] == expected


def test_token_boundaries_match_the_token_list() -> None:
    text = "(co-x), b.i.d. 5'9\" he"
    spans = tokens(text)
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    for pos in range(len(text)):
        if not text[pos].isspace():
            assert is_token_start(text, pos) == (pos in starts), pos
        if pos > 0 and not text[pos - 1].isspace():
            assert is_token_end(text, pos) == (pos in ends), pos


TEXT = st.text(alphabet=st.sampled_from(list("ab1 .,;-()'\"\t\r\n!?\u00e9\u0301\U0001f600")), max_size=40)


@given(TEXT)
def test_tokens_partition_the_non_space_characters(text: str) -> None:
    spans = tokens(text)
    assert "".join(text[s:e] for s, e in spans) == "".join(text.split())
    assert all(s < e and not any(c.isspace() for c in text[s:e]) for s, e in spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


@given(TEXT)
def test_local_boundary_checks_agree_with_the_tokenizer(text: str) -> None:
    spans = tokens(text)
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    for pos in range(len(text)):
        if not text[pos].isspace():
            assert is_token_start(text, pos) == (pos in starts)
        if pos > 0 and not text[pos - 1].isspace():
            assert is_token_end(text, pos) == (pos in ends)


@given(TEXT)
def test_sentences_are_trimmed_and_in_order(text: str) -> None:
    spans = sentences(text)
    for s, e in spans:
        assert s < e and not text[s].isspace() and not text[e - 1].isspace()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
