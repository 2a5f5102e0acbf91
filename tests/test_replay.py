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
    # the template's line, and the rendered text where the YAML is wrong
    assert "ALB001" in first and "4 |   name: {{ name }}" in first and "rendered it as: name: x: [}" in first
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


def _age(path, seconds: float = 60.0) -> None:
    import os
    import time

    old = time.time() - seconds
    os.utime(path, (old, old))


@pytest.fixture
def settled(monkeypatch):
    """Treat files as changed long ago (a test cannot age a file's inode change time)."""
    import alabctl.replay

    monkeypatch.setattr(alabctl.replay, "RACY_NS", -(10**18))


def test_an_unchanged_file_is_not_read_again_and_a_changed_one_is(repo, monkeypatch, settled) -> None:
    import alabctl.replay

    env = {"JSL": token(4102444800)}
    for name in ("r.yaml", "p.yaml", "l.yaml"):
        _age(repo / name)
    assert validate(Inputs(["."], cwd=repo), env=env).valid
    reads: list[str] = []
    real_read = alabctl.replay._read
    monkeypatch.setattr(alabctl.replay, "_read", lambda p: reads.append(p.name) or real_read(p))
    again = validate(Inputs(["."], cwd=repo), env=env)
    shown = {d.file for d in again.diagnostics}  # their texts are read, for excerpts
    assert again.replayed and {r for r in reads if r.endswith(".yaml")} == shown - {None}
    assert "p.yaml" not in reads  # one stat per manifest, no read
    # the same size and the same mtime, other content: the inode's change time still tells
    text = RULE.replace("entity: G", "entity: Q")
    (repo / "r.yaml").write_text(text)
    _age(repo / "r.yaml")
    changed = validate(Inputs(["."], cwd=repo), env=env)
    assert not changed.replayed and changed.repository.rule("g").spec.entity == "Q"


def test_a_file_changed_moments_ago_is_hashed_every_time(repo, monkeypatch) -> None:
    import alabctl.replay

    env = {"JSL": token(4102444800)}
    assert validate(Inputs(["."], cwd=repo), env=env).valid
    reads: list[str] = []
    real_read = alabctl.replay._read
    monkeypatch.setattr(alabctl.replay, "_read", lambda p: reads.append(p.name) or real_read(p))
    assert validate(Inputs(["."], cwd=repo), env=env).replayed
    assert {"l.yaml", "p.yaml", "r.yaml"} <= set(reads)  # changed moments ago: read and hashed


def test_a_forged_stat_digest_does_not_hide_a_change(repo, settled) -> None:
    from alabctl.spec.cache import default_cache_dir

    env = {"JSL": token(4102444800)}
    for name in ("r.yaml", "p.yaml", "l.yaml"):
        _age(repo / name)
    assert validate(Inputs(["."], cwd=repo), env=env).valid
    path = default_cache_dir() / "stat-digests.json"
    assert path.exists()
    (repo / "r.yaml").write_text(RULE.replace("entity: G", "entity: G2"))
    _age(repo / "r.yaml")
    import os

    info = os.stat(repo / "r.yaml")
    key = f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"
    old = [e for e in json.loads(path.read_text().split("\n", 1)[1])["entries"].items() if "r.yaml" in e[0]]
    forged = {"entries": {old[0][0]: [key, old[0][1][1]]}}  # the old content's digest for the new stat
    header = {"format": "alabctl-cache", "kind": "memo", "version": 2, "mac": "0" * 64}
    path.write_text(json.dumps(header) + "\n" + json.dumps(forged))
    again = validate(Inputs(["."], cwd=repo), env=env)
    assert not again.replayed and again.repository.rule("g").spec.entity == "G2"
