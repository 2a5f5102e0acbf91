"""Sentence scope tries each token on its own; the engine's shortcut gives exactly that."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alabctl.runtime.rules import RuleEngine
from alabctl.runtime.rules.text import tokens
from tests.runtime.rules.conftest import rule
from tests.runtime.rules.test_backend_equivalence import PATTERNS, TEXTS

MODES = st.sampled_from(["sub-token", "token", "complete"])


def reference(pattern: str, mode: str, text: str) -> list[str]:
    """The definition: every token on its own, in order."""
    rx = re.compile(pattern, re.ASCII)
    out: list[str] = []
    for s, e in tokens(text):
        token = text[s:e]
        if mode == "complete":
            out.extend([token] if rx.fullmatch(token) else [])
        elif mode == "token":
            out.extend([token] if rx.search(token) else [])
        else:
            out.extend(m.group() for m in rx.finditer(token) if m.end() > m.start())
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PATTERNS, MODES, st.lists(TEXTS, min_size=1, max_size=4))
def test_sentence_scope_is_each_token_on_its_own(pattern: str, mode: str, texts: list[str]) -> None:
    fields = {"completeMatchRegex": "true"} if mode == "complete" else {"matchScope": mode}
    engine = RuleEngine.from_specs([rule(regex=pattern, ruleScope="sentence", **fields)], backend="re")
    for text in texts:
        assert [c.text for c in engine.annotate(text)] == reference(pattern, mode, text), (pattern, text)
