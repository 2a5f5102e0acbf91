"""Spark NLP's Version.parse / isCompatible, with the table of research §1.4."""

from __future__ import annotations

import pytest

from alabctl.assets.version import format_version, is_compatible, parse_version


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("3.5.1", (3, 5, 1)),
        ("5.0.0-rc1", (5, 0, 0)),
        ("5.5.3.1", (5, 5, 3)),
        ("3.5", (3, 5)),
        ("4.4.0-beta", (4, 4, 0)),
        ("x.1", None),
        (None, None),
    ],
)
def test_parse(text: str | None, parts: tuple[int, ...] | None) -> None:
    assert parse_version(text) == parts


@pytest.mark.parametrize(
    ("current", "found", "ok"),
    [
        ("5.5.1", "5.5", True),
        ("5.5.1", "5.4.2", True),
        ("5.5.1", "4.4.0", True),
        ("5.5.1", "5.5.2", False),
        ("5.5.1", "6.0", False),
        ("3.5.1", "3.0", True),
        ("3.5.1", "2.4", True),
        ("3.5.1", "3.5.2", False),
        ("3.5", "3.5.0", False),
        ("5.5.1", None, True),
    ],
)
def test_is_compatible(current: str, found: str | None, ok: bool) -> None:
    assert is_compatible(parse_version(current), parse_version(found)) is ok


def test_format() -> None:
    assert format_version((4, 4, 0)) == "4.4.0"
    assert format_version(None) == ""
