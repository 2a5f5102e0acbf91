"""Probing many servers' /health at once on non-blocking sockets (real sockets on loopback)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alabctl.reconcile.health import parse_response, probe, probe_all
from alabctl.reconcile.vocab import Health


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        kind = self.server.kind  # type: ignore[attr-defined]
        if kind == "chunked":
            body = json.dumps({"status": "UP", "health": "Healthy", "model_version": "c"}).encode()
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (body[:7], body[7:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        status, payload = {
            "healthy": (200, {"status": "UP", "health": "Healthy", "model_version": "v1", "pid": 7}),
            "degraded": (200, {"status": "UP", "health": "Degraded", "reason": "reload failed"}),
            "error": (500, "boom"),
        }[kind]
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # one server stands for 300 here: room for all their connections


@contextmanager
def _server(kind: str) -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.kind = kind  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_probe_all_tells_each_server_apart_in_order() -> None:
    silent = socket.socket()  # accepts connections (the backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        with (
            _server("healthy") as ok,
            _server("degraded") as bad,
            _server("error") as err,
            _server("chunked") as chunked,
        ):
            targets = [
                ("127.0.0.1", ok),
                ("127.0.0.1", _closed_port()),
                ("127.0.0.1", bad),
                ("127.0.0.1", silent.getsockname()[1]),
                ("127.0.0.1", err),
                ("127.0.0.1", chunked),
            ]
            start = time.monotonic()
            got = probe_all(targets, timeout=0.5)
            elapsed = time.monotonic() - start
    finally:
        silent.close()
    assert [p.health for p in got] == [
        Health.HEALTHY,
        Health.UNKNOWN,
        Health.DEGRADED,
        Health.UNKNOWN,
        Health.DEGRADED,
        Health.HEALTHY,
    ]
    assert got[0].answered and got[0].body["model_version"] == "v1" and got[0].pid == 7
    assert not got[1].answered and "refused" in (got[1].reason or "").lower()
    assert got[2].reason == "reload failed"
    assert not got[3].answered and "timed out" in (got[3].reason or "")
    assert got[4].answered and got[4].reason == "/health answered HTTP 500"
    assert got[5].body["model_version"] == "c"
    assert elapsed < 2.0  # the silent one's timeout is waited once, not once per server


def test_probe_all_asks_many_servers_at_once() -> None:
    with _server("healthy") as port:
        got = probe_all([("127.0.0.1", port)] * 300, timeout=5.0)
    assert len(got) == 300 and all(p.health is Health.HEALTHY for p in got)
    assert probe("127.0.0.1", port).health is Health.UNKNOWN  # stopped now


def test_parse_response_waits_for_the_whole_body() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"
    assert parse_response(head + b'{"a": ', complete=False) is None
    assert parse_response(head + b'{"a": 1}   ', complete=False) == (200, {"a": 1})
    assert parse_response(b"HTTP/1.0 200 OK\r\n\r\n[1]", complete=False) is None
    assert parse_response(b"HTTP/1.0 200 OK\r\n\r\n[1]", complete=True) == (200, [1])
    assert parse_response(b"garbage\r\n\r\n", complete=True) is None
