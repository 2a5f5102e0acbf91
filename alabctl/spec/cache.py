"""A parse cache keyed by file content, so re-validating an unchanged repository skips YAML parsing.

Entries hold plain JSON values (never pickles: the cache must not become a way to run code) and
live in the user's cache folder, not in the repository. A file's entry is its parsed documents and
the parse diagnostics, keyed by the sha256 of its bytes. Source maps are not cached: they are
rebuilt by re-parsing only the files a diagnostic points into.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alabctl.spec.cachesign import read_signed, write_signed
from alabctl.spec.diagnostics import Diagnostic, Severity

SCHEMA_VERSION = 2
MAX_ENTRIES = 100_000


@functools.cache
def code_digest() -> str:
    """A digest of alabctl's own source files (path, size and modification time of each, as Python's
    own bytecode cache decides staleness): results memoised by one build of alabctl are not reused by
    another. One ``stat`` a file instead of reading and hashing all of them (a fifth of the time)."""
    package = Path(__file__).resolve().parent.parent
    rows: list[str] = []
    _source_stats(str(package), "", rows)
    rows.sort()
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def _source_stats(folder: str, prefix: str, rows: list[str]) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    _source_stats(entry.path, f"{prefix}{entry.name}/", rows)
            elif entry.name.endswith(".py"):
                st = entry.stat()
                rows.append(f"{prefix}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}")


def default_cache_dir() -> Path:
    explicit = os.environ.get("ALABCTL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "alabctl"


@dataclass
class Memo:
    """Results of pure checks keyed by a digest of their inputs, kept between runs (JSON values only)."""

    path: Path | None
    entries: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, directory: Path | None, name: str) -> Memo:
        if directory is None:
            return cls(None)
        path = directory / f"{name}.json"
        raw = read_signed(path, "memo", SCHEMA_VERSION)
        if isinstance(raw, dict) and isinstance(raw.get("entries"), dict):
            return cls(path, raw["entries"])
        return cls(path)

    def get(self, key: str) -> Any:
        return self.entries.get(key)

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        self.dirty = True

    def save(self) -> None:
        if self.path is not None and self.dirty:
            entries = dict(list(self.entries.items())[-MAX_ENTRIES:])
            write_signed(self.path, "memo", SCHEMA_VERSION, {"entries": entries})


@dataclass(slots=True)
class CachedParse:
    documents: list[Any]
    diagnostics: list[Diagnostic]


def _diag_to_json(d: Diagnostic) -> list[Any]:
    return [d.code, str(d.severity), d.summary, d.detail, d.line, d.column, list(d.path)]


def _diag_from_json(row: Any, file: str) -> Diagnostic:
    """A cached diagnostic; ``ValueError`` when the row does not have exactly the written shape."""
    if not isinstance(row, list) or len(row) != 7:
        raise ValueError("not a diagnostic row")
    code, severity, summary, detail, line, column, path = row
    texts = (code, severity, summary, detail)
    if not all(isinstance(t, str) for t in texts) or not isinstance(path, list):
        raise ValueError("not a diagnostic row")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in (line, column)):
        raise ValueError("not a diagnostic row")
    if not all(isinstance(p, str | int) for p in path):
        raise ValueError("not a diagnostic row")
    return Diagnostic(code, Severity(severity), summary, detail, file, line, column, tuple(path))


@dataclass
class ParseCache:
    """Load once, look up and add during a run, save once at the end."""

    path: Path | None
    entries: dict[str, list[Any]] = field(default_factory=dict)
    used: dict[str, list[Any]] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, directory: Path | None, parser: str) -> ParseCache:
        if directory is None:
            return cls(None)
        path = directory / f"parse-{parser}.json"
        raw = read_signed(path, f"parse-{parser}", SCHEMA_VERSION)
        entries = raw.get("entries") if isinstance(raw, dict) else None
        return cls(path, entries if isinstance(entries, dict) else {})

    def get(self, digest: str, file: str) -> CachedParse | None:
        """The cached parse of content with this digest; a row of the wrong shape is dropped (and rewritten)."""
        row = self.entries.get(digest)
        if row is None:
            return None
        try:
            if not isinstance(row, list) or len(row) != 2:
                raise ValueError("not a parse row")
            documents, diagnostics = row
            if not isinstance(documents, list) or not isinstance(diagnostics, list):
                raise ValueError("not a parse row")
            parsed = CachedParse(list(documents), [_diag_from_json(d, file) for d in diagnostics])
        except (TypeError, ValueError):
            del self.entries[digest]
            self.dirty = True
            return None
        self.used[digest] = row
        return parsed

    def put(self, digest: str, documents: list[Any], diagnostics: list[Diagnostic]) -> None:
        row = [documents, [_diag_to_json(d) for d in diagnostics]]
        self.entries[digest] = row
        self.used[digest] = row
        self.dirty = True

    def save(self) -> None:
        """Write atomically; a cache that cannot be written is silently skipped."""
        if self.path is None or not self.dirty:
            return
        keep = {k: v for k, v in self.entries.items() if k not in self.used}
        merged = list(keep.items())[-(MAX_ENTRIES - len(self.used)) :] if len(self.used) < MAX_ENTRIES else []
        entries = dict(merged) | self.used
        write_signed(self.path, self.path.stem, SCHEMA_VERSION, {"entries": entries})
