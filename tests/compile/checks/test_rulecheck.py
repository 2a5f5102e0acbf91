"""check_rules on real repositories built in tmp_path: every finding at its YAML node."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alabctl.compile.checks.rulecheck import check_rules, whitespace_offset
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.validate import load_repository

MakeRepo = Callable[[dict[str, str]], Path]

HEADER = "apiVersion: alabctl/v1\nkind: Rule\nmetadata:\n  name: {name}\nspec:\n  entity: {entity}\n"


def _rule(body: str, name: str = "r", entity: str = "E") -> str:
    return HEADER.format(name=name, entity=entity) + body


def _check(make_repo: MakeRepo, files: dict[str, str]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    root = make_repo(files)
    result = load_repository(["."], cwd=root)
    return check_rules(result.repository), result.diagnostics


@pytest.mark.parametrize("regex", [r"(?<year>\d{4})", r"\p{L}+"])
def test_java_only_regex_gives_one_diagnostic_at_the_regex_node(make_repo: MakeRepo, regex: str) -> None:
    found, spec_problems = _check(make_repo, {"rules/r.yaml": _rule(f"  regex: '{regex}'\n")})
    assert spec_problems == []
    assert len(found) == 1
    d = found[0]
    assert (d.code, d.severity, d.file, d.line, d.column) == ("ALB331", Severity.ERROR, "rules/r.yaml", 7, 10)
    assert d.path == ("spec", "regex")
    assert d.detail.startswith("at offset 0: ")


def test_dictionary_with_an_empty_entry_gives_one_diagnostic(make_repo: MakeRepo) -> None:
    files = {
        "rules/g.yaml": _rule("  dictionary:\n    file: dict/g.csv\n", name="g"),
        "rules/dict/g.csv": "male,man,boy\nfemale,,woman\n",
    }
    found, spec_problems = _check(make_repo, files)
    assert spec_problems == []
    assert len(found) == 1
    d = found[0]
    assert (d.code, d.line, d.column, d.path) == ("ALB336", 8, 11, ("spec", "dictionary", "file"))
    assert "dict/g.csv:2:" in d.detail


def test_missing_dictionary_is_left_to_the_reference_check(make_repo: MakeRepo) -> None:
    found, spec_problems = _check(make_repo, {"r.yaml": _rule("  dictionary:\n    file: nope.csv\n")})
    assert found == []
    assert [d.code for d in spec_problems] == ["ALB206"]


def test_non_utf8_dictionary_is_reported(make_repo: MakeRepo) -> None:
    root = make_repo({"r.yaml": _rule("  dictionary:\n    file: g.csv\n")})
    (root / "g.csv").write_bytes(b"caf\xe9,x\n")
    found = check_rules(load_repository(["."], cwd=root).repository)
    assert [(d.code, d.path) for d in found] == [("ALB335", ("spec", "dictionary", "file"))]


def test_inline_entries_are_located_at_their_nodes(make_repo: MakeRepo) -> None:
    body = "  dictionary:\n    entries:\n      male: [man, ' ']\n      female: []\n"
    found, _ = _check(make_repo, {"r.yaml": _rule(body)})
    got = sorted((d.code, d.path, d.line) for d in found)
    assert got == [
        ("ALB336", ("spec", "dictionary", "entries", "female"), 10),
        ("ALB336", ("spec", "dictionary", "entries", "male", 1), 9),
    ]


def test_empty_inline_entries_are_an_error_like_an_empty_file(make_repo: MakeRepo) -> None:
    found, _ = _check(make_repo, {"r.yaml": _rule("  dictionary:\n    entries: {}\n")})
    assert [(d.code, d.summary, d.path, d.line) for d in found] == [
        ("ALB336", "dictionary has no entries", ("spec", "dictionary", "entries"), 8)
    ]


def test_context_words_must_be_single_tokens(make_repo: MakeRepo) -> None:
    body = "  regex: x\n  prefix: [tall, very tall]\n  suffix: [cm]\n  contextException: ['not really']\n"
    found, _ = _check(make_repo, {"r.yaml": _rule(body)})
    assert sorted((d.code, d.path) for d in found) == [
        ("ALB341", ("spec", "contextException", 0)),
        ("ALB341", ("spec", "prefix", 1)),
    ]
    assert "'very', 'tall'" in next(d.detail for d in found if d.path[1] == "prefix")


def test_multi_word_entries_need_document_scope_and_sub_token(make_repo: MakeRepo) -> None:
    files = {
        "r.yaml": _rule("  dictionary:\n    file: c.csv\n  ruleScope: sentence\n"),
        "c.csv": "city,New York\n",
    }
    found, _ = _check(make_repo, files)
    assert [(d.code, d.severity, d.path) for d in found] == [
        ("ALB342", Severity.WARNING, ("spec", "ruleScope"))
    ]
    ok = {
        "r.yaml": _rule("  dictionary:\n    file: c.csv\n  ruleScope: document\n  matchScope: sub-token\n"),
        "c.csv": "city,New York\n",
    }
    assert _check(make_repo, ok)[0] == []


def test_sentence_scope_regex_that_needs_whitespace_is_a_warning(make_repo: MakeRepo) -> None:
    found, _ = _check(make_repo, {"r.yaml": _rule("  regex: 'family\\s+history'\n")})
    assert [(d.code, d.severity) for d in found] == [("ALB333", Severity.WARNING)]
    assert "at offset 6" in found[0].detail
    document = _rule("  regex: 'family\\s+history'\n  ruleScope: document\n")
    assert _check(make_repo, {"r.yaml": document})[0] == []


@pytest.mark.parametrize(
    ("pattern", "offset"),
    [
        (r"a\sb", 1),
        ("a b", 1),
        (r"a[ ,]b", 1),
        (r"a\s?b", None),
        (r"a.b", None),
        (r"\W", None),
        (r"[^x]", None),
        (r"(x\s)?y", None),
    ],
)
def test_whitespace_offset(pattern: str, offset: int | None) -> None:
    assert whitespace_offset(pattern) == offset


def test_backtracking_warning_is_located_at_the_regex(make_repo: MakeRepo) -> None:
    found, _ = _check(make_repo, {"r.yaml": _rule("  regex: '(a+)+b'\n")})
    assert [(d.code, d.severity, d.path) for d in found] == [("ALB332", Severity.WARNING, ("spec", "regex"))]


def test_malformed_import_annotation(make_repo: MakeRepo) -> None:
    text = (
        "apiVersion: alabctl/v1\nkind: Rule\nmetadata:\n  name: r\n  annotations:\n"
        "    alabctl.io/contextual-parser-omit: 'nope'\nspec:\n  entity: E\n  regex: x\n"
    )
    found, _ = _check(make_repo, {"r.yaml": text})
    assert [(d.code, d.line) for d in found] == [("ALB345", 6)]
