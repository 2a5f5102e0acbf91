"""Check a labeling config on its tree with the rules Label Studio's browser applies (SPEC §3 item 11).

Label Studio's server and SDK check the config with a JSON schema and regexes and miss much of what
the browser later refuses (research/labelstudio.md §1.4). This module is the stricter floor:

1. ``parse``: lxml with no DTD, no entities, no network; a DOCTYPE is refused.
2. ``structure``: the root is ``<View>``, every tag is one Label Studio registers, at least one
   control tag exists, label tags sit inside the control they belong to.
3. ``attributes``: required attributes, enums and booleans, ``value="$field"`` on object tags,
   ``perRegion`` and ``perItem`` not both set.
4. ``references``: names unique, ``toName`` names an object tag the control can control, label
   values unique per control, relation ``allowed`` pairs name existing labels.

``config_diagnostics`` turns the findings into diagnostics at the project manifest's nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lxml import etree

from alabctl.spec.diagnostics import Diagnostic
from alabctl.spec.diagnostics import Path as NodePath
from alabctl.spec.kinds import ProjectManifest
from alabctl.spec.schema import Resource

OBJECT_TAGS = frozenset(
    {
        "text",
        "hypertext",
        "paragraphs",
        "image",
        "audio",
        "video",
        "timeseries",
        "table",
        "pdf",
        "list",
        "chat",
    }
)
IMAGE_CONTROLS = frozenset(
    f"{shape}{suffix}"
    for shape in ("rectangle", "polygon", "keypoint", "brush", "ellipse", "vector", "bitmask")
    for suffix in ("", "labels")
) | {"magicwand"}
CONTROLLED: dict[str, frozenset[str]] = {
    **dict.fromkeys(IMAGE_CONTROLS, frozenset({"image"})),
    "labels": frozenset({"text", "hypertext", "paragraphs", "audio", "image", "video", "timeseries", "pdf"}),
    "hypertextlabels": frozenset({"hypertext"}),
    "paragraphlabels": frozenset({"paragraphs"}),
    "timeserieslabels": frozenset({"timeseries"}),
    "timelinelabels": frozenset({"video"}),
    "videorectangle": frozenset({"video"}),
}
"""Controls that only some object types accept; every other control accepts any object tag."""
LABELS_CONTROLS = frozenset(t for t in CONTROLLED if t.endswith("labels"))
CONTROL_TAGS = (
    frozenset(CONTROLLED)
    | {"choices", "textarea", "rating", "number", "datetime", "pairwise", "ranker", "taxonomy"}
    | {"relations"}
)
VISUAL_TAGS = frozenset(
    {"view", "header", "style", "filter", "markdown", "collapse", "panel", "pagedview", "custominterface"}
)
LABEL_PARENTS: dict[str, frozenset[str]] = {
    "label": LABELS_CONTROLS,
    "choice": frozenset({"choices", "taxonomy"}),
    "relation": frozenset({"relations"}),
    "shortcut": frozenset({"textarea"}),
    "channel": frozenset({"timeseries"}),
}
PARENT_WORDS = {
    "label": "a labels control (<Labels>, <RectangleLabels>, ...)",
    "choice": "<Choices> or <Taxonomy>",
    "relation": "<Relations>",
    "shortcut": "<TextArea>",
    "channel": "<TimeSeries>",
}
KNOWN_TAGS = OBJECT_TAGS | CONTROL_TAGS | VISUAL_TAGS | frozenset(LABEL_PARENTS)

BOOLEAN = ("true", "false")
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("choices", "choice"): ("single", "single-radio", "multiple"),
    ("choices", "layout"): ("select", "inline", "vertical"),
    **{(tag, "choice"): ("single", "multiple") for tag in LABELS_CONTROLS},
    ("text", "granularity"): ("symbol", "word", "sentence", "paragraph"),
    ("text", "valuetype"): ("text", "url"),
}
BOOLEAN_ATTRIBUTES = frozenset(
    {"assertion", "visualner", "perregion", "peritem", "required", "showinline", "zoom", "zoomcontrol"}
)
_FIELD = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_.-]*$")
_ALLOWED_ATTR = re.compile(rb'(\ballowed\s*=\s*")([^"]*)(")')
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


@dataclass(frozen=True)
class XmlFinding:
    """One problem in a labeling config, at a line of the XML."""

    code: str
    summary: str
    detail: str
    line: int | None
    tag: str | None = None
    subject: str | None = None
    """The ``name`` of the control, or the ``value`` of the label, the finding is about."""


def _tag(element: etree._Element) -> str:
    return str(element.tag).lower()


_SEEN_ATTRS: dict[etree._Element, dict[str, str]] = {}
"""Each element's attributes while one config is checked (the checks ask for them several times);
holding the elements keeps their proxies alive, so a key never stands for another element."""


def _attrs(element: etree._Element) -> dict[str, str]:
    """Attributes with lower-cased names, as the browser reads them (callers must not change them)."""
    found = _SEEN_ATTRS.get(element)
    if found is None:
        found = _SEEN_ATTRS[element] = {str(k).lower(): str(v) for k, v in element.attrib.items()}
    return found


def _finding(code: str, summary: str, detail: str, element: etree._Element | None) -> XmlFinding:
    if element is None:
        return XmlFinding(code, summary, detail, None)
    attrs = _attrs(element)
    line = element.sourceline if isinstance(element.sourceline, int) else None
    return XmlFinding(code, summary, detail, line, str(element.tag), attrs.get("name") or attrs.get("value"))


# -- 1. parse -------------------------------------------------------------------------------------


def _escape_allowed(xml: bytes) -> bytes:
    """Annotation Lab's docs write ``allowed="A<>B"`` raw; escape ``<`` there so the XML parses."""
    return _ALLOWED_ATTR.sub(lambda m: m[1] + m[2].replace(b"<", b"&lt;") + m[3], xml)


def parse_config(xml: bytes) -> tuple[etree._Element | None, list[XmlFinding]]:
    """The root element, or the finding that says why there is none."""
    if _DOCTYPE.search(xml):
        return None, [
            XmlFinding("ALB360", "labeling config has a DOCTYPE", "DTDs and entities are refused", None)
        ]
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, dtd_validation=False, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(_escape_allowed(xml), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        return None, [XmlFinding("ALB360", "labeling config is not well-formed XML", str(exc.msg), line)]
    return root, []


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    return (e for e in root.iter() if isinstance(e.tag, str))


# -- 2. structure ---------------------------------------------------------------------------------


def _nearest_parent(element: etree._Element) -> etree._Element | None:
    """The closest ancestor that is not a layout tag (``View``, ``Header``…)."""
    parent = element.getparent()
    while parent is not None and _tag(parent) in VISUAL_TAGS:
        parent = parent.getparent()
    return parent


def check_structure(root: etree._Element) -> Iterator[XmlFinding]:
    if _tag(root) != "view":
        yield _finding(
            "ALB361", f"the root tag is <{root.tag}>", "a labeling config starts with <View>", root
        )
    if not any(_tag(e) in CONTROL_TAGS for e in _elements(root)):
        yield _finding("ALB361", "no control tag", "add a control such as <Labels> or <Choices>", root)
    for element in _elements(root):
        tag = _tag(element)
        if tag not in KNOWN_TAGS:
            yield _finding(
                "ALB362", f"unknown tag <{element.tag}>", "Label Studio does not register this tag", element
            )
        parents = LABEL_PARENTS.get(tag)
        parent = _nearest_parent(element)
        if parents is not None and (parent is None or _tag(parent) not in parents):
            yield _finding(
                "ALB367",
                f"<{element.tag}> outside {PARENT_WORDS[tag]}",
                f"<{element.tag}> must be a child of one of {_names(parents)}",
                element,
            )


def _names(tags: frozenset[str]) -> str:
    return ", ".join(f"<{t}>" for t in sorted(tags))


# -- 3. attributes --------------------------------------------------------------------------------


def _required(tag: str) -> tuple[str, ...]:
    if tag in CONTROL_TAGS and tag != "relations":
        return ("name", "toname")
    if tag in OBJECT_TAGS:
        return ("name",)
    if tag in {"label", "choice", "relation"}:
        return ("value",)
    return ()


def _attribute_findings(element: etree._Element) -> Iterator[XmlFinding]:
    tag, attrs = _tag(element), _attrs(element)
    for attr in _required(tag):
        if attr == "value" and "alias" in attrs:
            continue
        if not attrs.get(attr):
            yield _finding("ALB363", f"<{element.tag}> has no '{attr}'", f"'{attr}' is required", element)
    if tag in OBJECT_TAGS and "valuelist" not in attrs and not _FIELD.match(attrs.get("value", "")):
        yield _finding(
            "ALB368",
            f"<{element.tag}> value '{attrs.get('value', '')}' is not a task field",
            'object tags read a field of the task: write value="$field"',
            element,
        )
    for name, value in attrs.items():
        allowed = ENUMS.get((tag, name)) or (BOOLEAN if name in BOOLEAN_ATTRIBUTES else None)
        if allowed is not None and value not in allowed:
            yield _finding(
                "ALB368",
                f'<{element.tag}> {name}="{value}" is not allowed',
                f"valid values: {', '.join(allowed)}",
                element,
            )
    if attrs.get("perregion") == "true" and attrs.get("peritem") == "true":
        yield _finding(
            "ALB368", f"<{element.tag}> sets both perRegion and perItem", "set only one of them", element
        )
    if "name" in attrs and re.search(r"[\s,]", attrs["name"]):
        yield _finding(
            "ALB368",
            f"name '{attrs['name']}' has a space or comma",
            "toName lists names separated by commas; use letters, digits, '_' or '-'",
            element,
        )


def check_attributes(root: etree._Element) -> Iterator[XmlFinding]:
    for element in _elements(root):
        yield from _attribute_findings(element)


# -- 4. references --------------------------------------------------------------------------------


def _named(root: etree._Element) -> dict[str, etree._Element]:
    named: dict[str, etree._Element] = {}
    for element in _elements(root):
        name = _attrs(element).get("name")
        if name and name not in named:
            named[name] = element
    return named


def check_names(root: etree._Element) -> Iterator[XmlFinding]:
    seen: set[str] = set()
    for element in _elements(root):
        name = _attrs(element).get("name")
        if name and name in seen:
            yield _finding("ALB365", f"name '{name}' is used twice", "names must be unique", element)
        if name:
            seen.add(name)


def _to_name_findings(element: etree._Element, named: dict[str, etree._Element]) -> Iterator[XmlFinding]:
    tag = _tag(element)
    accepted = CONTROLLED.get(tag, OBJECT_TAGS)
    for target in filter(None, (t.strip() for t in _attrs(element).get("toname", "").split(","))):
        found = named.get(target)
        if found is None:
            yield _finding(
                "ALB364",
                f"<{element.tag}> toName '{target}' names no tag",
                f"known names: {', '.join(sorted(named)) or 'none'}",
                element,
            )
        elif _tag(found) not in accepted:
            yield _finding(
                "ALB364",
                f"<{element.tag}> toName '{target}' names a <{found.tag}>",
                f"<{element.tag}> can only control {_names(accepted)}",
                element,
            )


def check_to_names(root: etree._Element) -> Iterator[XmlFinding]:
    named = _named(root)
    for element in _elements(root):
        if _tag(element) in CONTROL_TAGS and "toname" in _attrs(element):
            yield from _to_name_findings(element, named)


def _children_values(control: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for element in _elements(control):
        if _tag(element) in LABEL_PARENTS and _nearest_parent(element) is control:
            attrs = _attrs(element)
            value = attrs.get("value") or attrs.get("alias")
            if value:
                yield value, element


def check_label_values(root: etree._Element) -> Iterator[XmlFinding]:
    for control in _elements(root):
        if _tag(control) not in CONTROL_TAGS:
            continue
        seen: set[str] = set()
        for value, element in _children_values(control):
            if value in seen:
                yield _finding(
                    "ALB366",
                    f"label value '{value}' appears twice in <{control.tag}>",
                    "label values must be unique within a control",
                    element,
                )
            seen.add(value)


def split_allowed(allowed: str) -> list[tuple[str, str]]:
    """``"A>B,C<>D"`` -> ``[("A", "B"), ("C", "D")]``; a malformed pair gives ``("", "")``."""
    pairs = []
    for pair in filter(None, (p.strip() for p in allowed.split(","))):
        sep = "<>" if "<>" in pair else ">"
        left, found, right = pair.partition(sep)
        pairs.append((left.strip(), right.strip()) if found else ("", ""))
    return pairs


def check_allowed(root: etree._Element) -> Iterator[XmlFinding]:
    labels = {
        value
        for control in _elements(root)
        if _tag(control) in LABELS_CONTROLS
        for value, _ in _children_values(control)
    }
    for element in _elements(root):
        allowed = _attrs(element).get("allowed")
        if _tag(element) != "relation" or allowed is None:
            continue
        for left, right in split_allowed(allowed):
            if not left or not right:
                yield _finding(
                    "ALB368",
                    f'allowed="{allowed}" is not a list of label pairs',
                    "write 'A>B' or 'A<>B'",
                    element,
                )
            for side in filter(None, (left, right)):
                if side not in labels:
                    yield _finding(
                        "ALB369",
                        f"relation '{_attrs(element).get('value')}' allows '{side}', which is not a label",
                        f"known labels: {', '.join(sorted(labels)) or 'none'}",
                        element,
                    )


CHECKS = (check_structure, check_attributes, check_names, check_to_names, check_label_values, check_allowed)


def check_label_config(xml: bytes) -> list[XmlFinding]:
    """Every problem found in a labeling config, in check order then document order."""
    root, findings = parse_config(xml)
    if root is None:
        return findings
    try:
        return [finding for check in CHECKS for finding in check(root)]
    finally:
        _SEEN_ATTRS.clear()


# -- diagnostics ----------------------------------------------------------------------------------


def _candidates(project: ProjectManifest) -> Iterator[tuple[str, str, NodePath]]:
    """``(tag, subject, path)`` for each control and label the project spec declares."""
    spec = project.spec
    if spec.ner:
        for i, label in enumerate(spec.ner.labels):
            yield "label", label.value, ("spec", "ner", "labels", i, "value")
    if spec.assertion:
        for i, label in enumerate(spec.assertion.labels):
            yield "label", label.value, ("spec", "assertion", "labels", i, "value")
    yield from _bound_candidates(project)
    for i, block in enumerate(spec.classification):
        yield "choices", block.name, ("spec", "classification", i, "name")
        for j, choice in enumerate(block.choices):
            yield "choice", choice, ("spec", "classification", i, "choices", j)
    if spec.relations:
        for i, rel in enumerate(spec.relations.labels):
            yield "relation", rel.value, ("spec", "relations", "labels", i, "value")


def _bound_candidates(project: ProjectManifest) -> Iterator[tuple[str, str, NodePath]]:
    """Labels a model binding names itself: its subset, or the targets of its renames."""
    spec = project.spec
    sections = (("ner", spec.ner), ("assertion", spec.assertion), ("relations", spec.relations))
    for section, block in sections:
        tag = "relation" if section == "relations" else "label"
        for i, binding in enumerate(block.models if block else ()):
            base: NodePath = ("spec", section, "models", i)
            for output, value in binding.rename.items():
                yield tag, value, (*base, "rename", output)
            for j, value in enumerate(binding.labels or ()):
                yield tag, value, (*base, "labels", j)


def manifest_path(project: ProjectManifest, finding: XmlFinding) -> NodePath:
    """The most specific manifest node a finding can be traced back to; ``("spec",)`` otherwise."""
    tag = (finding.tag or "").lower()
    for candidate_tag, subject, path in _candidates(project):
        if candidate_tag == tag and subject == finding.subject:
            return path
    return ("spec",)


def config_diagnostics(resource: Resource, xml: bytes) -> list[Diagnostic]:
    """The findings of :func:`check_label_config` as diagnostics on the project manifest."""
    return findings_diagnostics(resource, check_label_config(xml))


def findings_diagnostics(resource: Resource, findings: Sequence[XmlFinding]) -> list[Diagnostic]:
    """Findings about a project's labeling config as diagnostics on the project manifest."""
    project = resource.manifest
    assert isinstance(project, ProjectManifest)
    return [_diagnostic(resource, project, finding) for finding in findings]


def _diagnostic(resource: Resource, project: ProjectManifest, finding: XmlFinding) -> Diagnostic:
    where = f"config.xml line {finding.line}" if finding.line else "config.xml"
    detail = f"{where}: {finding.detail}" if finding.detail else where
    return resource.origin.diagnostic(
        finding.code, f"labeling config: {finding.summary}", detail, manifest_path(project, finding)
    )


def findings_summary(findings: Sequence[XmlFinding]) -> str:
    """One line per finding, ``line N: CODE summary``; handy in test failures and logs."""
    return "\n".join(f"line {f.line}: {f.code} {f.summary}" for f in findings)
