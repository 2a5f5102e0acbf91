"""``canonical_json``: the bytes of the standard library's sorted, indented JSON, whoever writes them."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alabctl.compile.build import canonical_json


def stdlib(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES)
def test_same_bytes_as_the_standard_library(value: Any) -> None:
    assert canonical_json(value) == stdlib(value)


def test_the_cases_orjson_writes_differently_or_refuses() -> None:
    cases: list[Any] = [
        1e-05,  # orjson: 0.00001
        [2.5e-07, {"x": -9.5e-09}],  # orjson: 2.5e-7
        0.0001,
        1e16,
        1e22,
        -0.0,
        2**64,  # beyond orjson's 64 bits
        -(2**63) - 1,
        {1: "a"},  # a key that is not a string
        {"é": '\x00\x1f\x7f\u2028 "\\ /', "\U0001f600": 1, "\uffff": 2, "a": 3},  # escapes, key order
        {"a": [], "b": {}, "c": [[], {}]},
        ("a", 1),
        "1e-7 in a string",
        [[[[[[[[]]]]]]]],
    ]
    for value in cases:
        assert canonical_json(value) == stdlib(value), value


def test_deep_nesting_falls_back() -> None:
    value: Any = []
    for _ in range(300):  # deeper than orjson writes
        value = [value]
    assert canonical_json(value) == stdlib(value)


def test_non_finite_floats_become_null() -> None:
    assert canonical_json([math.nan, math.inf]) == b"[\n  null,\n  null\n]\n"
