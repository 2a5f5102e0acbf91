"""The manifest kinds of SPEC §2 as frozen pydantic models.

Each kind is one module; :mod:`alabctl.spec.kinds.manifest` puts them behind the common envelope
(``apiVersion``, ``kind``, ``metadata``, ``spec``).
"""

from alabctl.spec.kinds.common import Metadata
from alabctl.spec.kinds.hub import HubSpec
from alabctl.spec.kinds.labelstudio import LabelStudioSpec, ProjectLabelStudio, TokenSource
from alabctl.spec.kinds.license import LicenseSpec
from alabctl.spec.kinds.manifest import (
    API_VERSION,
    KINDS,
    AnyManifest,
    EmbeddingsManifest,
    HubManifest,
    Kind,
    LabelStudioManifest,
    LicenseManifest,
    ModelManifest,
    ProjectManifest,
    RuleManifest,
    ServerManifest,
)
from alabctl.spec.kinds.model import EmbeddingsSpec, HubSource, ModelSource, ModelSpec, Task
from alabctl.spec.kinds.project import (
    AssertionSpec,
    ClassificationBlock,
    Content,
    LabelSpec,
    ModelBinding,
    NerSpec,
    ProjectSpec,
    RelationLabel,
    RelationsSpec,
)
from alabctl.spec.kinds.rule import DictionarySpec, RuleSpec
from alabctl.spec.kinds.server import ServerSpec

__all__ = [
    "API_VERSION",
    "KINDS",
    "AnyManifest",
    "AssertionSpec",
    "ClassificationBlock",
    "Content",
    "DictionarySpec",
    "EmbeddingsManifest",
    "EmbeddingsSpec",
    "HubManifest",
    "HubSource",
    "HubSpec",
    "Kind",
    "LabelSpec",
    "LabelStudioManifest",
    "LabelStudioSpec",
    "LicenseManifest",
    "LicenseSpec",
    "Metadata",
    "ModelBinding",
    "ModelManifest",
    "ModelSource",
    "ModelSpec",
    "NerSpec",
    "ProjectLabelStudio",
    "ProjectManifest",
    "ProjectSpec",
    "RelationLabel",
    "RelationsSpec",
    "RuleManifest",
    "RuleSpec",
    "ServerManifest",
    "ServerSpec",
    "Task",
    "TokenSource",
]
