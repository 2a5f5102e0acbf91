"""A real Models Hub on 127.0.0.1 for tests: Spark NLP's folder layout served from a tmp dir.

It supports ``Range``, can drop a connection midway, answer 503 once, corrupt bytes, and require a
SigV4 ``Authorization`` header on licensed folders (403 without it).
"""

from __future__ import annotations

import datetime
import io
import json
import signal
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

ACCESS_KEY = "AKIDTESTKEY"
SECRET_KEY = "test-secret-never-printed"


@dataclass
class HubState:
    """What the server does; tests change it between requests."""

    root: Path
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    drop_after: dict[str, int] = field(default_factory=dict)
    """path -> bytes to send before closing the connection (once)."""
    fail_once: dict[str, int] = field(default_factory=dict)
    """path -> HTTP status to answer once."""
    corrupt: set[str] = field(default_factory=set)
    stall: set[str] = field(default_factory=set)
    """Paths answered with nothing at all (the client's read times out); HEAD too."""
    slow: set[str] = field(default_factory=set)
    """Paths sent 64 KiB at a time with a pause after each piece (a download that takes a while)."""
    unsized: set[str] = field(default_factory=set)
    """Paths served without Content-Length, Range support or HEAD (the size is unknown until the end)."""
    released: threading.Event = field(default_factory=threading.Event)
    licensed: tuple[str, ...] = ("/clinical/",)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def gets(self, suffix: str) -> list[dict[str, str]]:
        """Headers of every GET whose path ends with ``suffix``."""
        return [h for m, p, h in self.requests if m == "GET" and p.endswith(suffix)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: HubState

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        state = self.state
        path = unquote(self.path.split("?")[0])
        with state.lock:
            state.requests.append((self.command, path, dict(self.headers.items())))
            status = state.fail_once.pop(path, None) if not head else None
            drop = state.drop_after.pop(path, None) if not head else None
        if path.startswith(state.licensed):
            auth = self.headers.get("Authorization", "")
            today = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
            scope = f"Credential={ACCESS_KEY}/{today}/us-east-1/s3/aws4_request"
            if not auth.startswith("AWS4-HMAC-SHA256 ") or scope not in auth:
                return self._plain(403, b"AccessDenied")
        if status is not None:
            return self._plain(status, b"try again")
        if path in state.stall:
            state.released.wait(30)  # hold the connection open, send nothing
            self.close_connection = True
            return None
        file = state.root / path.lstrip("/")
        if not file.is_file():
            return self._plain(404, b"NoSuchKey")
        data = file.read_bytes()
        if path in state.unsized:
            return self._unsized(data, head)
        if path in state.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start, code = 0, 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                return self._plain(416, b"")
            code = 206
        body = data[start:]
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if code == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if head:
            return None
        if drop is not None:
            self.wfile.write(body[:drop])
            self.wfile.flush()
            self.close_connection = True
            return None
        if path in state.slow:
            try:
                for start in range(0, len(body), 1 << 16):
                    self.wfile.write(body[start : start + (1 << 16)])
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):  # the client went away
                self.close_connection = True
            return None
        self.wfile.write(body)
        return None

    def _unsized(self, data: bytes, head: bool) -> None:
        """No length, no ranges: the body runs until the connection closes."""
        if head:
            return self._plain(405, b"")
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for start in range(0, len(data), 1 << 16):
            self.wfile.write(data[start : start + (1 << 16)])
        return None

    def _plain(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class HubServer:
    """A running server; ``url`` is its base URL."""

    def __init__(self, root: Path) -> None:
        self.state = HubState(root)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.state.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serving(root: Path) -> Iterator[HubServer]:
    """A hub serving the new, empty folder ``root``; closed on exit."""
    root.mkdir()
    server = HubServer(root)
    try:
        yield server
    finally:
        server.close()


def spark_model_zip(
    class_name: str = "com.johnsnowlabs.nlp.annotators.ner.dl.NerDLModel",
    uid: str = "NerDLModel_abc123",
    storage_ref: str | None = "glove_100d",
    payload: bytes = b"weights" * 100,
    top: str = "",
) -> bytes:
    """A real zip of a saved Spark ML model folder."""
    params: dict[str, object] = {"inputCols": ["sentence", "token", "embeddings"], "outputCol": "ner"}
    if storage_ref is not None:
        params["storageRef"] = storage_ref
    meta = {
        "class": class_name,
        "timestamp": 1600000000000,
        "sparkVersion": "3.3.0",
        "uid": uid,
        "paramMap": params,
        "defaultParamMap": {"storageRef": uid},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}metadata/part-00000", json.dumps(meta) + "\n")
        zf.writestr(f"{top}metadata/_SUCCESS", "")
        zf.writestr(f"{top}fields/weights/part-00000", payload)
    return buf.getvalue()


def embeddings_zip(name: str = "glove_100d") -> bytes:
    """A zip of a WordEmbeddingsModel folder whose storageRef is its own name."""
    return spark_model_zip(
        "com.johnsnowlabs.nlp.embeddings.WordEmbeddingsModel", f"WORD_EMBEDDINGS_{name}", name, b"vec" * 300
    )


def iso(ms: int, millis: bool = True) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if millis else "Z")


def index_line(
    name: str, lang: str, lib: list[int], spark: list[int], time: str, *, ready: bool = True, **extra: object
) -> str:
    """One record of a hub folder's ``metadata.json`` (a JSON line)."""
    return json.dumps(
        {
            "name": name,
            "language": lang,
            "libVersion": {"parts": lib},
            "sparkVersion": {"parts": spark},
            "readyToUse": ready,
            "time": time,
            "isZipped": True,
            **extra,
        }
    )


def publish(
    root: Path,
    folder: str,
    name: str,
    data: bytes,
    *,
    lang: str = "en",
    lib: list[int] | None = None,
    spark: list[int] | None = None,
    time_ms: int = 1_690_000_000_000,
    ready: bool = True,
    millis: bool = True,
    **extra: object,
) -> str:
    """Write an archive and its index line; returns the archive's path on the server."""
    lib = lib if lib is not None else [4, 4, 0]
    spark = spark if spark is not None else [3, 0]
    key = f"{name}_{lang}_{'.'.join(map(str, lib))}_{'.'.join(map(str, spark))}_{time_ms}"
    target = root / folder / f"{key}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    fields: dict[str, object] = {"category": "ml", "checksum": "", **extra}
    record = index_line(name, lang, lib, spark, iso(time_ms, millis), ready=ready, **fields)
    with (root / folder / "metadata.json").open("a") as out:
        out.write(record + "\n")
    return f"/{folder}/{key}.zip"


def license_json() -> str:
    return json.dumps(
        {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "SECRET": "lib-secret"}
    )


def interrupted(command: list[str], hub: HubServer, suffix: str, count: int) -> tuple[int, str, str, float]:
    """Run ``command``, press Ctrl-C (SIGINT) once ``hub`` has had ``count`` GETs of paths ending with
    ``suffix`` (and 0.3 s more); its exit code, stdout, stderr and the seconds it took to exit then."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(hub.state.gets(suffix)) < count:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.3)
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        return proc.returncode, out, err, time.monotonic() - pressed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
