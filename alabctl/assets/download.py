"""Stream one archive to a file: resume with HTTP ``Range``, retry with backoff, hash while writing.

Connection errors, truncated bodies and 5xx answers are retried with exponential backoff; a
retry asks only for the missing bytes (``Range: bytes=<have>-``). 401/403/404 are permanent.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

import requests
import urllib3
from requests.auth import AuthBase

from alabctl.assets.hub import check_status
from alabctl.spec.errors import PermanentError, TransientError, UserError

CHUNK = 1 << 20
"""Bytes per read; a dropped connection loses at most the chunk being read."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Digest:
    """What was downloaded."""

    size: int
    sha256: str
    md5: str | None = None
    """Only computed when the hub's checksum is an MD5."""


class Progress:
    """A one-line progress display on a terminal (stderr); silent otherwise."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.label, self.total, self.done, self._last = label, total, 0, 0.0

    def update(self, done: int) -> None:
        """Show ``done`` bytes, at most five times a second."""
        self.done = done
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        pct = f" {100 * done // self.total:3d}%" if self.total else ""
        self.stream.write(f"\r  {self.label}: {human(done)}{pct}   ")
        self.stream.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            self.stream.write(f"\r  {self.label}: {human(self.done)} done      \n")
            self.stream.flush()


def human(size: int | None) -> str:
    """A byte count for people: ``12.3 MB``."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def check_space(needed: int, free: int, what: str) -> None:
    """The Models Hub rule: free disk must be at least twice the download size."""
    if free < 2 * needed:
        raise UserError(
            f"not enough free disk space for {what}: need {human(2 * needed)} (2 x {human(needed)}), "
            f"{human(free)} free",
            "free some space (alabctl delete model NAME) or use another --home",
        )


def disk_free(path: Path) -> int:
    """Free bytes on the filesystem holding ``path`` (the default free-space probe)."""
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def _hash_prefix(path: Path, hashers: list[hashlib._Hash]) -> int:
    size = 0
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            for h in hashers:
                h.update(chunk)
    return size


def fetch(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    auth: AuthBase | None = None,
    retry: RetryPolicy = RetryPolicy(),
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 60.0,
    size: int | None = None,
    md5: bool = False,
    max_bytes: int | None = None,
) -> Digest:
    """Download ``url`` into ``dest``, continuing a partial ``dest`` when the server allows it.

    ``max_bytes`` bounds the download as it streams (when the hub gives no size, it is what the
    free disk allows); going over it is a permanent error and ``dest`` is removed. When the
    retries run out, ``dest`` is kept only if the server takes ``Range`` requests (so the next run
    resumes), and removed otherwise.
    """
    attempt = 0
    resumable: list[bool] = []
    while True:
        try:
            digest = _attempt(session, url, dest, auth, progress, timeout, md5, max_bytes, resumable)
            if size is not None and digest.size < size:
                raise TransientError(f"the transfer stopped at {digest.size} of {size} bytes", delay=0)
            return digest
        except TransientError as exc:
            attempt += 1
            if attempt >= retry.attempts:
                keep = any(resumable) and dest.exists()
                if not keep:
                    dest.unlink(missing_ok=True)
                raise TransientError(
                    f"download of {url} failed after {attempt} attempts: {exc.message}",
                    hint="run the command again; it resumes where it stopped"
                    if keep
                    else "check the hub URL and the network, then run the command again",
                ) from None
            sleep(retry.delay(attempt))
        except PermanentError:
            dest.unlink(missing_ok=True)
            raise


def _attempt(
    session: requests.Session,
    url: str,
    dest: Path,
    auth: AuthBase | None,
    progress: Progress | None,
    timeout: float,
    want_md5: bool,
    max_bytes: int | None = None,
    resumable: list[bool] | None = None,
) -> Digest:
    hashers = _hashers(want_md5)
    have = _hash_prefix(dest, hashers) if dest.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with session.get(url, headers=headers, auth=auth, stream=True, timeout=timeout) as response:
            if response.status_code == 416 and have:
                dest.unlink()
                raise TransientError("the partial download did not fit; starting again", delay=0)
            check_status(response, url)
            if resumable is not None and (
                response.status_code == 206 or response.headers.get("Accept-Ranges", "") == "bytes"
            ):
                resumable.append(True)
            mode = "ab"
            if have and response.status_code != 206:
                hashers, have, mode = _hashers(want_md5), 0, "wb"
            elif have and not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                dest.unlink()
                raise TransientError("the server resumed at the wrong offset", delay=0)
            done = have
            with dest.open(mode) as out, ThreadPoolExecutor(max_workers=1) as sink:
                pending: Future[None] | None = None
                try:
                    for chunk in _chunks(response):
                        if pending is not None:
                            pending.result()
                        done += len(chunk)
                        if max_bytes is not None and done > max_bytes:
                            raise PermanentError(
                                f"the download of {url} passed {human(max_bytes)}, the most the free "
                                "disk allows (2 x the download must stay free)",
                                "free some space or use another --home",
                            )
                        pending = sink.submit(_consume, out, hashers, chunk)
                        if progress is not None:
                            progress.update(done)
                finally:
                    if pending is not None:
                        pending.result()
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # requests' exceptions subclass OSError: a network problem is transient, a local one is not
        network = isinstance(
            exc, requests.RequestException | urllib3.exceptions.HTTPError | ConnectionError | TimeoutError
        )
        if not network:
            raise PermanentError(
                f"cannot write {dest}: {getattr(exc, 'strerror', None) or exc}",
                "check the free disk space and permissions of the store (--home)",
            ) from None
        raise TransientError(f"connection problem: {type(exc).__name__}") from None
    if progress is not None:
        progress.close()
    return Digest(done, hashers[0].hexdigest(), hashers[1].hexdigest() if want_md5 else None)


def _consume(out: IO[Any], hashers: list[hashlib._Hash], chunk: bytes) -> None:
    """Write and hash one chunk (in the sink thread, while the next chunk is read)."""
    out.write(chunk)
    for hasher in hashers:
        hasher.update(chunk)


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: ``read1`` keeps every byte received before a connection drops."""
    if response.headers.get("Content-Encoding", "identity") != "identity":
        yield from response.iter_content(CHUNK)
        return
    raw = response.raw
    while chunk := raw.read1(CHUNK):
        yield chunk


def _hashers(md5: bool) -> list[hashlib._Hash]:
    return [hashlib.sha256()] + ([hashlib.md5(usedforsecurity=False)] if md5 else [])


def needs_md5(checksum: str) -> bool:
    """Whether a hub checksum is an MD5 (32 hex digits)."""
    return len(checksum.strip()) == 32


def verify(digest: Digest, *, size: int | None, checksum: str = "", sha256: str | None = None) -> None:
    """Check size, the hub's ``checksum`` (MD5 or SHA-256 by length) and a known SHA-256."""
    if size is not None and digest.size != size:
        raise PermanentError(f"size mismatch: expected {size} bytes, got {digest.size}")
    expected = checksum.strip().lower()
    actual = {32: digest.md5, 64: digest.sha256}.get(len(expected))
    if len(expected) == 32 and actual is None:
        raise PermanentError("an MD5 checksum needs the download's MD5 (fetch with md5=True)")
    if expected and actual is not None and actual != expected:
        raise PermanentError(
            f"checksum mismatch: expected {expected}, got {actual}",
            "the download was corrupted or the hub changed; try 'alabctl hub redownload'",
        )
    if sha256 and sha256.lower() != digest.sha256:
        raise PermanentError(f"sha256 mismatch: expected {sha256}, got {digest.sha256}")
