"""Labels in a labeling config and in results: which exist, which are used, renaming them. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lxml import etree

_LABEL_TAGS = {"Label", "Choice"}


def config_labels(label_config: str) -> dict[str, set[str]]:
    """Control name -> the label (or choice) values it declares. Empty for an unparsable config."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(label_config.encode(), parser)
    except etree.XMLSyntaxError:
        return {}
    out: dict[str, set[str]] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag not in _LABEL_TAGS:
            continue
        parent = element.getparent()
        name = parent.get("name") if parent is not None else None
        value = element.get("value")
        if name and value is not None:
            out.setdefault(name, set()).add(value)
    return out


def removed_labels(current: str, desired: str) -> set[tuple[str, str]]:
    """(control, label) pairs the current config has and the desired one does not."""
    old, new = config_labels(current), config_labels(desired)
    return {(control, label) for control, labels in old.items() for label in labels - new.get(control, set())}


def result_labels(result: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, str]]:
    """(control, label) of every labelled region of a result list."""
    for item in result:
        control = item.get("from_name")
        value = item.get("value")
        kind = item.get("type")
        if not isinstance(control, str) or not isinstance(value, dict) or not isinstance(kind, str):
            continue
        labels = value.get(kind)
        if isinstance(labels, list):
            for label in labels:
                if isinstance(label, str):
                    yield control, label


def rename_result(
    result: Sequence[Mapping[str, Any]], renames: Mapping[tuple[str, str], str]
) -> tuple[list[dict[str, Any]], int]:
    """The result with ``(control, old) -> new`` applied, and how many labels changed."""
    out: list[dict[str, Any]] = []
    changed = 0
    for item in result:
        copy = dict(item)
        control, value, kind = item.get("from_name"), item.get("value"), item.get("type")
        if isinstance(value, dict) and isinstance(kind, str) and isinstance(value.get(kind), list):
            labels = []
            for label in value[kind]:
                new = renames.get((str(control), label)) if isinstance(label, str) else None
                changed += new is not None
                labels.append(new if new is not None else label)
            copy["value"] = {**value, kind: labels}
        out.append(copy)
    return out, changed


def union_config(desired: str, current: str, keep: Iterable[tuple[str, str]]) -> str:
    """``desired`` with the ``(control, label)`` pairs of ``keep`` added back as ``<Label>`` children.

    The intermediate config of a rename: both old and new labels exist while annotations move.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(desired.encode(), parser)
    wanted = set(keep)
    for element in root.iter():
        name = element.get("name") if isinstance(element.tag, str) else None
        for control, label in sorted(wanted):
            if name == control:
                tag = "Choice" if element.tag in ("Choices", "Taxonomy") else "Label"
                etree.SubElement(element, tag, {"value": label})
    text: bytes = etree.tostring(root, encoding="utf-8")
    return text.decode()
