"""The hyperscan backend gives exactly the chunks of the re backend, for generated patterns too."""

from __future__ import annotations

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


def _wrap(parts: list[str]) -> str:
    return "".join(parts)


PIECES = st.recursive(
    st.tuples(ATOMS, QUANTIFIERS).map("".join),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(_wrap),
        st.tuples(st.lists(inner, min_size=1, max_size=3).map("|".join), QUANTIFIERS).map(
            lambda t: f"(?:{t[0]}){t[1]}"
        ),
    ),
    max_leaves=6,
)
PATTERNS = st.tuples(st.sampled_from(["", "\\b", "^"]), PIECES, st.sampled_from(["", "\\b", "$"])).map(
    "".join
)
TEXTS = st.lists(st.sampled_from([*"ab1 -.\n", "ab", "a1", " a", "11"]), max_size=30).map("".join)
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
