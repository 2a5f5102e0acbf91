"""The loaded repository: every valid manifest, indexed by kind and name, plus the lock file.

Lookups here are pure; they answer the questions every later stage asks (which server hosts a
project, what a model predicts, which embeddings it needs) in one place.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from alabctl.spec.names import AssetType, Edition, Kind, edition_of
from alabctl.spec.schema import Resource

if TYPE_CHECKING:  # each kind's classes load with the first manifest of that kind (spec.kinds)
    from alabctl.spec.kinds import (
        EmbeddingsManifest,
        HubManifest,
        HubSpec,
        LicenseManifest,
        ModelManifest,
        ProjectManifest,
        RuleManifest,
        ServerManifest,
        ServerSpec,
    )
    from alabctl.spec.kinds.project import Binding
    from alabctl.spec.kinds.server import Engine
    from alabctl.spec.lock import LockedAsset, LockFile  # loaded with the first lock file read

DEFAULT_EMBEDDINGS = "glove_100d"
"""Known without a manifest, as in Annotation Lab's default deployment."""


@functools.cache
def _default_hub() -> HubSpec:
    """The Hub a repository without a Hub manifest uses (built on first use: a model class builds
    its validator then)."""
    from alabctl.spec.kinds.hub import HubSpec

    return HubSpec()


class ModelFacts(NamedTuple):
    """What is known about a model, from its manifest and the lock file."""

    name: str
    task: str | None
    labels: tuple[str, ...] | None
    embeddings: str | None
    language: str
    repository: str | None
    edition: Edition
    hub_name: str | None
    resource: Resource | None
    locked: LockedAsset | None


@dataclass
class Repository:
    """Every valid manifest, indexed once: lookups by kind and name are dictionary reads."""

    root: Path
    resources: list[Resource]
    lock: LockFile | None = None
    broken: frozenset[tuple[str, str]] = frozenset()
    """``(kind, name)`` of manifests that exist but failed their schema (not in ``resources``)."""
    _index: dict[tuple[str, str], Resource] = field(default_factory=dict, repr=False)
    _by_kind: dict[str, list[Resource]] = field(default_factory=dict, repr=False)
    _on_server: dict[str, list[tuple[ProjectManifest, Resource]]] = field(default_factory=dict, repr=False)
    _locked: dict[tuple[str, AssetType], LockedAsset] = field(default_factory=dict, repr=False)
    _facts: dict[str, ModelFacts | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for resource in self.resources:
            if (resource.kind, resource.name) not in self._index:
                self._index[(resource.kind, resource.name)] = resource
                self._by_kind.setdefault(resource.kind, []).append(resource)
        for group in self._by_kind.values():
            group.sort(key=lambda r: r.name)
        for project, resource in self.projects():
            self._on_server.setdefault(self.server_name(project), []).append((project, resource))
        for asset in self.lock.assets if self.lock else []:
            self._locked.setdefault((asset.name, asset.type), asset)

    def get(self, kind: str, name: str) -> Resource | None:
        return self._index.get((kind, name))

    def of_kind(self, kind: str) -> list[Resource]:
        """The first manifest of each name of ``kind``, sorted by name (duplicates are diagnosed elsewhere)."""
        return list(self._by_kind.get(kind, ()))

    def names(self, kind: str) -> list[str]:
        return [r.name for r in self.of_kind(kind)]

    def projects(self) -> list[tuple[ProjectManifest, Resource]]:
        return [(cast("ProjectManifest", r.manifest), r) for r in self._by_kind.get(Kind.PROJECT, ())]

    def rule(self, name: str) -> RuleManifest | None:
        r = self.get(Kind.RULE, name)
        return cast("RuleManifest", r.manifest) if r else None

    def model(self, name: str) -> ModelManifest | None:
        r = self.get(Kind.MODEL, name)
        return cast("ModelManifest", r.manifest) if r else None

    def embeddings(self, name: str) -> EmbeddingsManifest | None:
        r = self.get(Kind.EMBEDDINGS, name)
        return cast("EmbeddingsManifest", r.manifest) if r else None

    def license(self, name: str) -> LicenseManifest | None:
        r = self.get(Kind.LICENSE, name)
        return cast("LicenseManifest", r.manifest) if r else None

    def hub(self) -> HubSpec:
        hubs = self._by_kind.get(Kind.HUB)
        return cast("HubManifest", hubs[0].manifest).spec if hubs else _default_hub()

    def server_name(self, project: ProjectManifest) -> str:
        return project.spec.server or project.name

    def server(self, name: str) -> ServerSpec:
        from alabctl.spec.kinds.server import ServerSpec  # loaded with the first server or project

        r = self.get(Kind.SERVER, name)
        return cast("ServerManifest", r.manifest).spec if r else ServerSpec()

    def server_names(self) -> list[str]:
        names = set(self.names(Kind.SERVER))
        names.update(self.server_name(p) for p, _ in self.projects())
        return sorted(names)

    def projects_on(self, server: str) -> list[tuple[ProjectManifest, Resource]]:
        return list(self._on_server.get(server, ()))

    def locked(self, name: str, type: AssetType) -> LockedAsset | None:
        return self._locked.get((name, type))

    def model_facts(self, name: str) -> ModelFacts | None:
        """Facts about a model: its manifest first, the lock file for what the manifest leaves out."""
        if name not in self._facts:
            self._facts[name] = self._model_facts(name)
        return self._facts[name]

    def _model_facts(self, name: str) -> ModelFacts | None:
        resource = self.get(Kind.MODEL, name)
        manifest = cast("ModelManifest", resource.manifest) if resource else None
        hub = manifest.spec.source.hub if manifest else None
        hub_name = (hub.name or name) if hub else (None if manifest else name)
        locked = self.locked(hub_name, AssetType.MODEL) if hub_name else None
        if manifest is None and locked is None:
            return None
        repository = hub.repository if hub else (locked.repository if locked else None)
        labels = (
            manifest.spec.labels
            if manifest and manifest.spec.labels is not None
            else (locked.labels if locked else None)
        )
        embeddings = (
            manifest.spec.embeddings
            if manifest and manifest.spec.embeddings
            else (locked.storage_ref if locked else None)
        )
        return ModelFacts(
            name=name,
            task=manifest.spec.task.value if manifest else (locked.task if locked else None),
            labels=tuple(labels) if labels is not None else None,
            embeddings=embeddings,
            language=manifest.spec.language if manifest else (locked.language if locked else "en"),
            repository=repository,
            edition=edition_of(repository) if repository else Edition.OPENSOURCE,
            hub_name=hub_name,
            resource=resource,
            locked=locked,
        )

    def engine(self, server: str) -> Engine:
        """What runs a server: its ``engine``; ``auto`` is ``sparknlp`` when a project on it names a
        model, ``native`` (rules only) otherwise."""
        from alabctl.spec.kinds.server import Engine

        engine = self.server(server).engine
        if engine is not Engine.AUTO:
            return engine
        uses_models = any(p.uses_models() for p, _ in self.projects_on(server))
        return Engine.SPARKNLP if uses_models else Engine.NATIVE

    def dictionary_files(self) -> Iterator[tuple[Resource, RuleManifest, Path]]:
        """Each Rule with a dictionary file, and the file (relative paths joined to the manifest's folder)."""
        for resource in self.of_kind(Kind.RULE):
            rule = cast("RuleManifest", resource.manifest)
            dictionary = rule.spec.dictionary
            if dictionary is not None and dictionary.file is not None:
                yield resource, rule, resource.origin.directory / dictionary.file

    def known_embeddings(self) -> set[str]:
        names = set(self.names(Kind.EMBEDDINGS)) | {DEFAULT_EMBEDDINGS}
        if self.lock:
            names.update(a.name for a in self.lock.assets if a.type is AssetType.EMBEDDINGS)
        return names

    def known_models(self) -> set[str]:
        names = set(self.names(Kind.MODEL))
        if self.lock:
            names.update(a.name for a in self.lock.assets if a.type is AssetType.MODEL)
        return names


def bindings(project: ProjectManifest) -> Iterator[Binding]:
    """Every model a project names, in document order (:meth:`ProjectManifest.bindings`)."""
    return project.bindings()
