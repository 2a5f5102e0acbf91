"""The ``compile --out`` folder: recognised by alabctl's own marker, replaced atomically, one writer at a time.

A folder is taken for a previous build only when it holds the marker file :data:`MARKER` with this
format and schema — never because it holds a ``manifest.json`` (plenty of projects do). Writes are
serialised by an ``flock`` on the folder that holds it, so concurrent compiles to one
``--out`` queue instead of racing; leftovers of a killed compile (``.<name>.new-*`` staging folders,
``.<name>.old-*`` previous builds, both carrying the marker) are removed on the next run. Every
filesystem failure (``--out`` under a file, a read-only folder, a full disk) is a :class:`UserError`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from alabctl.files import swap_folder
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


def _existing(out: Path) -> dict[str, bytes]:
    if not out.exists():
        return {}
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).as_posix() != MARKER
    }


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


def write_build(out: Path, files: Mapping[str, bytes]) -> tuple[list[str], list[str], list[str]]:
    """Make ``out`` hold exactly ``files`` (and the marker); returns written, unchanged and removed paths."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            _clean_leftovers(out)
            return _write(out, files)
    except OSError as exc:
        raise UserError(
            f"cannot write the build folder {out}: {exc.strerror or exc}",
            "--out must be a folder you can write, on a filesystem with free space, not under a file",
        ) from None


def _write(out: Path, files: Mapping[str, bytes]) -> tuple[list[str], list[str], list[str]]:
    _refuse_foreign(out)
    before = _existing(out)
    written = sorted(p for p, data in files.items() if before.get(p) != data)
    unchanged = sorted(p for p, data in files.items() if before.get(p) == data)
    removed = sorted(p for p in before if p not in files)
    if not written and not removed and (not files or is_build(out)):
        return written, unchanged, removed
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        (staging / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        folders: set[Path] = {staging}
        for rel, data in files.items():
            target = staging / rel
            if target.parent not in folders:  # one mkdir per folder, not per file
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            target.write_bytes(data)
        if not swap_folder(staging, out):
            raise UserError(
                f"cannot replace {out}", "check that nothing else holds the folder, then compile again"
            )
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return written, unchanged, removed


def marker_text() -> str:
    """The marker's content (for tests and tools that build a folder alabctl should recognise)."""
    return _MARKER_TEXT
