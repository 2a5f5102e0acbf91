"""Reading files whose path or content a stranger may control: regular files only, each kind capped.

Manifests, dictionary files, License files, ``--values`` files and hub indexes all come from
somewhere alabctl does not control, so every one of them is read here: the file is opened with
``O_NONBLOCK`` (a FIFO or a device never blocks the open), checked to be a regular file on the open
descriptor (so a path swapped between check and read changes nothing), and read up to its kind's
cap plus one byte, so ``/dev/zero`` or a huge file is refused without being read whole. The error
names the cap, so the user knows what the limit is.
"""

from __future__ import annotations

import hashlib
import os
import stat
from enum import StrEnum
from pathlib import Path

from alabctl.spec.errors import UserError

_CHUNK = 1 << 20


class FileKind(StrEnum):
    """What a file is, which decides how large it may be."""

    MANIFEST = "manifest"
    DICTIONARY = "dictionary"
    LICENSE = "license"
    VALUES = "values"
    HUB_INDEX = "hub index"
    METADATA = "model metadata"
    RULES = "rules"
    TASKS = "task"


LIMITS: dict[FileKind, int] = {
    FileKind.MANIFEST: 16 << 20,
    FileKind.DICTIONARY: 16 << 20,
    FileKind.LICENSE: 1 << 20,
    FileKind.VALUES: 4 << 20,
    FileKind.HUB_INDEX: 64 << 20,
    FileKind.METADATA: 4 << 20,
    FileKind.RULES: 64 << 20,
    FileKind.TASKS: 64 << 20,
}
"""Bytes a file of each kind may hold."""


class FileReadError(UserError):
    """A file that cannot be read, is not a regular file, or is larger than its kind's cap.

    ``reason`` is the short cause without the path (for diagnostics that carry the file
    separately); ``message`` names the path too.
    """

    def __init__(self, path: Path | str, reason: str, hint: str = "") -> None:
        super().__init__(f"{path}: {reason}", hint)
        self.path = str(path)
        self.reason = reason


def real_path(path: Path) -> Path | None:
    """``path`` with every link followed, or ``None`` when the links lead back to themselves."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a link loop, before Python 3.13
        return None


def human_cap(size: int) -> str:
    """A cap for people: ``16 MiB``."""
    if size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    if size % (1 << 10) == 0:
        return f"{size >> 10} KiB"
    return f"{size} bytes"


def too_large(path: Path | str, kind: FileKind, limit: int | None = None) -> FileReadError:
    """The error for a file over its cap."""
    cap = LIMITS[kind] if limit is None else limit
    return FileReadError(
        path,
        f"{kind.value} file is larger than the {kind.value} cap of {human_cap(cap)}",
        f"a {kind.value} file may hold at most {human_cap(cap)}; split it or point at the right file",
    )


def read_bytes(path: Path | str, kind: FileKind, *, limit: int | None = None) -> bytes:
    """The content of the regular file at ``path``; :class:`FileReadError` otherwise.

    Never blocks on a FIFO or device and never reads more than the kind's cap plus one byte.
    """
    cap = LIMITS[kind] if limit is None else limit
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileReadError(
            path, f"cannot read {kind.value} file: {exc.strerror}", "check that it exists and is readable"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileReadError(
                path,
                f"{kind.value} file is not a regular file ({_what(info.st_mode)})",
                "only regular files are read; replace it with a file",
            )
        if info.st_size > cap:
            raise too_large(path, kind, cap)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = os.read(fd, min(_CHUNK, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise too_large(path, kind, cap)
        return b"".join(chunks)
    except OSError as exc:
        raise FileReadError(path, f"cannot read {kind.value} file: {exc.strerror}") from None
    finally:
        os.close(fd)


def digest(path: Path | str) -> str | None:
    """The sha256 of the regular file at ``path`` (streamed, any size), or ``None`` when it is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        os.set_blocking(fd, True)
        hasher = hashlib.sha256()
        while chunk := os.read(fd, _CHUNK):
            hasher.update(chunk)
        return hasher.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def read_text(path: Path | str, kind: FileKind, *, encoding: str = "utf-8", limit: int | None = None) -> str:
    """The file decoded as ``encoding``; a file that does not decode is a :class:`FileReadError`."""
    raw = read_bytes(path, kind, limit=limit)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileReadError(
            path,
            f"{kind.value} file is not UTF-8 text (byte {exc.start})",
            "save the file as UTF-8",
        ) from None


def read_stream(stream: object, kind: FileKind, name: str) -> str:
    """Text from a binary or text stream (stdin), capped like a file of ``kind``, decoded as UTF-8."""
    cap = LIMITS[kind]
    buffer = getattr(stream, "buffer", stream)
    read = getattr(buffer, "read", None)
    if read is None:
        raise FileReadError(name, "cannot read")
    data = read(cap + 1)
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogateescape")
    if len(data) > cap:
        raise too_large(name, kind, cap)
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileReadError(
            name, f"{kind.value} is not UTF-8 text (byte {exc.start})", "send UTF-8"
        ) from None


def _what(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a file"
