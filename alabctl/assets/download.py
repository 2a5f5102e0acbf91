"""Stream one archive to a file: resume with HTTP ``Range``, retry with backoff, hash while writing.

Connection errors, truncated bodies and 5xx answers are retried with exponential backoff; a
retry asks only for the missing bytes (``Range: bytes=<have>-``). 401/403/404 are permanent.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, TextIO, TypeVar

import requests
import urllib3
from requests.auth import AuthBase

from alabctl.assets.hub import check_status
from alabctl.spec.errors import PermanentError, TransientError, UserError

T = TypeVar("T")

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


class Reporter(Protocol):
    """What a download reports its progress to (a :class:`Progress`, or a share of a larger one)."""

    def update(self, done: int) -> None:
        """``done`` bytes of this download are held."""

    def close(self) -> None:
        """An attempt ended."""


class Interrupted(BaseException):
    """Raised in a download thread at its next chunk once the command was interrupted (Ctrl-C):
    the download stops, and what it holds stays for the next run to resume."""


def gather(workers: int, jobs: Sequence[Callable[[], T]], stop: threading.Event) -> list[Future[T]]:
    """Run ``jobs`` on ``workers`` threads and wait for every one; their futures, all done.

    An interrupt while waiting (Ctrl-C in the main thread) sets ``stop``, which makes each running
    download raise :class:`Interrupted` at its next chunk (see :class:`Progress`), cancels the jobs
    not started, waits for the running ones to end, and goes on up: the command stops at once
    instead of finishing every download first.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures = [pool.submit(job) for job in jobs]
        wait(futures)
    except BaseException:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return futures


class Progress:
    """A one-line progress display on a terminal (stderr); silent otherwise. With ``stop``, an
    update after ``stop`` was set raises :class:`Interrupted` (see :func:`gather`)."""

    def __init__(
        self,
        label: str,
        total: int | None,
        stream: TextIO | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.label, self.total, self.done, self._last = label, total, 0, 0.0
        self.stop = stop

    def update(self, done: int) -> None:
        """Show ``done`` bytes, at most five times a second."""
        if self.stop is not None and self.stop.is_set():
            raise Interrupted
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


class Sink:
    """Where a download's bytes go, hashed on the way: a file (resumable across runs) by default.

    :meth:`begin` is called before each attempt and returns how many bytes are already held (their
    hash is in ``hashers``); :meth:`write` runs in a writer thread while the hashers run in another.
    """

    resumable_across_runs = True

    def __init__(self, dest: Path, md5: bool = False) -> None:
        self.dest, self.md5 = dest, md5
        self.hashers = new_hashers(md5)
        self._out: IO[bytes] | None = None

    def begin(self) -> int:
        """Bytes already held from an earlier attempt (or run), hashed into fresh hashers."""
        self.hashers = new_hashers(self.md5)
        return _hash_prefix(self.dest, self.hashers) if self.dest.exists() else 0

    def restart(self) -> None:
        """Forget what is held: the server sends the whole body again."""
        self.hashers = new_hashers(self.md5)
        self.dest.unlink(missing_ok=True)

    def open(self) -> None:
        """Before the first write of an attempt."""
        self._out = self.dest.open("ab")

    def digest(self, chunk: bytes) -> None:
        """Hash one chunk (in the hashing thread, while the writer thread keeps it)."""
        for hasher in self.hashers:
            hasher.update(chunk)

    def write(self, chunk: bytes) -> None:
        """Keep one chunk (in the writer thread)."""
        assert self._out is not None
        self._out.write(chunk)

    def close(self) -> None:
        """After an attempt, whatever its outcome."""
        if self._out is not None:
            self._out.close()
            self._out = None

    def kept(self) -> bool:
        """Whether something is held that a later run could continue."""
        return self.dest.exists()

    def discard(self) -> None:
        """Delete what is held."""
        self.close()
        self.dest.unlink(missing_ok=True)


def fetch(
    session: requests.Session,
    url: str,
    dest: Path | Sink,
    *,
    auth: AuthBase | None = None,
    retry: RetryPolicy = RetryPolicy(),
    progress: Reporter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 60.0,
    size: int | None = None,
    md5: bool = False,
    max_bytes: int | None = None,
) -> Digest:
    """Download ``url`` into ``dest`` (a file, or a :class:`Sink`), continuing what it holds when the server allows it.

    ``max_bytes`` bounds the download as it streams (when the hub gives no size, it is what the
    free disk allows); going over it is a permanent error and ``dest`` is removed. When the
    retries run out, a file is kept only if the server takes ``Range`` requests (so the next run
    resumes), and removed otherwise.
    """
    sink = dest if isinstance(dest, Sink) else Sink(dest, md5)
    attempt = 0
    resumable: list[bool] = []
    while True:
        try:
            digest = _attempt(session, url, sink, auth, progress, timeout, max_bytes, resumable)
            if size is not None and digest.size < size:
                raise TransientError(f"the transfer stopped at {digest.size} of {size} bytes", delay=0)
            return digest
        except TransientError as exc:
            attempt += 1
            if attempt >= retry.attempts:
                keep = any(resumable) and sink.resumable_across_runs and sink.kept()
                if not keep:
                    sink.discard()
                raise TransientError(
                    f"download of {url} failed after {attempt} attempts: {exc.message}",
                    hint="run the command again; it resumes where it stopped"
                    if keep
                    else "check the hub URL and the network, then run the command again",
                ) from None
            sleep(retry.delay(attempt))
        except PermanentError:
            sink.discard()
            raise


def _attempt(
    session: requests.Session,
    url: str,
    sink: Sink,
    auth: AuthBase | None,
    progress: Reporter | None,
    timeout: float,
    max_bytes: int | None = None,
    resumable: list[bool] | None = None,
) -> Digest:
    have = sink.begin()
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with session.get(url, headers=headers, auth=auth, stream=True, timeout=timeout) as response:
            if response.status_code == 416 and have:
                sink.restart()
                raise TransientError("the partial download did not fit; starting again", delay=0)
            check_status(response, url)
            if resumable is not None and (
                response.status_code == 206 or response.headers.get("Accept-Ranges", "") == "bytes"
            ):
                resumable.append(True)
            if have and response.status_code != 206:
                sink.restart()
                have = 0
            elif have and not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                sink.restart()
                raise TransientError("the server resumed at the wrong offset", delay=0)
            done = _pump(response, sink, url, have, max_bytes, progress)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # requests' exceptions subclass OSError: a network problem is transient, a local one is not
        network = isinstance(
            exc, requests.RequestException | urllib3.exceptions.HTTPError | ConnectionError | TimeoutError
        )
        if not network:
            raise PermanentError(
                f"cannot write {sink.dest}: {getattr(exc, 'strerror', None) or exc}",
                "check the free disk space and permissions of the store (--home)",
            ) from None
        raise TransientError(f"connection problem: {type(exc).__name__}") from None
    if progress is not None:
        progress.close()
    hashers = sink.hashers
    return Digest(done, hashers[0].hexdigest(), hashers[1].hexdigest() if sink.md5 else None)


def _pump(
    response: requests.Response,
    sink: Sink,
    url: str,
    done: int,
    max_bytes: int | None,
    progress: Reporter | None,
) -> int:
    """Read the body; hash each chunk in one thread and write it in another while the next is read."""
    sink.open()
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=1) as hasher, ThreadPoolExecutor(max_workers=1) as writer:
        try:
            for chunk in _chunks(response):
                for future in pending:
                    future.result()
                done += len(chunk)
                if max_bytes is not None and done > max_bytes:
                    raise PermanentError(
                        f"the download of {url} passed {human(max_bytes)}, the most the free "
                        "disk allows (2 x the download must stay free)",
                        "free some space or use another --home",
                    )
                pending = [hasher.submit(sink.digest, chunk), writer.submit(sink.write, chunk)]
                if progress is not None:
                    progress.update(done)
        finally:
            try:
                for future in pending:
                    future.result()
            finally:
                sink.close()
    return done


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: ``read1`` keeps every byte received before a connection drops."""
    if response.headers.get("Content-Encoding", "identity") != "identity":
        yield from response.iter_content(CHUNK)
        return
    raw = response.raw
    while chunk := raw.read1(CHUNK):
        yield chunk


def new_hashers(md5: bool) -> list[hashlib._Hash]:
    """SHA-256, and MD5 when asked."""
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
