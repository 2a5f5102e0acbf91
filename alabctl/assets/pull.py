"""Pull assets from the hub into the store: resolve, check space, download, install, dependencies.

Steps per batch: resolve every target (:mod:`resolve`); add the dependencies the index names; refuse
unless free disk ≥ 2 x the bytes still to download; install in a bounded thread pool, one file lock
per key; then read each new model's storageRef from ``metadata/part-00000`` and pull the embeddings
it names that are not installed yet, as a next batch.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from alabctl.assets.archive import Limits, install_tree, model_root, unpack
from alabctl.assets.download import (
    Digest,
    Interrupted,
    Progress,
    RetryPolicy,
    Sink,
    check_space,
    disk_free,
    fetch,
    gather,
    human,
    needs_md5,
    verify,
)
from alabctl.assets.home import Home
from alabctl.assets.hub import HubClient
from alabctl.assets.keylock import key_lock
from alabctl.assets.metadata import HubRecord
from alabctl.assets.names import check_name, name_problem
from alabctl.assets.resolve import VERSIONS_HINT, Miss, Request, Shortfall, resolve, why_none
from alabctl.assets.store import AssetRow, Source, Status, Store
from alabctl.assets.zipstream import NotStreamable, UnzipSink
from alabctl.compile.sparknlp.metadata import METADATA, MetadataError, SparkMetadata, read_metadata
from alabctl.compile.sparknlp.versions import Version, format_version
from alabctl.spec.errors import AlabctlError, PermanentError, TransientError
from alabctl.spec.names import PUBLIC_REPOSITORY, AssetType

RESERVE = 64 << 20
"""Bytes left free when a download's size is unknown, so the database stays writable."""


@dataclass(frozen=True)
class Target:
    """An asset to pull, as the user names it."""

    name: str
    language: str | None = "en"
    repository: str = PUBLIC_REPOSITORY
    type: AssetType | None = None
    """``None``: decided by the index, then by the model's own metadata."""


@dataclass(frozen=True)
class Planned:
    """A resolved asset version, ready to download."""

    record: HubRecord
    type: AssetType
    url: str
    size: int | None
    force: bool = False


@dataclass(frozen=True)
class Installed:
    """An asset in the store after a pull."""

    row: AssetRow
    path: Path
    downloaded: bool


def _quiet(message: str) -> None:
    """Report nothing."""


@dataclass
class PullOptions:
    """Knobs of a pull; tests inject the free-space probe, the retry policy and the caps."""

    lib_version: Version | None = None
    spark_version: Version | None = None
    workers: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limits: Limits = field(default_factory=Limits)
    free_space: Callable[[Path], int] = disk_free
    report: Callable[[str], None] = _quiet
    progress: TextIO | None = None


class Puller:
    """Pull assets from one hub into one store."""

    def __init__(self, home: Home, client: HubClient, store: Store, options: PullOptions | None = None):
        self.home = home.ensure()
        self.client = client
        self.store = store
        self.options = options or PullOptions()
        self._stop = threading.Event()
        """Set when the command is interrupted: every download stops at its next chunk."""

    def request(self, name: str, language: str | None) -> Request:
        """A request with the configured versions."""
        return Request(name, language, self.options.lib_version, self.options.spark_version)

    def resolve(self, target: Target, force: bool = False) -> Planned:
        """The version to download for a target; a permanent error when there is none."""
        records = self.client.index(target.repository)
        request = self.request(target.name, target.language)
        record = resolve(records, request)
        if record is None:
            miss = why_none(records, request, target.repository)
            raise PermanentError(
                f"can not find {target.name} ({target.language or 'any language'}) to download: {miss.reason}",
                pull_hint(miss, target.name),
            )
        kind = target.type or (AssetType.EMBEDDINGS if record.is_embeddings else AssetType.MODEL)
        return Planned(record, kind, self.client.asset_url(record), record.size, force)

    def dependency(self, ref: str, near: HubRecord) -> Planned:
        """The embeddings ``ref`` a model needs: from the model's folder, else ``public/models``."""
        folders = list(dict.fromkeys([near.repository, PUBLIC_REPOSITORY]))
        for folder in folders:
            for language in (near.language, None):
                record = resolve(self.client.index(folder), self.request(ref, language))
                if record is not None:
                    return Planned(record, AssetType.EMBEDDINGS, self.client.asset_url(record), record.size)
        misses = [why_none(self.client.index(f), self.request(ref, None), f) for f in folders]
        versions = any(m.kind is Shortfall.VERSIONS for m in misses)
        raise PermanentError(
            f"{near.name} needs the embeddings '{ref}': " + "; ".join(m.reason for m in misses),
            VERSIONS_HINT if versions else "add an Embeddings manifest naming the folder that holds them",
        )

    def installed(self, name: str, type: AssetType) -> bool:
        """Whether a ready asset of that name is in the store and on disk."""
        row = self.store.get(name, type)
        return row is not None and row.status is Status.READY and self.home.asset_dir(row.key).exists()

    def pull(self, targets: Sequence[Target], *, force: bool = False) -> list[Installed]:
        """Pull the targets and everything they need; returns every asset touched, in order."""
        batch = [self.resolve(t, force) for t in targets]
        out: list[Installed] = []
        seen: set[str] = set()
        while batch:
            batch = self._with_index_dependencies([p for p in batch if p.record.key not in seen])
            seen.update(p.record.key for p in batch)
            batch = self._check_space(batch)
            results = self._install_all(batch)
            out.extend(results)
            batch = self._found_dependencies(batch, results)
        return out

    def _found_dependencies(self, batch: list[Planned], results: list[Installed]) -> list[Planned]:
        """Embeddings named by the storageRef of models just installed, not installed yet."""
        out: dict[str, Planned] = {}
        for planned, result in zip(batch, results, strict=True):
            ref = result.row.storage_ref
            if result.row.type is not AssetType.MODEL or not ref or ref in out:
                continue
            if not self.installed(ref, AssetType.EMBEDDINGS):
                out[ref] = self.dependency(ref, planned.record)
        return list(out.values())

    def _with_index_dependencies(self, batch: list[Planned]) -> list[Planned]:
        out = list(batch)
        names = {(p.type, p.record.name) for p in batch}
        for planned in batch:
            refs = list(planned.record.dependencies)
            if planned.type is AssetType.MODEL and planned.record.storage_ref:
                refs.append(planned.record.storage_ref)
            for ref in dict.fromkeys(refs):
                if (AssetType.EMBEDDINGS, ref) in names or self.installed(ref, AssetType.EMBEDDINGS):
                    continue
                names.add((AssetType.EMBEDDINGS, ref))
                out.append(self.dependency(ref, planned.record))
        return out

    def _check_space(self, batch: list[Planned]) -> list[Planned]:
        """Refuse unless 2 x the bytes to download are free; returns the batch with sizes HEAD gave."""
        todo = [p for p in batch if p.force or not self.home.asset_dir(p.record.key).exists()]
        sized = {id(p): p if p.size is not None else replace(p, size=self._head(p)) for p in todo}
        needed = sum(p.size or 0 for p in sized.values())
        if needed:
            what = ", ".join(p.record.name for p in sized.values())
            check_space(needed, self.options.free_space(self.home.root), what)
        return [sized.get(id(p), p) for p in batch]

    def _head(self, planned: Planned) -> int | None:
        return self.client.head_size(planned.url, planned.record.repository)

    def _install_all(self, batch: list[Planned]) -> list[Installed]:
        workers = max(1, min(self.options.workers, len(batch)))
        futures = gather(workers, [functools.partial(self.install, p) for p in batch], self._stop)
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]

    def install(self, planned: Planned) -> Installed:
        """Download, verify and install one asset under its key's file lock."""
        record, target = planned.record, self.home.asset_dir(planned.record.key)
        with key_lock(self.home.lock_file(record.key)):
            if target.exists() and not planned.force:
                row = self.store.get(record.name, planned.type)
                if row is None or row.key != record.key or row.status is not Status.READY:
                    row = self._record(planned, target, None, None)
                self.options.report(f"{record.name}: already installed in {target}")
                return Installed(row, target, False)
            self.store.put(self._row(planned, Status.DOWNLOADING))
            try:
                digest = self._download(planned, target)
            except BaseException as exc:
                self.store.set_status(record.name, planned.type, Status.FAILED, _why(exc))
                raise
            row = self._record(planned, target, digest.size, digest.sha256)
            self.options.report(f"{record.name}: installed in {target}")
            return Installed(row, target, True)

    def _download(self, planned: Planned, target: Path) -> Digest:
        record = planned.record
        part = self.home.part_file(record.file_name)
        self.options.report(
            f"{record.name}: downloading {record.file_name} ({human(planned.size)}) from {planned.url}"
        )
        if record.zipped and not part.exists():
            try:
                return self._download_unzipping(planned, target, part)
            except NotStreamable:
                self.options.report(f"{record.name}: this archive is unzipped after it is downloaded")
        try:
            digest = self._fetch(planned, part)
            verify(digest, size=planned.size, checksum=record.checksum, sha256=record.sha256)
            if record.zipped:
                limits = replace(self.options.limits, free_space=self.options.free_space(self.home.root))
                unpack(part, target, self.home.tmp, limits, replace=planned.force)
            else:
                part.replace(target)
        except PermanentError:
            part.unlink(missing_ok=True)
            raise
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise PermanentError(
                f"{record.name}: cannot install into {target.parent}: {exc.strerror or exc}",
                "check the free disk space and permissions of the store (--home)",
            ) from None
        part.unlink(missing_ok=True)
        return digest

    def _fetch(self, planned: Planned, dest: Path | Sink) -> Digest:
        record = planned.record
        return fetch(
            self.client.session,
            planned.url,
            dest,
            auth=self.client.auth(record.repository),
            retry=self.options.retry,
            timeout=self.client.timeout,
            progress=Progress(record.name, planned.size, self.options.progress, self._stop),
            size=planned.size,
            md5=needs_md5(record.checksum),
            max_bytes=None if planned.size is not None else self._room(),
        )

    def _download_unzipping(self, planned: Planned, target: Path, part: Path) -> Digest:
        """Unzip while downloading into a folder of the store's ``tmp``; install once the checksum matched.

        The bytes also go to ``part``: kept when the retries run out (a later run resumes from it)
        or when the archive can not be unzipped from its stream (the download continues into it),
        removed in every other case.
        """
        record = planned.record
        self.home.tmp.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=self.home.tmp))
        keep = False
        try:
            limits = replace(self.options.limits, free_space=self.options.free_space(self.home.root))
            sink = UnzipSink(
                work / "x",
                record.file_name,
                limits,
                needs_md5(record.checksum),
                journal=part,
                size=planned.size,
            )
            sink.dest.mkdir()
            try:
                digest = self._fetch(planned, sink)
            except (NotStreamable, TransientError, Interrupted):
                keep = True  # fetch removed the journal already when nothing can resume from it
                raise
            verify(digest, size=planned.size, checksum=record.checksum, sha256=record.sha256)
            sink.result()
            install_tree(model_root(sink.dest), target, replace=planned.force)
            return digest
        except OSError as exc:
            raise PermanentError(
                f"{record.name}: cannot install into {target.parent}: {exc.strerror or exc}",
                "check the free disk space and permissions of the store (--home)",
            ) from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if not keep:
                part.unlink(missing_ok=True)

    def _room(self) -> int:
        """The most a download of unknown size may take: half the free disk, less a reserve."""
        return max(0, self.options.free_space(self.home.root) // 2 - RESERVE)

    def _row(self, planned: Planned, status: Status) -> AssetRow:
        record = planned.record
        return AssetRow(
            name=record.name,
            type=planned.type,
            key=record.key,
            source=Source.HUB,
            status=status,
            size=planned.size,
            sha256=record.sha256,
            labels=record.labels,
            language=record.language,
            lib_version=format_version(record.lib_version) or None,
            spark_version=format_version(record.spark_version) or None,
            storage_ref=record.storage_ref,
            edition=record.effective_edition.value,
            task=record.task,
            repository=record.repository,
            url=planned.url,
        )

    def _record(self, planned: Planned, target: Path, size: int | None, sha256: str | None) -> AssetRow:
        try:
            meta: SparkMetadata | None = read_metadata(target) if target.is_dir() else None
        except MetadataError:
            meta = None
        kind = AssetType.EMBEDDINGS if meta and meta.is_embeddings else planned.type
        if kind is not planned.type:
            self.store.delete(planned.record.name, planned.type)
        row = self._row(replace(planned, type=kind), Status.READY)
        ref = (meta.storage_ref or row.name) if kind is AssetType.EMBEDDINGS and meta else None
        if kind is AssetType.MODEL:
            ref = (meta.needs if meta else None) or row.storage_ref
        if ref and name_problem(ref) is not None:
            remove_tree(target)
            check_name(ref, f"{planned.record.name}: the storageRef in {METADATA}")
        row = replace(
            row,
            size=size if size is not None else _tree_size(target),
            sha256=sha256 or row.sha256,
            storage_ref=ref or row.storage_ref,
        )
        return self.store.put(row)


def pull_hint(miss: Miss, name: str) -> str:
    """How to act on a name ``hub pull`` could not resolve."""
    if miss.kind is Shortfall.LANGUAGE:
        return f"ask for a language it has, e.g. --language {miss.languages[0]}"
    if miss.kind is Shortfall.VERSIONS:
        return VERSIONS_HINT
    if miss.kind is Shortfall.NAME:
        return f"check the name and --repository; 'alabctl hub search {name}' lists what exists"
    return "the hub has no build of it that Spark NLP would load; choose another name or folder"


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def remove_tree(path: Path) -> None:
    """Delete an installed asset's folder (or file)."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _why(exc: BaseException) -> str:
    """What the store records for a download that failed with ``exc``."""
    if isinstance(exc, AlabctlError):
        return exc.message
    if isinstance(exc, Interrupted | KeyboardInterrupt):
        return "interrupted; pull again to resume"
    return type(exc).__name__
