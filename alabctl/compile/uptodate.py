"""Whether a ``compile --out`` folder already holds what the same inputs compile to (like ``make``).

After each compile, the build folder's file listing with each entry's size, modification time,
inode and mode is kept in the user's (signed) cache, with the fingerprint of the inputs it was
compiled from. A later compile whose validation replays that fingerprint (nothing it read has
changed, alabctl's own code included: see :mod:`alabctl.replay`) and that finds the folder exactly as
it was left has nothing to write, and skips compiling. Any change to the folder (a file edited,
added, removed or replaced, even with the same bytes) compiles in full, and the write then puts
back what the inputs compile to.

One record per ``--out`` folder, keyed by its real path, so the records do not pile up.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from alabctl.spec.cachesign import read_signed, write_signed

_KIND = "compiled"
_VERSION = 1

Listing = list[list[Any]]
"""``[relative path, mode, size, mtime_ns, inode]`` of the folder itself (path ``""``) and of
every entry under it, in walk order."""


def listing(out: Path) -> Listing | None:
    """The folder's entries with what identifies each one's content; ``None`` when it is unreadable."""
    rows: Listing = []

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                info = entry.stat(follow_symlinks=False)
                rel = prefix + entry.name
                rows.append([rel, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ino])
                if stat.S_ISDIR(info.st_mode):
                    walk(entry.path, rel + "/")

    try:
        top = out.lstat()
        if not stat.S_ISDIR(top.st_mode):
            return None
        rows.append(["", top.st_mode, 0, 0, top.st_ino])
        walk(str(out), "")
    except OSError:
        return None
    return rows


def _record_path(cache_dir: Path, out: Path) -> Path:
    return cache_dir / _KIND / f"{hashlib.sha256(str(out).encode()).hexdigest()[:32]}.json"


def up_to_date(cache_dir: Path, out: Path, fingerprint: str) -> list[str] | None:
    """The compiled files (in compile order) when ``out`` is exactly as the compile of
    ``fingerprint`` left it; ``None`` when it must be compiled."""
    out = out.resolve()
    kept = read_signed(_record_path(cache_dir, out), _KIND, _VERSION)
    if not isinstance(kept, dict) or kept.get("out") != str(out) or kept.get("fingerprint") != fingerprint:
        return None
    paths = kept.get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return None
    now = listing(out)
    return paths if now is not None and now == kept.get("listing") else None


def remember(cache_dir: Path, out: Path, fingerprint: str, paths: list[str]) -> None:
    """Keep what ``out`` holds now, compiled from ``fingerprint`` (silently skipped when the cache
    cannot be written)."""
    out = out.resolve()
    now = listing(out)
    if now is None:
        return
    record = {"out": str(out), "fingerprint": fingerprint, "paths": paths, "listing": now}
    write_signed(_record_path(cache_dir, out), _KIND, _VERSION, record)
