"""Helpers for rule tests: a rule JSON with defaults, and an engine per backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from alabctl.runtime.rules import RuleEngine

try:
    import hyperscan  # noqa: F401

    HAS_HYPERSCAN = True
except ImportError:  # the optional extra is not installed
    HAS_HYPERSCAN = False

BACKENDS = [
    "re",
    pytest.param(
        "hyperscan",
        marks=pytest.mark.skipif(
            not HAS_HYPERSCAN, reason="hyperscan (the [hyperscan] extra) is not installed"
        ),
    ),
]


def rule(**fields: Any) -> dict[str, Any]:
    """A compiled rule JSON: name ``r``, entity ``E``, ContextualParser defaults, then ``fields``."""
    data: dict[str, Any] = {
        "name": "r",
        "entity": "E",
        "ruleScope": "sentence",
        "matchScope": "token",
        "completeMatchRegex": "false",
        "prefix": [],
        "suffix": [],
        "contextLength": 100,
        "contextException": [],
        "exceptionDistance": 40,
        "prefixAndSuffixMatch": False,
    }
    data.update(fields)
    return data


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def found(backend: str) -> Callable[..., list[str]]:
    """``found(text, *rules, dictionaries={})``: the chunks' texts, on the backend under test."""

    def run(text: str, *rules: Mapping[str, Any], dictionaries: Mapping[str, str] | None = None) -> list[str]:
        engine = RuleEngine.from_specs(list(rules), dictionaries or {}, backend=backend)
        chunks = engine.annotate(text)
        assert all(text[c.start : c.end] == c.text for c in chunks)
        return [c.text for c in chunks]

    return run
