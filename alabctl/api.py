"""The public library surface: typed values in, typed values out.

The CLI is a thin layer over these functions; scripts and tests call them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alabctl.spec.cache import default_cache_dir
from alabctl.spec.diagnostics import Diagnostic, has_errors, sort_diagnostics
from alabctl.spec.loader import SourceIndex
from alabctl.spec.repository import Repository
from alabctl.spec.validate import load_repository

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
    repository: Repository

    @property
    def valid(self) -> bool:
        return not has_errors(self.diagnostics)


def validate(inputs: Inputs, *, skip_license_check: bool = False) -> ValidationReport:
    """Every check of SPEC §3 on the manifests ``inputs`` names. Offline; never raises for bad input."""
    result = load_repository(
        inputs.paths,
        values=inputs.values,
        root=inputs.root,
        cwd=inputs.cwd,
        cache_dir=default_cache_dir() if inputs.cache else None,
        lockfile=inputs.lockfile,
        stdin_text=inputs.stdin_text,
    )
    diagnostics = list(result.diagnostics)
    if skip_license_check:
        diagnostics = [d.as_warning() if d.code in LICENSE_CODES else d for d in diagnostics]
    return ValidationReport(
        diagnostics=sort_diagnostics(diagnostics),
        files=result.files,
        manifests=len(result.repository.resources),
        sources=result.sources,
        repository=result.repository,
    )
