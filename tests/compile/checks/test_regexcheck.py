"""Table tests for the rule regex checker: compile errors, Java/Python portability, backtracking."""

from __future__ import annotations

import pytest

from alabctl.compile.checks.regexcheck import BACKTRACKING, COMPILE, PORTABILITY, check_regex
from alabctl.spec.diagnostics import Severity

CLEAN = [
    r"\d+",
    r"[0-7]'((0?[0-9])|(1(0|1)))",
    r"girl|boy",
    r"(?i)girl|boy",
    r"(?i)(?s)x.y",
    r"(?i:x)y",
    r"\d{1,3}(\.\d{1,3}){3}",
    r"\d+(\.\d+)?",
    r"(\w+\s)*end",
    r"(ab+c)*",
    r"[a-z&]+",
    r"\(?<",  # an escaped paren followed by '?<' is not a named group
    r"[(?<]",  # inside a class, '(?<' is three literals
    r"a\\",
    r"\{foo\}",
    r"x{2}",
    r"x{2,}",
    r"x{2,5}?",
    r"(?=a)b",
    r"(?<=ab|cd)x",  # fixed width alternatives are fine in both
    r"\bword\b",
    r"\u00e9",
    r"[\[\]]",
    r"[]a]",
    r"\Aa$",
    r"[^\s]+",
]


@pytest.mark.parametrize("pattern", CLEAN)
def test_portable_patterns_have_no_findings(pattern: str) -> None:
    assert check_regex(pattern) == []


PORTABILITY_CASES = [
    (r"(?<year>\d{4})", 0, "named group"),
    (r"\k<year>", 0, "named back-reference"),
    (r"(?P<year>\d{4})", 0, "Python named group"),
    (r"(a)(?P=a)", 3, "Python named back-reference"),
    (r"\p{L}+", 0, "Unicode property"),
    (r"x\P{Lu}", 1, "Unicode property"),
    (r"[a-z&&aeiou]", 4, "'&&' inside a character class"),
    (r"a\z", 1, "escape '\\z'"),
    (r"a\Z", 1, "escape '\\Z'"),
    (r"\h+", 0, "escape '\\h'"),
    (r"\R", 0, "escape '\\R'"),
    (r"\X", 0, "escape '\\X'"),
    (r"\Ga", 0, "escape '\\G'"),
    (r"\Qa.b\E", 0, "quoted literal"),
    (r"a(?i)b", 1, "in the middle of the pattern"),
    (r"x{", 1, "unescaped '{'"),
    (r"{foo}", 0, "unescaped '{'"),
    (r"a{,3}", 1, "has no lower bound"),
    (r"(?<=a|bc)x", 0, "variable-width look-behind"),
    (r"(?#note)a", 0, "comment group"),
    (r"\x{41}", 0, "escape"),
    (r"\0", 0, "numeric escape"),
    (r"(?a)x", 0, "inline flag"),
    (r"[[:alpha:]]", 1, "'[' inside a character class"),
]


@pytest.mark.parametrize(("pattern", "offset", "summary"), PORTABILITY_CASES)
def test_non_portable_constructs_give_one_located_finding(pattern: str, offset: int, summary: str) -> None:
    findings = check_regex(pattern)
    assert [f.code for f in findings] == [PORTABILITY], findings
    assert findings[0].offset == offset
    assert summary in findings[0].summary
    assert findings[0].detail  # says why and how to rewrite


@pytest.mark.parametrize(
    ("pattern", "offset"), [(r"a*+", 2), (r"a++b", 2), (r"a?+", 2), (r"x{2}+", 4), (r"(?>ab)", 0)]
)
def test_possessive_and_atomic_are_warnings(pattern: str, offset: int) -> None:
    findings = check_regex(pattern)
    assert [(f.code, f.offset, f.severity) for f in findings] == [(PORTABILITY, offset, Severity.WARNING)]


def test_escaped_java_syntax_is_not_flagged_but_real_syntax_after_escaped_backslash_is() -> None:
    assert check_regex(r"\\(?<a>x)")[0].offset == 2
    assert check_regex(r"\(?<") == []


@pytest.mark.parametrize(
    ("pattern", "offset"), [("(a", 0), ("a)", 1), ("*a", 0), ("a{2,1}", 2), ("a\\", 1), ("[a", 0)]
)
def test_python_compile_errors_are_reported_with_position(pattern: str, offset: int) -> None:
    findings = check_regex(pattern)
    assert [f.code for f in findings] == [COMPILE]
    assert findings[0].offset == offset
    assert findings[0].summary.startswith("regex does not compile")


def test_portability_finding_replaces_the_compile_error_it_explains_but_not_others() -> None:
    assert [f.code for f in check_regex(r"\p{L}+")] == [PORTABILITY]
    assert sorted(f.code for f in check_regex(r"*\p{L}")) == [COMPILE, PORTABILITY]


def test_java_class_intersection_with_nested_class_names_both_constructs() -> None:
    summaries = [f.summary for f in check_regex(r"[a-z&&[^aeiou]]")]
    assert summaries == ["'&&' inside a character class", "'[' inside a character class"]


BACKTRACKING_CASES = [
    r"(a+)+",
    r"(a*)*",
    r"(\w+\s?)*",
    r"(a|a)*",
    r"(a|ab)*c",
    r"(.*a){10}",
    r"(\d+\.?\d+)*",
    r"((a+)b?)+$",
    r"^(\w|\d)+$",
    # a repeated body whose optional or bounded-variable part overlaps what follows it
    r"(?:\d\d?)+x",
    r"(aa?)+$",
    r"(a{1,2})+$",
    r"(a{1,5})+$",
    r"(\d{1,3},?)+$",
    # a body that can match one short string in two ways
    r"(ab|abc?)+$",
    r"(aa|aab?)+$",
    # a body repeated many times that can match nothing
    r"(a?){25}a{25}",
    r"(?:x|y?){5,}z",
    # long runs of unbounded parts over the same characters (polynomial)
    r".*.*.*.*.*.*.*.*=$",
    r"(?:a+)(?:a+)(?:a+)(?:a+)(?:a+)(?:a+)(?:a+)(?:a+)b",
    r"\w+\s*\w+\s*\w+!",
    r"a*b*b*b*c",
]


@pytest.mark.parametrize("pattern", BACKTRACKING_CASES)
def test_catastrophic_backtracking_is_a_warning(pattern: str) -> None:
    findings = check_regex(pattern)
    assert [f.code for f in findings] == [BACKTRACKING], findings
    assert findings[0].severity is Severity.WARNING
    assert "instead of" in findings[0].detail


@pytest.mark.parametrize(
    "pattern",
    [
        r"(\w+\s)*",
        r"(ab+c)*",
        r"(\d{1,3}\.){3}",
        r"(a|b)*",
        r"(?:[a-z]+-)*x",
        r"(a+)?",
        # near-misses of the cases above
        r"(ab?)+$",  # the optional part cannot match what follows it
        r"(\d{1,3}\.)+$",  # a required separator between the variable parts
        r"(\d\d?){3}x",  # a few repetitions: at most 2^3 ways
        r"([A-Z][a-z]?)+",
        r"(a{2})+$",  # fixed width: one way to split
        r"\w+\s+\w+\s*\w+",  # a required space breaks the run
        r"\d+\s*\d+",  # two in a row: quadratic at worst
        r".*a.*",
        r"a*b*c*",  # three in a row over different characters
        r"(?:a+b)(?:a+b)(?:a+b)",  # each part ends on a 'b'
        r"(ab|ac)+",  # alternatives that share a first character but no string
        r"(?:mg|g|ml)+",
        r"([A-Z][a-z]+ ?)+",
    ],
)
def test_unambiguous_repetition_is_not_flagged(pattern: str) -> None:
    assert [f for f in check_regex(pattern) if f.code == BACKTRACKING] == []


@pytest.mark.parametrize(
    ("pattern", "part", "rewrite"),
    [
        (r"(?:\d\d?)+x", r"'\d?'", r"'\d+' instead of '(?:\d\d?)+'"),
        (r"(a{1,2})+$", "'a{1,2}'", "'a+' instead of '(a{1,2})+'"),
        (r"(a?){25}a{25}", "'a?'", "'a{0,25}' instead of '(a?){25}'"),
    ],
)
def test_an_ambiguous_repetition_names_the_part_and_the_rewrite(
    pattern: str, part: str, rewrite: str
) -> None:
    [finding] = check_regex(pattern)
    assert finding.offset == 0 and pattern[finding.offset : finding.end] in finding.summary
    assert part in finding.summary
    assert rewrite in finding.detail


def test_an_ambiguous_body_names_a_string_it_matches_two_ways() -> None:
    [finding] = check_regex(r"(ab|abc?)+$")
    assert "can match 'ab' in more than one way" in finding.summary


def test_a_run_of_unbounded_parts_is_located_and_says_how_to_merge_them() -> None:
    [finding] = check_regex(r"x=.*.*.*.*$")
    assert (finding.offset, finding.length) == (2, 8)
    assert "4 unbounded parts in a row" in finding.summary
    assert "instead of" in finding.detail and "n^4" in finding.detail


def test_findings_are_sorted_by_offset() -> None:
    findings = check_regex(r"\p{L}(?<n>x)\h")
    assert [f.offset for f in findings] == sorted(f.offset for f in findings)
    assert len(findings) == 3
