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
    text = "The man is 5'9 tall, his son 5'11. Invoice no. AB-12345 dated 12/03/2021, manhattan."
    chunks = engine.annotate(text)
    got = [(c.text, c.label, c.source, c.normalized) for c in chunks]
    assert got == [
        ("man", "Gender", "gender", "male"),
        ("5'9", "Height", "height", None),
        ("5'11", "Height", "height", None),  # whole, not 5'1: the two-digit inches come first
        ("AB-12345", "InvoiceNumber", "invoice-number", None),
        ("12/03/2021", "InvoiceDate", "invoice-date", None),
    ]
    assert all(isinstance(c, Chunk) and text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].score == 0.5
    assert chunks[3].score > 0.5  # prefix "no." right before it


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


def test_dictionary_layout_comes_from_the_pipeline_then_from_the_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    spec = {
        "name": "city",
        "entity": "City",
        "dictionary": "city.csv",
        "ruleScope": "document",
        "caseSensitive": False,
    }
    (rules / "city.json").write_text(json.dumps(spec))
    (rules / "city.csv").write_text("City,Paris,Rome\n")  # one row: horizontal
    assert [c.normalized for c in RuleEngine.from_build(tmp_path, ["city"]).annotate("paris")] == ["City"]
    (rules / "city.csv").write_text("City\nParis\nRome\n")  # one value per row: guessed vertical
    assert [c.text for c in RuleEngine.from_build(tmp_path, ["city"]).annotate("Rome, Paris")] == [
        "Rome",
        "Paris",
    ]
    # the pipeline says horizontal: the same file is then three entries without words, an error
    server = tmp_path / "servers" / "s"
    server.mkdir(parents=True)
    stage = {
        "class": "ContextualParserApproach",
        "params": {
            "jsonPath": "rules/city.json",
            "dictionary": {
                "path": "rules/city.csv",
                "options": {"orientation": "horizontal", "delimiter": ","},
            },
        },
    }
    (server / "pipeline.json").write_text(json.dumps({"stages": [stage]}))
    with pytest.raises(UserError, match="has no words"):
        RuleEngine.from_build(tmp_path, ["city"])


def test_dictionary_name_cannot_leave_the_rules_folder(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    spec = {"name": "x", "entity": "X", "dictionary": "../secret.csv"}
    (tmp_path / "rules" / "x.json").write_text(json.dumps(spec))
    with pytest.raises(UserError, match="must be a file name in the same folder"):
        RuleEngine.from_build(tmp_path, ["x"])


def test_fast_chunks_equal_constructed_ones() -> None:
    from alabctl.runtime.rules.chunks import NO_METADATA, make_chunk

    made = make_chunk(1, 4, "abc", "L", 0.5, "r", "n", NO_METADATA)
    assert made == Chunk(1, 4, "abc", "L", 0.5, "r", "n", NO_METADATA)
    assert type(made) is Chunk
    with pytest.raises(AttributeError):
        made.start = 2  # type: ignore[misc]


def test_source_is_the_rule_name_in_the_build_whatever_the_json_says(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    spec = {
        "name": "Invoice Rule (exported)",
        "entity": "Invoice",
        "regex": r"INV-\d+",
        "ruleScope": "document",
    }
    (tmp_path / "rules" / "invoice-rule.json").write_text(json.dumps(spec))
    chunks = RuleEngine.from_build(tmp_path, ["invoice-rule"]).annotate("see INV-42")
    assert [(c.text, c.source, c.label) for c in chunks] == [("INV-42", "invoice-rule", "Invoice")]
