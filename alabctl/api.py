"""The public library surface: typed values in, typed values out.

The CLI is a thin layer over these functions; scripts and tests call them directly.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alabctl import replay
from alabctl.spec.cache import Memo, code_digest, default_cache_dir
from alabctl.spec.codes import LICENSE_CODES
from alabctl.spec.diagnostics import Diagnostic, has_errors, sort_diagnostics
from alabctl.spec.errors import UsageError, UserError
from alabctl.spec.loader import SourceIndex as SourceIndex  # re-exported: the CLI renders excerpts from it

if TYPE_CHECKING:  # pydantic models load only when a function needs them: a replayed validate never does
    from alabctl.assets.home import Home
    from alabctl.assets.pull import Installed
    from alabctl.assets.session import HubSession
    from alabctl.assets.store import AssetRow as AssetRow  # the CLI prints its fields
    from alabctl.assets.store import Store
    from alabctl.compile.build import Build
    from alabctl.spec.repository import Repository
    from alabctl.spec.validate import SpecResult


@dataclass(frozen=True)
class Inputs:
    """What to read: ``-f`` paths, template values, and where the repository and lock file are."""

    paths: Sequence[str]
    values: Mapping[str, Any] = field(default_factory=dict)
    root: Path | None = None
    cwd: Path | None = None
    lockfile: Path | None = None
    cache: bool = True
    stdin_text: str | None = None


@dataclass
class ValidationReport:
    """Everything ``validate`` found."""

    diagnostics: list[Diagnostic]
    files: int
    manifests: int
    sources: SourceIndex
    _repository: Repository | None = None
    _load: Callable[[], Repository] | None = field(default=None, repr=False)
    _configs: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Labeling configs the checks compiled, by project: ``compile`` writes them as they are."""

    @property
    def valid(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def repository(self) -> Repository:
        """The loaded manifests (loaded on first use when the result was replayed from the cache)."""
        if self._repository is None:
            assert self._load is not None
            self._repository = self._load()
        return self._repository


def validate(
    inputs: Inputs,
    *,
    skip_license_check: bool = False,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ValidationReport:
    """Every check of SPEC §3 on the manifests ``inputs`` names. Offline; never raises for bad input.

    ``env`` (default: the process environment) is where License manifests' ``fromEnv`` variables
    are read; ``now`` (default: the current time) is when licenses must not have expired.
    """
    env = os.environ if env is None else env
    cwd = inputs.cwd or Path.cwd()
    options = {
        "values": dict(inputs.values),
        "skip": skip_license_check,
        "stdin": inputs.stdin_text is not None,
    }
    fp = None
    if inputs.cache and now is None:
        fp = replay.fingerprint(inputs.paths, options, inputs.root, cwd, inputs.lockfile)
        kept = replay.replay(fp, env, time.time()) if fp is not None else None
        if kept is not None:
            return ValidationReport(
                kept.diagnostics,
                kept.files,
                kept.manifests,
                kept.sources,
                _load=lambda: _load(inputs, cwd).repository,
            )
    report = _validate(inputs, cwd, skip_license_check, env, now or datetime.fromtimestamp(time.time(), UTC))
    if fp is not None:
        from alabctl.compile.dependencies import external_inputs

        reads = external_inputs(report.repository, env)
        sources = report.sources
        rendered = {f: sources.texts[f] for f in sources.templates if f in sources.texts}
        replay.remember(
            fp, report.diagnostics, report.manifests, reads.files, reads.env, env, reads.expires, rendered
        )
    return report


def _load(inputs: Inputs, cwd: Path) -> SpecResult:
    from alabctl.spec.validate import load_repository

    return load_repository(
        inputs.paths,
        values=inputs.values,
        root=inputs.root,
        cwd=cwd,
        cache_dir=default_cache_dir() if inputs.cache else None,
        lockfile=inputs.lockfile,
        stdin_text=inputs.stdin_text,
    )


def _validate(
    inputs: Inputs, cwd: Path, skip_license_check: bool, env: Mapping[str, str], now: datetime
) -> ValidationReport:
    from alabctl.compile.verify import verify  # the checks load lxml and more: only on a full run

    result = _load(inputs, cwd)
    diagnostics = list(result.diagnostics)
    memo = Memo.open(default_cache_dir() if inputs.cache else None, f"checks-{code_digest()}")
    configs: dict[str, bytes] = {}
    diagnostics.extend(verify(result.repository, env=env, now=now, memo=memo, configs=configs))
    memo.save()
    if skip_license_check:
        diagnostics = [d.as_warning() if d.code in LICENSE_CODES else d for d in diagnostics]
    return ValidationReport(
        diagnostics=sort_diagnostics(diagnostics),
        files=result.files,
        manifests=len(result.repository.resources),
        sources=result.sources,
        _repository=result.repository,
        _configs=configs,
    )


@dataclass
class CompileReport:
    """What ``compile`` checked, and (when valid) what it wrote."""

    validation: ValidationReport
    build: Build | None = None  # the compiled files when the manifests were valid
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def compile(
    inputs: Inputs,
    out: Path,
    *,
    skip_license_check: bool = False,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> CompileReport:
    """Validate, then write every artifact of SPEC §4 under ``out``, replacing it atomically.

    Nothing is written when the manifests are invalid or when every file would stay the same.
    """
    from alabctl.compile.build import compile_repository, read_dictionaries  # only compile needs it

    report = validate(inputs, skip_license_check=skip_license_check, env=env, now=now)
    if not report.valid:
        return CompileReport(report)
    build = compile_repository(report.repository, read_dictionaries(report.repository), report._configs)
    written, unchanged, removed = write_tree(out, build.files)
    return CompileReport(report, build, written, unchanged, removed)


# -- what the CLI needs besides validate and compile -------------------------------------------------
# The CLI imports alabctl.api and nothing below it (error types, diagnostics and codes excepted:
# alabctl.spec.errors, alabctl.spec.diagnostics, alabctl.spec.codes); each function here loads its
# implementation lazily, so 'alabctl --help' stays fast.


def template_values(files: Sequence[Path], assignments: Sequence[str]) -> dict[str, Any]:
    """Template values from ``--values FILE`` and ``--set key=value`` (YAML, as in Helm)."""
    from alabctl.spec.loader import parse_values

    return parse_values(files, assignments)


def schema(kind: str | None = None) -> dict[str, Any]:
    """The JSON Schema of the manifests (all kinds, or one); ``KeyError`` for an unknown kind."""
    from alabctl.spec.jsonschema import manifest_schema

    return manifest_schema(kind)


@dataclass(frozen=True)
class RulesImport:
    """What ``rules import`` wrote."""

    written: list[Path]
    notes: list[str]
    rules: int


def import_rules(file: Path, out: Path, *, force: bool = False) -> RulesImport:
    """Annotation Lab rule JSON (or a ZIP of them) as Rule manifests under ``out``.

    Everything is read and checked first; existing files are refused unless ``force``; then every
    file is written atomically. Nothing is written when anything fails.
    """
    from alabctl.assets.rulesio import read_rules
    from alabctl.compile.exchange import plan_import
    from alabctl.files import write_all_atomic

    if not file.exists():
        raise UsageError(f"{file}: no such file", "name an exported rule .json or .zip")
    plan = plan_import(read_rules(file), out)
    if plan.problems:
        raise UserError(
            f"{len(plan.problems)} problem(s) in {file}; nothing was written:\n  "
            + "\n  ".join(plan.problems),
            "fix the rule JSON, or import the other rules separately",
        )
    if not plan.files:
        raise UserError(f"{file}: no rules found")
    existing = sorted(str(p) for p in plan.files if p.exists())
    if existing and not force:
        raise UserError(
            "these files exist already; nothing was written:\n  " + "\n  ".join(existing),
            "pass --force to overwrite them, or choose another --out",
        )
    try:
        write_all_atomic(plan.files)
    except OSError as exc:
        raise UserError(
            f"cannot write {exc.filename or 'output'}: {exc.strerror}", "check the folder"
        ) from exc
    return RulesImport(sorted(plan.files), plan.notes, len(plan.names))


@dataclass(frozen=True)
class RulesExport:
    """What ``rules export`` found: the errors that stopped it, or how many rules it wrote."""

    errors: list[Diagnostic]
    rules: int = 0


def export_rules(inputs: Inputs, out: Path) -> RulesExport:
    """Load and check the manifests, then write one ContextualParser JSON (and CSV) per Rule into a ZIP."""
    from alabctl.assets.rulesio import build_rule_archive
    from alabctl.compile.checks.rulecheck import check_rules, read_dictionary
    from alabctl.compile.exchange import export_files
    from alabctl.files import write_atomic
    from alabctl.spec.kinds import Kind, RuleManifest
    from alabctl.spec.validate import load_repository

    result = load_repository(
        inputs.paths, values=inputs.values, root=inputs.root, cwd=inputs.cwd, lockfile=inputs.lockfile
    )
    diagnostics = [*result.diagnostics, *check_rules(result.repository)]
    errors = [d for d in sort_diagnostics(diagnostics) if d.is_error]
    if errors:
        return RulesExport(errors)
    rules = [r.manifest for r in result.repository.of_kind(Kind.RULE) if isinstance(r.manifest, RuleManifest)]
    if not rules:
        raise UserError("no Rule manifests found", "name the folder of the rules with -f")
    dictionaries: dict[str, str] = {}
    for resource, rule, path in result.repository.dictionary_files():
        text, why = read_dictionary(path)
        if text is None:
            where = path.relative_to(resource.origin.directory)
            raise UserError(f"rule '{rule.name}': cannot read '{where}': {why}")
        dictionaries[rule.name] = text
    data = build_rule_archive(export_files(rules, dictionaries))
    try:
        write_atomic(out, data)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}", "check the folder") from exc
    return RulesExport([], len(rules))


@dataclass(frozen=True)
class HubOptions:
    """Which store and hub: ``--home``, ``--hub``, the ``-f`` manifests (Hub, License), ``--license``."""

    home: Path | None = None
    hub: str | None = None
    inputs: Sequence[str] = ()
    license: str | None = None
    refresh: bool = False
    lockfile: Path | None = None


def editions() -> list[str]:
    """The Spark NLP editions (``hub search --edition``)."""
    from alabctl.spec.lock import Edition

    return [str(e) for e in Edition]


def _session(options: HubOptions) -> HubSession:
    from alabctl.assets.session import open_session

    return open_session(
        home=options.home,
        hub=options.hub,
        inputs=options.inputs,
        license=options.license,
        refresh=options.refresh,
        lockfile=options.lockfile,
    )


@dataclass(frozen=True)
class HubHit:
    """One row of ``hub search``."""

    name: str
    language: str
    edition: str
    task: str
    repository: str
    versions: str
    date: str


def hub_search(
    options: HubOptions,
    text: str | None = None,
    *,
    language: str | None = None,
    edition: str | None = None,
    task: str | None = None,
    compatible: bool = False,
    repositories: Sequence[str] = (),
) -> list[HubHit]:
    """Hub assets like the Models Hub page; ``edition`` searches that edition's folders."""
    from alabctl.assets.resolve import search
    from alabctl.spec.kinds.model import PUBLIC_REPOSITORY
    from alabctl.spec.lock import EDITION_REPOSITORIES, Edition

    session = _session(options)
    folders = list(repositories) or (
        list(EDITION_REPOSITORIES[Edition(edition)]) if edition else [PUBLIC_REPOSITORY]
    )
    records = [r for folder in folders for r in session.client.index(folder)]
    versions = (session.lib_version, session.spark_version) if compatible else None
    hits = search(records, text, language=language, edition=edition, task=task, compatible=versions)
    return [
        HubHit(
            name=h.newest.name,
            language=h.newest.language or "",
            edition=h.newest.effective_edition.value,
            task=h.newest.task or ("embeddings" if h.newest.is_embeddings else ""),
            repository=h.newest.repository,
            versions=",".join(h.versions),
            date=datetime.fromtimestamp(h.newest.time_ms / 1000, UTC).strftime("%Y-%m-%d"),
        )
        for h in hits
    ]


def hub_pull(
    options: HubOptions,
    name: str,
    *,
    language: str | None = None,
    repository: str | None = None,
    workers: int = 4,
    force: bool = False,
    report: Callable[[str], None] = print,
) -> list[Installed]:
    """Download an asset and the embeddings it needs (``force``: again, replacing what is installed)."""
    from alabctl.assets.pull import Puller, PullOptions, Target
    from alabctl.spec.kinds.model import PUBLIC_REPOSITORY

    session = _session(options)
    known = session.store.get(name)
    if force and known is None and repository is None:
        raise UserError(f"'{name}' is not in the store", f"use 'alabctl hub pull {name}'")
    target = Target(
        name,
        language or (known.language if known else None) or "en",
        repository or (known.repository if known else None) or PUBLIC_REPOSITORY,
        known.type if known else None,
    )
    pull_options = PullOptions(
        lib_version=session.lib_version, spark_version=session.spark_version, workers=workers, report=report
    )
    return Puller(session.home, session.client, session.store, pull_options).pull([target], force=force)


@dataclass(frozen=True)
class LockReport:
    """What ``lock`` wrote."""

    path: Path
    assets: int
    changed: bool


def lock(options: HubOptions, *, head: bool = True) -> LockReport:
    """Resolve every hub asset the manifests need (all a compiled pipeline loads) into the lock file."""
    from dataclasses import replace

    from alabctl.assets.lockgen import Locker
    from alabctl.spec.lock import DEFAULT_LOCKFILE, write_lock

    if not options.inputs:
        raise UsageError("alabctl lock needs -f with the manifests", "e.g. alabctl lock -f examples/")
    path = options.lockfile or Path.cwd() / DEFAULT_LOCKFILE
    session = _session(replace(options, refresh=True))  # a fresh look at the hub, never the 1 h cache
    assert session.repository is not None
    locker = Locker(session.client, session.lib_version, session.spark_version, head=head)
    locked = locker.lock(session.repository)
    return LockReport(path, len(locked.assets), write_lock(path, locked))


def human(size: int | None) -> str:
    """A byte count for people: ``12.3 MB`` (``?`` when unknown)."""
    from alabctl.assets.download import human as human_size

    return human_size(size)


def _store(home: Path | None) -> tuple[Home, Store]:
    from alabctl.assets.home import resolve_home
    from alabctl.assets.store import Store

    where = resolve_home(home)
    return where, Store(where.db)


@dataclass(frozen=True)
class Inventory:
    """Installed assets of one type, and the store's disk usage."""

    rows: list[AssetRow]
    root: Path
    used: int
    free: int
    total: int


def installed_assets(home: Path | None, type_: str) -> Inventory:
    """Every installed asset of ``type_`` (``model`` or ``embeddings``: ``get models``), with the disk
    the store uses and has."""
    from alabctl.assets.download import disk_free
    from alabctl.spec.lock import AssetType

    where, store = _store(home)
    used = sum(r.size or 0 for r in store.rows())
    total = shutil.disk_usage(where.root).total if where.root.exists() else 0
    return Inventory(store.rows(AssetType(type_)), where.root, used, disk_free(where.root), total)


@dataclass(frozen=True)
class AssetInfo:
    """Everything the store knows about one asset (``describe``)."""

    row: AssetRow
    path: Path
    servers: list[str]


def describe_asset(home: Path | None, type_: str, name: str) -> AssetInfo:
    """One installed asset (``type_``: ``model`` or ``embeddings``), its folder and the servers
    recorded as using it."""
    from alabctl.assets.removal import find
    from alabctl.spec.lock import AssetType

    where, store = _store(home)
    row = find(store, name, AssetType(type_))
    return AssetInfo(row, where.asset_dir(row.key), store.servers_using(row.name))


def delete_asset(
    home: Path | None, type_: str, name: str, *, inputs: Sequence[str] = (), force: bool = False
) -> tuple[AssetRow, Path]:
    """Remove an installed asset; refused, naming them, while servers or installed assets need it.

    ``inputs`` are manifests whose servers count too (their compiled pipelines' assets).
    """
    from alabctl.assets.removal import delete
    from alabctl.spec.lock import AssetType
    from alabctl.spec.validate import load_repository

    where, store = _store(home)
    repo = load_repository(list(inputs)).repository if inputs else None
    return delete(where, store, name, AssetType(type_), repo=repo, force=force)


@dataclass(frozen=True)
class UploadReport:
    """An uploaded model, and the manifest to commit for it."""

    row: AssetRow
    path: Path
    name: str
    """The valid manifest name it was installed under."""
    manifest: str
    where: str
    """Where to save the manifest (and copy the model, when it is outside the working folder)."""


def upload_model(
    path: Path,
    *,
    name: str,
    task: str,
    labels: str,
    embeddings: str | None = None,
    language: str = "en",
    home: Path | None = None,
    cwd: Path | None = None,
) -> UploadReport:
    """Install a saved Spark NLP model folder or zip; the manifest it returns validates as it is."""
    from alabctl.assets.upload import (
        Upload,
        manifest_name,
        manifest_path,
        manifest_yaml,
        split_labels,
        upload,
    )

    where, store = _store(home)
    valid = manifest_name(name)
    request = Upload(path, valid, task, split_labels(labels), embeddings, language)
    row = upload(request, where, store)
    source_path, save = manifest_path(path, cwd or Path.cwd())
    return UploadReport(row, where.asset_dir(row.key), valid, manifest_yaml(request, row, source_path), save)


def write_tree(out: Path, files: Mapping[str, bytes]) -> tuple[list[str], list[str], list[str]]:
    """Make ``out`` hold exactly ``files``: built in a sibling folder, then swapped in by rename.

    Refuses to replace a non-empty folder that is not a previous build (alabctl's own marker file,
    see :mod:`alabctl.outdir`), so a mistaken ``--out .`` cannot delete a repository.
    """
    from alabctl.outdir import write_build

    return write_build(out, files)
