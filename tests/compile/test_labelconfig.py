"""Labeling config and label map: exact XML per project shape, determinism, the label map."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from alabctl.compile.checks.xmlcheck import check_label_config, findings_summary
from alabctl.compile.colors import PALETTE, color_for, distinct_colors
from alabctl.compile.labelconfig import (
    ControlType,
    LabelPair,
    PredictorKind,
    Section,
    compile_label_config,
    label_map,
)
from alabctl.spec.diagnostics import has_errors
from alabctl.spec.kinds import ProjectManifest
from alabctl.spec.repository import Repository
from alabctl.spec.validate import load_repository
from tests.conftest import REPO

ASSETS = """
apiVersion: alabctl/v1
kind: Model
metadata: {name: ner_posology}
spec: {task: ner, labels: [DRUG, DOSAGE, FREQUENCY, ROUTE]}
---
apiVersion: alabctl/v1
kind: Model
metadata: {name: assertion_jsl}
spec: {task: assertion, labels: [Present, Absent, Possible]}
---
apiVersion: alabctl/v1
kind: Model
metadata: {name: posology_re}
spec: {task: relation, labels: [dosage_of, "0"]}
---
apiVersion: alabctl/v1
kind: Model
metadata: {name: classifierdl_use_emotion}
spec: {task: classification, labels: [joy, sadness]}
---
apiVersion: alabctl/v1
kind: Rule
metadata: {name: height}
spec: {entity: Height, regex: "[0-9]+ ?cm"}
---
apiVersion: alabctl/v1
kind: Rule
metadata: {name: invoice-date}
spec: {entity: InvoiceDate, regex: "[0-9]{4}-[0-9]{2}-[0-9]{2}"}
"""

NER = """
  ner:
    labels:
      - {value: Indication, color: "#ffa500", hotkey: i}
    models:
      - model: ner_posology
        labels: [DRUG, DOSAGE]
        rename: {DRUG: Drug}
    rules: [height]
  assertion:
    labels: [Historical]
    models:
      - model: assertion_jsl
"""

CLASSIFICATION = """
  classification:
    - name: emotion
      choices: [joy, sadness]
      model: classifierdl_use_emotion
    - name: needs_reply
      choices: ["yes", "no"]
      multiple: true
"""

RELATIONS = """
  ner:
    models: [{model: ner_posology}]
  relations:
    labels:
      - {value: dosage_of, allowed: ["DOSAGE>DRUG", "DRUG<>ROUTE"], color: "#123456"}
      - {value: frequency_of}
    models: [{model: posology_re}]
"""

VISUAL = """
  content: pdf
  ner:
    labels:
      - {value: Vendor, color: "#2e86de", hotkey: v}
    rules: [invoice-date]
  classification:
    - name: document_type
      choices: [invoice, receipt]
"""

Load = Callable[[str], tuple[ProjectManifest, Repository]]


@pytest.fixture
def load(make_repo: Callable[[dict[str, str]], Path]) -> Load:
    """A project from the YAML of its ``spec`` body, in a repository with the shared assets."""

    def build(spec: str) -> tuple[ProjectManifest, Repository]:
        project = f"apiVersion: alabctl/v1\nkind: Project\nmetadata: {{name: p}}\nspec:{spec}"
        root = make_repo({"assets.yaml": ASSETS, "project.yaml": project})
        result = load_repository([str(root)], cwd=root)
        assert not has_errors(result.diagnostics), [str(d) for d in result.diagnostics]
        [(manifest, _)] = result.repository.projects()
        return manifest, result.repository

    return build


def _compile(load: Load, spec: str) -> str:
    project, repo = load(spec)
    xml = compile_label_config(project, repo)
    assert check_label_config(xml) == [], findings_summary(check_label_config(xml))
    return xml.decode("utf-8")


def test_ner_rules_assertion(load: Load) -> None:
    auto = ["Drug", "DOSAGE", "Height", "Historical", "Present", "Absent", "Possible"]
    color = dict(zip(auto, distinct_colors(auto, ["#ffa500"]), strict=True)).__getitem__
    assert _compile(load, NER) == (
        "<View>\n"
        '  <Labels name="label" toName="text">\n'
        '    <Label value="Indication" background="#ffa500" hotkey="i"/>\n'
        f'    <Label value="Drug" model="ner_posology" background="{color("Drug")}"/>\n'
        f'    <Label value="DOSAGE" model="ner_posology" background="{color("DOSAGE")}"/>\n'
        f'    <Label value="Height" model="height" background="{color("Height")}"/>\n'
        f'    <Label value="Historical" assertion="true" background="{color("Historical")}"/>\n'
        f'    <Label value="Present" model="assertion_jsl" assertion="true" background="{color("Present")}"/>\n'
        f'    <Label value="Absent" model="assertion_jsl" assertion="true" background="{color("Absent")}"/>\n'
        f'    <Label value="Possible" model="assertion_jsl" assertion="true" background="{color("Possible")}"/>\n'
        "  </Labels>\n"
        '  <Text name="text" value="$text"/>\n'
        "</View>\n"
    )


def test_classification(load: Load) -> None:
    assert _compile(load, CLASSIFICATION) == (
        "<View>\n"
        '  <Choices name="emotion" toName="text" choice="single" model="classifierdl_use_emotion">\n'
        '    <Choice value="joy"/>\n'
        '    <Choice value="sadness"/>\n'
        "  </Choices>\n"
        '  <Choices name="needs_reply" toName="text" choice="multiple">\n'
        '    <Choice value="yes"/>\n'
        '    <Choice value="no"/>\n'
        "  </Choices>\n"
        '  <Text name="text" value="$text"/>\n'
        "</View>\n"
    )


def test_relations_escape_allowed_and_merge_model_labels(load: Load) -> None:
    xml = _compile(load, RELATIONS)
    assert (
        "  <Relations>\n"
        '    <Relation value="dosage_of" model="posology_re" allowed="DOSAGE&gt;DRUG,DRUG&lt;&gt;ROUTE"'
        ' background="#123456"/>\n'
        '    <Relation value="frequency_of" background="#'
    ) in xml
    colors = re.findall(r'background="(#[0-9a-f]{6})"', xml)
    assert len(colors) == len(set(colors))  # labels and relations: one color each
    relation = etree.fromstring(xml.encode()).find("Relations/Relation")
    assert relation is not None
    assert relation.get("allowed") == "DOSAGE>DRUG,DRUG<>ROUTE"


def test_visual_ner_pdf(load: Load) -> None:
    assert _compile(load, VISUAL) == (
        '<View visualNER="true">\n'
        '  <View visibleWhen="never">\n'
        '    <Header value="Recognized Text"/>\n'
        '    <TextArea name="answer" toName="image" perRegion="true" rows="1" maxSubmissions="1"/>\n'
        "  </View>\n"
        '  <RectangleLabels name="label" toName="image">\n'
        '    <Label value="Vendor" background="#2e86de" hotkey="v"/>\n'
        f'    <Label value="InvoiceDate" model="invoice-date" background="{color_for("InvoiceDate")}"/>\n'
        "  </RectangleLabels>\n"
        '  <Choices name="document_type" toName="image" choice="single">\n'
        '    <Choice value="invoice"/>\n'
        '    <Choice value="receipt"/>\n'
        "  </Choices>\n"
        '  <Image name="image" value="$image" zoom="true" zoomControl="true"/>\n'
        "</View>\n"
    )


def test_model_labels_default_to_everything_the_model_predicts(load: Load) -> None:
    xml = _compile(load, "\n  ner:\n    models: [{model: ner_posology, rename: {ROUTE: Route}}]\n")
    values = [e.get("value") for e in etree.fromstring(xml.encode()).iter("Label")]
    assert values == ["DRUG", "DOSAGE", "FREQUENCY", "Route"]


def test_unicode_is_written_as_utf8(load: Load) -> None:
    project, repo = load('\n  ner:\n    labels: [{value: "Médicament <&>"}]\n')
    xml = compile_label_config(project, repo)
    assert 'value="Médicament &lt;&amp;&gt;"'.encode() in xml
    assert not xml.startswith(b"<?xml")
    assert xml.endswith(b"</View>\n")


def test_compile_twice_gives_identical_bytes_and_leaves_input_alone(load: Load) -> None:
    project, repo = load(
        NER + CLASSIFICATION + "\n  relations:\n    labels: [{value: r, allowed: [Drug>Height]}]\n"
    )
    before = project.model_dump()
    assert compile_label_config(project, repo) == compile_label_config(project, repo)
    assert project.model_dump() == before


def test_colors_are_stable_and_from_the_palette() -> None:
    assert color_for("PER") == color_for("PER")
    assert all(color_for(v) in PALETTE for v in ("PER", "ORG", "", "é"))
    assert color_for("PER") == "#ffd8b1"  # pinned: a change here recolors every user's labels


_VALUE = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co")),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(_VALUE, min_size=1, max_size=8, unique=True), visual=st.booleans())
def test_property_any_label_set_compiles_deterministically(values: list[str], visual: bool) -> None:
    project = ProjectManifest.model_validate(
        {
            "apiVersion": "alabctl/v1",
            "kind": "Project",
            "metadata": {"name": "p"},
            "spec": {
                "content": "image" if visual else "text",
                "ner": {"labels": [{"value": v} for v in values]},
            },
        }
    )
    repo = Repository(Path("."), [])
    first = compile_label_config(project, repo)
    assert first == compile_label_config(project, repo)
    assert check_label_config(first) == []
    parsed = [e.get("value") for e in etree.fromstring(first).iter("Label")]
    assert parsed == values


def test_label_map(load: Load) -> None:
    project, repo = load(NER + CLASSIFICATION)
    mapped = label_map(project, repo)
    ner = mapped.for_predictor("ner_posology")
    assert len(ner) == 1
    assert ner[0].section is Section.NER
    assert (ner[0].from_name, ner[0].to_name, ner[0].type) == ("label", "text", ControlType.LABELS)
    assert ner[0].labels == (LabelPair("DRUG", "Drug"), LabelPair("DOSAGE", "DOSAGE"))
    [rule] = mapped.for_predictor("height")
    assert rule.kind is PredictorKind.RULE
    assert rule.labels == (LabelPair("Height", "Height"),)
    [assertion] = mapped.for_predictor("assertion_jsl")
    assert assertion.section is Section.ASSERTION
    [emotion] = mapped.for_predictor("classifierdl_use_emotion")
    assert (emotion.from_name, emotion.type) == ("emotion", ControlType.CHOICES)
    assert mapped.for_predictor("nothing") == ()
    data = mapped.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["schemaVersion"] == 1
    assert [p["predictor"] for p in data["predictors"]] == [  # type: ignore[attr-defined]
        "ner_posology",
        "height",
        "assertion_jsl",
        "classifierdl_use_emotion",
    ]


def test_label_map_visual_and_relations(load: Load) -> None:
    project, repo = load(VISUAL)
    [rule] = label_map(project, repo).predictors
    assert (rule.to_name, rule.type) == ("image", ControlType.RECTANGLELABELS)
    project, repo = load(RELATIONS)
    [relations] = label_map(project, repo).for_predictor("posology_re")
    assert relations.type is ControlType.RELATION
    assert [p.label for p in relations.labels] == ["dosage_of", "0"]


def test_automatic_colors_are_distinct_within_a_project() -> None:
    # Drug, Route and Absent all hash to the same palette color
    assert color_for("Drug") == color_for("Route") == color_for("Absent")
    assert len(set(distinct_colors(["Drug", "Route", "Absent"]))) == 3
    assert distinct_colors(["Drug"], [color_for("Drug").upper()]) != [color_for("Drug")]
    many = [f"L{i}" for i in range(len(PALETTE) + 5)]
    assert len(set(distinct_colors(many))) == len(many)  # past the palette too
    xml = (REPO / "tests/golden/build/projects/posology/config.xml").read_text()
    colors = re.findall(r'background="(#[0-9a-fA-F]{6})"', xml)
    assert len(colors) > 10 and len(colors) == len(set(colors))
