"""The public library surface: typed values in, typed values out.

The CLI is a thin layer over these functions; scripts and tests call them directly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alabctl import replay
from alabctl.spec.cache import Memo, code_digest, default_cache_dir
from alabctl.spec.diagnostics import Diagnostic, has_errors, sort_diagnostics
from alabctl.spec.errors import UserError
from alabctl.spec.loader import SourceIndex
from alabctl.spec.repository import Repository
from alabctl.spec.validate import SpecResult, load_repository

if TYPE_CHECKING:
    from alabctl.compile.build import Build

LICENSE_CODES = frozenset({"ALB310", "ALB311", "ALB312", "ALB313", "ALB314", "ALB315"})


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
        replay.remember(fp, report.diagnostics, report.manifests, reads.files, reads.env, env, reads.expires)
    return report


def _load(inputs: Inputs, cwd: Path) -> SpecResult:
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
    diagnostics.extend(verify(result.repository, env=env, now=now, memo=memo))
    memo.save()
    if skip_license_check:
        diagnostics = [d.as_warning() if d.code in LICENSE_CODES else d for d in diagnostics]
    return ValidationReport(
        diagnostics=sort_diagnostics(diagnostics),
        files=result.files,
        manifests=len(result.repository.resources),
        sources=result.sources,
        _repository=result.repository,
    )


@dataclass
class CompileReport:
    """What ``compile`` checked, and (when valid) what it wrote."""

    validation: ValidationReport
    build: Build | None = None  # the compiled files when the manifests were valid
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

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
) -> CompileReport:
    """Validate, then write every artifact of SPEC §4 under ``out``, replacing it atomically.

    Nothing is written when the manifests are invalid or when every file would stay the same.
    """
    from alabctl.compile.build import compile_repository, read_dictionaries  # only compile needs it

    report = validate(inputs, skip_license_check=skip_license_check, env=env, now=now)
    if not report.valid:
        return CompileReport(report)
    build = compile_repository(report.repository, read_dictionaries(report.repository))
    written, unchanged, removed = write_tree(out, build.files)
    return CompileReport(report, build, written, unchanged, removed)


def _existing(out: Path) -> dict[str, bytes]:
    if not out.exists():
        return {}
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def write_tree(out: Path, files: Mapping[str, bytes]) -> tuple[list[str], list[str], list[str]]:
    """Make ``out`` hold exactly ``files``: built in a sibling folder, then swapped in by rename.

    Refuses to replace a non-empty folder that is not a previous build (no ``manifest.json``), so a
    mistaken ``--out .`` cannot delete a repository.
    """
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a folder", "choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise UserError(
            f"{out} is not empty and is not an alabctl build folder",
            "choose an empty or new folder for --out (alabctl replaces its whole content)",
        )
    before = _existing(out)
    written = sorted(p for p, data in files.items() if before.get(p) != data)
    unchanged = sorted(p for p, data in files.items() if before.get(p) == data)
    removed = sorted(p for p in before if p not in files)
    if not written and not removed:
        return written, unchanged, removed
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            old.rmdir()
            out.rename(old)
        staging.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return written, unchanged, removed


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


@dataclass(frozen=True)
class ServeOptions:
    """How ``serve`` runs one server: where its build comes from, where it listens, its limits."""

    server: str
    build: Path | None = None
    inputs: Inputs | None = None
    host: str | None = None
    port: int | None = None
    home: Path | None = None
    max_tasks: int = 1000
    max_body: int = 20 * 1024 * 1024
    skip_license_check: bool = False


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
        state = ServerState(Slot(deployment, load), token, limits)
        host = options.host or deployment.pipeline.host
        port = options.port if options.port is not None else (deployment.pipeline.port or 0)
        run_server(state, host, port)
    finally:
        for temp in temps:
            shutil.rmtree(temp, ignore_errors=True)


@dataclass(frozen=True)
class PreannotateOptions:
    """What ``preannotate`` reads and writes."""

    project: str
    tasks: Path
    out: Path | None = None
    build: Path | None = None
    inputs: Inputs | None = None
    workers: int | None = None
    engine: str = "local"
    master: str | None = None
    progress: bool = False
    skip_license_check: bool = False


def _cores() -> int:
    """The cores this process may run on (its CPU affinity), else the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def preannotate(options: PreannotateOptions, stdout: Any = None, stderr: Any = None) -> Any:
    """Pre-annotate a task file with a project's compiled rules/models; returns a ``BatchReport``."""
    import sys

    from alabctl.runtime.batch import BatchJob, run_batch

    if (options.build is None) == (options.inputs is None):
        raise UserError("give exactly one of --build DIR and -f REPO", "see 'alabctl preannotate --help'")
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
        )
        return run_batch(job, stdout or sys.stdout, stderr or sys.stderr)
    finally:
        if temp is not None:
            shutil.rmtree(temp.parent, ignore_errors=True)
