"""Diagnostics: problems in user input, as values with a location.

Every stage collects diagnostics instead of raising on the first problem. A diagnostic has a
stable code (see :mod:`alabctl.spec.codes`), a severity, a one-line summary, a detail that says
how to fix it, and the 1-based ``file:line:column`` of the YAML node at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import NamedTuple

PathPart = str | int
Path = tuple[PathPart, ...]


class Severity(StrEnum):
    """How bad a diagnostic is."""

    ERROR = "error"
    """The input is invalid: validate exits 1 and nothing is compiled or applied."""
    WARNING = "warning"
    """Worth a look, but the input is usable."""


class Position(NamedTuple):
    """A 1-based line and column in a file."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, where it is, and how to fix it."""

    code: str
    severity: Severity
    summary: str
    detail: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: Path = ()
    related: tuple[str, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_warning(self) -> Diagnostic:
        return replace(self, severity=Severity.WARNING)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.code, self.summary)

    def to_json(self) -> dict[str, object]:
        """The stable JSON form of SPEC §3."""
        return {
            "severity": str(self.severity),
            "code": self.code,
            "summary": self.summary,
            "detail": self.detail,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": list(self.path),
        }


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by file, line, column and code, with exact duplicates removed."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def did_you_mean(word: str, candidates: Sequence[str] | Iterable[str]) -> str | None:
    """The closest known name to ``word``, if one is close enough to be a likely typo."""
    import difflib

    pool = sorted(set(candidates))
    if not pool:
        return None
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


def counted(n: int, noun: str, plural: str = "") -> str:
    """``"1 project"``, ``"2 projects"``, ``"1,200 tasks"`` (``plural`` for irregular nouns)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def hint(word: str, candidates: Iterable[str], what: str = "") -> str:
    """``"did you mean 'x'?"`` or a list of what is allowed."""
    pool = sorted(set(candidates))
    best = did_you_mean(word, pool)
    if best is not None:
        return f"did you mean '{best}'?"
    if not pool:
        return f"no {what} is defined" if what else ""
    shown = ", ".join(f"'{c}'" for c in pool[:12])
    more = f" and {len(pool) - 12} more" if len(pool) > 12 else ""
    return f"known {what + ' names' if what else 'values'}: {shown}{more}"


def format_path(path: Path) -> str:
    """``spec.ner.labels[0].value``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
