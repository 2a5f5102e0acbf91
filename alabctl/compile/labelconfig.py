"""A project's labeling config: Annotation Lab's dialect of Label Studio XML (SPEC §4), and its label map.

Steps, in order:

1. ``project_labels``: every label of the project as a value (manual, from models, from rules,
   assertion, relations, classification), with its predictor, color and hotkey.
2. ``compile_label_config``: those labels as a ``<View>`` tree built with lxml, then serialised
   canonically (see :func:`serialize`).
3. ``label_map``: the same labels seen from each predictor: which of its outputs becomes which
   project label in which control. The pipeline compiler consumes it.

Canonical form: UTF-8, no XML declaration (Annotation Lab and Label Studio store the config as a
string without one), double quotes, attributes in the fixed order of :data:`ATTRIBUTE_ORDER`,
two-space indentation, one trailing newline. ``<`` and ``>`` in attribute values are escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from lxml import etree

from alabctl.compile.colors import distinct_colors
from alabctl.spec.kinds import ModelBinding, ProjectManifest
from alabctl.spec.repository import Repository

LABEL_MAP_SCHEMA_VERSION = 1

ATTRIBUTE_ORDER: tuple[str, ...] = (
    "name",
    "toName",
    "value",
    "choice",
    "model",
    "assertion",
    "allowed",
    "background",
    "hotkey",
    "visualNER",
    "visibleWhen",
    "perRegion",
    "rows",
    "maxSubmissions",
    "zoom",
    "zoomControl",
)
"""Attributes are written in this order; any other attribute follows, alphabetically."""

LABELS_CONTROL = "label"
TEXT_OBJECT = "text"
IMAGE_OBJECT = "image"
OCR_TEXTAREA = "answer"


class PredictorKind(StrEnum):
    """What produces a label."""

    MODEL = "model"
    """A Spark NLP model (from the hub or the repository)."""
    RULE = "rule"
    """A ContextualParser rule; its entity is the label."""


class ControlType(StrEnum):
    """The Label Studio result type a predictor's output becomes."""

    LABELS = "labels"
    """A span of text (``<Labels>``)."""
    RECTANGLELABELS = "rectanglelabels"
    """A box on an image or a PDF page (``<RectangleLabels>``, Visual NER)."""
    CHOICES = "choices"
    """A class of the whole document (``<Choices>``)."""
    RELATION = "relation"
    """A relation between two labelled regions (``<Relations>``)."""


class Section(StrEnum):
    """The part of the project spec a label comes from."""

    NER = "ner"
    """Named entities (manual, model, rule)."""
    ASSERTION = "assertion"
    """Assertion status of NER chunks."""
    CLASSIFICATION = "classification"
    """Document classes."""
    RELATIONS = "relations"
    """Relations between chunks."""


@dataclass(frozen=True)
class Predictor:
    """A model or rule, named as the project names it."""

    name: str
    kind: PredictorKind


@dataclass(frozen=True)
class ProjectLabel:
    """One ``<Label>``, ``<Relation>`` or ``<Choice>``: its value and what predicts it."""

    value: str
    section: Section
    predictor: Predictor | None = None
    output: str | None = None
    """The predictor's own name for it (before ``rename``)."""
    background: str | None = None
    hotkey: str | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChoicesBlock:
    """One ``<Choices>`` control."""

    name: str
    multiple: bool
    model: str | None
    choices: tuple[str, ...]


@dataclass(frozen=True)
class ProjectLabels:
    """Everything the labeling config declares, in config order."""

    visual: bool
    labels: tuple[ProjectLabel, ...]
    relations: tuple[ProjectLabel, ...]
    blocks: tuple[ChoicesBlock, ...]

    @property
    def object_name(self) -> str:
        return IMAGE_OBJECT if self.visual else TEXT_OBJECT

    @property
    def labels_type(self) -> ControlType:
        return ControlType.RECTANGLELABELS if self.visual else ControlType.LABELS


# -- step 1: the labels ---------------------------------------------------------------------------


def model_outputs(binding: ModelBinding, repo: Repository) -> list[tuple[str, str]]:
    """``(model label, project label)`` pairs a binding takes: its subset or all, after ``rename``."""
    if binding.labels is not None:
        taken: Sequence[str] = binding.labels
    else:
        facts = repo.model_facts(binding.model)
        taken = facts.labels if facts is not None and facts.labels is not None else ()
    return [(label, binding.rename.get(label, label)) for label in taken]


def _bound(bindings: Iterable[ModelBinding], section: Section, repo: Repository) -> Iterator[ProjectLabel]:
    for binding in bindings:
        predictor = Predictor(binding.model, PredictorKind.MODEL)
        for output, value in model_outputs(binding, repo):
            yield ProjectLabel(value, section, predictor, output)


def _ner(project: ProjectManifest, repo: Repository) -> Iterator[ProjectLabel]:
    ner = project.spec.ner
    if ner is None:
        return
    for label in ner.labels:
        yield ProjectLabel(label.value, Section.NER, background=label.color, hotkey=label.hotkey)
    yield from _bound(ner.models, Section.NER, repo)
    for name in ner.rules:
        rule = repo.rule(name)
        if rule is not None:
            entity = rule.spec.entity
            yield ProjectLabel(entity, Section.NER, Predictor(name, PredictorKind.RULE), entity)


def _assertion(project: ProjectManifest, repo: Repository) -> Iterator[ProjectLabel]:
    assertion = project.spec.assertion
    if assertion is None:
        return
    for label in assertion.labels:
        yield ProjectLabel(label.value, Section.ASSERTION, background=label.color, hotkey=label.hotkey)
    yield from _bound(assertion.models, Section.ASSERTION, repo)


def _relations(project: ProjectManifest, repo: Repository) -> tuple[ProjectLabel, ...]:
    """Manual relations, then model relations; a model relation with a manual twin merges into it."""
    relations = project.spec.relations
    if relations is None:
        return ()
    merged: dict[str, ProjectLabel] = {}
    for rel in relations.labels:
        merged.setdefault(
            rel.value,
            ProjectLabel(rel.value, Section.RELATIONS, background=rel.color, allowed=tuple(rel.allowed)),
        )
    for label in _bound(relations.models, Section.RELATIONS, repo):
        twin = merged.get(label.value)
        if twin is None:
            merged[label.value] = label
        elif twin.predictor is None:
            merged[label.value] = ProjectLabel(
                twin.value,
                Section.RELATIONS,
                label.predictor,
                label.output,
                twin.background,
                None,
                twin.allowed,
            )
    return tuple(merged.values())


def _with_colors(labels: Sequence[ProjectLabel]) -> list[ProjectLabel]:
    """Each label with its manifest color, or an automatic one no other label of the project has."""
    chosen = [label.background for label in labels if label.background is not None]
    auto = iter(distinct_colors([label.value for label in labels if label.background is None], chosen))
    return [
        label if label.background is not None else replace(label, background=next(auto)) for label in labels
    ]


def _declared(project: ProjectManifest, repo: Repository) -> ProjectLabels:
    """Every label the project's config declares, with the manifest's colors only."""
    return ProjectLabels(
        visual=project.spec.content.visual,
        labels=(*_ner(project, repo), *_assertion(project, repo)),
        relations=tuple(_relations(project, repo)),
        blocks=tuple(
            ChoicesBlock(block.name, block.multiple, block.model, tuple(block.choices))
            for block in project.spec.classification
        ),
    )


def project_labels(project: ProjectManifest, repo: Repository) -> ProjectLabels:
    """Every label the project's config declares, each with a color."""
    declared = _declared(project, repo)
    colored = _with_colors([*declared.labels, *declared.relations])
    count = len(declared.labels)
    return replace(declared, labels=tuple(colored[:count]), relations=tuple(colored[count:]))


# -- step 2: the XML ------------------------------------------------------------------------------


def _attribute_key(name: str) -> tuple[int, str]:
    try:
        return (ATTRIBUTE_ORDER.index(name), "")
    except ValueError:
        return (len(ATTRIBUTE_ORDER), name)


def _element(parent: etree._Element | None, tag: str, attrs: Mapping[str, str | None]) -> etree._Element:
    """A new element with its (non-None) attributes in canonical order."""
    element = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    for key in sorted((k for k, v in attrs.items() if v is not None), key=_attribute_key):
        element.set(key, attrs[key] or "")
    return element


def _label_element(parent: etree._Element, label: ProjectLabel) -> None:
    predictor = label.predictor.name if label.predictor else None
    _element(
        parent,
        "Label",
        {
            "value": label.value,
            "model": predictor,
            "assertion": "true" if label.section is Section.ASSERTION else None,
            "background": label.background,
            "hotkey": label.hotkey,
        },
    )


def _relation_element(parent: etree._Element, label: ProjectLabel) -> None:
    _element(
        parent,
        "Relation",
        {
            "value": label.value,
            "model": label.predictor.name if label.predictor else None,
            "allowed": ",".join(label.allowed) or None,
            "background": label.background,
        },
    )


def _choices_element(parent: etree._Element, block: ChoicesBlock, to_name: str) -> None:
    choices = _element(
        parent,
        "Choices",
        {
            "name": block.name,
            "toName": to_name,
            "choice": "multiple" if block.multiple else "single",
            "model": block.model,
        },
    )
    for value in block.choices:
        _element(choices, "Choice", {"value": value})


def _ocr_view(root: etree._Element) -> None:
    """The hidden per-region transcription Annotation Lab's Visual NER template carries."""
    hidden = _element(root, "View", {"visibleWhen": "never"})
    _element(hidden, "Header", {"value": "Recognized Text"})
    _element(
        hidden,
        "TextArea",
        {
            "name": OCR_TEXTAREA,
            "toName": IMAGE_OBJECT,
            "perRegion": "true",
            "rows": "1",
            "maxSubmissions": "1",
        },
    )


def build_tree(labels: ProjectLabels) -> etree._Element:
    """The ``<View>`` tree of a project's labels."""
    target = labels.object_name
    root = _element(None, "View", {"visualNER": "true" if labels.visual else None})
    if labels.visual:
        _ocr_view(root)
    if labels.labels:
        tag = "RectangleLabels" if labels.visual else "Labels"
        control = _element(root, tag, {"name": LABELS_CONTROL, "toName": target})
        for label in labels.labels:
            _label_element(control, label)
    if labels.relations:
        relations = _element(root, "Relations", {})
        for label in labels.relations:
            _relation_element(relations, label)
    for block in labels.blocks:
        _choices_element(root, block, target)
    if labels.visual:
        _element(
            root, "Image", {"name": IMAGE_OBJECT, "value": "$image", "zoom": "true", "zoomControl": "true"}
        )
    else:
        _element(root, "Text", {"name": TEXT_OBJECT, "value": "$text"})
    return root


def serialize(root: etree._Element) -> bytes:
    """Canonical bytes: UTF-8, no declaration, two-space indentation, trailing newline."""
    etree.indent(root, space="  ")
    text: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=False, pretty_print=True)
    return text if text.endswith(b"\n") else text + b"\n"


def compile_label_config(project: ProjectManifest, repo: Repository) -> bytes:
    """The project's ``config.xml`` (SPEC §4): deterministic bytes, the same for the same input."""
    return serialize(build_tree(project_labels(project, repo)))


# -- step 3: the label map ------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelPair:
    """A predictor's output label and the project label it becomes."""

    output: str
    label: str

    def to_json(self) -> dict[str, str]:
        return {"output": self.output, "label": self.label}


@dataclass(frozen=True)
class PredictorLabels:
    """What one predictor feeds into one control of the project.

    For relations, ``from_name``/``to_name`` are those of the labelled regions the relation joins.
    """

    predictor: str
    kind: PredictorKind
    section: Section
    from_name: str
    to_name: str
    type: ControlType
    labels: tuple[LabelPair, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "predictor": self.predictor,
            "kind": str(self.kind),
            "section": str(self.section),
            "from_name": self.from_name,
            "to_name": self.to_name,
            "type": str(self.type),
            "labels": [pair.to_json() for pair in self.labels],
        }


@dataclass(frozen=True)
class LabelMap:
    """For each predictor of a project, which outputs map to which labels of which control."""

    project: str
    content: str
    predictors: tuple[PredictorLabels, ...]

    def for_predictor(self, name: str) -> tuple[PredictorLabels, ...]:
        return tuple(p for p in self.predictors if p.predictor == name)

    def to_json(self) -> dict[str, object]:
        return {
            "schemaVersion": LABEL_MAP_SCHEMA_VERSION,
            "project": self.project,
            "content": self.content,
            "predictors": [p.to_json() for p in self.predictors],
        }


def _group(
    labels: Iterable[ProjectLabel], from_name: str, to_name: str, type_: ControlType
) -> Iterator[PredictorLabels]:
    """One entry per (predictor, section), in the order each predictor first appears."""
    groups: dict[tuple[Predictor, Section], list[LabelPair]] = {}
    for label in labels:
        if label.predictor is not None:
            pair = LabelPair(label.output or label.value, label.value)
            groups.setdefault((label.predictor, label.section), []).append(pair)
    for (predictor, section), pairs in groups.items():
        yield PredictorLabels(
            predictor.name, predictor.kind, section, from_name, to_name, type_, tuple(pairs)
        )


def _block_map(block: ChoicesBlock, to_name: str) -> Iterator[PredictorLabels]:
    if block.model is not None:
        pairs = tuple(LabelPair(choice, choice) for choice in block.choices)
        yield PredictorLabels(
            block.model,
            PredictorKind.MODEL,
            Section.CLASSIFICATION,
            block.name,
            to_name,
            ControlType.CHOICES,
            pairs,
        )


def label_map(project: ProjectManifest, repo: Repository) -> LabelMap:
    """The label map of a project, built from the same labels as its config (colors play no part)."""
    labels = _declared(project, repo)
    target = labels.object_name
    entries = [
        *_group(labels.labels, LABELS_CONTROL, target, labels.labels_type),
        *_group(labels.relations, LABELS_CONTROL, target, ControlType.RELATION),
    ]
    for block in labels.blocks:
        entries.extend(_block_map(block, target))
    return LabelMap(project.name, str(project.spec.content), tuple(entries))
