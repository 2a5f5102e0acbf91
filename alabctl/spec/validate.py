"""The spec stage end to end: inputs -> :class:`Repository` plus diagnostics (SPEC §3 items 1-3).

``load`` (files, templates, YAML) -> ``to_resources`` (schema) -> lock file -> ``check_references``.
The compiler's checks (items 4-11) run on the repository this returns.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.loader import Snapshot, SourceIndex, load
from alabctl.spec.names import DEFAULT_LOCKFILE
from alabctl.spec.refs import check_references
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource, to_resources

if TYPE_CHECKING:
    from alabctl.spec.lock import LockFile


@dataclass
class SpecResult:
    repository: Repository
    diagnostics: list[Diagnostic]
    sources: SourceIndex
    files: int


def load_repository(
    inputs: Sequence[str],
    *,
    values: Mapping[str, Any] | None = None,
    root: Path | None = None,
    cwd: Path | None = None,
    cache_dir: Path | None = None,
    lockfile: Path | None = None,
    stdin_text: str | None = None,
    snapshot: Snapshot | None = None,
) -> SpecResult:
    """Load, type-check and cross-check every manifest the inputs name (read from ``snapshot``
    when given: see :func:`alabctl.spec.loader.snapshot`)."""
    cwd = cwd or Path.cwd()
    loaded = load(
        inputs,
        values=values,
        root=root,
        cwd=cwd,
        cache_dir=cache_dir,
        stdin_text=stdin_text,
        snapshot=snapshot,
    )
    typed = to_resources(loaded.documents)
    return assemble(
        loaded.root,
        typed.resources,
        [*loaded.diagnostics, *typed.diagnostics],
        loaded.sources,
        loaded.files,
        lockfile,
        cwd,
        typed.broken,
    )


def assemble(
    root: Path,
    resources: list[Resource],
    diagnostics: list[Diagnostic],
    sources: SourceIndex,
    files: int,
    lockfile: Path | None,
    cwd: Path,
    broken: Iterable[tuple[str, str]] = (),
) -> SpecResult:
    """The repository of type-checked ``resources`` with its lock, and every diagnostic so far plus
    the lock's and the references' (a full load and :mod:`alabctl.spec.reload` both end here).
    ``broken`` names the manifests that failed their schema (see :class:`~alabctl.spec.schema.Typed`)."""
    diagnostics = list(diagnostics)
    if files == 0:
        diagnostics.append(
            Diagnostic(
                "ALB009",
                Severity.WARNING,
                "no manifest files found",
                "alabctl reads *.yaml, *.yml and *.yaml.j2 files",
                None,
            )
        )
    lock_path = lockfile if lockfile is not None else cwd / DEFAULT_LOCKFILE
    lock, lock_problems = _read_lock(lock_path, cwd)
    diagnostics.extend(lock_problems)
    repository = Repository(root, resources, lock, broken=frozenset(broken))
    diagnostics.extend(check_references(repository))
    return SpecResult(repository, diagnostics, sources, files)


def _read_lock(path: Path, cwd: Path) -> tuple[LockFile | None, list[Diagnostic]]:
    """The lock file, if there is one: its module (pydantic models) loads only then."""
    if not os.path.lexists(path):
        return None, []
    from alabctl.spec.lock import read_lock

    return read_lock(path, display=_display(path, cwd))


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)
