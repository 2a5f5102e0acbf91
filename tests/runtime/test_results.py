"""Findings -> Label Studio results: renaming, filtering, merging, choices, assertion, relations, checks."""

from __future__ import annotations

from pathlib import Path

from alabctl.runtime.build import Output
from alabctl.runtime.engine import Category, Chunk, Relation
from alabctl.runtime.labeling import parse_config
from alabctl.runtime.results import ProjectView, predict_project
from tests.runtime.lscheck import LabelInterface

CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="Drug" model="ner"/>
    <Label value="Dosage" model="ner"/>
    <Label value="Present" model="assert" assertion="true"/>
  </Labels>
  <Choices name="kind" toName="text" choice="single" model="cls">
    <Choice value="note"/>
  </Choices>
  <Relations>
    <Relation value="dosage_of" model="re"/>
  </Relations>
  <Text name="text" value="$body"/>
</View>"""

TEXT = "Take aspirin 100 mg daily."


def _output(column: str, kind: str, labels: dict[str, str], type_: str = "labels") -> Output:
    return Output(
        column, "p", kind, column, "kind" if kind == "classification" else "label", "text", type_, labels
    )


VIEW = ProjectView(
    "p",
    parse_config(CONFIG, "config.xml"),
    (
        _output("ner", "ner", {"DRUG": "Drug", "DOSAGE": "Dosage"}),
        _output("rule", "rule", {"Drug": "Drug"}),
        _output("assert", "assertion", {"present": "Present"}),
        _output("cls", "classification", {"note": "note"}, "choices"),
        _output("re", "relation", {"DRUG-DOSAGE": "dosage_of"}, "relation"),
    ),
    "p-123",
)


def _chunk(start: int, end: int, label: str, source: str, score: float = 0.9) -> Chunk:
    return Chunk(start, end, TEXT[start:end], label, score, source)


def test_chunks_are_renamed_filtered_merged_and_checked() -> None:
    drug, dose = _chunk(5, 12, "DRUG", "ner"), _chunk(13, 19, "DOSAGE", "ner")
    findings = {
        "ner": [drug, dose, _chunk(20, 25, "FREQUENCY", "ner")],  # FREQUENCY: not mapped -> filtered
        "rule": [_chunk(5, 12, "Drug", "rule", 0.5)],  # same span from a rule -> merged into one
        "assert": [_chunk(5, 12, "present", "assert")],
        "cls": [Category("note", 0.8, "cls")],
        "re": [Relation(drug, dose, "DRUG-DOSAGE", 0.7, "re")],
    }
    prediction = predict_project(VIEW, findings, TEXT)
    regions = [r for r in prediction.result if r["type"] == "labels"]
    spans = [(r["value"]["start"], r["value"]["end"], r["value"]["labels"]) for r in regions]
    assert sorted(spans) == [(5, 12, ["Drug"]), (5, 12, ["Present"]), (13, 19, ["Dosage"])]
    choices = [r for r in prediction.result if r["type"] == "choices"]
    assert choices[0]["value"] == {"choices": ["note"]} and choices[0]["from_name"] == "kind"
    relation = next(r for r in prediction.result if r["type"] == "relation")
    ids = {(r["value"]["start"], r["value"]["labels"][0]): r["id"] for r in regions}
    assert (relation["from_id"], relation["to_id"]) == (ids[(5, "Drug")], ids[(13, "Dosage")])
    assert relation["labels"] == ["dosage_of"] and relation["direction"] == "right"
    assert prediction.dropped == 0 and prediction.model_version == "p-123"
    assert 0 < prediction.score <= 1
    assert LabelInterface(CONFIG).validate_prediction(prediction.to_json(), return_errors=True) == []


def test_a_result_that_does_not_fit_the_config_is_dropped_and_counted() -> None:
    bad_offsets = Chunk(5, 12, "aspirinX", "DRUG", 0.9, "ner")  # text != TEXT[5:12]
    outside = Chunk(20, 99, "daily.", "DRUG", 0.9, "ner")
    stray = Output("ner2", "p", "ner", "ner2", "nope", "text", "labels", {"X": "X"})
    view = ProjectView(VIEW.name, VIEW.config, (*VIEW.outputs, stray), VIEW.model_version)
    findings = {
        "ner": [bad_offsets, outside, _chunk(13, 19, "DOSAGE", "ner", 1.5)],
        "ner2": [_chunk(0, 4, "X", "ner2")],
        "re": [
            Relation(_chunk(0, 4, "DRUG", "ner"), _chunk(13, 19, "DOSAGE", "ner"), "DRUG-DOSAGE", 0.5, "re")
        ],
    }
    prediction = predict_project(view, findings, TEXT)
    assert prediction.result == []
    assert prediction.dropped == 5
    reasons = " | ".join(prediction.reasons)
    for words in (
        "is not text[5:12]",
        "outside the text",
        "score 1.5",
        "from_name 'nope'",
        "not in the prediction",
    ):
        assert words in reasons


def test_emoji_and_crlf_offsets_are_code_points(build: Path) -> None:
    text = "🙂\r\nA 5'11 man"
    config = (build / "projects" / "quickstart" / "config.xml").read_text()
    view = ProjectView(
        "quickstart",
        parse_config(config, "c"),
        (
            Output(
                "rule_height", "quickstart", "rule", "height", "label", "text", "labels", {"Height": "Height"}
            ),
        ),
        "v",
    )
    chunk = Chunk(5, 9, text[5:9], "Height", 0.5, "height")
    prediction = predict_project(view, {"rule_height": [chunk]}, text)
    assert prediction.result[0]["value"]["text"] == "5'11" and prediction.dropped == 0
