"""model_version: changes with every edit that can change a project's predictions, and with no other."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from alabctl.runtime.build import load_build
from alabctl.runtime.version import model_version
from tests.conftest import EXAMPLES
from tests.runtime.conftest import compile_examples

PROJECTS = {
    "quickstart": "quickstart",
    "triage-north": "triage",
    "triage-south": "triage",
    "invoices": "invoices",
}


def _versions(build: Path) -> dict[str, str]:
    loaded = load_build(build)
    return {p: model_version(loaded, loaded.pipeline(s), p) for p, s in PROJECTS.items()}


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new))

    return edit


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _versions(compile_examples(tmp_path_factory.mktemp("base") / "build"))


@pytest.mark.parametrize(
    ("edit", "changed"),
    [
        # a rule's regex: every project using it, no other
        (_replace("rules/height.yaml", "[0-7]'", "[0-8]'"), {"quickstart", "triage-north", "triage-south"}),
        # a dictionary file: only the project whose rule reads it
        (_replace("rules/dictionaries/gender.csv", "lady", "lady,madam"), {"quickstart"}),
        # a label colour in the triage template: both triage configs change
        (_replace("projects/triage.yaml.j2", '"#3498db"', '"#3498dc"'), {"triage-north", "triage-south"}),
        (_replace("projects/quickstart.yaml", "#8e44ad", "#8e44ae"), {"quickstart"}),
        # a rule's context words
        (
            _replace("rules/invoice.yaml", "prefix: [date, dated, issued]", "prefix: [date, dated]"),
            {"invoices"},
        ),
        # what shapes no prediction: the server's port, a comment, a description
        (_replace("servers/clinical.yaml", "port: 8702", "port: 8799"), set()),
        (_replace("projects/quickstart.yaml", "description: Heights", "description: Sizes"), set()),
        (_replace("rules/height.yaml", "# Heights", "# Body heights"), set()),
    ],
    ids=[
        "regex",
        "dictionary",
        "shared-server-config",
        "config",
        "context",
        "port",
        "description",
        "comment",
    ],
)
def test_model_version_follows_exactly_what_shapes_predictions(
    base: dict[str, str], tmp_path: Path, edit: Callable[[Path], None], changed: set[str]
) -> None:
    src = tmp_path / "examples"
    shutil.copytree(EXAMPLES, src)
    edit(src)
    after = _versions(compile_examples(tmp_path / "build", src))
    assert {p for p in PROJECTS if after[p] != base[p]} == changed


def test_a_new_project_on_the_server_leaves_the_others_alone(base: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "examples"
    shutil.copytree(EXAMPLES, src)
    _replace("projects/triage.yaml.j2", '["north", "south"]', '["north", "south", "east"]')(src)
    after = _versions(compile_examples(tmp_path / "build", src))
    assert after == base
