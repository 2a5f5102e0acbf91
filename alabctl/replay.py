"""Replaying a validation whose inputs have not changed, so CI's no-change re-run costs file reads only.

A result is kept (in the user's cache folder, as JSON) under a digest of everything the run was
given: alabctl's own code, the options, every manifest file's content, the lock file, and the day.
It also records what the run read besides the manifests (dictionary files, model metadata, License
files and variables) and when the licenses it read expire. It is replayed only when all of those
are unchanged and no license has expired since; any doubt means a full run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from alabctl.spec.cache import Memo, code_digest, default_cache_dir
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.errors import UsageError, UserError
from alabctl.spec.loader import STDIN, TEMPLATE_SUFFIXES, Snapshot, SourceIndex, repository_root, snapshot
from alabctl.spec.names import DEFAULT_LOCKFILE
from alabctl.spec.readfile import LIMITS, FileKind, read_bytes
from alabctl.spec.readfile import digest as file_digest

MAX_RESULTS = 64
ENTRY_SCHEMA = 2
"""The shape of a kept result; entries of another shape are ignored and rewritten."""


@dataclass(frozen=True)
class Fingerprint:
    """The digest of a run's direct inputs, and where each file it covers is (for excerpts)."""

    key: str
    paths: dict[str, Path]
    """Each manifest file as the user named it -> its real path."""
    files: int
    digests: dict[str, str] = field(default_factory=dict)
    """Each manifest file as the user named it -> the sha256 of its content (in the walk's order)."""
    snapshot: Snapshot | None = None
    """The files found, and the bytes of those that had to be read: a full run reuses them."""

    def sources(self, rendered: Mapping[str, str], needed: set[str] | None = None) -> SourceIndex:
        """The texts a full run showed: templates as they rendered, their own source beside.

        Only the files in ``needed`` (those diagnostics point into; all when ``None``) are read;
        the others are listed with an empty text, which nothing shows.
        """
        texts = {f: _text(p) if needed is None or f in needed else "" for f, p in self.paths.items()}
        templates = {f: t for f, t in texts.items() if f.endswith(TEMPLATE_SUFFIXES)}
        return SourceIndex({**texts, **rendered}, templates=templates)


def _text(path: Path) -> str:
    data = _read(path)
    return data.decode("utf-8-sig", errors="replace") if data is not None else ""


class Replayed(NamedTuple):
    diagnostics: list[Diagnostic]
    files: int
    manifests: int
    sources: SourceIndex


def _digest(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _read(path: Path) -> bytes | None:
    try:
        return read_bytes(path, FileKind.MANIFEST)
    except UserError:
        return None


def fingerprint(
    paths: Sequence[str], options: Mapping[str, Any], root: Path | None, cwd: Path, lockfile: Path | None
) -> Fingerprint | None:
    """The digest of the run's inputs, or ``None`` when the run cannot be replayed (stdin)."""
    if STDIN in paths or not paths:
        return None
    try:
        root = (root or repository_root(paths, cwd)).resolve()
        snap = snapshot(paths, root, cwd)
    except UsageError:
        return None
    if snap is None:
        return None
    digests = _Digests()
    listing = []
    for item in snap.files:
        digest = digests.of(item.path, snap.raw, item.display) if item.path is not None else None
        if digest is None:
            return None
        snap.digests[item.display] = digest
        listing.append(
            (item.display, str(item.path), digest)
        )  # the real path: relative paths resolve from it
    digests.save()
    lock = _read(lockfile if lockfile is not None else cwd / DEFAULT_LOCKFILE)
    inputs = {
        "code": code_digest(),
        "root": str(root),
        "cwd": str(cwd),
        "paths": list(paths),
        "options": options,
        "files": listing,
        "lock": _digest(lock),
        "day": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
    return Fingerprint(
        key,
        {item.display: item.path for item in snap.files if item.path},
        len(snap.files),
        snap.digests,
        snap,
    )


RACY_NS = 2_000_000_000
"""A file changed this recently (ns) may change again within its timestamp's granularity: its
digest is not kept (git's "racy" rule)."""


class _Digests:
    """The sha256 of each manifest file, kept by its stat (device, inode, size, mtime, ctime) so an
    unchanged file costs one ``stat`` instead of being read again. A file whose stat differs, or
    that changed in the last two seconds, is read and hashed."""

    def __init__(self) -> None:
        self.memo = Memo.open(default_cache_dir(), "stat-digests")
        self.now = time.time_ns()

    def of(self, path: Path, raw: dict[str, bytes], display: str) -> str | None:
        """The file's content digest; ``None`` when it is not a readable regular file under the cap.

        A file that has to be read is kept in ``raw`` under ``display``, so the full run that
        follows a miss does not read it again.
        """
        try:
            before = path.stat()
        except OSError:
            return None
        if not stat.S_ISREG(before.st_mode) or before.st_size > LIMITS[FileKind.MANIFEST]:
            return None
        name = str(path)
        seen = _stat_key(before)
        kept = self.memo.get(name)
        if isinstance(kept, list) and len(kept) == 2 and kept[0] == seen and isinstance(kept[1], str):
            return kept[1]
        data = _read(path)
        if data is not None:
            raw[display] = data
        digest = _digest(data)
        if digest is not None and self.now - max(before.st_mtime_ns, before.st_ctime_ns) > RACY_NS:
            with contextlib.suppress(OSError):
                if _stat_key(path.stat()) == seen:  # unchanged while it was read
                    self.memo.put(name, [seen, digest])
        return digest

    def save(self) -> None:
        with contextlib.suppress(OSError):
            self.memo.save()


def _stat_key(info: os.stat_result) -> str:
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def _memo() -> Memo:
    return Memo.open(default_cache_dir(), f"results-{code_digest()}")


def _state(path: Path) -> list[Any]:
    """What a check sees of ``path``: its real path, whether it exists, its kind and its content's digest."""
    real = Path(os.path.realpath(path))
    exists = os.path.lexists(path)
    kind = "dir" if real.is_dir() else "file" if real.is_file() else "other" if exists else None
    content = file_digest(real) if kind == "file" else None
    return [str(path), str(real), exists, kind, content]


def _env_digest(value: str | None) -> str | None:
    return _digest(value.encode("utf-8", "surrogateescape")) if value is not None else None


def _externals_unchanged(entry: Mapping[str, Any], env: Mapping[str, str], now: float) -> bool:
    expires = entry.get("expires")
    if expires is not None and now >= expires:
        return False
    for recorded in entry["reads"]:
        if _state(Path(recorded[0])) != recorded:
            return False
    return all(_env_digest(env.get(name)) == digest for name, digest in entry["env"])


def _well_formed(entry: Any) -> bool:
    """Whether a kept result has exactly the shape :func:`remember` writes."""
    if not isinstance(entry, dict) or entry.get("schema") != ENTRY_SCHEMA:
        return False
    reads, env, diagnostics = entry.get("reads"), entry.get("env"), entry.get("diagnostics")
    if not (isinstance(reads, list) and isinstance(env, list) and isinstance(diagnostics, list)):
        return False
    if not all(isinstance(r, list) and len(r) == 5 and isinstance(r[0], str) for r in reads):
        return False
    if not all(isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) for e in env):
        return False
    counts = (entry.get("count"), entry.get("manifests"))
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return False
    expires = entry.get("expires")
    return expires is None or isinstance(expires, int | float)


def replay(fp: Fingerprint, env: Mapping[str, str], now: float) -> Replayed | None:
    """The kept result for these inputs, if there is one and nothing it read has changed."""
    entry = _memo().get(fp.key)
    if not _well_formed(entry) or entry.get("key") != fp.key or not _externals_unchanged(entry, env, now):
        return None
    try:
        diagnostics = [
            Diagnostic(
                d["code"],
                Severity(d["severity"]),
                d["summary"],
                d["detail"],
                d["file"],
                d["line"],
                d["column"],
                tuple(d["path"]),
            )
            for d in entry["diagnostics"]
        ]
        rendered = {str(f): str(t) for f, t in entry.get("rendered", {}).items()}
        needed = {d.file for d in diagnostics if d.file is not None}
        return Replayed(
            diagnostics, int(entry["count"]), int(entry["manifests"]), fp.sources(rendered, needed)
        )
    except (KeyError, TypeError, ValueError):
        return None


def remember(
    fp: Fingerprint,
    diagnostics: Sequence[Diagnostic],
    manifests: int,
    external_files: Sequence[Path],
    env_names: Sequence[str],
    env: Mapping[str, str],
    expires: float | None,
    rendered: Mapping[str, str] | None = None,
) -> None:
    """Keep a full run's result for the next run with the same inputs.

    ``rendered`` is the text each template rendered to, so a replay shows the same excerpts.
    """
    memo = _memo()
    memo.entries = dict(list(memo.entries.items())[-(MAX_RESULTS - 1) :])
    memo.put(
        fp.key,
        {
            "diagnostics": [d.to_json() for d in diagnostics],
            "count": fp.files,
            "manifests": manifests,
            "schema": ENTRY_SCHEMA,
            "key": fp.key,
            "reads": [_state(p) for p in external_files],
            "env": [[n, _env_digest(env.get(n))] for n in sorted(set(env_names) | {"HOME"})],
            "expires": expires,
            "rendered": dict(rendered or {}),
        },
    )
    memo.save()
