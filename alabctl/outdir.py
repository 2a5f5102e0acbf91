"""The ``compile --out`` folder: recognised by alabctl's own marker, replaced atomically, one writer at a time.

A folder is taken for a previous build only when it holds the marker file :data:`MARKER` with this
format and schema — never because it holds a ``manifest.json`` (plenty of projects do). Writes are
serialised by an ``flock`` on the folder that holds it, so concurrent compiles to one
``--out`` queue instead of racing; leftovers of a killed compile (``.<name>.new-*`` staging folders,
``.<name>.old-*`` previous builds, both carrying the marker) are removed on the next run. Every
filesystem failure (``--out`` under a file, a read-only folder, a full disk) is a :class:`UserError`.

A new build is written into a fresh staging folder beside ``out`` and renamed into place; the folder,
its subfolders and its files get what ``mkdir`` and ``open`` give (0777 / 0666 less the umask), as
any build output the user reads, copies or serves. Files
whose bytes (and permissions) are those of the previous build are hard-linked from it rather than
written again: a rebuild that changes a few files creates and later frees only those inodes (on
ext4 without a journal, each inode allocated soon after many were freed scans past all of them).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from alabctl.files import new_folder, swap_folder
from alabctl.spec.errors import UserError

MARKER = ".alabctl-build"
FORMAT = "alabctl-build"
SCHEMA = 1
_MARKER_TEXT = json.dumps({"format": FORMAT, "schema": SCHEMA}) + "\n"


def is_build(folder: Path) -> bool:
    """Whether ``folder`` holds alabctl's build marker (a regular file with this format and schema)."""
    path = folder / MARKER
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > 4096:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT and data.get("schema") == SCHEMA


_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _old_files(out: Path) -> list[str]:
    """The regular files of the previous build (symlinks and the marker left out), relative, '/'-separated."""
    found: list[str] = []

    def scan(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    scan(entry.path, f"{prefix}{entry.name}/")
                elif entry.is_file(follow_symlinks=False):
                    found.append(prefix + entry.name)

    if out.is_dir():
        scan(str(out), "")
    return [rel for rel in found if rel != MARKER]


def _read_exactly(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    left = size + 1  # one byte more: a file that grew is not the same
    while left > 0 and (chunk := os.read(fd, left)):
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _same(folder: int, rel: str, data: bytes) -> int | None:
    """The permission bits of the previous build's ``rel`` when it is a regular file holding ``data``."""
    try:
        fd = os.open(rel, _READ, dir_fd=folder)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return None
        return stat.S_IMODE(info.st_mode) if _read_exactly(fd, len(data)) == data else None
    finally:
        os.close(fd)


def _write_file(folder: int, rel: str, data: bytes) -> None:
    fd = os.open(rel, _CREATE, 0o666, dir_fd=folder)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


class _Staging:
    """The new build's folder beside ``out``, filled one file at a time, then swapped in.

    No fsync: the folder becomes the build only by the rename that follows, so a crash leaves the
    previous build (or a staging folder the next run removes), never a half-written one.
    """

    def __init__(self, out: Path, old: int) -> None:
        self.path = new_folder(out.parent, f".{out.name}.new-")  # 0777 less the umask, as mkdir makes
        try:
            (self.path / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
            self.mode = stat.S_IMODE((self.path / MARKER).stat().st_mode)  # what a new file gets (the umask)
            self.root = os.open(self.path, _FOLDER)
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise
        self.old = old
        self.folders = {""}

    def add(self, rel: str, data: bytes, same_mode: int | None) -> None:
        """Write ``rel``, or hard-link it from the previous build when that one holds the same bytes
        with the permission bits a new file gets (``same_mode``: its bits, None when it differs)."""
        folder = rel.rpartition("/")[0]
        if folder not in self.folders:  # one mkdir per folder, parents first
            parts = folder.split("/")
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                if prefix not in self.folders:
                    os.mkdir(prefix, 0o777, dir_fd=self.root)
                    self.folders.add(prefix)
        if same_mode == self.mode:
            try:  # the same bytes as the previous build: no new inode, nothing freed later
                os.link(rel, rel, src_dir_fd=self.old, dst_dir_fd=self.root, follow_symlinks=False)
                return
            except OSError:  # another file system, a link limit, no hard links here: write it
                pass
        _write_file(self.root, rel, data)

    def close(self) -> None:
        if self.root >= 0:
            os.close(self.root)
            self.root = -1


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder that holds ``out`` (nothing is left behind)."""
    fd = os.open(out.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _clean_leftovers(out: Path) -> None:
    """Remove what a killed compile left beside ``out`` (only folders that are alabctl's own)."""
    for prefix in (f".{out.name}.new-", f".{out.name}.old-"):
        for leftover in out.parent.glob(f"{prefix}*"):
            if (
                leftover.is_dir()
                and not leftover.is_symlink()
                and (is_build(leftover) or is_build(leftover / "x") or not any(leftover.iterdir()))
            ):
                shutil.rmtree(leftover, ignore_errors=True)


def _refuse_foreign(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a folder", "choose another --out")
    if out.is_dir() and any(out.iterdir()) and not is_build(out):
        raise UserError(
            f"{out} is not empty and is not an alabctl build folder (it has no {MARKER})",
            "choose an empty or new folder for --out (alabctl replaces its whole content); "
            "a build written by an older alabctl has no marker: delete it once",
        )


def write_build(
    out: Path,
    files: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    then: Callable[[], None] | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """Make ``out`` hold exactly ``files`` (and the marker); returns written, unchanged and removed paths.

    ``files`` may be ``(path, bytes)`` pairs as they are produced: each is compared with the previous
    build and written into the staging folder as it comes, so none needs to stay in memory (only
    those that match the previous build, until the first that does not). ``then`` runs after the
    write, still holding the folder's lock: what it sees of ``out`` is this write's, not a
    concurrent compile's.
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            _clean_leftovers(out)
            result = _write(out, files.items() if isinstance(files, Mapping) else files)
            if then is not None:
                then()
            return result
    except OSError as exc:
        raise UserError(
            f"cannot write the build folder {out}: {exc.strerror or exc}",
            "--out must be a folder you can write, on a filesystem with free space, not under a file",
        ) from None


def _write(out: Path, files: Iterable[tuple[str, bytes]]) -> tuple[list[str], list[str], list[str]]:
    _refuse_foreign(out)
    before = set(_old_files(out))
    old = os.open(out, _FOLDER) if before else -1
    same: dict[str, int] = {}  # path -> permission bits, for files the previous build holds as they are
    names: list[str] = []
    held: list[tuple[str, bytes]] = []  # the same as the previous build, while no staging folder is needed
    staging: _Staging | None = None
    try:
        for rel, data in files:
            names.append(rel)
            if rel in before and (mode := _same(old, rel, data)) is not None:
                same[rel] = mode
                if staging is None:
                    held.append((rel, data))
                    continue
            if staging is None:
                staging = _start(out, old, held, same)
                held = []
            staging.add(rel, data, same.get(rel))
        removed = sorted(before.difference(names))
        if staging is None:
            if not removed and (not names or is_build(out)):
                return [], sorted(same), removed  # nothing changed: nothing written
            staging = _start(out, old, held, same)
        staging.close()
        if not swap_folder(staging.path, out):
            raise UserError(
                f"cannot replace {out}", "check that nothing else holds the folder, then compile again"
            )
    finally:
        if old >= 0:
            os.close(old)
        if staging is not None:
            staging.close()
            if staging.path.exists():
                shutil.rmtree(staging.path, ignore_errors=True)
    return sorted(rel for rel in names if rel not in same), sorted(same), removed


def _start(out: Path, old: int, held: list[tuple[str, bytes]], same: Mapping[str, int]) -> _Staging:
    """The staging folder, with the files held so far (those the previous build already had) in it."""
    staging = _Staging(out, old)
    for rel, data in held:
        staging.add(rel, data, same.get(rel))
    return staging


def marker_text() -> str:
    """The marker's content (for tests and tools that build a folder alabctl should recognise)."""
    return _MARKER_TEXT
