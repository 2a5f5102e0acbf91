"""Dictionary files: both orientations, findings by file line, inline entries, rendering, sniffing."""

from __future__ import annotations

import pytest

from alabctl.compile.dictionary import (
    DELIMITER,
    DUPLICATE,
    EMPTY,
    MALFORMED,
    SPACES,
    check_entries,
    normalise_text,
    parse_dictionary,
    render_dictionary,
    sniff_dictionary,
)
from alabctl.spec.diagnostics import Severity
from alabctl.spec.kinds.rule import Orientation

H, V = Orientation.HORIZONTAL, Orientation.VERTICAL


def test_horizontal_rows_become_entries() -> None:
    parsed = parse_dictionary("male,man,boy\nfemale,woman,girl,lady\n")
    assert parsed.entries == {"male": ["man", "boy"], "female": ["woman", "girl", "lady"]}
    assert parsed.findings == ()


def test_tsv_with_tab_delimiter() -> None:
    parsed = parse_dictionary("male\tman\tboy\n", delimiter="\t")
    assert parsed.entries == {"male": ["man", "boy"]}


def test_vertical_file_is_one_entry() -> None:
    parsed = parse_dictionary("City\nNew York\nGotham City\n", orientation=V)
    assert parsed.entries == {"City": ["New York", "Gotham City"]}
    assert parsed.findings == ()


def test_quoted_cells_and_crlf_and_bom() -> None:
    parsed = parse_dictionary('\ufeffplace,"New York, NY",Gotham\r\n')
    assert parsed.entries == {"place": ["New York, NY", "Gotham"]}


@pytest.mark.parametrize(
    ("text", "orientation", "code", "line", "severity"),
    [
        ("male,man,,boy\n", H, EMPTY, 1, Severity.ERROR),
        ("male,man\nfemale,woman,\n", H, EMPTY, 2, Severity.ERROR),
        ("male,man\n,woman\n", H, EMPTY, 2, Severity.ERROR),
        ("male,man\n\nfemale\n", H, EMPTY, 3, Severity.ERROR),
        ("male\tman\nfemale\twoman\n", H, DELIMITER, 1, Severity.ERROR),
        ("male,man\nfemale,man\n", H, DUPLICATE, 2, Severity.WARNING),
        ("male,man,man\n", H, DUPLICATE, 1, Severity.WARNING),
        ("male, man\n", H, SPACES, 1, Severity.WARNING),
        ('male,"man\n', H, MALFORMED, 1, Severity.ERROR),
        ("City\nGotham\nNew York, NY\n", V, MALFORMED, 3, Severity.ERROR),
        ("City\n", V, EMPTY, 1, Severity.ERROR),
        ("", H, EMPTY, 1, Severity.ERROR),
    ],
)
def test_one_finding_at_the_file_line(
    text: str, orientation: Orientation, code: str, line: int, severity: Severity
) -> None:
    findings = parse_dictionary(text, orientation=orientation).findings
    assert [(f.code, f.line, f.severity) for f in findings] == [(code, line, severity)], findings
    assert findings[0].detail


def test_line_numbers_count_blank_lines_and_multiline_quotes() -> None:
    text = 'a,"x\ny"\n\nb,\n'
    findings = parse_dictionary(text).findings
    assert [(f.code, f.line) for f in findings] == [(EMPTY, 4)]


def test_inline_entries_are_checked_at_their_paths() -> None:
    findings = check_entries({"male": ["man", " "], "female": [], "x": ["man"]})
    got = {(f.code, f.path) for f in findings}
    assert got == {(EMPTY, ("male", 1)), (EMPTY, ("female",)), (DUPLICATE, ("x", 0))}
    assert check_entries({"male": ["man"]}) == []
    (empty,) = check_entries({})
    assert (empty.code, empty.path, empty.summary) == (EMPTY, (), "dictionary has no entries")


def test_render_round_trips_through_parse() -> None:
    entries = {"place": ["New York, NY", "Gotham"], "male": ["man"]}
    for orientation, sample in ((H, entries), (V, {"City": ["New York", "Gotham"]})):
        text = render_dictionary(sample, orientation=orientation)
        assert parse_dictionary(text, orientation=orientation).entries == sample
    assert render_dictionary({"a": ["b"]}, delimiter="\t") == "a\tb\n"


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        ("male,man\n", "g.csv", (H, ",")),
        ("male\tman\n", "g.csv", (H, "\t")),
        ("male,man\n", "g.tsv", (H, "\t")),
        ("City\nNew York\n", "c.csv", (V, ",")),
    ],
)
def test_sniff(text: str, filename: str, expected: tuple[Orientation, str]) -> None:
    assert sniff_dictionary(text, filename) == expected


def test_normalise_text() -> None:
    assert normalise_text("\ufeffa,b\r\nc,d\r\n\r\n") == "a,b\nc,d\n"
    assert normalise_text("a,b") == "a,b\n"
    assert normalise_text("") == ""
