"""``alabctl lock``: resolve every hub asset the manifests need into a :class:`LockFile`.

What is needed (pure, :func:`needs`): Model manifests with ``source.hub``, Embeddings manifests with
``source.hub``, models a project names without a manifest (from the old lock's folder, else
``public/models``), every other hub asset a compiled pipeline loads (embeddings stages, the POS and
dependency models relation extraction needs), and the embeddings each model depends on (the index's ``storageRef`` /
``dependencies`` when present, else the Model manifest's ``embeddings``). Each is resolved against
the hub (:mod:`resolve`); facts the hub index lacks are kept from the old lock when the key is
unchanged, so locking again with nothing new on the hub changes no byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from alabctl.assets.hub import HubClient
from alabctl.assets.metadata import HubRecord
from alabctl.assets.resolve import VERSIONS_HINT, Request, Shortfall, resolve, why_none
from alabctl.compile.sparknlp.annotators import AnnotatorType
from alabctl.compile.sparknlp.versions import Version, format_version, parse_version
from alabctl.spec.errors import PermanentError
from alabctl.spec.kinds import EmbeddingsManifest, ModelManifest
from alabctl.spec.kinds.manifest import Kind
from alabctl.spec.kinds.model import PUBLIC_REPOSITORY
from alabctl.spec.lock import AssetType, LockedAsset, LockFile
from alabctl.spec.repository import Repository


@dataclass(frozen=True)
class Need:
    """One hub asset the manifests need."""

    name: str
    type: AssetType
    language: str | None
    repository: str
    task: str | None = None
    embeddings: str | None = None
    fallback: bool = False
    """Also look in ``public/models`` when ``repository`` does not have it (dependencies)."""
    derived: bool = False
    """Named by no manifest, only by a compiled pipeline: resolved after the named ones and their
    dependencies, which know better where it lives."""


def needs(repo: Repository) -> list[Need]:
    """The hub assets named by the manifests (dependencies excluded), in a stable order."""
    out: dict[tuple[AssetType, str], Need] = {}
    for resource in repo.of_kind(Kind.MODEL):
        model = cast(ModelManifest, resource.manifest)
        hub = model.spec.source.hub
        if hub is not None:
            name = hub.name or model.metadata.name
            out[(AssetType.MODEL, name)] = Need(
                name,
                AssetType.MODEL,
                hub.language,
                hub.repository,
                model.spec.task.value,
                model.spec.embeddings,
            )
    for resource in repo.of_kind(Kind.EMBEDDINGS):
        emb = cast(EmbeddingsManifest, resource.manifest)
        hub = emb.spec.source.hub
        if hub is not None:
            name = hub.name or emb.metadata.name
            out[(AssetType.EMBEDDINGS, name)] = Need(name, AssetType.EMBEDDINGS, hub.language, hub.repository)
    for project, _ in repo.projects():
        for binding in project.bindings():
            if repo.get(Kind.MODEL, binding.model) is not None or (AssetType.MODEL, binding.model) in out:
                continue
            locked = repo.locked(binding.model, AssetType.MODEL)
            out[(AssetType.MODEL, binding.model)] = Need(
                binding.model,
                AssetType.MODEL,
                locked.language if locked else "en",
                locked.repository if locked else PUBLIC_REPOSITORY,
                locked.task if locked else None,
            )
    for need in pipeline_needs(repo):
        out.setdefault((need.type, need.name), need)
    return [out[k] for k in sorted(out, key=lambda k: (k[0].value, k[1]))]


_EMBEDDINGS_OUTPUTS = {AnnotatorType.WORD_EMBEDDINGS, AnnotatorType.SENTENCE_EMBEDDINGS}


def pipeline_needs(repo: Repository) -> list[Need]:
    """Every hub asset a compiled pipeline of ``repo`` loads, so ``lock`` pins all of them."""
    from alabctl.compile.pipeline import compile_pipeline  # lxml and the renderers: not for hub pull

    found: dict[tuple[AssetType, str], Need] = {}
    for server in repo.server_names():
        for stage in compile_pipeline(server, repo)["stages"]:
            source = stage.get("pretrained")
            if not source or source.get("repository") is None:
                continue  # not a hub asset: a folder, a URL or an upload
            type_ = AssetType.EMBEDDINGS if stage["outputType"] in _EMBEDDINGS_OUTPUTS else AssetType.MODEL
            found.setdefault(
                (type_, source["name"]),
                Need(
                    source["name"],
                    type_,
                    source["language"],
                    source["repository"],
                    fallback=type_ is AssetType.EMBEDDINGS,
                    derived=True,
                ),
            )
    return list(found.values())


def dependencies_of(need: Need, record: HubRecord) -> list[str]:
    """The embeddings a model needs: the index's, else its manifest's ``embeddings``."""
    if need.type is not AssetType.MODEL:
        return []
    refs = list(record.dependencies)
    ref = record.storage_ref or need.embeddings
    if ref and ref not in refs:
        refs.append(ref)
    return refs


SizeProbe = Callable[[str, str], int | None]


class Locker:
    """Resolve needs against one hub, with the versions of the Hub manifest."""

    def __init__(self, client: HubClient, lib: Version | None, spark: Version | None, head: bool = True):
        self.client, self.lib, self.spark, self.head = client, lib, spark, head

    def find(self, need: Need) -> HubRecord:
        """The version to lock; a permanent error when the hub has none."""
        folders = [need.repository] + ([PUBLIC_REPOSITORY] if need.fallback else [])
        for folder in dict.fromkeys(folders):
            for language in [need.language] + ([None] if need.fallback else []):
                record = resolve(
                    self.client.index(folder), Request(need.name, language, self.lib, self.spark)
                )
                if record is not None:
                    return record
        # the last request tried in each folder is the widest: any language when falling back
        language = None if need.fallback else need.language
        request = Request(need.name, language, self.lib, self.spark)
        misses = [why_none(self.client.index(f), request, f) for f in dict.fromkeys(folders)]
        kinds = {m.kind for m in misses}
        if Shortfall.VERSIONS in kinds:
            hint = VERSIONS_HINT
        elif Shortfall.LANGUAGE in kinds:
            have = next(m.languages for m in misses if m.kind is Shortfall.LANGUAGE)
            hint = f"set a language it has in its manifest's source.hub, e.g. language: {have[0]}"
        else:
            hint = "check the name and repository in the manifests; 'alabctl hub search' lists what exists"
        raise PermanentError(
            f"can not find {need.name} ({need.language or 'any language'}) to lock: "
            + "; ".join(m.reason for m in misses),
            hint,
        )

    def lock(self, repo: Repository) -> LockFile:
        """The lock for everything ``repo`` needs, reusing the old lock's facts for unchanged keys."""
        old = {(a.type, a.name, a.key): a for a in (repo.lock.assets if repo.lock else [])}
        wanted = needs(repo)
        done: dict[tuple[AssetType, str], LockedAsset] = {}
        self._resolve([n for n in wanted if not n.derived], done, old)
        self._resolve([n for n in wanted if n.derived], done, old)
        return LockFile(assets=list(done.values())).sorted()

    def _resolve(
        self,
        pending: list[Need],
        done: dict[tuple[AssetType, str], LockedAsset],
        old: dict[tuple[AssetType, str, str], LockedAsset],
    ) -> None:
        """Resolve ``pending`` and the embeddings each depends on into ``done``."""
        while pending:
            need = pending.pop(0)
            if (need.type, need.name) in done:
                continue
            record = self.find(need)
            deps = dependencies_of(need, record)
            done[(need.type, need.name)] = self.entry(need, record, deps, old)
            for ref in deps:
                if (AssetType.EMBEDDINGS, ref) not in done:
                    pending.append(
                        Need(ref, AssetType.EMBEDDINGS, need.language, record.repository, fallback=True)
                    )

    def entry(
        self,
        need: Need,
        record: HubRecord,
        deps: list[str],
        old: dict[tuple[AssetType, str, str], LockedAsset],
    ) -> LockedAsset:
        """One locked asset."""
        url = self.client.asset_url(record)
        previous = old.get((need.type, need.name, record.key))
        size = record.size
        if size is None and previous is not None:
            size = previous.size
        if size is None and self.head:
            size = self.client.head_size(url, record.repository)
        data = {
            "name": record.name,
            "type": need.type,
            "language": record.language or need.language or "",
            "repository": record.repository,
            "key": record.key,
            "libVersion": format_version(record.lib_version),
            "sparkVersion": format_version(record.spark_version),
            "url": url,
            "size": size,
            "sha256": record.sha256 or (previous.sha256 if previous else None),
            "checksum": record.checksum or None,
            "edition": record.effective_edition,
            "task": need.task or record.task,
            "storageRef": (deps[-1] if deps else None)
            if need.type is AssetType.MODEL
            else record.storage_ref,
            "labels": list(record.labels) if record.labels is not None else None,
            "dependencies": deps,
        }
        return LockedAsset.model_validate(data)


def hub_versions(repo: Repository) -> tuple[Version | None, Version | None]:
    """The Spark NLP and Spark versions of the Hub manifest (or its defaults)."""
    hub = repo.hub()
    return parse_version(hub.spark_nlp_version), parse_version(hub.spark_version)
