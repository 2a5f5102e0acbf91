"""The public library surface: typed values in, typed values out.

The CLI is a thin layer over these functions; scripts and tests call them directly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from alabctl.spec.collector import paused_collection
from alabctl.spec.diagnostics import Diagnostic, has_errors, sort_diagnostics
from alabctl.spec.errors import UsageError, UserError

if TYPE_CHECKING:  # pydantic models load only when a function needs them: a replayed validate never does
    from alabctl import replay
    from alabctl.apivalues import ApplyReport as ApplyReport
    from alabctl.apivalues import AssetInfo as AssetInfo
    from alabctl.apivalues import Desired as Desired
    from alabctl.apivalues import DocumentOptions as DocumentOptions
    from alabctl.apivalues import FileDiff as FileDiff
    from alabctl.apivalues import HubHit as HubHit
    from alabctl.apivalues import HubOptions as HubOptions
    from alabctl.apivalues import Inventory as Inventory
    from alabctl.apivalues import LockReport as LockReport
    from alabctl.apivalues import PlanReport as PlanReport
    from alabctl.apivalues import PreannotateOptions as PreannotateOptions
    from alabctl.apivalues import RulesExport as RulesExport
    from alabctl.apivalues import RulesImport as RulesImport
    from alabctl.apivalues import ServeOptions as ServeOptions
    from alabctl.apivalues import UploadReport as UploadReport
    from alabctl.assets.home import Home
    from alabctl.assets.jars import JarsReport as JarsReport
    from alabctl.assets.pull import Installed
    from alabctl.assets.session import HubSession
    from alabctl.assets.store import AssetRow as AssetRow  # the CLI prints its fields
    from alabctl.assets.store import Store
    from alabctl.compile.build import Build
    from alabctl.reconcile.rebuild import Rebuild
    from alabctl.spec.loader import SourceIndex as SourceIndex  # the CLI renders excerpts from it
    from alabctl.spec.reload import Reloader
    from alabctl.spec.repository import Repository
    from alabctl.spec.validate import SpecResult


VALUES = frozenset(
    {
        "ApplyReport",
        "AssetInfo",
        "Desired",
        "DocumentOptions",
        "FileDiff",
        "HubHit",
        "HubOptions",
        "Inventory",
        "LockReport",
        "PlanReport",
        "PreannotateOptions",
        "RulesExport",
        "RulesImport",
        "ServeOptions",
        "UploadReport",
    }
)
"""The option and report types of the other commands: defined in :mod:`alabctl.apivalues`, created
on first use (19 dataclasses were a twentieth of a one-file ``validate``). The one list of them:
``apivalues`` defines exactly these (a test checks)."""


def __getattr__(name: str) -> object:
    """``alabctl.api.HubOptions`` and the other :data:`VALUES`, loaded when first asked for; and
    ``SourceIndex``, with the manifest loader (YAML and all), which ``hub`` and the other commands
    that read no manifests never load."""
    if name in VALUES:
        from alabctl import apivalues

        return getattr(apivalues, name)
    if name == "SourceIndex":
        from alabctl.spec.loader import SourceIndex

        return SourceIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    fingerprint: str | None = None
    """The digest of the run's inputs (``None`` for stdin); with ``replayed``, nothing changed since."""
    replayed: bool = False

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


@dataclass
class Incremental:
    """What ``watch`` keeps between reconciles, so that an edit re-reads, re-checks and recompiles
    only what it changed; every result is what a full run gives."""

    reloader: Reloader
    """Files read, parsed and type-checked before."""
    rebuild: Rebuild
    """Files compiled before."""

    @classmethod
    def start(cls) -> Incremental:
        from alabctl.reconcile.rebuild import Rebuild
        from alabctl.spec.cache import default_cache_dir
        from alabctl.spec.reload import Reloader

        return cls(Reloader(default_cache_dir()), Rebuild())


def validate(
    inputs: Inputs,
    *,
    skip_license_check: bool = False,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    incremental: Incremental | None = None,
) -> ValidationReport:
    """Every check of SPEC §3 on the manifests ``inputs`` names. Offline; never raises for bad input.

    ``env`` (default: the process environment) is where License manifests' ``fromEnv`` variables
    are read; ``now`` (default: the current time) is when licenses must not have expired.
    ``incremental`` (kept between calls by ``watch``) re-reads only the files changed since its
    last call.
    """
    with paused_collection():
        return _validate_inputs(
            inputs, skip_license_check, os.environ if env is None else env, now, incremental
        )


def _validate_inputs(
    inputs: Inputs,
    skip_license_check: bool,
    env: Mapping[str, str],
    now: datetime | None,
    incremental: Incremental | None,
) -> ValidationReport:
    from alabctl import replay

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
        if kept is not None and fp is not None:
            return ValidationReport(
                kept.diagnostics,
                kept.files,
                kept.manifests,
                kept.sources,
                _load=lambda: _load(inputs, cwd, incremental, fp).repository,
                fingerprint=fp.key,
                replayed=True,
            )
    when = now or datetime.fromtimestamp(time.time(), UTC)
    report = _validate(inputs, cwd, skip_license_check, env, when, incremental, fp)
    if fp is not None:
        from alabctl.compile.dependencies import external_inputs

        reads = external_inputs(report.repository, env)
        sources = report.sources
        rendered = {f: sources.texts[f] for f in sources.templates if f in sources.texts}
        replay.remember(
            fp, report.diagnostics, report.manifests, reads.files, reads.env, env, reads.expires, rendered
        )
        report.fingerprint = fp.key
    return report


def _load(
    inputs: Inputs, cwd: Path, incremental: Incremental | None = None, fp: replay.Fingerprint | None = None
) -> SpecResult:
    if incremental is not None and fp is not None and inputs.stdin_text is None:
        return incremental.reloader.load_repository(
            inputs.paths,
            fp.digests,
            values=inputs.values,
            root=inputs.root,
            cwd=cwd,
            lockfile=inputs.lockfile,
        )
    from alabctl.spec.cache import default_cache_dir
    from alabctl.spec.validate import load_repository

    return load_repository(
        inputs.paths,
        values=inputs.values,
        root=inputs.root,
        cwd=cwd,
        cache_dir=default_cache_dir() if inputs.cache else None,
        lockfile=inputs.lockfile,
        stdin_text=inputs.stdin_text,
        snapshot=fp.snapshot if fp is not None else None,
    )


def _validate(
    inputs: Inputs,
    cwd: Path,
    skip_license_check: bool,
    env: Mapping[str, str],
    now: datetime,
    incremental: Incremental | None = None,
    fp: replay.Fingerprint | None = None,
) -> ValidationReport:
    from alabctl.compile.verify import verify  # the checks load lxml and more: only on a full run
    from alabctl.spec.cache import Memo, code_digest, default_cache_dir
    from alabctl.spec.codes import LICENSE_CODES

    result = _load(inputs, cwd, incremental, fp)
    diagnostics = list(result.diagnostics)
    memo = Memo.open(default_cache_dir() if inputs.cache else None, f"checks-{code_digest()}")
    configs: dict[str, bytes] = {}
    diagnostics.extend(
        verify(result.repository, env=env, now=now, memo=memo, configs=configs, earlier=result.diagnostics)
    )
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
    build: Build | None = None  # the compiled files when the manifests were valid (and were kept)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    """Every compiled file, in the order it was compiled (``manifest.json`` last)."""

    @property
    def valid_build(self) -> bool:
        return self.validation.valid and self.build is not None


def compile(
    inputs: Inputs,
    out: Path,
    *,
    skip_license_check: bool = False,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    keep_files: bool = True,
) -> CompileReport:
    """Validate, then write every artifact of SPEC §4 under ``out``, replacing it atomically.

    Nothing is written when the manifests are invalid or when every file would stay the same. Each
    file goes to the staging folder as soon as it is compiled; with ``keep_files=False`` none is kept
    in memory after that (``build`` is then ``None``, ``paths`` lists them): the ``compile`` command.
    With ``keep_files=False``, when the validation replays (nothing it read changed) and ``out`` is
    exactly as the compile of those inputs left it, nothing is compiled (see
    :mod:`alabctl.compile.uptodate`).
    """
    from alabctl.compile import uptodate
    from alabctl.outputs import check_folder
    from alabctl.spec.cache import default_cache_dir

    check_folder(out, "--out", "build/")
    report = validate(inputs, skip_license_check=skip_license_check, env=env, now=now)
    if not report.valid:
        return CompileReport(report)
    fingerprint = report.fingerprint
    if not keep_files and report.replayed and fingerprint is not None:
        same = uptodate.up_to_date(default_cache_dir(), out, fingerprint)
        if same is not None:
            return CompileReport(report, None, [], same, [], same)
    from alabctl.compile.build import Build, compile_files, read_dictionaries  # only a compile needs it

    repo = report.repository
    kept: dict[str, bytes] = {}
    paths: list[str] = []

    def produced() -> Iterator[tuple[str, bytes]]:
        for path, data in compile_files(repo, read_dictionaries(repo), report._configs):
            paths.append(path)
            if keep_files:
                kept[path] = data
            yield path, data

    def remember() -> None:  # under the folder's lock: another compile's write cannot come between
        if fingerprint is not None:
            uptodate.remember(default_cache_dir(), out, fingerprint, paths)

    written, unchanged, removed = write_tree(out, produced(), remember)
    return CompileReport(report, Build(kept) if keep_files else None, written, unchanged, removed, paths)


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


def import_rules(file: Path, out: Path, *, force: bool = False) -> RulesImport:
    """Annotation Lab rule JSON (or a ZIP of them) as Rule manifests under ``out``.

    Everything is read and checked first; existing files are refused unless ``force``; then every
    file is written atomically. Nothing is written when anything fails.
    """
    from alabctl.apivalues import RulesImport
    from alabctl.assets.rulesio import read_rules
    from alabctl.compile.exchange import plan_import
    from alabctl.files import write_all_atomic
    from alabctl.outputs import check_folder

    if not file.exists():
        raise UsageError(f"{file}: no such file", "name an exported rule .json or .zip")
    check_folder(out, "--out", "rules/")
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
        write_all_atomic(plan.files, public=True)  # manifests the user commits: mode as open() makes
    except OSError as exc:
        raise UserError(
            f"cannot write {exc.filename or 'output'}: {exc.strerror}", "check the folder"
        ) from exc
    return RulesImport(sorted(plan.files), plan.notes, len(plan.names))


def export_rules(inputs: Inputs, out: Path) -> RulesExport:
    """Load and check the manifests, then write one ContextualParser JSON (and CSV) per Rule into a ZIP."""
    from alabctl.apivalues import RulesExport
    from alabctl.assets.rulesio import build_rule_archive
    from alabctl.compile.checks.rulecheck import check_rules, read_dictionary
    from alabctl.compile.exchange import export_files
    from alabctl.files import write_atomic
    from alabctl.outputs import check_file
    from alabctl.spec.kinds import Kind, RuleManifest
    from alabctl.spec.validate import load_repository

    check_file(out, "--out", "rules.zip", _input_files(inputs))
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
        write_atomic(out, data, public=True)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}", "check the folder") from exc
    return RulesExport([], len(rules))


def _input_files(inputs: Inputs) -> list[tuple[str, Path]]:
    """The ``-f`` paths of ``inputs`` as ``("-f", path)``, for :func:`check_output_file`'s ``inputs``."""
    named = [Path(path) for path in inputs.paths if path != "-"]
    return [("-f", path if inputs.cwd is None else inputs.cwd / path) for path in named]


def editions() -> list[str]:
    """The Spark NLP editions (``hub search --edition``)."""
    from alabctl.spec.names import Edition

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
    from alabctl.apivalues import HubHit
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
    name: str | Sequence[str],
    *,
    language: str | None = None,
    repository: str | None = None,
    workers: int = 4,
    force: bool = False,
    report: Callable[[str], None] = print,
) -> list[Installed]:
    """Download assets and the embeddings they need (``force``: again, replacing what is installed).

    Several names download at once (up to ``workers``), in this one process.
    """
    from alabctl.assets.pull import Puller, PullOptions, Target
    from alabctl.spec.names import PUBLIC_REPOSITORY

    session = _session(options)
    targets = []
    for one in [name] if isinstance(name, str) else list(dict.fromkeys(name)):
        known = session.store.get(one)
        if force and known is None and repository is None:
            raise UserError(f"'{one}' is not in the store", f"use 'alabctl hub pull {one}'")
        targets.append(
            Target(
                one,
                language or (known.language if known else None) or "en",
                repository or (known.repository if known else None) or PUBLIC_REPOSITORY,
                known.type if known else None,
            )
        )
    pull_options = PullOptions(
        lib_version=session.lib_version, spark_version=session.spark_version, workers=workers, report=report
    )
    return Puller(session.home, session.client, session.store, pull_options).pull(targets, force=force)


def lock(options: HubOptions, *, head: bool = True) -> LockReport:
    """Resolve every hub asset the manifests need (all a compiled pipeline loads) into the lock file."""
    from dataclasses import replace

    from alabctl.apivalues import LockReport
    from alabctl.assets.lockgen import Locker
    from alabctl.outputs import check_file
    from alabctl.spec.lock import DEFAULT_LOCKFILE, write_lock

    if not options.inputs:
        raise UsageError("alabctl lock needs -f with the manifests", "e.g. alabctl lock -f examples/")
    path = options.lockfile or Path.cwd() / DEFAULT_LOCKFILE
    check_file(path, "--lockfile", "alabctl.lock")
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


def installed_assets(home: Path | None, type_: str) -> Inventory:
    """Every installed asset of ``type_`` (``model`` or ``embeddings``: ``get models``), with the disk
    the store uses and has."""
    from alabctl.apivalues import Inventory
    from alabctl.assets.download import disk_free
    from alabctl.spec.lock import AssetType

    where, store = _store(home)
    used = sum(r.size or 0 for r in store.rows())
    total = shutil.disk_usage(where.root).total if where.root.exists() else 0
    return Inventory(store.rows(AssetType(type_)), where.root, used, disk_free(where.root), total)


def describe_asset(home: Path | None, type_: str, name: str) -> AssetInfo:
    """One installed asset (``type_``: ``model`` or ``embeddings``), its folder and the servers
    recorded as using it."""
    from alabctl.apivalues import AssetInfo
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
    from alabctl.apivalues import UploadReport
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


def write_tree(
    out: Path,
    files: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    then: Callable[[], None] | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """Make ``out`` hold exactly ``files`` (a mapping, or ``(path, bytes)`` pairs written as they
    come): built in a sibling folder, then swapped in by rename; ``then`` runs after, under the
    same lock.

    Refuses to replace a non-empty folder that is not a previous build (alabctl's own marker file,
    see :mod:`alabctl.outdir`), so a mistaken ``--out .`` cannot delete a repository.
    """
    from alabctl.outdir import write_build

    return write_build(out, files, then)


# -- runtime: serve and preannotate ---------------------------------------------------------------


def compile_to_temp(
    inputs: Inputs, *, skip_license_check: bool = False, prefix: str = "alabctl-build-"
) -> Path:
    """Compile ``inputs`` into a new temporary build folder; a UserError naming the first error when invalid."""
    out = Path(tempfile.mkdtemp(prefix=prefix)) / "build"
    report = compile(inputs, out, skip_license_check=skip_license_check)
    if not report.valid_build:
        shutil.rmtree(out.parent, ignore_errors=True)
        errors = [d for d in report.validation.diagnostics if d.is_error]
        first = errors[0] if errors else None
        where = f"{first.file}:{first.line}: " if first and first.file else ""
        raise UserError(
            f"the manifests are invalid ({len(errors)} errors): {where}{first.summary if first else ''}",
            f"run 'alabctl validate -f {' '.join(inputs.paths)}' for every diagnostic",
        )
    return out


def serve(options: ServeOptions) -> None:
    """Run one pre-annotation server in the foreground until SIGINT/SIGTERM (SIGHUP reloads).

    The build is ``options.build``, or ``options.inputs`` compiled into a temporary folder (again on
    every reload). Raises UserError for a missing or foreign build, an unknown server, a server
    this machine cannot run, or a port in use.
    """
    from alabctl.assets.home import resolve_home
    from alabctl.runtime.admin import admin_token
    from alabctl.runtime.deployment import Deployment, load_deployment
    from alabctl.runtime.runner import run_server
    from alabctl.runtime.server import Limits, ServerState
    from alabctl.runtime.slot import Slot

    if (options.build is None) == (options.inputs is None):
        raise UserError("give exactly one of --build DIR and -f REPO", "see 'alabctl serve --help'")
    if options.home is not None:
        # this process is the server: its engines read models from the same store as its token
        os.environ["ALABCTL_HOME"] = str(resolve_home(options.home).root)
    temps: list[Path] = []
    source = {"build": options.build}

    def load(build: Path | None) -> Deployment:
        if build is None and options.inputs is not None:
            build = compile_to_temp(options.inputs, skip_license_check=options.skip_license_check)
            temps.append(build.parent)
        chosen = build or source["build"]
        assert chosen is not None
        deployment = load_deployment(chosen, options.server)
        if options.inputs is None:
            source["build"] = chosen  # a later SIGHUP reloads the folder last switched to
        return deployment

    try:
        deployment = load(None)
        token = admin_token(resolve_home(options.home))
        limits = Limits(max_body=options.max_body, max_tasks=options.max_tasks)
        state = ServerState(Slot(deployment, load), token, limits, visual=visual_settings(options.documents))
        host = options.host or deployment.pipeline.host
        port = options.port if options.port is not None else (deployment.pipeline.port or 0)
        run_server(state, host, port)
    finally:
        for temp in temps:
            shutil.rmtree(temp, ignore_errors=True)


def _cores() -> int:
    """The cores this process may run on (its CPU affinity), else the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def preannotate(options: PreannotateOptions, stdout: Any = None, stderr: Any = None) -> Any:
    """Pre-annotate a task file with a project's compiled rules/models; returns a ``BatchReport``."""
    import sys

    from alabctl.outputs import check_file
    from alabctl.runtime.batch import BatchJob, run_batch

    if (options.build is None) == (options.inputs is None):
        raise UserError("give exactly one of --build DIR and -f REPO", "see 'alabctl preannotate --help'")
    if options.out is not None:
        named = [("--tasks", options.tasks), *(_input_files(options.inputs) if options.inputs else [])]
        check_file(options.out, "--out", "notes.pre.json", named)
    temp: Path | None = None
    try:
        build = options.build
        if build is None:
            assert options.inputs is not None
            build = temp = compile_to_temp(options.inputs, skip_license_check=options.skip_license_check)
        job = BatchJob(
            build=build,
            project=options.project,
            tasks=options.tasks,
            out=options.out,
            workers=options.workers or _cores(),
            engine=options.engine,
            master=options.master,
            progress=options.progress,
            visual=visual_settings(options.documents),
        )
        return run_batch(job, stdout or sys.stdout, stderr or sys.stderr)
    finally:
        if temp is not None:
            shutil.rmtree(temp.parent, ignore_errors=True)


# -- Visual NER: task documents -------------------------------------------------------------------


def check_ocr_language(language: str) -> None:
    """A :class:`UsageError` naming the languages of ``--ocr-language`` Tesseract has no data for."""
    from alabctl.runtime.visual.ocr import missing_languages

    missing = missing_languages(language)
    if missing:
        raise UsageError(
            f"--ocr-language {language}: Tesseract has no data for {', '.join(missing)}",
            "install it (Debian/Ubuntu: apt-get install tesseract-ocr-<lang>; 'tesseract --list-langs' "
            "shows what is installed)",
        )


def visual_settings(options: DocumentOptions | None) -> Any:
    """The runtime's ``VisualSettings`` for ``options`` (the defaults for None)."""
    from alabctl.runtime.visual.settings import VisualSettings

    if options is None:
        return VisualSettings()
    return VisualSettings(
        documents=options.folder,
        allow_remote=options.allow_remote,
        dpi=options.dpi,
        max_pages=options.max_pages,
        max_pixels=options.max_pixels,
        max_bytes=options.max_bytes,
        timeout=options.timeout,
        ocr_language=options.ocr_language,
    )


# --- reconcile: plan, apply, diff, servers, down --------------------------------------------------

if TYPE_CHECKING:
    from alabctl.reconcile.apply import Outcome
    from alabctl.reconcile.plan import Plan, Source
    from alabctl.reconcile.status import ServerStatus


def _desired(report: ValidationReport, incremental: Incremental | None = None) -> Desired:
    """The desired state: replayed from the (signed) cache when the validation was, else compiled
    (only what changed since the last build, with ``incremental``)."""
    from alabctl.apivalues import Desired
    from alabctl.compile.desired import DesiredState, desired_state
    from alabctl.spec.cache import default_cache_dir
    from alabctl.spec.cachesign import read_signed, write_signed

    def build() -> Mapping[str, bytes]:
        from alabctl.compile.build import compile_repository, read_dictionaries

        dictionaries = read_dictionaries(report.repository)
        if incremental is not None:
            return incremental.rebuild.compile(report.repository, dictionaries)
        return compile_repository(report.repository, dictionaries).files

    path = default_cache_dir() / "desired" / f"{report.fingerprint}.json" if report.fingerprint else None
    if path is not None and report.replayed:
        kept = read_signed(path, "desired", _DESIRED_CACHE_VERSION)
        if isinstance(kept, dict) and isinstance(kept.get("labelStudio"), bool):
            try:
                state = DesiredState.from_json(kept["state"])
            except (ValueError, KeyError, TypeError, UserError):
                pass
            else:
                return Desired(state, None, build, kept["labelStudio"])
    files = build()
    state = desired_state(files["manifest.json"], report.repository)
    label_studio = any(p.spec.label_studio is not None for p, _ in report.repository.projects())
    if path is not None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            old = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime)
            for stale in old[: max(0, len(old) - 15)]:
                stale.unlink(missing_ok=True)
        write_signed(
            path, "desired", _DESIRED_CACHE_VERSION, {"state": state.to_json(), "labelStudio": label_studio}
        )
    return Desired(state, files, build, label_studio)


_DESIRED_CACHE_VERSION = 2
"""Of the cached desired state (a signed entry like every cache, checked when read)."""


def _home(home: Path | None) -> Path:
    from alabctl.assets.home import resolve_home

    return resolve_home(home).root


def plan(
    inputs: Inputs,
    *,
    home: Path | None = None,
    prune: bool = False,
    skip_license_check: bool = False,
    env: Mapping[str, str] | None = None,
) -> PlanReport:
    """Validate, then compare the compiled repository with what runs and is installed (read only)."""
    from alabctl.apivalues import PlanReport
    from alabctl.assets.home import Home
    from alabctl.reconcile.observe import observe
    from alabctl.reconcile.plan import make_plan
    from alabctl.reconcile.state import State

    report = validate(inputs, skip_license_check=skip_license_check, env=env)
    if not report.valid:
        return PlanReport(report)
    desired = _desired(report)
    root = _home(home)
    actual = observe(Home(root), State(Home(root).db), desired.state)
    servers = make_plan(desired.state, actual, prune=prune, source=_source(inputs))
    studio = (
        labelstudio_plan(report, home=home, prune=prune, env=env, servers=servers)
        if desired.label_studio
        else None
    )
    return PlanReport(report, servers, desired, studio)


def _source(inputs: Inputs) -> Source | None:
    """What a saved plan records of ``inputs``: absolute paths, root and lock file, and the template
    values; ``None`` for stdin (it can not be read again) or values JSON can not carry exactly."""
    import json as _json

    from alabctl.reconcile.plan import Source
    from alabctl.spec.loader import STDIN, repository_root
    from alabctl.spec.names import DEFAULT_LOCKFILE

    if STDIN in inputs.paths or not inputs.paths:
        return None
    cwd = inputs.cwd or Path.cwd()
    values = dict(inputs.values)
    try:
        if _json.loads(_json.dumps(values)) != values:  # e.g. a mapping with number keys
            return None
    except (TypeError, ValueError):
        return None
    root = (cwd / inputs.root).resolve() if inputs.root is not None else repository_root(inputs.paths, cwd)
    return Source(
        paths=tuple(str((cwd / p).resolve()) for p in inputs.paths),
        root=str(root.resolve()),
        lockfile=str((cwd / (inputs.lockfile or DEFAULT_LOCKFILE)).resolve()),
        values=values,
    )


def plan_inputs(saved: Plan, *, cache: bool = True) -> Inputs:
    """The inputs ``saved`` was made from, read again exactly as then (from any folder).

    A user error when the plan does not record them (made from stdin, or by another program).
    """
    source = saved.source
    if source is None:
        raise UserError(
            "the saved plan does not record its inputs (it was made from stdin, or with template "
            "values a plan file can not hold)",
            "run 'alabctl apply -f REPO' instead",
        )
    return Inputs(
        paths=list(source.paths),
        values=dict(source.values),
        root=Path(source.root),
        lockfile=Path(source.lockfile),
        cache=cache,
    )


def load_plan(path: Path) -> Plan:
    """A plan saved by ``plan --out``; a user error when it is not one."""
    import json as _json

    from alabctl.reconcile.plan import Plan
    from alabctl.spec.errors import PermanentError

    try:
        return Plan.from_json(_json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise UserError(f"can not read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path} is not a plan saved by 'alabctl plan --out' ({exc})") from None
    except PermanentError as exc:
        raise UserError(f"{path}: {exc.message}", exc.hint) from None


def apply(
    inputs: Inputs | None,
    *,
    saved: Plan | None = None,
    home: Path | None = None,
    prune: bool = False,
    skip_license_check: bool = False,
    timeout: float = 60.0,
    lock_timeout: float = 0.0,
    env: Mapping[str, str] | None = None,
    report: Callable[[Outcome], None] | None = None,
    confirm: Callable[[Plan, LabelStudioPlan | None], bool] | None = None,
    incremental: Incremental | None = None,
    health: bool = True,
) -> ApplyReport:
    """Validate, plan and carry the plan out (or a saved ``plan``, refused when stale).

    Downloads come before deploys, independent servers deploy in parallel, and nothing is
    written when nothing changed. ``report`` is called once per resource as it finishes.
    ``incremental`` (kept between calls by ``watch``) re-reads and recompiles only what changed
    since its last call. ``health=False`` does not ask the running servers' ``/health`` (a dead
    process is still found): ``watch`` asks them on its own schedule, not after each edit.
    """
    from alabctl.apivalues import ApplyReport
    from alabctl.assets.home import Home
    from alabctl.reconcile.lock import apply_lock
    from alabctl.reconcile.observe import observe
    from alabctl.reconcile.plan import make_plan, staleness
    from alabctl.reconcile.recover import recover
    from alabctl.reconcile.state import State

    if inputs is None:
        if saved is None:
            raise UsageError("apply needs -f REPO or a saved plan")
        inputs = plan_inputs(saved)
    if saved is not None:
        prune = saved.prune
    validation = validate(inputs, skip_license_check=skip_license_check, env=env, incremental=incremental)
    if not validation.valid:
        return ApplyReport(validation)
    desired = _desired(validation, incremental)
    where = Home(_home(home))
    with apply_lock(where.root, lock_timeout):
        state = State(where.db)
        recovered = recover(where.root, state)
        actual = observe(where, state, desired.state, health=health)
        if saved is not None:
            stale = staleness(saved, desired.state.digest, actual.state_digest)
            if stale:
                return ApplyReport(validation, saved, stale=stale, recovered=recovered)
            the_plan = saved
        else:
            the_plan = make_plan(desired.state, actual, prune=prune)
        _record_unfingerprinted(where, state, actual)
        gate = (  # Label Studio down: stop here
            labelstudio_plan(validation, home=home, prune=prune, env=env, servers=the_plan)
            if desired.label_studio
            else None
        )
        if gate is not None and gate.refused:
            labelstudio_apply(gate)  # raises: a refused config change stops apply before it acts
        if not the_plan.steps and not the_plan.missing and not (gate and gate.changes):
            return ApplyReport(validation, the_plan, recovered=recovered)
        if confirm is not None and not confirm(the_plan, gate):
            return ApplyReport(validation, the_plan, recovered=recovered)
        from alabctl.assets.store import Store  # a no-op apply loads none of what acting needs
        from alabctl.reconcile.apply import execute
        from alabctl.reconcile.deploy import Deployer, Layout

        outcomes = execute(
            the_plan,
            desired.state,
            desired.files,
            fetcher=_fetcher(where, state, validation, env),
            deployer=Deployer(Layout(where.root), state, timeout),
            set_server_assets=Store(where.db).set_server_assets,
            report=report or (lambda outcome: None),
        )
        if gate is not None:
            outcomes.extend(_labelstudio_outcomes(validation, home, prune, env, report))
        return ApplyReport(validation, the_plan, outcomes, recovered)


def _labelstudio_outcomes(
    validation: ValidationReport,
    home: Path | None,
    prune: bool,
    env: Mapping[str, str] | None,
    report: Callable[[Outcome], None] | None,
) -> list[Outcome]:
    """Plan Label Studio again now that the servers run (their URLs and model versions), and apply."""
    from alabctl.reconcile.apply import Outcome
    from alabctl.reconcile.vocab import Result

    fresh = labelstudio_plan(validation, home=home, prune=prune, env=env)
    out = []
    for result in labelstudio_apply(fresh) if fresh is not None else []:
        message = "; ".join(result.done) + (f"; failed: {result.error}" if result.error else "")
        outcome = Outcome(
            "LabelStudioProject", result.resource.split("/")[-1], Result(result.outcome.value), message
        )
        if report is not None:
            report(outcome)
        out.append(outcome)
    return out


def _record_unfingerprinted(where: Any, state: Any, actual: Any) -> None:
    """Fingerprint installed assets seen for the first time (installed outside ``apply``)."""
    for asset in actual.assets.values():
        if asset.present and asset.intact is None and asset.key:
            from alabctl.reconcile.fetch import record

            record(state, asset.ref.split("/", 1)[1], where.asset_dir(asset.key), asset.key)


def _fetcher(where: Any, state: Any, validation: ValidationReport, env: Mapping[str, str] | None) -> Any:
    """A hub fetcher, opened only when a download happens."""
    from alabctl.reconcile.plan import Step

    class LazyFetcher:
        inner: Any = None

        def _open(self) -> Any:
            if self.inner is None:
                from alabctl.assets.hub import HubClient, hub_url
                from alabctl.assets.lockgen import hub_versions
                from alabctl.assets.pull import PullOptions
                from alabctl.assets.session import pick_license
                from alabctl.reconcile.fetch import HubFetcher

                repo = validation.repository
                licensed = repo.of_kind("License")
                client = HubClient(
                    hub_url(None, repo, env),
                    cache_dir=where.ensure().hub_cache,
                    credentials=pick_license(repo, licensed[0].name) if licensed else None,
                )
                lib, spark = hub_versions(repo)
                self.inner = HubFetcher(
                    where, client, state, PullOptions(lib_version=lib, spark_version=spark)
                )
            return self.inner

        def check_space(self, steps: list[Step]) -> None:
            self._open().check_space(steps)

        def fetch(self, step: Step, pin: Any) -> str:
            return str(self._open().fetch(step, pin))

    return LazyFetcher()


def invalid_error(validation: ValidationReport) -> UserError:
    """The error for commands that need valid manifests: how many errors, and the first."""
    errors = [d for d in validation.diagnostics if d.severity.value == "error"]
    first = errors[0] if errors else None
    where = f"{first.file}:{first.line}:{first.column}: " if first and first.file else ""
    return UserError(
        f"the manifests are not valid ({len(errors)} error(s); the first: "
        f"{where}error[{first.code if first else '?'}]: {first.summary if first else '?'})",
        "'alabctl validate -f PATH' shows them all",
    )


def servers(
    *,
    home: Path | None = None,
    inputs: Inputs | None = None,
    validation: ValidationReport | None = None,
) -> list[ServerStatus]:
    """Every recorded server with its health (and sync, when ``inputs`` name the manifests, or
    ``validation`` is their validation already done). Invalid manifests are a user error (see
    :func:`invalid_error`): callers that show diagnostics validate first."""
    from alabctl.assets.home import Home
    from alabctl.reconcile.observe import observe_servers
    from alabctl.reconcile.state import State
    from alabctl.reconcile.status import declared_only, server_status

    where = Home(_home(home))
    desired = None
    if validation is None and inputs is not None:
        validation = validate(inputs)
    if validation is not None:
        if not validation.valid:
            raise invalid_error(validation)
        desired = _desired(validation).state
    records = State(where.db).deployments()
    seen = observe_servers(list(records.values()))
    out = [server_status(seen[name], desired) for name in sorted(seen)]
    if desired is not None:
        out.extend(declared_only(desired, set(records)))
    return sorted(out, key=lambda s: s.name)


def wait_healthy(
    *, home: Path | None = None, server: str | None = None, timeout: float = 60.0, poll: float = 0.2
) -> list[ServerStatus]:
    """Wait until every recorded server (or ``server``) is Healthy; returns the last statuses.

    Servers stopped with :func:`down` are left out (a user error when ``server`` is one). A user
    error names the servers that are not healthy when ``timeout`` passes.
    """
    from alabctl.reconcile.vocab import Health

    deadline = time.monotonic() + timeout
    while True:
        found = servers(home=home)
        if server is not None:
            found = [s for s in found if s.name == server]
            if not found:
                raise UserError(f"no server named '{server}' has been deployed", "see 'alabctl get servers'")
            if found[0].health is Health.STOPPED:
                raise UserError(
                    f"server '{server}' was stopped with 'alabctl down'",
                    "'alabctl apply -f REPO' starts it again",
                )
        found = [s for s in found if s.health is not Health.STOPPED]  # stopped on purpose
        if all(s.health is Health.HEALTHY for s in found):
            return found
        if time.monotonic() >= deadline:
            bad = ", ".join(
                f"{s.name} ({s.health.value}{': ' + s.last_error if s.last_error else ''})"
                for s in found
                if s.health is not Health.HEALTHY
            )
            raise UserError(f"not healthy after {timeout:g}s: {bad}", "see 'alabctl logs SERVER'")
        time.sleep(poll)


def down(*, home: Path | None = None, server: str | None = None, lock_timeout: float = 0.0) -> list[Outcome]:
    """Stop every server (or ``server``); their ports stay assigned and the assets stay installed.

    A server stopped so is ``Stopped`` (not ``Missing``) and left out of :func:`wait_healthy` and
    of ``watch``'s repairs, until the next ``apply`` starts it again.
    """
    from concurrent.futures import ThreadPoolExecutor

    from alabctl.assets.store import Store
    from alabctl.reconcile.apply import Outcome
    from alabctl.reconcile.deploy import Deployer, Layout
    from alabctl.reconcile.lock import apply_lock
    from alabctl.reconcile.process import alive
    from alabctl.reconcile.recover import recover
    from alabctl.reconcile.state import State
    from alabctl.reconcile.vocab import Health, Result

    root = _home(home)
    with apply_lock(root, lock_timeout):
        state = State(root / "alabctl.db")
        recover(root, state)
        records = state.deployments()
        if server is not None and server not in records:
            raise UserError(f"no server named '{server}' has been deployed", "see 'alabctl get servers'")
        deployer = Deployer(Layout(root), state)

        def stop(name: str) -> Outcome:
            record = records[name]
            if record.health == Health.STOPPED.value and record.pid is None and record.digest is None:
                return Outcome("Server", name, Result.UNCHANGED, "already stopped")
            running = alive(record.pid, record.pid_start)
            deployer.stop(record, on_purpose=True)
            Store(root / "alabctl.db").set_server_assets(name, [])  # a stopped server needs nothing
            if running:
                return Outcome("Server", name, Result.STOPPED, "")
            return Outcome("Server", name, Result.UNCHANGED, "was not running")

        names = [n for n in sorted(records) if server is None or n == server]
        # each stop waits for its process to end: stopped side by side, 200 servers take seconds
        with ThreadPoolExecutor(max_workers=max(1, min(16, len(names)))) as pool:
            return list(pool.map(stop, names))


def log_path(server: str, *, home: Path | None = None) -> Path:
    """Where a server's log is."""
    from alabctl.reconcile.deploy import Layout

    path = Layout(_home(home)).log(server)
    if not path.exists():
        raise UserError(f"no log for server '{server}' ({path})", "see 'alabctl get servers'")
    return path


def diff(
    inputs: Inputs, *, home: Path | None = None, skip_license_check: bool = False
) -> tuple[ValidationReport, list[FileDiff]]:
    """Unified diffs of each server's compiled files against the copy it was deployed with."""
    import difflib

    from alabctl.apivalues import FileDiff
    from alabctl.reconcile.state import State

    validation = validate(inputs, skip_license_check=skip_license_check)
    if not validation.valid:
        return validation, []
    desired = _desired(validation)
    root = _home(home)
    records = State(root / "alabctl.db").deployments()
    out: list[FileDiff] = []
    for name, server in sorted(desired.state.servers.items()):
        record = records.get(name)
        if record is not None and record.digest == server.digest:
            continue
        deployed = Path(record.dir) if record and record.dir and record.digest else None
        old_paths = (
            {p.relative_to(deployed).as_posix() for p in deployed.rglob("*") if p.is_file()}
            if deployed and deployed.is_dir()
            else set()
        )
        for rel in sorted(set(server.files) | old_paths):
            new = desired.files.get(rel, b"").decode(errors="replace") if rel in server.files else ""
            old = (deployed / rel).read_text(errors="replace") if deployed and rel in old_paths else ""
            if rel == "manifest.json" or old == new:
                continue
            lines = difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"deployed/{name}/{rel}" if old else "/dev/null",
                f"compiled/{name}/{rel}" if new else "/dev/null",
            )
            out.append(FileDiff(name, rel, "".join(lines)))
    return validation, out


def drifted(*, home: Path | None = None) -> list[str]:
    """Deployed servers whose process is gone or that answer unhealthy (what ``watch`` heals)."""
    from alabctl.reconcile.observe import observe_servers
    from alabctl.reconcile.state import State
    from alabctl.reconcile.vocab import Health

    root = _home(home)
    if not (root / "alabctl.db").exists():
        return []
    records = [r for r in State(root / "alabctl.db").deployments().values() if r.digest and not r.intent]
    seen = observe_servers(records)
    return sorted(
        name
        for name, s in seen.items()
        if not s.running or (s.probe is not None and s.probe.health is not Health.HEALTHY)
    )


def heal(*, home: Path | None = None, timeout: float = 60.0, lock_timeout: float = 30.0) -> list[Outcome]:
    """Restart deployed servers that died or answer unhealthy, each on the build it last served
    (whatever the manifests say now: ``watch`` uses it while they are invalid)."""
    from alabctl.reconcile.apply import Outcome
    from alabctl.reconcile.deploy import Deployer, DeployError, Layout, recorded_server
    from alabctl.reconcile.lock import apply_lock
    from alabctl.reconcile.state import State
    from alabctl.reconcile.vocab import Result

    root = _home(home)
    out: list[Outcome] = []
    with apply_lock(root, lock_timeout):
        state = State(root / "alabctl.db")
        deployer = Deployer(Layout(root), state, timeout)
        for name in drifted(home=root):
            record = state.deployment(name)
            if record is None:
                continue
            if not record.dir or not Path(record.dir).is_dir():  # said, so watch backs off too
                why = f"its last good build ({record.dir}) is gone: fix the manifests to deploy it again"
                out.append(Outcome("Server", name, Result.FAILED, why))
                continue
            try:
                done = deployer.start(recorded_server(record), Path(record.dir), record)
            except DeployError as exc:
                out.append(Outcome("Server", name, Result.FAILED, str(exc)))
                continue
            out.append(
                Outcome("Server", name, Result.CONFIGURED, f"{done.url} (restarted on its last good build)")
            )
    return out


def _read_files(validation: ValidationReport, load: bool) -> list[str] | None:
    """The files a valid load read besides the manifests (rules' dictionaries, local models, task
    files), absolute and resolved: ``watch`` reconciles when they change. ``None`` (unknown) when
    the manifests were not loaded (a replayed validation) unless ``load``."""
    from alabctl.compile.dependencies import external_inputs

    if validation._repository is None and not load:
        return None
    reads = external_inputs(validation.repository, os.environ)
    return [os.path.realpath(f) for f in reads.files]


def watch(
    inputs: Inputs,
    *,
    home: Path | None = None,
    log: Callable[[dict[str, Any]], None],
    stop: Any,
    prune: bool = False,
    timeout: float = 60.0,
    skip_license_check: bool = False,
    options: Any = None,
    down_on_exit: bool = False,
) -> None:
    """Reconcile ``inputs`` on every edit and heal dead servers until ``stop`` (an Event) is set.

    A broken edit is logged with its diagnostics and changes nothing that runs.
    """
    from alabctl.reconcile.watch import Watched
    from alabctl.reconcile.watch import watch as watch_loop
    from alabctl.spec.errors import AlabctlError
    from alabctl.spec.loader import STDIN
    from alabctl.spec.names import DEFAULT_LOCKFILE

    cwd = inputs.cwd or Path.cwd()
    for given in inputs.paths:  # checked before anything is watched: a usage error, exit 2
        if given == STDIN:
            raise UsageError("watch can not watch stdin (-f -)", "name the manifest files or folders with -f")
        if not (cwd / given).exists():
            raise UsageError(f"{given}: no such file or directory", "check the -f argument")
    watched = Watched(
        [(cwd / p).resolve() for p in inputs.paths],
        (cwd / (inputs.lockfile or DEFAULT_LOCKFILE)).resolve(),
    )
    incremental = Incremental.start()  # kept between reconciles: an edit re-reads what it changed

    def reconcile(reason: str) -> bool:
        import gc

        # no garbage collection while an edit is applied (a full collection walks everything the
        # incremental state keeps): the edit -> new build latency is what matters; it runs after
        gc.disable()
        try:
            return _reconcile(reason)
        finally:
            gc.enable()

    def _reconcile(reason: str) -> bool:
        try:
            result = apply(
                inputs,
                incremental=incremental,
                health=reason != "change",  # health drift is checked every interval on its own
                home=home,
                prune=prune,
                timeout=timeout,
                lock_timeout=30.0,
                skip_license_check=skip_license_check,
                report=lambda o: log({"event": "apply", **o.to_json()}),
            )
        except AlabctlError as exc:
            log({"event": "error", "reason": reason, "message": exc.message, "hint": exc.hint})
            return False
        if result.validation is not None and result.validation.valid:
            read = _read_files(result.validation, reason == "start")
            if read is not None:
                watched.read(read)
        if result.validation is not None and not result.validation.valid:
            log(
                {
                    "event": "invalid",
                    "reason": reason,
                    "diagnostics": [
                        d.to_json() for d in result.validation.diagnostics if d.severity.value == "error"
                    ],
                }
            )
            healed = heal(home=home, timeout=timeout) if reason == "drift" else []
            for outcome in healed:
                log({"event": "apply", **outcome.to_json()})
            return all(o.result.value != "failed" for o in healed)
        if not result.outcomes:
            log({"event": "synced", "reason": reason})
        return not result.failed

    try:
        watch_loop(
            watched,
            reconcile=reconcile,
            drifted=lambda: drifted(home=home),
            log=log,
            stop=stop,
            options=options,
        )
    finally:
        if down_on_exit:
            for outcome in down(home=home, lock_timeout=30.0):
                log({"event": "down", **outcome.to_json()})


# -- Label Studio (SPEC §8) ------------------------------------------------------------------------

if TYPE_CHECKING:
    from alabctl.reconcile.labelstudio import LabelStudioPlan, ProjectResult
    from alabctl.reconcile.labelstudio.status import ProjectStatus


def _server_urls(home: Path | None) -> dict[str, str]:
    """Each deployed server's URL, from the reconciler's state."""
    from alabctl.assets.home import Home
    from alabctl.reconcile.state import State

    where = Home(_home(home))
    if not where.db.exists():
        return {}
    return {name: d.url for name, d in State(where.db).deployments().items()}


def labelstudio_plan(
    validation: ValidationReport,
    *,
    home: Path | None = None,
    prune: bool = False,
    env: Mapping[str, str] | None = None,
    servers: Plan | None = None,
) -> LabelStudioPlan | None:
    """The Label Studio side of a plan; None when no project has a ``labelStudio`` block.

    ``servers``: the servers' plan, whose (re)deploys change model versions. Reads Label Studio
    only. Raises :class:`~alabctl.spec.errors.UserError` when an instance cannot be reached or
    refuses the token.
    """
    import dataclasses

    from alabctl.reconcile.labelstudio import connections, desired_projects, plan
    from alabctl.reconcile.vocab import Action

    repo = validation.repository
    changing = {
        s.name: s.reason
        for s in (servers.steps if servers else [])
        if s.kind == "Server" and s.action in (Action.DEPLOY, Action.REDEPLOY)
    }
    desired = [
        dataclasses.replace(d, server_changing=changing.get(d.server, ""))
        for d in desired_projects(repo, _server_urls(home))
    ]
    if not desired:
        return None
    used = {d.instance for d in desired}
    return plan(desired, connections(repo, os.environ if env is None else env, used), prune=prune)


def labelstudio_apply(the_plan: LabelStudioPlan) -> list[ProjectResult]:
    """Carry out a Label Studio plan; refuses (raises) when a project's config change is refused."""
    from alabctl.reconcile.labelstudio import apply as apply_labelstudio

    return apply_labelstudio(the_plan)


def labelstudio_projects(
    inputs: Inputs,
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    validation: ValidationReport | None = None,
) -> list[ProjectStatus]:
    """``get projects``: per project, its Label Studio id and URL, tasks, annotated, predicted, backend.

    ``validation``: of ``inputs``, when the caller validated them already (to show diagnostics);
    invalid manifests are a user error (see :func:`invalid_error`).
    """
    from alabctl.reconcile.labelstudio import connections, desired_projects
    from alabctl.reconcile.labelstudio.status import project_statuses

    if validation is None:
        validation = validate(inputs, env=env)
    if not validation.valid:
        raise invalid_error(validation)
    repo = validation.repository
    desired = desired_projects(repo, _server_urls(home))
    used = {d.instance for d in desired}
    return project_statuses(desired, connections(repo, os.environ if env is None else env, used))


# -- Spark NLP jars -------------------------------------------------------------------------------


def fetch_jars(
    folder: Path | None = None,
    *,
    home: Path | None = None,
    maven: str | None = None,
    workers: int = 4,
    progress: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> JarsReport:
    """``jars fetch``: the Spark NLP jars this alabctl is pinned to, from Maven Central (or ``maven``,
    else ``$ALABCTL_MAVEN_URL``) into ``folder``, by default ``$ALABCTL_HOME/jars``, where the
    ``sparknlp`` engine finds them. Nothing changes in ``folder`` until every jar is verified."""
    import requests

    from alabctl.assets.home import resolve_home
    from alabctl.assets.jars import fetch_jars as fetch
    from alabctl.assets.jars import pinned, repository_url

    env = os.environ if env is None else env
    jar_set = pinned()
    url = repository_url(maven, env, jar_set.repository)
    target = folder if folder is not None else resolve_home(home, env).root / "jars"
    with requests.Session() as session:
        return fetch(target, url, jar_set, session=session, workers=workers, stream=progress)


# -- output paths ---------------------------------------------------------------------------------


def check_output_file(path: Path, option: str, example: str, inputs: Inputs | None = None) -> None:
    """A :class:`UsageError` unless ``path`` is a file ``option`` may write: not a folder or a
    device, in a folder that exists, and not one of the ``-f`` files of ``inputs`` (see
    :mod:`alabctl.outputs`). Commands call it before any work; ``example`` goes in the hint."""
    from alabctl.outputs import check_file

    check_file(path, option, example, _input_files(inputs) if inputs is not None else ())


def write_output_file(path: Path, data: bytes | str) -> None:
    """Write a file the user asked for (``plan --out``) atomically, with the permissions ``open``
    would give it (0666 less the umask); a :class:`UserError` when it cannot be written."""
    from alabctl.files import write_atomic

    try:
        write_atomic(path, data, public=True)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}", "check the folder") from None
