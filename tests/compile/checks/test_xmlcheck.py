"""The labeling-config checker: one row per rule, passing and failing, and diagnostics on the manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alabctl.compile.checks.xmlcheck import check_label_config, config_diagnostics, split_allowed
from alabctl.spec.codes import CODES
from alabctl.spec.validate import load_repository

TEXT = '<Text name="text" value="$text"/>'
LABELS = '<Labels name="label" toName="text"><Label value="A"/><Label value="B"/></Labels>'


def view(*children: str, attrs: str = "") -> bytes:
    return f"<View{attrs}>{''.join(children)}</View>".encode()


PASSING: dict[str, bytes] = {
    "ner": view(LABELS, TEXT),
    "ner with relations": view(
        LABELS,
        '<Relations><Relation value="r" allowed="A&gt;B,A&lt;&gt;B"/><Relation value="s"/></Relations>',
        TEXT,
    ),
    "raw <> in allowed, as Annotation Lab's docs write it": view(
        LABELS, '<Relations><Relation value="r" allowed="A<>B"/></Relations>', TEXT
    ),
    "classification, nested layout": view(
        '<Choices name="c" toName="text" choice="single-radio" layout="vertical">'
        '<View><Header value="h"/><Choice value="x"/></View><Choice value="y"/></Choices>',
        TEXT,
    ),
    "assertion labels": view(
        '<Labels name="label" toName="text"><Label value="A"/>'
        '<Label value="Present" assertion="true" model="m"/></Labels>',
        TEXT,
    ),
    "visual ner": view(
        '<View visibleWhen="never"><Header value="Recognized Text"/>'
        '<TextArea name="answer" toName="image" perRegion="true" rows="1" maxSubmissions="1"/></View>',
        '<RectangleLabels name="label" toName="image"><Label value="A"/></RectangleLabels>',
        '<Image name="image" value="$image" zoom="true" zoomControl="true"/>',
        attrs=' visualNER="true"',
    ),
    "multi toName": view(
        '<Choices name="c" toName="t1,t2"><Choice value="x"/></Choices>',
        '<Text name="t1" value="$a"/><Text name="t2" value="$b"/>',
    ),
    "text attributes": view(LABELS, '<Text name="text" value="$text" granularity="word" valueType="url"/>'),
    "comments are ignored": view("<!-- a note -->", LABELS, TEXT),
}

# (case, xml, the codes expected, in order)
FAILING: list[tuple[str, bytes, list[str]]] = [
    ("malformed", b'<View><Labels name="l"></View>', ["ALB360"]),
    ("empty", b"", ["ALB360"]),
    ("doctype", b'<!DOCTYPE View [<!ENTITY x "y">]><View>&x;</View>', ["ALB360"]),
    (
        "root is not View",
        b'<Labels name="label" toName="text"><Label value="A"/></Labels>',
        ["ALB361", "ALB364"],
    ),
    ("no control tag", view(TEXT), ["ALB361"]),
    ("unknown tag", view(LABELS, '<Foo name="f" toName="text"/>', TEXT), ["ALB362"]),
    ("Label outside a labels tag", view(LABELS, '<Label value="C"/>', TEXT), ["ALB367"]),
    ("Choice outside Choices", view(LABELS, '<View><Choice value="C"/></View>', TEXT), ["ALB367"]),
    (
        "Relation outside Relations",
        view('<Labels name="label" toName="text"><Relation value="r"/></Labels>', TEXT),
        ["ALB367"],
    ),
    ("control without toName", view('<Labels name="label"><Label value="A"/></Labels>', TEXT), ["ALB363"]),
    ("control without name", view('<Labels toName="text"><Label value="A"/></Labels>', TEXT), ["ALB363"]),
    ("label without value", view('<Labels name="label" toName="text"><Label/></Labels>', TEXT), ["ALB363"]),
    ("object without name", view(LABELS, '<Text value="$text"/>'), ["ALB363", "ALB364"]),
    ("object value without $", view(LABELS, '<Text name="text" value="text"/>'), ["ALB368"]),
    (
        "choice=many",
        view('<Choices name="c" toName="text" choice="many"><Choice value="x"/></Choices>', TEXT),
        ["ALB368"],
    ),
    (
        "bad layout",
        view('<Choices name="c" toName="text" layout="grid"><Choice value="x"/></Choices>', TEXT),
        ["ALB368"],
    ),
    (
        "Labels choice=single-radio",
        view(LABELS.replace('toName="text"', 'toName="text" choice="single-radio"'), TEXT),
        ["ALB368"],
    ),
    ("granularity", view(LABELS, '<Text name="text" value="$text" granularity="token"/>'), ["ALB368"]),
    ("valueType", view(LABELS, '<Text name="text" value="$text" valueType="html"/>'), ["ALB368"]),
    (
        "assertion=yes",
        view('<Labels name="label" toName="text"><Label value="A" assertion="yes"/></Labels>', TEXT),
        ["ALB368"],
    ),
    ("visualNER=1", view(LABELS, TEXT, attrs=' visualNER="1"'), ["ALB368"]),
    (
        "perRegion and perItem",
        view(LABELS, '<TextArea name="ta" toName="text" perRegion="true" perItem="true"/>', TEXT),
        ["ALB368"],
    ),
    ("name with a space", view(LABELS.replace('name="label"', 'name="my label"'), TEXT), ["ALB368"]),
    ("toName names nothing", view(LABELS.replace('toName="text"', 'toName="txt"'), TEXT), ["ALB364"]),
    (
        "one of several toNames names nothing",
        view(LABELS.replace('toName="text"', 'toName="text,t2"'), TEXT),
        ["ALB364"],
    ),
    (
        "toName names a control tag",
        view(LABELS, '<Choices name="c" toName="label"><Choice value="x"/></Choices>', TEXT),
        ["ALB364"],
    ),
    (
        "RectangleLabels toName a Text",
        view('<RectangleLabels name="label" toName="text"><Label value="A"/></RectangleLabels>', TEXT),
        ["ALB364"],
    ),
    (
        "HyperTextLabels toName a Text",
        view('<HyperTextLabels name="label" toName="text"><Label value="A"/></HyperTextLabels>', TEXT),
        ["ALB364"],
    ),
    ("duplicate name", view(LABELS, '<Text name="label" value="$x"/>', TEXT), ["ALB365"]),
    (
        "duplicate label value",
        view('<Labels name="label" toName="text"><Label value="A"/><Label value="A"/></Labels>', TEXT),
        ["ALB366"],
    ),
    (
        "duplicate choice",
        view(
            '<Choices name="c" toName="text"><Choice value="x"/><View><Choice value="x"/></View></Choices>',
            TEXT,
        ),
        ["ALB366"],
    ),
    (
        "allowed names an unknown label",
        view(LABELS, '<Relations><Relation value="r" allowed="A&gt;C"/></Relations>', TEXT),
        ["ALB369"],
    ),
    (
        "allowed is not a pair",
        view(LABELS, '<Relations><Relation value="r" allowed="A"/></Relations>', TEXT),
        ["ALB368"],
    ),
]


@pytest.mark.parametrize("xml", PASSING.values(), ids=PASSING.keys())
def test_passing(xml: bytes) -> None:
    assert check_label_config(xml) == []


@pytest.mark.parametrize(("xml", "codes"), [(x, c) for _, x, c in FAILING], ids=[n for n, _, _ in FAILING])
def test_failing(xml: bytes, codes: list[str]) -> None:
    findings = check_label_config(xml)
    assert [f.code for f in findings] == codes
    assert all(f.summary for f in findings)


def test_codes_are_registered() -> None:
    assert all(f"ALB36{i}" in CODES for i in range(10))


def test_finding_has_the_xml_line() -> None:
    xml = b'<View>\n  <Labels name="label" toName="text">\n    <Label value="A"/>\n    <Label value="A"/>\n'
    xml += b'  </Labels>\n  <Text name="text" value="$text"/>\n</View>\n'
    [finding] = check_label_config(xml)
    assert (finding.line, finding.tag, finding.subject) == (4, "Label", "A")


def test_no_entity_expansion_or_network() -> None:
    xml = b'<!DOCTYPE v SYSTEM "http://127.0.0.1:9/x.dtd"><View/>'
    [finding] = check_label_config(xml)
    assert finding.summary == "labeling config has a DOCTYPE"


def test_split_allowed() -> None:
    assert split_allowed("A>B, C<>D") == [("A", "B"), ("C", "D")]
    assert split_allowed("A") == [("", "")]


PROJECT = """apiVersion: alabctl/v1
kind: Project
metadata: {name: p}
spec:
  ner:
    labels:
      - {value: Age}
  classification:
    - name: kind
      choices: [a, b]
"""


def test_config_diagnostics_point_at_the_manifest_node(make_repo: Callable[[dict[str, str]], Path]) -> None:
    root = make_repo({"p.yaml": PROJECT})
    result = load_repository([str(root)], cwd=root)
    [(_, resource)] = result.repository.projects()
    xml = view(
        '<Labels name="label" toName="text"><Label value="Age"/><Label value="Age"/></Labels>',
        '<Choices name="kind" toName="label"><Choice value="a"/></Choices>',
        '<Foo name="f"/>',
        TEXT,
    )
    by_code = {d.code: d for d in config_diagnostics(resource, xml)}
    assert by_code["ALB366"].path == ("spec", "ner", "labels", 0, "value")
    assert (by_code["ALB366"].line, by_code["ALB366"].column) == (7, 17)
    assert by_code["ALB364"].path == ("spec", "classification", 0, "name")
    assert by_code["ALB362"].path == ("spec",)
    assert by_code["ALB362"].file is not None and by_code["ALB362"].file.endswith("p.yaml")
    assert by_code["ALB366"].summary.startswith("labeling config: ")
    assert "config.xml line 1" in by_code["ALB366"].detail
