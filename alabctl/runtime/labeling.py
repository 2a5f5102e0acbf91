"""A project's compiled labeling config as the runtime needs it: controls, objects, data keys.

Read from ``projects/<p>/config.xml`` once per build. Predictions are checked against it
(:func:`check_result`) before they leave the runtime: a result whose control, object, type, labels
or offsets do not fit the config is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from alabctl.spec.errors import UserError

CONTROL_TAGS = frozenset({"Labels", "RectangleLabels", "Choices", "TextArea"})
OBJECT_TAGS = frozenset({"Text", "Image", "HyperText"})


@dataclass(frozen=True)
class Control:
    """A control tag: what a result's ``from_name`` names."""

    name: str
    type: str
    """The tag lower-cased, as a result's ``type``: labels, rectanglelabels, choices, textarea."""
    to_name: str
    values: frozenset[str]
    """The label or choice values it declares."""


@dataclass(frozen=True)
class LabelingConfig:
    """The parts of a labeling config a prediction must fit."""

    xml: str
    controls: Mapping[str, Control]
    objects: Mapping[str, str]
    """Object tag name -> the task data key it reads (``$text`` -> ``text``)."""
    object_tags: Mapping[str, str]
    """Object tag name -> its tag (Text, Image)."""
    relations: frozenset[str]
    """Relation label values (``<Relations>/<Relation value>``)."""

    def data_key(self, to_name: str) -> str:
        return self.objects[to_name]

    @property
    def text_keys(self) -> list[str]:
        """The task data keys the config's text objects read."""
        return sorted({k for n, k in self.objects.items() if self.object_tags[n] != "Image"})


def _values(element: Any) -> frozenset[str]:
    return frozenset(str(child.get("value")) for child in element if child.get("value") is not None)


def parse_config(xml: str, where: str) -> LabelingConfig:
    """Parse a compiled config (no entities, no network); ``where`` names the file in errors."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise UserError(f"{where}: not a labeling config ({exc})", "compile the build again") from exc
    controls: dict[str, Control] = {}
    objects: dict[str, str] = {}
    tags: dict[str, str] = {}
    relations: set[str] = set()
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        name = element.get("name")
        if tag in CONTROL_TAGS and name:
            controls[name] = Control(name, tag.lower(), str(element.get("toName", "")), _values(element))
        elif tag in OBJECT_TAGS and name:
            objects[name] = str(element.get("value", "")).lstrip("$")
            tags[name] = tag
        elif tag == "Relations":
            relations |= _values(element)
    return LabelingConfig(xml, controls, objects, tags, frozenset(relations))


def canonical_xml(xml: str) -> bytes | None:
    """A config's canonical form (C14N, blank text dropped), to compare configs; None when not XML."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return bytes(etree.tostring(etree.fromstring(xml.encode("utf-8"), parser), method="c14n"))
    except (etree.XMLSyntaxError, ValueError):
        return None


def _check_span(value: Mapping[str, Any], text: str) -> str | None:
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return f"offsets {start}..{end} outside the text (length {len(text)})"
    if value.get("text") != text[start:end]:
        return f"value.text {value.get('text')!r} is not text[{start}:{end}] {text[start:end]!r}"
    return None


def check_result(result: Mapping[str, Any], config: LabelingConfig, text: str | None) -> str | None:
    """Why a region / choices result does not fit the config, or None when it does."""
    control = config.controls.get(str(result.get("from_name")))
    if control is None:
        return f"from_name {result.get('from_name')!r} is not a control of the config"
    if result.get("to_name") != control.to_name:
        return f"to_name {result.get('to_name')!r}: control {control.name!r} points at {control.to_name!r}"
    if result.get("type") != control.type:
        return f"type {result.get('type')!r}: control {control.name!r} is {control.type!r}"
    value = result.get("value", {})
    chosen = value.get(control.type, [])
    if not chosen or any(v not in control.values for v in chosen):
        return f"{chosen!r} not among {control.name!r}'s values"
    if control.type == "labels" and text is not None:
        return _check_span(value, text)
    return None


def check_relation(result: Mapping[str, Any], config: LabelingConfig, ids: set[str]) -> str | None:
    """Why a relation result does not fit (unknown label, dangling id), or None."""
    if result.get("from_id") not in ids or result.get("to_id") not in ids:
        return "relation between regions that are not in the prediction"
    if any(label not in config.relations for label in result.get("labels", [])):
        return f"relation labels {result.get('labels')!r} not declared in <Relations>"
    return None
