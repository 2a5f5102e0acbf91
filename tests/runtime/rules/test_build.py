"""RuleEngine.from_build on the compiled examples, and its errors for missing or broken files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from alabctl.runtime.engine import Chunk
from alabctl.runtime.rules import RuleEngine
from alabctl.spec.errors import UserError
from tests.conftest import GOLDEN

RULES = ["gender", "height", "invoice-date", "invoice-number"]


@pytest.fixture
def build() -> Path:
    """The examples' pinned compiled build (read only: tests that break files work on a copy)."""
    return GOLDEN / "build"


def test_examples_rules_annotate(build: Path) -> None:
    engine = RuleEngine.from_build(build, RULES)
    text = "The man is 5'9 tall. Invoice no. AB-12345 dated 12/03/2021, manhattan."
    chunks = engine.annotate(text)
    got = [(c.text, c.label, c.source, c.normalized) for c in chunks]
    assert got == [
        ("man", "Gender", "gender", "male"),
        ("5'9", "Height", "height", None),
        ("AB-12345", "InvoiceNumber", "invoice-number", None),
        ("12/03/2021", "InvoiceDate", "invoice-date", None),
    ]
    assert all(isinstance(c, Chunk) and text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].score == 0.5
    assert chunks[2].score > 0.5  # prefix "no." right before it


def test_missing_rule_file_is_a_user_error(build: Path) -> None:
    with pytest.raises(UserError, match=r"nope\.json does not exist"):
        RuleEngine.from_build(build, ["nope"])


def test_rule_name_cannot_leave_the_rules_folder(build: Path) -> None:
    with pytest.raises(UserError, match="not a plain name"):
        RuleEngine.from_build(build, ["../manifest"])


def test_broken_json_and_missing_dictionary(build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b"
    shutil.copytree(build, copy)
    (copy / "rules" / "height.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match=r"height\.json line 1: not valid JSON"):
        RuleEngine.from_build(copy, ["height"])
    (copy / "rules" / "gender.csv").unlink()
    with pytest.raises(UserError, match=r"gender\.csv does not exist"):
        RuleEngine.from_build(copy, ["gender"])


def test_bad_field_names_the_rule_and_field(build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b"
    shutil.copytree(build, copy)
    data = json.loads((copy / "rules" / "height.json").read_text())
    data["ruleScope"] = "paragraph"
    (copy / "rules" / "height.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match="'ruleScope' must be one of sentence, document"):
        RuleEngine.from_build(copy, ["height"])


def test_broken_dictionary_names_the_line(build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b"
    shutil.copytree(build, copy)
    (copy / "rules" / "gender.csv").write_text('male,man\nfemale,"woman\n')
    with pytest.raises(UserError, match=r"gender\.csv' line 2"):
        RuleEngine.from_build(copy, ["gender"])
