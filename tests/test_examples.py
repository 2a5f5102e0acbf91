"""The bundled examples: every valid one passes, every invalid one fails with its pinned errors."""

from __future__ import annotations

import json

import pytest

from alabctl.api import Inputs, validate
from alabctl.cli.formats import RENDERERS
from tests.conftest import EXAMPLES, REPO

INVALID = sorted(p for p in (EXAMPLES / "invalid").iterdir() if p.name.endswith((".yaml", ".j2")))
EXPECTED = {
    "bad-enum.yaml": "ALB103",
    "bad-name.yaml": "ALB105",
    "dangling-reference.yaml": "ALB202",
    "duplicate-key.yaml": "ALB002",
    "duplicate-name.yaml": "ALB201",
    "malicious-template.yaml.j2": "ALB008",
    "missing-field.yaml": "ALB101",
    "path-escape.yaml": "ALB007",
    "template-error.yaml.j2": "ALB003",
    "unknown-field.yaml": "ALB104",
    "wrong-type.yaml": "ALB102",
    "yaml-syntax.yaml": "ALB001",
}


def test_examples_are_valid(monkeypatch) -> None:
    """``alabctl validate -f examples/`` passes: examples/.alabctlignore leaves out examples/invalid/."""
    monkeypatch.chdir(REPO)
    report = validate(Inputs(["examples/"], cwd=REPO), skip_license_check=True)
    assert report.valid, RENDERERS["text"](report, False)
    assert not any("invalid" in r.origin.file for r in report.repository.resources)


def test_examples_without_invalid_are_valid_and_cover_every_kind(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    paths = [str(p.relative_to(REPO)) for p in EXAMPLES.iterdir() if p.name != "invalid"]
    report = validate(Inputs(paths, cwd=REPO, root=EXAMPLES), skip_license_check=True)
    assert report.valid, RENDERERS["text"](report, False)
    kinds = {r.kind for r in report.repository.resources}
    assert kinds == {"Project", "Rule", "Model", "Embeddings", "Server", "License", "Hub"}


def test_every_planted_mistake_is_listed(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    report = validate(Inputs(["examples/invalid/"], cwd=REPO))
    assert not report.valid
    by_file = {}
    for d in report.diagnostics:
        by_file.setdefault(d.file.rsplit("/", 1)[-1], []).append(d.code)
    assert by_file == {name: [code] for name, code in EXPECTED.items()}


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_invalid_example_renders_as_pinned(path, fmt, golden, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    rel = str(path.relative_to(REPO))
    report = validate(Inputs([rel], cwd=REPO, root=EXAMPLES / "invalid"))
    assert [d.code for d in report.diagnostics] == [EXPECTED[path.name]]
    rendered = RENDERERS[fmt](report, False)
    if fmt == "json":
        assert json.loads(rendered)["valid"] is False
    suffix = {"text": "txt", "json": "json", "github": "github.txt"}[fmt]
    golden(f"invalid/{path.name}.{suffix}", rendered)
