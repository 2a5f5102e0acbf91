"""Asking a live server how it is: ``GET /health`` over loopback, and its admin reload call.

Many servers are asked at once on non-blocking sockets (one selector, one request each), so asking
200 servers costs about as much as asking the slowest one, and no thread is started.
"""

from __future__ import annotations

import errno
import json
import os
import selectors
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from alabctl.reconcile.vocab import Health


@dataclass(frozen=True)
class Probe:
    """What a server's ``/health`` said (``answered`` is ``False`` when nothing answered)."""

    answered: bool
    health: Health
    reason: str | None = None
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def build(self) -> str | None:
        value = self.body.get("build")
        return str(value) if value is not None else None

    @property
    def pid(self) -> int | None:
        value = self.body.get("pid")
        return int(value) if isinstance(value, int) else None


def request(
    host: str,
    port: int,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    timeout: float = 2.0,
) -> tuple[int, Any]:
    """One HTTP request with a JSON body; returns the status and the decoded JSON (or text)."""
    import http.client

    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")
    finally:
        conn.close()


MAX_HEALTH_BYTES = 1 << 20
"""A ``/health`` answer larger than this is not a server's."""
MAX_OPEN = 128
"""Sockets open at once while probing many servers."""


def probe(host: str, port: int, timeout: float = 1.0) -> Probe:
    """``GET /health``: Healthy or Degraded as the server says; Unknown when it does not answer."""
    return probe_all([(host, port)], timeout)[0]


def probe_all(targets: Sequence[tuple[str, int]], timeout: float = 1.0) -> list[Probe]:
    """``GET /health`` of every ``(host, port)`` at once, each within ``timeout``; in order."""
    out: list[Probe | None] = [None] * len(targets)
    waiting = list(range(len(targets)))[::-1]
    with selectors.DefaultSelector() as selector:
        while waiting or selector.get_map():
            while waiting and len(selector.get_map()) < MAX_OPEN:
                index = waiting.pop()
                host, port = targets[index]
                try:
                    _Exchange(index, host, port, timeout).open(selector)
                except OSError as exc:
                    out[index] = _no_answer(host, port, exc)
            _step(selector, out)
    return [
        p if p is not None else _no_answer(*targets[i], TimeoutError("timed out")) for i, p in enumerate(out)
    ]


def _step(selector: selectors.BaseSelector, out: list[Probe | None]) -> None:
    """Wait for the next socket event (at most until the earliest deadline) and handle it."""
    exchanges: list[_Exchange] = [key.data for key in selector.get_map().values()]
    if not exchanges:
        return
    now = time.monotonic()
    for ex in exchanges:
        if now >= ex.deadline:
            out[ex.index] = ex.close(selector, TimeoutError("timed out"))
    wait = min((ex.deadline for ex in exchanges if out[ex.index] is None), default=now) - now
    if not selector.get_map():
        return
    for key, _ in selector.select(max(0.0, wait)):
        ex = key.data
        try:
            done = ex.advance(selector)
        except OSError as exc:
            out[ex.index] = ex.close(selector, exc)
            continue
        if done is not None:
            out[ex.index] = done


class _Exchange:
    """One ``GET /health`` on a non-blocking socket: connect, send, read until the body is whole."""

    def __init__(self, index: int, host: str, port: int, timeout: float) -> None:
        self.index, self.host, self.port = index, host, port
        self.deadline = time.monotonic() + timeout
        self.request = (
            f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        self.received = bytearray()
        self.sock: socket.socket | None = None

    def open(self, selector: selectors.BaseSelector) -> None:
        family, address = _address(self.host, self.port)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        code = sock.connect_ex(address)
        if code not in (0, errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            sock.close()
            raise ConnectionError(code, os.strerror(code))
        self.sock = sock
        selector.register(sock, selectors.EVENT_WRITE, self)

    def advance(self, selector: selectors.BaseSelector) -> Probe | None:
        """Handle one event; the probe once the exchange is over."""
        assert self.sock is not None
        if self.request:
            code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise ConnectionError(code, os.strerror(code))
            sent = self.sock.send(self.request)
            self.request = self.request[sent:]
            if not self.request:
                selector.modify(self.sock, selectors.EVENT_READ, self)
            return None
        chunk = self.sock.recv(65536)
        self.received += chunk
        answer = parse_response(bytes(self.received), complete=not chunk)
        if answer is None and chunk and len(self.received) <= MAX_HEALTH_BYTES:
            return None
        self.close(selector, None)
        if answer is None:
            return _no_answer(self.host, self.port, ConnectionError("no complete HTTP answer"))
        return judge(*answer)

    def close(self, selector: selectors.BaseSelector, error: BaseException | None) -> Probe:
        if self.sock is not None:
            selector.unregister(self.sock)
            self.sock.close()
            self.sock = None
        return _no_answer(self.host, self.port, error or ConnectionError("closed"))


def _address(host: str, port: int) -> tuple[socket.AddressFamily, Any]:
    """Where to connect: a numeric address as it is (no resolver, no codec), a name resolved."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return family, (host, port)
    info = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
    return info[0], info[4]


def _no_answer(host: str, port: int, exc: BaseException) -> Probe:
    return Probe(False, Health.UNKNOWN, f"no answer on {host}:{port}: {exc}")


def parse_response(raw: bytes, *, complete: bool) -> tuple[int, Any] | None:
    """The status and decoded body of an HTTP/1.x response, or ``None`` while it is not whole.

    ``complete``: the peer closed the connection (the body ends there when no length was given).
    """
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        decoded = _dechunk(body)
        if decoded is None:
            return None
        body = decoded
    elif "content-length" in headers:
        length = int(headers["content-length"]) if headers["content-length"].isdigit() else -1
        if length < 0 or len(body) < length:
            return None
        body = body[:length]
    elif not complete:
        return None
    try:
        return int(parts[1]), json.loads(body)
    except ValueError:
        return int(parts[1]), body.decode(errors="replace")


def _dechunk(body: bytes) -> bytes | None:
    out = bytearray()
    while True:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            return None
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            return None
        if size == 0:
            return bytes(out)
        if len(rest) < size + 2:
            return None
        out += rest[:size]
        body = rest[size + 2 :]


def judge(status: int, body: Any) -> Probe:
    """What an answered ``/health`` means: Healthy or Degraded as the server says."""
    if status != 200 or not isinstance(body, dict):
        return Probe(True, Health.DEGRADED, f"/health answered HTTP {status}", {})
    try:
        health = Health(str(body.get("health", "Healthy")))
    except ValueError:
        health = Health.UNKNOWN
    if body.get("status") not in (None, "UP"):
        health = Health.DEGRADED
    return Probe(True, health, body.get("reason"), body)
