"""One mistake, one error: what a manifest's own error explains is not said again elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alabctl import api
from alabctl.compile.verify import _same_document
from alabctl.spec.validate import load_repository

MakeRepo = Callable[[dict[str, str]], Path]

H = "apiVersion: alabctl/v1\n"
PROJECT = H + "kind: Project\nmetadata: {{name: wq}}\nspec:\n  ner:\n{ner}"
RULE = H + "kind: Rule\nmetadata: {{name: num}}\nspec: {{{spec}}}\n"


def _codes(make_repo: MakeRepo, files: dict[str, str]) -> list[tuple[str, str, int | None]]:
    root = make_repo(files)
    report = api.validate(api.Inputs(paths=["."], cwd=root, cache=False))
    return [(d.code, d.file or "", d.line) for d in report.diagnostics if d.is_error]


def test_a_rule_with_a_schema_error_is_not_also_undefined(make_repo: MakeRepo) -> None:
    files = {
        "p.yaml": PROJECT.format(ner="    rules: [num]\n"),
        "r.yaml": RULE.format(spec=r"entty: Num, regex: '\d+'"),
    }
    got = _codes(make_repo, files)
    # the rule's own two errors; no "Rule 'num' is not defined" and no "no control tag" on the project
    assert sorted(code for code, _, _ in got) == ["ALB101", "ALB104"]
    assert {file for _, file, _ in got} == {"r.yaml"}


def test_a_rule_that_is_not_there_is_one_error(make_repo: MakeRepo) -> None:
    files = {
        "p.yaml": PROJECT.format(ner="    rules: [numb]\n"),
        "r.yaml": RULE.format(spec=r"entity: Num, regex: '\d+'"),
    }
    assert _codes(make_repo, files) == [("ALB202", "p.yaml", 6)]


@pytest.mark.parametrize(
    ("ner", "extra", "expected"),
    [
        ("    labels: [{value: Misc}, {value: Misc}]\n", "", ["ALB203"]),
        (
            "    labels: [{value: Drug}]\n",
            "  relations:\n    labels:\n      - {value: treats, allowed: ['Drug>Nope']}\n",
            ["ALB323"],
        ),
    ],
)
def test_a_config_finding_that_repeats_a_manifest_error_is_left_out(
    make_repo: MakeRepo, ner: str, extra: str, expected: list[str]
) -> None:
    got = _codes(make_repo, {"p.yaml": PROJECT.format(ner=ner) + extra})
    assert [code for code, _, _ in got] == expected


def test_a_manifest_error_counts_only_for_its_own_document(make_repo: MakeRepo) -> None:
    first = PROJECT.format(ner="    labels: [{value: Misc}, {value: Misc}]\n")
    second = first.replace("name: wq", "name: other")
    root = make_repo({"p.yaml": first + "---\n" + second})
    loaded = load_repository(["."], cwd=root)
    one, two = sorted(loaded.repository.resources, key=lambda r: r.origin.index)
    duplicates = sorted((d for d in loaded.diagnostics if d.code == "ALB203"), key=lambda d: d.line or 0)
    assert len(duplicates) == 2
    assert [_same_document(one, d) for d in duplicates] == [True, False]
    assert [_same_document(two, d) for d in duplicates] == [False, True]
