"""The manifest kinds of SPEC §2 as frozen pydantic models.

Each kind is one module, its manifest class under the common envelope
(:class:`~alabctl.spec.kinds.common.Manifest`). The names below are imported from their module on
first use, so a run creates the model classes of the kinds it reads and no others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alabctl.spec.kinds.common import Metadata as Metadata
    from alabctl.spec.kinds.hub import HubManifest as HubManifest
    from alabctl.spec.kinds.hub import HubSpec as HubSpec
    from alabctl.spec.kinds.labelstudio import LabelStudioManifest as LabelStudioManifest
    from alabctl.spec.kinds.labelstudio import LabelStudioSpec as LabelStudioSpec
    from alabctl.spec.kinds.labelstudio import ProjectLabelStudio as ProjectLabelStudio
    from alabctl.spec.kinds.labelstudio import TokenSource as TokenSource
    from alabctl.spec.kinds.license import LicenseManifest as LicenseManifest
    from alabctl.spec.kinds.license import LicenseSpec as LicenseSpec
    from alabctl.spec.kinds.manifest import API_VERSION as API_VERSION
    from alabctl.spec.kinds.manifest import KINDS as KINDS
    from alabctl.spec.kinds.manifest import AnyManifest as AnyManifest
    from alabctl.spec.kinds.manifest import Kind as Kind
    from alabctl.spec.kinds.model import EmbeddingsManifest as EmbeddingsManifest
    from alabctl.spec.kinds.model import EmbeddingsSpec as EmbeddingsSpec
    from alabctl.spec.kinds.model import HubSource as HubSource
    from alabctl.spec.kinds.model import ModelManifest as ModelManifest
    from alabctl.spec.kinds.model import ModelSource as ModelSource
    from alabctl.spec.kinds.model import ModelSpec as ModelSpec
    from alabctl.spec.kinds.model import Task as Task
    from alabctl.spec.kinds.project import AssertionSpec as AssertionSpec
    from alabctl.spec.kinds.project import ClassificationBlock as ClassificationBlock
    from alabctl.spec.kinds.project import Content as Content
    from alabctl.spec.kinds.project import LabelSpec as LabelSpec
    from alabctl.spec.kinds.project import ModelBinding as ModelBinding
    from alabctl.spec.kinds.project import NerSpec as NerSpec
    from alabctl.spec.kinds.project import ProjectManifest as ProjectManifest
    from alabctl.spec.kinds.project import ProjectSpec as ProjectSpec
    from alabctl.spec.kinds.project import RelationLabel as RelationLabel
    from alabctl.spec.kinds.project import RelationsSpec as RelationsSpec
    from alabctl.spec.kinds.rule import DictionarySpec as DictionarySpec
    from alabctl.spec.kinds.rule import RuleManifest as RuleManifest
    from alabctl.spec.kinds.rule import RuleSpec as RuleSpec
    from alabctl.spec.kinds.server import ServerManifest as ServerManifest
    from alabctl.spec.kinds.server import ServerSpec as ServerSpec

_WHERE: dict[str, str] = {
    "Metadata": "alabctl.spec.kinds.common",
    "HubManifest": "alabctl.spec.kinds.hub",
    "HubSpec": "alabctl.spec.kinds.hub",
    "LabelStudioManifest": "alabctl.spec.kinds.labelstudio",
    "LabelStudioSpec": "alabctl.spec.kinds.labelstudio",
    "ProjectLabelStudio": "alabctl.spec.kinds.labelstudio",
    "TokenSource": "alabctl.spec.kinds.labelstudio",
    "LicenseManifest": "alabctl.spec.kinds.license",
    "LicenseSpec": "alabctl.spec.kinds.license",
    "API_VERSION": "alabctl.spec.kinds.manifest",
    "AnyManifest": "alabctl.spec.kinds.manifest",
    "KINDS": "alabctl.spec.kinds.manifest",
    "Kind": "alabctl.spec.kinds.manifest",
    "EmbeddingsManifest": "alabctl.spec.kinds.model",
    "EmbeddingsSpec": "alabctl.spec.kinds.model",
    "HubSource": "alabctl.spec.kinds.model",
    "ModelManifest": "alabctl.spec.kinds.model",
    "ModelSource": "alabctl.spec.kinds.model",
    "ModelSpec": "alabctl.spec.kinds.model",
    "Task": "alabctl.spec.kinds.model",
    "AssertionSpec": "alabctl.spec.kinds.project",
    "ClassificationBlock": "alabctl.spec.kinds.project",
    "Content": "alabctl.spec.kinds.project",
    "LabelSpec": "alabctl.spec.kinds.project",
    "ModelBinding": "alabctl.spec.kinds.project",
    "NerSpec": "alabctl.spec.kinds.project",
    "ProjectManifest": "alabctl.spec.kinds.project",
    "ProjectSpec": "alabctl.spec.kinds.project",
    "RelationLabel": "alabctl.spec.kinds.project",
    "RelationsSpec": "alabctl.spec.kinds.project",
    "DictionarySpec": "alabctl.spec.kinds.rule",
    "RuleManifest": "alabctl.spec.kinds.rule",
    "RuleSpec": "alabctl.spec.kinds.rule",
    "ServerManifest": "alabctl.spec.kinds.server",
    "ServerSpec": "alabctl.spec.kinds.server",
}
"""Each name: the module that defines it."""

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
