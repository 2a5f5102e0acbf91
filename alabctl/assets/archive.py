"""Safe unzip and atomic install into ``cache/<key>/``.

An archive is refused, with nothing written, when an entry is absolute, climbs out with ``..``, is a
symbolic link, or when the entry count, the total uncompressed size or an entry's compression ratio
passes its cap. Declared sizes are not trusted: bytes are counted while they are written. The unzip
goes to a temporary folder inside the store and is renamed into place, so a failure leaves nothing
half-installed.
"""

from __future__ import annotations

import errno
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from alabctl.files import swap_folder
from alabctl.spec.errors import PermanentError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Caps that stop a malicious or broken archive."""

    max_entries: int = 200_000
    max_total: int = 64 << 30
    """Total uncompressed bytes."""
    max_ratio: float = 200.0
    """Uncompressed / compressed size of one entry above ``ratio_floor`` bytes, and of the whole archive."""
    ratio_floor: int = 1 << 20
    free_space: int | None = None
    """Free bytes where the archive is unpacked: what it expands to must be at most half of it."""


DEFAULT_LIMITS = Limits()


def refuse(archive: Path | str, why: str) -> PermanentError:
    """The error for an unsafe or corrupt archive (a path, or the archive's file name)."""
    label = archive.name if isinstance(archive, Path) else archive
    return PermanentError(f"refusing to unzip {label}: {why}", "the archive is unsafe or corrupt")


def check_entries(archive: Path | str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse unsafe entries (from the central directory) before anything is installed."""
    label = archive.name if isinstance(archive, Path) else archive
    if len(infos) > limits.max_entries:
        raise refuse(archive, f"{len(infos)} entries (the cap is {limits.max_entries})")
    total = compressed = 0
    files: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = set()
    for info in infos:
        parts = entry_parts(archive, info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise refuse(archive, f"entry '{info.filename}' is a symbolic link")
        if info.is_dir():
            folders.add(parts)
        elif parts in files:
            raise refuse(archive, f"entry '{info.filename}' appears twice")
        else:
            files.add(parts)
        folders.update(parts[:i] for i in range(1, len(parts)))
        total += info.file_size
        compressed += info.compress_size
        if total > limits.max_total:
            raise refuse(archive, f"it unpacks to more than {limits.max_total} bytes")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise refuse(archive, f"entry '{info.filename}' is compressed more than {limits.max_ratio:g}:1")
    clash = files & folders
    if clash:
        raise refuse(archive, f"'{'/'.join(min(clash))}' is both a file and a folder")
    if total > limits.ratio_floor and total > limits.max_ratio * max(compressed, 1):
        raise refuse(archive, f"its entries together are compressed more than {limits.max_ratio:g}:1")
    if limits.free_space is not None and 2 * total > limits.free_space:
        raise no_room(label, total, limits.free_space)


def no_room(label: str, total: int, free: int) -> PermanentError:
    """The error for an archive that expands to more than half the free disk."""
    return PermanentError(
        f"not enough free disk space to unpack {label}: it expands to {total} bytes, "
        f"which needs 2 x that free; {free} bytes are free",
        "free some space (alabctl delete model NAME) or use another --home",
    )


def entry_parts(archive: Path | str, filename: str) -> tuple[str, ...]:
    """The entry's path parts; absolute paths, ``..``, ``.`` and empty names are refused."""
    name = filename.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise refuse(archive, f"entry '{filename}' has an absolute path")
    raw = [p for p in name.split("/") if p]
    if ".." in raw:
        raise refuse(archive, f"entry '{filename}' leaves the folder ('..')")
    if not raw or "." in raw or any("\0" in p for p in raw):
        raise refuse(archive, f"entry '{filename}' is not a plain path")
    return tuple(raw)


def extract(archive: Path, dest: Path, limits: Limits = Limits()) -> None:
    """Unzip ``archive`` into the (new) folder ``dest``, counting every byte written."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            check_entries(archive, infos, limits)
            written = 0
            dest.mkdir(parents=True)
            for info in infos:
                target = dest.joinpath(*entry_parts(archive, info.filename))
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > limits.max_total:
                            raise refuse(archive, f"it unpacks to more than {limits.max_total} bytes")
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise refuse(archive, f"not a valid zip ({exc})") from None
    except OSError as exc:
        raise PermanentError(
            f"cannot unpack {archive.name}: {exc.strerror or exc}", unpack_hint(exc)
        ) from None


def unpack_hint(exc: OSError) -> str:
    """What to do when writing an archive's entries into the store failed, by the cause."""
    if exc.errno == errno.ENAMETOOLONG:
        return (
            "an entry's name is longer than this file system allows, so the archive cannot be "
            "installed here; ask its publisher for shorter names"
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full: free space where the store is (--home), or use another store"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the store is not writable: check the permissions of the store (--home)"
    return "check the free disk space and permissions of the store (--home)"


def model_root(folder: Path) -> Path:
    """The folder holding ``metadata/``: ``folder`` itself or its single subfolder."""
    if (folder / "metadata").is_dir():
        return folder
    children = [c for c in folder.iterdir() if not c.name.startswith((".", "__MACOSX"))]
    if len(children) == 1 and children[0].is_dir() and (children[0] / "metadata").is_dir():
        return children[0]
    return folder


def install_tree(staged: Path, target: Path, *, replace: bool = False) -> bool:
    """Move a staged folder into place atomically; ``False`` when something else got there first."""
    return swap_folder(staged, target, replace=replace, aside=staged.parent)


def unpack(
    archive: Path, target: Path, tmp: Path, limits: Limits = Limits(), *, replace: bool = False
) -> bool:
    """Safely unzip ``archive`` and install it as ``target``; nothing is left behind on failure."""
    tmp.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=tmp))
    try:
        extract(archive, work / "x", limits)
        root = model_root(work / "x")
        return install_tree(root, target, replace=replace)
    finally:
        shutil.rmtree(work, ignore_errors=True)
