"""The hyperscan backend gives exactly the chunks of the re backend, for generated patterns too."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alabctl.runtime.rules import RuleEngine
from tests.runtime.rules.conftest import HAS_HYPERSCAN, rule

pytestmark = pytest.mark.skipif(
    not HAS_HYPERSCAN, reason="hyperscan (the [hyperscan] extra) is not installed"
)

ATOMS = st.sampled_from(
    ["a", "b", "ab", "1", " ", "-", "\\.", ".", "\\d", "\\w", "\\s", "[ab]", "[^a ]", "[0-9a]"]
)
QUANTIFIERS = st.sampled_from(["", "", "?", "*", "+", "{2}", "{1,3}", "*?", "+?", "??", "{0,2}"])
# groups are optional at most: repeated groups of unbounded atoms ((?:a+)+) backtrack exponentially in
# re on a text that almost matches, and a generated test must not hang
GROUP_QUANTIFIERS = st.sampled_from(["", "", "?", "??"])


def _wrap(parts: list[str]) -> str:
    return "".join(parts)


PIECES = st.recursive(
    st.tuples(ATOMS, QUANTIFIERS).map("".join),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(_wrap),
        st.tuples(st.lists(inner, min_size=1, max_size=3).map("|".join), GROUP_QUANTIFIERS).map(
            lambda t: f"(?:{t[0]}){t[1]}"
        ),
    ),
    max_leaves=5,
)
PATTERNS = st.tuples(st.sampled_from(["", "\\b", "^"]), PIECES, st.sampled_from(["", "\\b", "$"])).map(
    "".join
)
TEXTS = st.lists(st.sampled_from([*"ab1 -.\n", "ab", "a1", " a", "11"]), max_size=20).map("".join)
SCOPES = st.sampled_from(
    [
        {"ruleScope": "document", "matchScope": "sub-token"},
        {"ruleScope": "document", "matchScope": "token"},
        {"ruleScope": "document", "completeMatchRegex": "true"},
        {"ruleScope": "sentence", "matchScope": "sub-token"},
        {"ruleScope": "sentence", "matchScope": "token"},
    ]
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PATTERNS, SCOPES, st.lists(TEXTS, min_size=1, max_size=4))
def test_generated_patterns_same_chunks(pattern: str, scope: dict[str, str], texts: list[str]) -> None:
    spec = rule(regex=pattern, **scope)
    plain = RuleEngine.from_specs([spec], backend="re")
    fast = RuleEngine.from_specs([spec], backend="auto")
    for text in texts:
        assert fast.annotate(text) == plain.annotate(text), (pattern, text)
    # in one batch (one hyperscan pass over the texts joined, when the pattern allows it), with an
    # empty text and one that is not ASCII among them
    batch = [*texts, "", "\u00e9 " + texts[0], *texts]
    assert fast.annotate_many(batch) == [plain.annotate(t) for t in batch], pattern


def test_the_generator_reaches_the_prefilter() -> None:
    # most generated patterns are eligible, so the test above exercises hyperscan, not re twice
    engine = RuleEngine.from_specs([rule(regex=r"\b(?:ab|1)+\d?", ruleScope="document")], backend="auto")
    assert str(engine.backend) == "hyperscan"
    assert engine.annotate("x ab1ab12 y")[0].text == "ab1ab12"


def test_patterns_outside_the_portable_subset_stay_on_re() -> None:
    # hyperscan reads {,2} as literal text and \\Q as a quote; such rules are never prefiltered
    engine = RuleEngine.from_specs(
        [rule(name="a", regex="ba{,2}", ruleScope="document", matchScope="sub-token")], backend="auto"
    )
    assert str(engine.backend) == "re"
    assert [c.text for c in engine.annotate("baa b")] == ["baa", "b"]


# the peers' clinical rules (bench/rules.py): word boundaries, alternatives, optional parts, case
CLINICAL = [
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b",
    r"\b(?:Jan|Feb|Mar|May)[a-z]*\.? \d{1,2}, \d{4}\b",
    r"(?i)\b\d+(?:\.\d+)? ?(?:mg|mcg|g|ml|units?|iu)\b",
    r"\b[0-7]' ?(?:0?[0-9]|1[01])\b",
    r"(?:\+1[ -]?)?\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b",
    r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
    r"\b(?:[01]?\d|2[0-3]):[0-5]\d(?: ?[AaPp][Mm])?\b",
    r"\b\d{1,3}(?:\.\d+)?%",
    r"\b\d{5}(?:-\d{4})?\b",
    r"(?i)\b(?:once|twice) (?:daily|a day)\b|\b(?:qd|bid|b\.i\.d)\b",
    r"a.*?b",
    r"\d+\s+\d+",
    r"[^ab]{2,}x",
]
FRAGMENTS = [
    "2024-01-31",
    "1/2/2020",
    "12/31/99",
    "Jan 3, 1998",
    "Mar. 12, 2001",
    "5 mg",
    "2.5MG",
    "10 units",
    "5' 11",
    "6'2",
    "+1 555-123-4567",
    "(555) 123-4567",
    "a.b@c.org",
    "x@y",
    "23:59",
    "7:05 pm",
    "99.5%",
    "100%",
    "12345",
    "12345-6789",
    "twice daily",
    "BID",
    "b.i.d",
    "a",
    "b",
    "ab",
    "x",
    "1",
    "22",
    " ",
    " ",
    "  ",
    "\n",
    "\n\n",
    ",",
    ".",
    "-",
    "/",
    "(",
    ")",
    ":",
    "'",
    "\u00e9",
    "\u00df",
]


def _clinical_corpus(seed: int, size: int) -> list[str]:
    rnd = random.Random(seed)
    texts = []
    for _ in range(size):
        texts.append("".join(rnd.choice(FRAGMENTS) for _ in range(rnd.randint(0, 14))))
    return texts


def test_one_pass_over_a_batch_gives_re_s_chunks_on_a_generated_corpus() -> None:
    specs = [
        rule(name=f"r{i}", regex=pattern, ruleScope="document", matchScope="sub-token")
        for i, pattern in enumerate(CLINICAL)
    ]
    plain = RuleEngine.from_specs(specs, backend="re")
    fast = RuleEngine.from_specs(specs, backend="hyperscan")
    scan = fast._scan
    assert scan is not None and scan.joinable
    assert len(scan.exact) >= len(CLINICAL) - 1  # matches taken as hyperscan gives them, unconfirmed
    texts = _clinical_corpus(3, 1500)
    expected = [plain.annotate(t) for t in texts]
    for size in (1, 7, 256, len(texts)):
        got = []
        for at in range(0, len(texts), size):
            got.extend(fast.annotate_many(texts[at : at + size]))
        assert got == expected, size
    assert [fast.annotate(t) for t in texts] == expected
    assert sum(map(len, expected)) > 3000  # many matches ...
    assert sum(not e for e in expected) > 50  # ... and texts without any
    assert any(not t.isascii() for t in texts) and "" in texts


def test_what_a_batch_pass_and_the_unconfirmed_matches_need() -> None:
    """Anchors and lookarounds keep a rule out of the one pass over a batch (they could read the
    neighbouring text); only regular patterns with hyperscan's leftmost starts skip ``re``."""
    cases = {
        r"\b\d+\b": (True, True),
        r"a(?:b|c)*?d": (True, True),
        r"^\d+": (False, False),
        r"\d+$": (False, False),
        r"\d+(?=x)": (False, False),
    }
    for pattern, (joinable, exact) in cases.items():
        engine = RuleEngine.from_specs(
            [rule(regex=pattern, ruleScope="document", matchScope="sub-token")], backend="auto"
        )
        scan = engine._scan
        if scan is None:  # hyperscan does not compile it: re alone
            assert not joinable and not exact, pattern
            continue
        assert scan.joinable is joinable, pattern
        assert (0 in scan.exact) is exact, pattern
