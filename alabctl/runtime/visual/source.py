"""A task's document reference -> its bytes, under the settings' rules: local files only from the
allowed folder, remote URLs only when enabled, never more than ``max_bytes``."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.settings import VisualSettings
from alabctl.spec.readfile import real_path

if TYPE_CHECKING:
    import requests

LOCAL_FILES_PREFIX = "/data/local-files/"
"""Label Studio's URL for local-storage files: ``/data/local-files/?d=<path under the root>``."""
UPLOAD_PREFIX = "/data/upload/"
"""Label Studio's URL for uploaded files, kept under ``<its media folder>/upload/``."""


class Kind(StrEnum):
    PDF = "pdf"
    IMAGE = "image"


@dataclass(frozen=True, slots=True)
class Document:
    """A document's bytes, what they are, and the name errors call it by."""

    name: str
    data: bytes
    kind: Kind


def fetch(reference: str, settings: VisualSettings) -> Document:
    """Read the document a task names (a path, a Label Studio local-files URL, an http(s) URL or a
    ``data:`` URI)."""
    reference = reference.strip()
    name = _short(reference)
    if not reference:
        raise DocumentError(Problem.NOT_FOUND, "the task names no document (an empty string)")
    scheme = urlsplit(reference).scheme.lower()
    if scheme in {"http", "https"}:
        data = _remote(reference, name, settings)
    elif scheme == "data":
        data = _data_uri(reference, name, settings)
    elif scheme in {"", "file"} or len(scheme) == 1:  # one letter: a Windows drive
        data = _local(_local_path(reference), name, settings)
    else:
        raise DocumentError(
            Problem.UNSUPPORTED, f"{name}: unsupported URL scheme {scheme!r} (use a path or http(s)://)"
        )
    return Document(name, data, sniff(data, name))


def sniff(data: bytes, name: str) -> Kind:
    """PDF or image, by the bytes (never by the name)."""
    if b"%PDF-" in data[:1024]:
        return Kind.PDF
    signatures = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8", b"BM", b"RIFF")
    if data.startswith(signatures):
        return Kind.IMAGE
    raise DocumentError(
        Problem.UNSUPPORTED, f"{name}: neither a PDF nor an image (PNG, JPEG, TIFF, GIF, BMP, WebP)"
    )


def _short(reference: str) -> str:
    if reference.startswith("data:"):
        return "data: URI"
    return reference if len(reference) <= 200 else reference[:197] + "..."


def _local_path(reference: str) -> str:
    parts = urlsplit(reference)
    if parts.scheme == "file":
        return unquote(parts.path)
    if reference.startswith(LOCAL_FILES_PREFIX):
        found = parse_qs(parts.query).get("d")
        return found[0] if found else ""
    if reference.startswith(UPLOAD_PREFIX):  # --documents is Label Studio's media folder
        return unquote(parts.path)[len("/data/") :]
    return reference


def _local(path: str, name: str, settings: VisualSettings) -> bytes:
    if settings.documents is None:
        raise DocumentError(
            Problem.NOT_ALLOWED,
            f"{name}: local documents are not allowed; name the folder they may come from (--documents DIR)",
        )
    root = settings.documents.resolve()
    if "\x00" in path:
        raise DocumentError(Problem.NOT_FOUND, f"{name}: a path cannot hold a NUL character")
    target = real_path(root / path)
    if target is None:
        raise DocumentError(
            Problem.NOT_FOUND, f"{name}: cannot be followed (a symbolic link loop, or a name too long)"
        )
    if not target.is_relative_to(root):
        raise DocumentError(
            Problem.NOT_ALLOWED, f"{name}: outside the documents folder {root}; only files under it are read"
        )
    try:
        if not target.is_file():
            raise DocumentError(Problem.NOT_FOUND, f"{name}: no such file under the documents folder {root}")
        _check_size(target.stat().st_size, name, settings)
        with target.open("rb") as handle:
            data = handle.read(settings.max_bytes + 1)
    except OSError as exc:
        raise DocumentError(Problem.NOT_FOUND, f"{name}: cannot be read ({exc.strerror or exc})") from None
    _check_size(len(data), name, settings)
    return data


def _check_size(size: int, name: str, settings: VisualSettings) -> None:
    if size > settings.max_bytes:
        raise DocumentError(
            Problem.TOO_LARGE,
            f"{name}: {size} bytes, more than the {settings.max_bytes} allowed; raise the limit (--max-bytes)",
        )


def _data_uri(reference: str, name: str, settings: VisualSettings) -> bytes:
    header, _, payload = reference.partition(",")
    if not header.endswith(";base64"):
        raise DocumentError(Problem.UNSUPPORTED, f"{name}: only base64 data: URIs are read")
    _check_size(len(payload) * 3 // 4, name, settings)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError(Problem.CORRUPT, f"{name}: the base64 payload is not valid") from None


def _remote(url: str, name: str, settings: VisualSettings) -> bytes:
    if not settings.allow_remote:
        raise DocumentError(
            Problem.NOT_ALLOWED, f"{name}: remote documents are not fetched unless enabled (--allow-remote)"
        )
    import requests
    import urllib3

    deadline = time.monotonic() + settings.timeout
    try:
        with requests.get(url, stream=True, timeout=settings.remote_timeout) as response:
            if response.status_code != 200:
                raise DocumentError(Problem.NOT_FOUND, f"{name}: HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit():
                _check_size(int(declared), name, settings)
            chunks: list[bytes] = []
            total = 0
            for chunk in _arriving(response):
                total += len(chunk)
                _check_size(total, name, settings)
                if time.monotonic() > deadline:
                    raise DocumentError(
                        Problem.TIMEOUT,
                        f"{name}: still downloading when the time allowed for the document ran out; "
                        "raise the timeout (--document-timeout)",
                    )
                chunks.append(chunk)
            return b"".join(chunks)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:  # read1 is urllib3's
        raise DocumentError(
            Problem.NOT_FOUND, f"{name}: could not be fetched ({type(exc).__name__})"
        ) from None


def _arriving(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives, one socket read at a time (urllib3's ``read1``), so that a server
    trickling bytes in, each read well within ``remote_timeout``, is cut off at the document's
    time: ``iter_content`` waits for whole 64 KiB chunks (or the whole body) before yielding."""
    read1 = getattr(response.raw, "read1", None)
    if read1 is None:  # urllib3 before 2.3
        yield from response.iter_content(chunk_size=1 << 12)
        return
    while chunk := read1(1 << 16, decode_content=True):
        yield chunk


def local_name(path: Path, settings: VisualSettings) -> str:
    """How a file under the documents folder is named in a task (its path relative to the folder)."""
    root = (settings.documents or Path()).resolve()
    return path.resolve().relative_to(root).as_posix()
