"""Properties on random texts: offsets, no overlaps within a rule, identical backends."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alabctl.runtime.engine import Chunk
from alabctl.runtime.rules import RuleEngine
from tests.runtime.rules.conftest import HAS_HYPERSCAN, rule

RULES: list[dict[str, Any]] = [
    rule(name="num", regex=r"\d+", ruleScope="document", matchScope="sub-token"),
    rule(name="num-token", regex=r"\d+", ruleScope="document"),
    rule(name="dose", regex=r"\b\d+(?:\.\d+)? ?mg\b", ruleScope="document", completeMatchRegex="true"),
    rule(name="word", regex=r"[a-z]+\d", matchScope="sub-token"),
    rule(name="anchored", regex=r"^[A-Z][a-z]+$"),
    rule(name="lazy", regex=r"a.*?b", ruleScope="document", matchScope="sub-token"),
    rule(name="alt", regex=r"ab|abcd|cd", ruleScope="document", matchScope="sub-token"),
    rule(name="tail", regex=r"x$", ruleScope="document", matchScope="sub-token"),
    rule(name="ctx", regex=r"\d+", completeMatchRegex="true", prefix=["mg"], suffix=["ab"], contextLength=6),
    rule(name="exc", regex=r"[ab]+", contextException=["cd"], exceptionDistance=3, matchScope="sub-token"),
    rule(name="dict", dictionary="d.csv", caseSensitive=False, ruleScope="document"),
    rule(name="dict-s", dictionary="d.csv", caseSensitive=True),
]
DICTIONARY = {"d.csv": "n,ab,ab cd,cd. Ab,mg,\u00e9a,x\n"}

ALPHABET = [*"abcdxAB019 .,;-()'\n\r\t", "mg", " mg", "\u00e9", "\u0301", "\U0001f600", "\u00df", "\u0130"]
TEXTS = st.lists(st.sampled_from(ALPHABET), max_size=60).map("".join)


@pytest.fixture(scope="module")
def engines() -> dict[str, RuleEngine]:
    out = {"re": RuleEngine.from_specs(RULES, DICTIONARY, backend="re")}
    if HAS_HYPERSCAN:
        out["hyperscan"] = RuleEngine.from_specs(RULES, DICTIONARY, backend="hyperscan")
        assert str(out["hyperscan"].backend) == "hyperscan"
    return out


def by_rule(chunks: list[Chunk]) -> dict[str, list[Chunk]]:
    out: dict[str, list[Chunk]] = {}
    for c in chunks:
        out.setdefault(c.source, []).append(c)
    return out


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_offsets_overlaps_and_backends(engines: dict[str, RuleEngine], text: str) -> None:
    results = {name: engine.annotate(text) for name, engine in engines.items()}
    chunks = results["re"]
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.text
        assert 0.0 < c.score <= 1.0
    assert [(c.start, c.end) for c in chunks] == sorted((c.start, c.end) for c in chunks)
    for own in by_rule(chunks).values():
        assert all(a.end <= b.start for a, b in itertools.pairwise(own))
    for name, other in results.items():
        assert other == chunks, name


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="hyperscan (the [hyperscan] extra) is not installed")
def test_hyperscan_prefilters_every_eligible_rule(engines: dict[str, RuleEngine]) -> None:
    scan = engines["hyperscan"]._scan
    assert scan is not None
    names = [r.spec.name for r in engines["hyperscan"]._rules]
    covered = {names[i] for i in scan.indices}
    # anchored-in-token rules and rules that look outside their match in sentence scope stay on re
    assert {"num", "num-token", "dose", "lazy", "alt", "tail"} <= covered
    assert "anchored" not in covered
    assert "exc" in covered and "word" in covered  # sentence scope, but they never look outside the match
