"""Atomic file writes and folder swaps: whoever reads sees the old content or the new, never half.

Every file alabctl writes (the lock file, caches, hub indexes, imported rule manifests, exported
archives) goes through :func:`write_atomic` or :func:`write_all_atomic`; every folder it replaces
(an installed asset, the build folder) through :func:`swap_folder`. This module imports nothing of
alabctl, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


def _stage(path: Path, data: bytes, mode: int | None) -> Path:
    """``data`` in a temporary file beside ``path`` (same folder, so the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise
    return Path(name)


def _bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary sibling and a rename.

    ``mode`` sets the file's permissions (``mkstemp`` makes 0600); raises ``OSError`` on failure,
    leaving ``path`` as it was.
    """
    temporary = _stage(path, _bytes(data), mode)
    try:
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_all_atomic(files: Mapping[Path, bytes | str], *, mode: int | None = None) -> None:
    """Stage every file first, then rename each into place; if staging fails, none is written."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in sorted(files.items()):
            staged.append((_stage(path, _bytes(data), mode), path))
        for temporary, path in staged:
            temporary.replace(path)
    except BaseException:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise


def swap_folder(staged: Path, target: Path, *, replace: bool = True, aside: Path | None = None) -> bool:
    """Put the folder ``staged`` (on the same file system) where ``target`` is, by renames.

    The old ``target`` is moved aside first (into a hidden folder in ``aside``, default its own
    parent) and removed after; if the swap fails it is put back. With ``replace=False`` an existing
    ``target`` is kept and ``staged`` discarded. Returns whether ``staged`` is now ``target``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    old: Path | None = None
    if target.exists():
        if not replace:
            shutil.rmtree(staged, ignore_errors=True)
            return False
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=aside or target.parent)) / "x"
        target.rename(old)
    try:
        staged.rename(target)
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)
        if old is not None and not target.exists():
            old.rename(target)
        return False
    if old is not None:
        shutil.rmtree(old.parent, ignore_errors=True)
    return True
