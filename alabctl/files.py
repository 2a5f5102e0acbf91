"""Atomic file writes and folder swaps: whoever reads sees the old content or the new, never half.

Every file alabctl writes (the lock file, caches, hub indexes, imported rule manifests, exported
archives) goes through :func:`write_atomic` or :func:`write_all_atomic`; every folder it replaces
(an installed asset, the build folder) through :func:`swap_folder`. This module imports nothing of
alabctl, so every layer may use it.

Permissions: private state (caches, signed entries, hub indexes in the store) is created 0600, as
``mkstemp`` makes it. What the user asked for and keeps (``public=True``: the lock file, imported
rule manifests, a rules ZIP, ``plan --out``, ``preannotate --out``, the build folder) gets what a
plain ``open(path, "w")`` or ``mkdir`` gives a new file or folder: 0666 or 0777 less the umask (and
a folder's default ACL), because the temporary file or folder is created with that mode rather than
changed after. A file that is replaced gets it too (the new file is renamed over the old one), so an
output an older alabctl left 0600 is fixed on the next write.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

PRIVATE_FILE = 0o600
"""The permissions of private state (what ``mkstemp`` gives)."""
PUBLIC_FILE = 0o666
"""The permissions asked for a file the user keeps; the kernel takes the umask off, as for ``open``."""
PUBLIC_FOLDER = 0o777
"""The permissions asked for a folder the user keeps; the kernel takes the umask off, as for ``mkdir``."""
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
_ATTEMPTS = 100


def _new_file(folder: Path, prefix: str, suffix: str, public: bool) -> tuple[int, Path]:
    """Like ``tempfile.mkstemp`` (created exclusively, never through a link), 0600 or, with ``public``,
    0666 less the umask."""
    for _ in range(_ATTEMPTS):
        path = folder / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            return os.open(path, _NEW, PUBLIC_FILE if public else PRIVATE_FILE), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def replacement(path: Path, suffix: str = "", *, public: bool = False) -> tuple[int, Path]:
    """A new temporary file beside ``path``, open for writing, to be renamed over it: ``(fd, temp)``.

    It is 0600 (private state), or with ``public`` what ``open`` gives a new file (0666 less the umask).
    """
    return _new_file(path.parent, f".{path.name}.", suffix, public)


def new_folder(parent: Path, prefix: str) -> Path:
    """A new, empty folder in ``parent`` with a random name and the permissions ``mkdir`` gives
    (0777 less the umask), unlike ``tempfile.mkdtemp``'s 0700: for folders the user keeps."""
    for _ in range(_ATTEMPTS):
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir(PUBLIC_FOLDER)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name in {parent}")


def _stage(path: Path, data: bytes, mode: int | None, public: bool) -> Path:
    """``data`` in a temporary file beside ``path`` (same folder, so the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = replacement(path, ".tmp", public=public)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            name.unlink()
        raise
    return name


def _bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None, public: bool = False) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary sibling and a rename.

    The file is 0600 (private state), or with ``public`` what ``open(path, "w")`` would make (0666
    less the umask: a file the user keeps); ``mode`` sets exact permissions instead. Raises
    ``OSError`` on failure, leaving ``path`` as it was.
    """
    temporary = _stage(path, _bytes(data), mode, public)
    try:
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_all_atomic(
    files: Mapping[Path, bytes | str], *, mode: int | None = None, public: bool = False
) -> None:
    """Stage every file first, then rename each into place; if staging fails, none is written.

    ``mode`` and ``public`` as for :func:`write_atomic`.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in sorted(files.items()):
            staged.append((_stage(path, _bytes(data), mode, public), path))
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


def create_once(path: Path, text: str) -> None:
    """Make the private file ``path`` (0600) holding ``text`` unless it exists: written beside it and
    hard-linked into place, so nobody reads it half written and one another process made meanwhile
    is never replaced (whoever comes second keeps the first one's)."""
    if path.exists():
        return
    fd, tmp = _new_file(path.parent, f".{path.name}.", "", False)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink()
