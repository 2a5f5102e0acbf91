"""A no-change re-validation replays the kept result; any change to what it read means a full run."""

from __future__ import annotations

import base64
import json

import pytest

import alabctl.compile.verify
from alabctl.api import Inputs, validate
from alabctl.cli.formats import RENDERERS

H = "apiVersion: alabctl/v1\n"
RULE = H + "kind: Rule\nmetadata: {name: g}\nspec: {entity: G, dictionary: {file: g.csv}}\n"
PROJECT = (
    H + "kind: Project\nmetadata: {name: p}\nspec:\n  license: jsl\n  ner: {rules: [g]}\n  content: pdf\n"
)
LICENSE = H + "kind: License\nmetadata: {name: jsl}\nspec: {fromEnv: JSL, scopes: [ocr:inference]}\n"


def token(exp: int) -> str:
    def b(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return json.dumps(
        {"SPARK_OCR_LICENSE": f"{b({'alg': 'RS256'})}.{b({'exp': exp, 'scope': ['ocr:inference']})}.sig"}
    )


@pytest.fixture
def repo(make_repo):
    return make_repo({"r.yaml": RULE, "g.csv": "female,woman,lady\n", "p.yaml": PROJECT, "l.yaml": LICENSE})


@pytest.fixture
def no_checks(monkeypatch):
    """Make a full run impossible: a replayed result must not need the checks."""

    def refuse(*args, **kwargs):
        raise AssertionError("the checks ran: the result was not replayed")

    return lambda: monkeypatch.setattr(alabctl.compile.verify, "verify", refuse)


def test_unchanged_inputs_are_replayed_with_excerpts(repo, no_checks) -> None:
    env = {"JSL": token(4102444800)}
    (repo / "g.csv").write_text("female,,lady\n")  # one diagnostic, to check excerpts survive
    first = validate(Inputs(["."], cwd=repo), env=env)
    no_checks()
    second = validate(Inputs(["."], cwd=repo), env=env)
    assert second.diagnostics == first.diagnostics and second.diagnostics
    assert (second.files, second.manifests) == (first.files, first.manifests)
    assert RENDERERS["text"](second, False) == RENDERERS["text"](first, False)
    assert second.repository.rule("g") is not None  # loaded on demand


@pytest.mark.parametrize("change", ["manifest", "dictionary", "license", "lock"])
def test_a_change_means_a_full_run(repo, change) -> None:
    env = {"JSL": token(4102444800)}
    assert validate(Inputs(["."], cwd=repo), env=env).valid
    if change == "manifest":
        (repo / "r.yaml").write_text(RULE.replace("entity: G", "entity: G2"))
    elif change == "dictionary":
        (repo / "g.csv").write_text("female,,lady\n")
    elif change == "license":
        env = {"JSL": "not json"}
    else:
        (repo / "alabctl.lock").write_text("version: [\n")
    again = validate(Inputs(["."], cwd=repo), env=env)
    if change == "manifest":
        assert again.valid and again.repository.rule("g").spec.entity == "G2"
    else:
        assert not again.valid


def test_an_expired_license_is_noticed_even_when_nothing_else_changed(repo, monkeypatch) -> None:
    import time

    now = time.time()
    env = {"JSL": token(int(now) + 60)}
    assert validate(Inputs(["."], cwd=repo), env=env).valid
    monkeypatch.setattr(time, "time", lambda: now + 120)
    later = validate(Inputs(["."], cwd=repo), env=env)
    assert [d.code for d in later.diagnostics if d.is_error] == ["ALB313"]


def test_no_cache_never_replays(repo, no_checks) -> None:
    env = {"JSL": token(4102444800)}
    validate(Inputs(["."], cwd=repo), env=env)
    no_checks()
    with pytest.raises(AssertionError, match="not replayed"):
        validate(Inputs(["."], cwd=repo, cache=False), env=env)


def test_a_replayed_template_diagnostic_shows_the_same_excerpt(make_repo) -> None:
    template = H + "kind: Rule\nmetadata:\n  name: {{ name }}\nspec: {entity: G, regex: a}\n"
    root = make_repo({"t.yaml.j2": template, "loop.yaml.j2": "{% for c in s %}{% endfor %}\n"})
    inputs = Inputs(["."], cwd=root, values={"name": "x: [}", "s": "abc"})
    first = RENDERERS["text"](validate(inputs), False)
    assert "ALB001" in first and "name: x: [}" in first  # the rendered line, where the YAML is wrong
    assert "ALB010" in first and "1 | {% for c in s %}" in first  # the template's line
    uncached = RENDERERS["text"](validate(Inputs(["."], cwd=root, values=inputs.values, cache=False)), False)
    assert RENDERERS["text"](validate(inputs), False) == first == uncached


def test_a_replayed_sarif_names_its_rules_like_a_full_run(make_repo, tmp_path) -> None:
    import subprocess
    import sys

    root = make_repo({"r.yaml": H + "kind: Rule\nmetadata: {name: r}\nspec: {entity: R, regex: '(a+)+b'}\n"})
    env = {"ALABCTL_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}

    def rules() -> list[dict]:
        argv = [sys.executable, "-m", "alabctl", "validate", "-f", ".", "-o", "sarif"]
        done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=120)
        return json.loads(done.stdout)["runs"][0]["tool"]["driver"]["rules"]

    first = rules()
    assert [r["name"] for r in first] == ["RegexRisksCatastrophicBacktracking"]
    assert rules() == first  # replayed in a process that never imported the regex check
