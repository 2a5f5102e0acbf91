"""The public library surface: typed values in, typed values out.

The CLI is a thin layer over these functions; scripts and tests call them directly.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alabctl import replay
from alabctl.spec.cache import Memo, code_digest, default_cache_dir
from alabctl.spec.diagnostics import Diagnostic, has_errors, sort_diagnostics
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


def write_tree(out: Path, files: Mapping[str, bytes]) -> tuple[list[str], list[str], list[str]]:
    """Make ``out`` hold exactly ``files``: built in a sibling folder, then swapped in by rename.

    Refuses to replace a non-empty folder that is not a previous build (alabctl's own marker file,
    see :mod:`alabctl.outdir`), so a mistaken ``--out .`` cannot delete a repository.
    """
    from alabctl.outdir import write_build

    return write_build(out, files)
