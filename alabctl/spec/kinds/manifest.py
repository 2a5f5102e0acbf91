"""The kinds by name, and the union of all kinds; each kind's class is created on first use.

Each kind's manifest class (``ProjectManifest``, ``RuleManifest``, ...) lives in its kind's module
under the common envelope (:class:`~alabctl.spec.kinds.common.Manifest`); :data:`KINDS` imports a
kind's module only when a document of that kind is read, so validating rules alone never creates
the project, model or server classes. They are all importable from here and from
:mod:`alabctl.spec.kinds`, as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from alabctl.spec.kinds.common import Manifest
from alabctl.spec.names import API_GROUP as API_GROUP  # re-exported: where the kinds are
from alabctl.spec.names import API_VERSION as API_VERSION
from alabctl.spec.names import Kind as Kind

if TYPE_CHECKING:
    from alabctl.spec.kinds.hub import HubManifest as HubManifest
    from alabctl.spec.kinds.labelstudio import LabelStudioManifest as LabelStudioManifest
    from alabctl.spec.kinds.license import LicenseManifest as LicenseManifest
    from alabctl.spec.kinds.model import EmbeddingsManifest as EmbeddingsManifest
    from alabctl.spec.kinds.model import ModelManifest as ModelManifest
    from alabctl.spec.kinds.project import ProjectManifest as ProjectManifest
    from alabctl.spec.kinds.rule import RuleManifest as RuleManifest
    from alabctl.spec.kinds.server import ServerManifest as ServerManifest

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

_Manifest = Manifest  # the envelope's earlier name

CLASSES: dict[str, tuple[str, str]] = {
    "Project": ("alabctl.spec.kinds.project", "ProjectManifest"),
    "Rule": ("alabctl.spec.kinds.rule", "RuleManifest"),
    "Model": ("alabctl.spec.kinds.model", "ModelManifest"),
    "Embeddings": ("alabctl.spec.kinds.model", "EmbeddingsManifest"),
    "Server": ("alabctl.spec.kinds.server", "ServerManifest"),
    "License": ("alabctl.spec.kinds.license", "LicenseManifest"),
    "Hub": ("alabctl.spec.kinds.hub", "HubManifest"),
    "LabelStudio": ("alabctl.spec.kinds.labelstudio", "LabelStudioManifest"),
}
"""Each kind: the module and the name of its manifest class."""


class _Kinds(Mapping[str, type[Manifest]]):
    """Kind name -> manifest class, in the order of SPEC §2; a class is imported when first looked up."""

    def __getitem__(self, kind: str) -> type[Manifest]:
        module, name = CLASSES[kind]
        found: type[Manifest] = getattr(importlib.import_module(module), name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(CLASSES)

    def __len__(self) -> int:
        return len(CLASSES)


KINDS: Mapping[str, type[Manifest]] = _Kinds()


def __getattr__(name: str) -> Any:
    """The manifest classes and ``AnyManifest`` (which needs all of them), created on first use."""
    for module, class_name in CLASSES.values():
        if class_name == name:
            return getattr(importlib.import_module(module), name)
    if name == "AnyManifest":
        kinds = tuple(KINDS.values())
        union = kinds[0]
        for kind in kinds[1:]:
            union = union | kind  # type: ignore[assignment]
        return Annotated[union, Field(discriminator="kind")]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
