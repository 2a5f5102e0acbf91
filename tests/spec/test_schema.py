"""Each kind of schema mistake gives one diagnostic at the right line and column."""

import pytest

from alabctl.spec.validate import load_repository

HEAD = "apiVersion: alabctl/v1\n"


def diagnostics(make_repo, text: str):
    root = make_repo({"m.yaml": text})
    return load_repository(["m.yaml"], cwd=root, lockfile=root / "none.lock").diagnostics


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "needle"),
    [
        (
            HEAD + "kind: Rule\nmetadata: {name: r}\nspec:\n  entity: X\n  regx: a\n",
            "ALB104",
            6,
            3,
            "'regex'",
        ),
        (
            HEAD + "kind: Rule\nmetadata: {name: r}\nspec:\n  entity: X\n  regex: a\n  contextLength: x\n",
            "ALB102",
            7,
            18,
            "integer",
        ),
        (HEAD + "kind: Model\nmetadata: {name: m}\nspec:\n  labels: [A]\n", "ALB101", 4, 1, "task"),
        (HEAD + "kind: Project\nmetadata: {name: p}\nspec:\n  content: txt\n", "ALB103", 5, 12, "'text'"),
        (HEAD + "kind: Server\nmetadata: {name: Bad_Name}\n", "ALB105", 3, 18, "lowercase"),
        (HEAD + "kind: Projct\nmetadata: {name: p}\nspec: {}\n", "ALB107", 2, 7, "'Project'"),
        (HEAD + "kind: Server\nmetadata: {name: s}\nspec: {maxModels: 6}\n", "ALB106", 4, 19, "5"),
        (HEAD + "kind: Rule\nmetadata: {name: r}\nspec: {entity: X}\n", "ALB109", 4, 1, "either"),
        (HEAD + "kind: Hub\nmetadata: {name: h}\nspec: {sparkVersion: 3.5}\n", "ALB102", 4, 22, "quotes"),
        (
            HEAD + "kind: License\nmetadata: {name: l}\nspec: {scopes: []}\n",
            "ALB109",
            4,
            1,
            "name where",
        ),
        (
            HEAD + "kind: Rule\nmetadata: {name: r}\nspec: {entity: X, regex: a, caseSensitive: false}\n",
            "ALB109",
            4,
            1,
            "case-sensitive",
        ),
        (
            HEAD + "kind: Project\nmetadata: {name: p}\nspec:\n  relations:\n    labels:\n"
            "      - {value: r, allowed: [A-B]}\n",
            "ALB106",
            7,
            30,
            "FROM>TO",
        ),
    ],
)
def test_one_diagnostic_at_the_node(make_repo, text, code, line, column, needle) -> None:
    [d] = diagnostics(make_repo, text)
    assert (d.code, d.line, d.column) == (code, line, column), d
    assert needle in d.summary + d.detail


def test_every_problem_is_reported_not_only_the_first(make_repo) -> None:
    found = diagnostics(
        make_repo,
        HEAD + "kind: Rule\nmetadata: {name: r}\nspec:\n  entity: X\n"
        "  regx: a\n  ruleScope: doc\n  prefix: 5\n",
    )
    assert sorted(d.code for d in found) == ["ALB102", "ALB103", "ALB104"]


def test_defaults_are_applied(make_repo) -> None:
    root = make_repo({"m.yaml": HEAD + "kind: Rule\nmetadata: {name: r}\nspec: {entity: X, regex: a}\n"})
    result = load_repository(["."], cwd=root, lockfile=root / "none.lock")
    rule = result.repository.rule("r")
    assert rule is not None
    assert (rule.spec.rule_scope, rule.spec.context_length, rule.spec.case_sensitive) == (
        "sentence",
        100,
        True,
    )
