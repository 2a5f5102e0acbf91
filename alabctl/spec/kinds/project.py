"""``kind: Project`` (SPEC §2.1): an annotation project, its labels and what pre-annotates them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from alabctl.spec.kinds.common import Color, Manifest, Name, NonEmpty, Strict
from alabctl.spec.kinds.labelstudio import ProjectLabelStudio


class Content(StrEnum):
    """What the tasks of a project are."""

    TEXT = "text"
    """Plain text: NER, assertion, classification and relations on character spans."""
    IMAGE = "image"
    """Images: Visual NER on OCR tokens with boxes."""
    PDF = "pdf"
    """PDF documents: Visual NER on OCR tokens with boxes."""

    @property
    def visual(self) -> bool:
        return self is not Content.TEXT


class LabelSpec(Strict):
    """A label a person can apply: its value, color and keyboard shortcut."""

    value: NonEmpty
    color: Color | None = None
    hotkey: str | None = Field(default=None, min_length=1, max_length=1)
    renamed_from: NonEmpty | None = Field(
        default=None, description="the label's old value: apply moves its annotations to this one"
    )


class ModelBinding(Strict):
    """Labels taken from a model ("predefined labels")."""

    model: Name
    labels: list[NonEmpty] | None = Field(
        default=None, description="a subset of the model's labels; default: every label it predicts"
    )
    rename: dict[str, NonEmpty] = Field(default={}, description="model label -> project label")


class NerSpec(Strict):
    """Named-entity labels: manual, from models, and from rules."""

    labels: list[LabelSpec] = []
    models: list[ModelBinding] = []
    rules: list[Name] = []


def _label_from_string(value: object) -> object:
    return {"value": value} if isinstance(value, str) else value


LabelOrValue = Annotated[
    LabelSpec, BeforeValidator(_label_from_string, json_schema_input_type=str | LabelSpec)
]


class AssertionSpec(Strict):
    """Assertion-status labels (present, absent, ...) on NER chunks."""

    labels: list[LabelOrValue] = []
    models: list[ModelBinding] = []


class ClassificationBlock(Strict):
    """One ``<Choices>`` block: document classification."""

    name: Name
    choices: list[NonEmpty] = Field(min_length=1)
    multiple: bool = False
    model: Name | None = None


def _check_pair(pair: str) -> str:
    sep = "<>" if "<>" in pair else ">"
    left, _, right = pair.partition(sep)
    if not left.strip() or not right.strip() or ">" in right or "<" in left:
        raise PydanticCustomError(
            "invalid_pair",
            "'{value}' is not a label pair: write 'FROM>TO' for one direction or 'A<>B' for both",
            {"value": pair},
        )
    return pair


LabelPair = Annotated[str, AfterValidator(_check_pair)]


class RelationLabel(Strict):
    """A relation and the label pairs it may join: ``A>B`` one way, ``A<>B`` both ways."""

    value: NonEmpty
    allowed: list[LabelPair] = []
    color: Color | None = None


RelationOrValue = Annotated[
    RelationLabel, BeforeValidator(_label_from_string, json_schema_input_type=str | RelationLabel)
]


class RelationsSpec(Strict):
    """Relation labels between NER chunks."""

    labels: list[RelationOrValue] = []
    models: list[ModelBinding] = []


class ProjectSpec(Strict):
    """An annotation project."""

    description: str = ""
    content: Content = Content.TEXT
    server: Name | None = Field(
        default=None,
        description="the Server that pre-annotates it; default: a server named after the project",
    )
    license: Name | None = None
    ner: NerSpec | None = None
    assertion: AssertionSpec | None = None
    classification: list[ClassificationBlock] = []
    relations: RelationsSpec | None = None
    label_studio: ProjectLabelStudio | None = None


@dataclass(frozen=True)
class Binding:
    """A model used by a project, where the project names it, and for what."""

    section: str  # ner | assertion | relations | classification
    model: str
    path: tuple[str | int, ...]
    binding: ModelBinding | None


def spec_bindings(spec: ProjectSpec) -> Iterator[Binding]:
    """Every model a project spec names, in document order (the one walk of a project's models)."""
    if spec.ner:
        for i, b in enumerate(spec.ner.models):
            yield Binding("ner", b.model, ("spec", "ner", "models", i, "model"), b)
    if spec.assertion:
        for i, b in enumerate(spec.assertion.models):
            yield Binding("assertion", b.model, ("spec", "assertion", "models", i, "model"), b)
    for i, block in enumerate(spec.classification):
        if block.model:
            yield Binding("classification", block.model, ("spec", "classification", i, "model"), None)
    if spec.relations:
        for i, b in enumerate(spec.relations.models):
            yield Binding("relations", b.model, ("spec", "relations", "models", i, "model"), b)


class ProjectManifest(Manifest):
    kind: Literal["Project"]
    spec: ProjectSpec

    def bindings(self) -> Iterator[Binding]:
        """Every model the project names (NER, assertion, classification, relations), in document order."""
        return spec_bindings(self.spec)

    def uses_models(self) -> bool:
        """Whether the project names any model (so a server hosting it needs Spark NLP)."""
        return any(True for _ in self.bindings())
