"""The envelope every document shares, and the union of all kinds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from alabctl.spec.kinds.common import Metadata, Strict
from alabctl.spec.kinds.hub import HubSpec
from alabctl.spec.kinds.labelstudio import LabelStudioSpec
from alabctl.spec.kinds.license import LicenseSpec
from alabctl.spec.kinds.model import EmbeddingsSpec, ModelSpec
from alabctl.spec.kinds.project import Binding, ProjectSpec, spec_bindings
from alabctl.spec.kinds.rule import RuleSpec
from alabctl.spec.kinds.server import ServerSpec
from alabctl.spec.names import API_GROUP as API_GROUP  # re-exported: where the kinds are
from alabctl.spec.names import API_VERSION as API_VERSION
from alabctl.spec.names import Kind as Kind


class _Manifest(Strict):
    """The envelope; each kind narrows ``spec`` (plain subclasses: pydantic generics cost start-up)."""

    api_version: Literal["alabctl/v1"]
    metadata: Metadata
    spec: BaseModel

    @property
    def name(self) -> str:
        return self.metadata.name


class ProjectManifest(_Manifest):
    kind: Literal["Project"]
    spec: ProjectSpec

    def bindings(self) -> Iterator[Binding]:
        """Every model the project names (NER, assertion, classification, relations), in document order."""
        return spec_bindings(self.spec)

    def uses_models(self) -> bool:
        """Whether the project names any model (so a server hosting it needs Spark NLP)."""
        return any(True for _ in self.bindings())


class RuleManifest(_Manifest):
    kind: Literal["Rule"]
    spec: RuleSpec


class ModelManifest(_Manifest):
    kind: Literal["Model"]
    spec: ModelSpec


class EmbeddingsManifest(_Manifest):
    kind: Literal["Embeddings"]
    spec: EmbeddingsSpec = Field(default_factory=EmbeddingsSpec)


class ServerManifest(_Manifest):
    kind: Literal["Server"]
    spec: ServerSpec = Field(default_factory=ServerSpec)


class LicenseManifest(_Manifest):
    kind: Literal["License"]
    spec: LicenseSpec


class HubManifest(_Manifest):
    kind: Literal["Hub"]
    spec: HubSpec = Field(default_factory=HubSpec)


class LabelStudioManifest(_Manifest):
    kind: Literal["LabelStudio"]
    spec: LabelStudioSpec


AnyManifest = Annotated[
    ProjectManifest
    | RuleManifest
    | ModelManifest
    | EmbeddingsManifest
    | ServerManifest
    | LicenseManifest
    | HubManifest
    | LabelStudioManifest,
    Field(discriminator="kind"),
]

KINDS: dict[str, type[_Manifest]] = {
    "Project": ProjectManifest,
    "Rule": RuleManifest,
    "Model": ModelManifest,
    "Embeddings": EmbeddingsManifest,
    "Server": ServerManifest,
    "License": LicenseManifest,
    "Hub": HubManifest,
    "LabelStudio": LabelStudioManifest,
}
