"""Fixtures for the runtime: the examples compiled once, and real server processes on free ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alabctl import api
from tests.conftest import EXAMPLES


def compile_examples(out: Path, src: Path = EXAMPLES) -> Path:
    report = api.compile(api.Inputs(paths=[str(src)], cache=False), out, skip_license_check=True)
    assert report.validation.valid, [d.summary for d in report.validation.diagnostics if d.is_error]
    return out


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples compiled (read-only for tests: copy it before changing anything)."""
    return compile_examples(tmp_path_factory.mktemp("examples-build") / "build")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "home"
    monkeypatch.setenv("ALABCTL_HOME", str(root))
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Response:
    status: int
    body: Any


def http(
    url: str,
    payload: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """A request with the standard library; JSON in, JSON (or text) out; errors are responses too."""
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    if data is not None:
        request.method = "POST"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            status, text = reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return Response(status, json.loads(text))
    except ValueError:
        return Response(status, text)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    home: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Response:
        return http(self.url + path)

    def post(self, path: str, payload: Any = None, **kwargs: Any) -> Response:
        if payload is None and "raw" not in kwargs:
            payload = {}
        return http(self.url + path, payload, **kwargs)

    @property
    def token(self) -> str:
        return (self.home / "admin-token").read_text().strip()

    def reload(self, build: Path | None = None) -> Response:
        body = {"build": str(build)} if build else {}
        return self.post("/admin/reload", body, headers={"Authorization": f"Bearer {self.token}"})


def wait_healthy(server: Server, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            err = server.process.stderr.read().decode() if server.process.stderr else ""
            raise AssertionError(f"server exited with {server.process.returncode}: {err}")
        try:
            if http(server.url + "/health", timeout=1).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("server did not become healthy")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start ``python -m alabctl serve ARGS --port P`` (stopped by pid at the end of the test)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, home: Path | None = None) -> Server:
        home = home or tmp_path / "home"
        port = free_port()
        temp = tmp_path / "server-tmp"  # what the server leaves in its temporary folder, to check
        temp.mkdir(exist_ok=True)
        env = {**os.environ, "ALABCTL_HOME": str(home), "TMPDIR": str(temp)}
        process = subprocess.Popen(
            [sys.executable, "-m", "alabctl", "serve", *args, "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        server = Server(process, port, home)
        wait_healthy(server)
        return server

    try:
        yield start
    finally:
        for process in started:
            stop(process)


@pytest.fixture
def copy_build(build: Path, tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(build, target)
        return target

    return copy
