"""Rule manifest <-> ContextualParser JSON, and the lossless import/export round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alabctl.compile.contextual import (
    EXTRA_ANNOTATION,
    OMIT_ANNOTATION,
    archive_dictionary_name,
    from_contextual_parser,
    render_json,
    rule_name,
    to_contextual_parser,
)
from alabctl.spec.errors import UserError
from alabctl.spec.kinds import RuleManifest

CORE = {
    "entity",
    "ruleScope",
    "regex",
    "completeMatchRegex",
    "matchScope",
    "prefix",
    "suffix",
    "contextLength",
    "contextException",
    "exceptionDistance",
}


def _rule(
    spec: dict[str, Any], name: str = "height", annotations: dict[str, str] | None = None
) -> RuleManifest:
    return RuleManifest.model_validate(
        {
            "apiVersion": "alabctl/v1",
            "kind": "Rule",
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": spec,
        }
    )


def test_regex_rule_compiles_to_contextual_parser_fields() -> None:
    data, csv_text = to_contextual_parser(
        _rule({"entity": "Height", "regex": r"\d+", "completeMatchRegex": True, "prefix": ["tall"]}), None
    )
    assert csv_text is None
    assert set(data) >= CORE
    assert data["completeMatchRegex"] == "true"
    assert data["regex"] == r"\d+"
    assert data["prefix"] == ["tall"]
    assert (data["ruleScope"], data["matchScope"], data["contextLength"], data["exceptionDistance"]) == (
        "sentence",
        "token",
        100,
        40,
    )
    assert (data["name"], data["type"]) == ("height", "regex")
    assert list(data) == sorted(data)


def test_dictionary_rule_with_inline_entries_renders_csv() -> None:
    rule = _rule({"entity": "Gender", "dictionary": {"entries": {"male": ["man", "boy"]}}}, name="gender")
    data, csv_text = to_contextual_parser(rule, None)
    assert "regex" not in data
    assert data["type"] == "dictionary"
    assert data["dictionary"] == "gender.csv"
    assert data["completeMatchRegex"] == "false"
    assert csv_text == "male,man,boy\n"


def test_dictionary_file_text_is_normalised_and_required() -> None:
    rule = _rule({"entity": "Gender", "dictionary": {"file": "g.csv"}}, name="gender")
    assert to_contextual_parser(rule, "male,man\r\n")[1] == "male,man\n"
    with pytest.raises(ValueError, match=r"g\.csv"):
        to_contextual_parser(rule, None)


def test_render_json_is_deterministic() -> None:
    assert render_json({"b": 1, "a": "é"}) == '{\n  "a": "é",\n  "b": 1\n}\n'


ORIGINALS = [
    {
        "entity": "Gender",
        "ruleScope": "sentence",
        "regex": "girl|boy",
        "completeMatchRegex": "true",
        "matchScope": "token",
        "prefix": ["birth", "growing", "assessment"],
        "suffix": ["faster", "velocities"],
        "contextLength": 100,
        "contextException": ["slightly"],
        "exceptionDistance": 40,
    },
    {
        "name": "Height Rule",
        "type": "REGEX",
        "entity": "Height",
        "regex": r"\d+",
        "id": 7,
        "tags": {"a": [1]},
    },
    {"entity": "X", "regex": "x", "completeMatchRegex": True, "caseSensitive": False, "contextLength": "12"},
]


@pytest.mark.parametrize("original", ORIGINALS)
def test_import_then_export_gives_back_the_original_json(original: dict[str, Any]) -> None:
    manifest, csv_text = from_contextual_parser("r", original, None)
    assert csv_text is None
    rule = RuleManifest.model_validate(manifest)
    exported, _ = to_contextual_parser(rule, None)
    assert exported == original
    assert json.dumps(exported, sort_keys=True) == json.dumps(original, sort_keys=True)


def test_import_maps_known_fields_and_keeps_unknown_ones_in_annotations() -> None:
    manifest, _ = from_contextual_parser("height-rule", ORIGINALS[1], None)
    assert manifest["spec"] == {"entity": "Height", "regex": r"\d+"}
    extra = json.loads(manifest["metadata"]["annotations"][EXTRA_ANNOTATION])
    assert extra == {"id": 7, "name": "Height Rule", "tags": {"a": [1]}, "type": "REGEX"}
    assert "contextLength" in json.loads(manifest["metadata"]["annotations"][OMIT_ANNOTATION])


def test_import_of_a_dictionary_rule_sniffs_the_csv() -> None:
    manifest, csv_text = from_contextual_parser(
        "city", {"entity": "City", "ruleScope": "document"}, "City\r\nNew York\r\nGotham\r\n"
    )
    assert manifest["spec"]["dictionary"] == {"file": "dictionaries/city.csv", "orientation": "vertical"}
    assert csv_text == "City\nNew York\nGotham\n"
    exported, exported_csv = to_contextual_parser(RuleManifest.model_validate(manifest), csv_text)
    assert exported == {"entity": "City", "ruleScope": "document"}
    assert exported_csv == csv_text


@pytest.mark.parametrize(
    ("data", "csv_text", "message"),
    [
        ({"regex": "x"}, None, "'entity' is missing"),
        ({"entity": "X"}, None, "no 'regex' and no dictionary"),
        ({"entity": "X", "regex": "x"}, "a,b\n", "both"),
        ({"entity": "X", "regex": "x", "ruleScope": "paragraph"}, None, "'ruleScope'"),
        ({"entity": "X", "regex": "x", "prefix": "tall"}, None, "'prefix'"),
        ({"entity": "X", "regex": "x", "contextLength": -1}, None, "contextLength"),
    ],
)
def test_import_refuses_json_that_is_not_a_rule(
    data: dict[str, Any], csv_text: str | None, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        from_contextual_parser("r", data, csv_text)


def test_malformed_annotation_is_a_value_error() -> None:
    rule = _rule({"entity": "X", "regex": "x"}, annotations={EXTRA_ANNOTATION: "{oops"})
    with pytest.raises(ValueError, match="not JSON"):
        to_contextual_parser(rule, None)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("Gender Rule", "gender-rule"),
        ("height", "height"),
        ("--Ärger__", "rger"),
        ("!!!", None),
        ("a" * 80, "a" * 63),
    ],
)
def test_rule_name(candidate: str, expected: str | None) -> None:
    assert rule_name(candidate) == expected


def test_archive_dictionary_name_only_trusts_plain_file_names() -> None:
    assert archive_dictionary_name({"dictionary": "Gender.csv"}, "gender") == "Gender.csv"
    assert archive_dictionary_name({"dictionary": "../evil.csv"}, "gender") == "gender.csv"
    assert archive_dictionary_name({}, "gender") == "gender.csv"
