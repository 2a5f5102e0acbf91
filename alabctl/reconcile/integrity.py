"""Whether an installed asset's files are still what was installed.

A cheap fingerprint (every file's relative path, size and modification time) is compared first;
only when it differs are the contents hashed, so a no-change plan never reads model weights.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file())


def fingerprint(path: Path) -> str:
    """sha256 of (relative path, size, mtime) of every file under ``path``."""
    h = hashlib.sha256()
    for file in _files(path):
        stat = file.stat()
        h.update(
            f"{file.relative_to(path) if file != path else ''}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
        )
    return h.hexdigest()


def content_digest(path: Path) -> str:
    """sha256 of every file's relative path and bytes under ``path``."""
    h = hashlib.sha256()
    for file in _files(path):
        h.update(f"{file.relative_to(path) if file != path else ''}\0".encode())
        with file.open("rb") as src:
            while chunk := src.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()
