"""Where a task's document may come from: the allowed folder only, URLs only when enabled."""

from __future__ import annotations

import base64
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.settings import VisualSettings
from alabctl.runtime.visual.source import Kind, fetch


def _refused(reference: str, settings: VisualSettings) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        fetch(reference, settings)
    return caught.value


def test_a_file_under_the_folder_is_read(settings: VisualSettings, invoice_pdf: bytes) -> None:
    document = fetch("invoice.pdf", settings)
    assert (document.kind, document.data) == (Kind.PDF, invoice_pdf)
    assert fetch("/data/local-files/?d=invoice.png", settings).kind is Kind.IMAGE


def test_label_studio_uploads_are_read_from_its_media_folder(documents: Path, invoice_pdf: bytes) -> None:
    (documents / "upload" / "12").mkdir(parents=True)
    (documents / "upload" / "12" / "a1b2-invoice.pdf").write_bytes(invoice_pdf)
    document = fetch("/data/upload/12/a1b2-invoice.pdf", VisualSettings(documents=documents))
    assert document.data == invoice_pdf
    error = _refused("/data/upload/../../secret.pdf", VisualSettings(documents=documents))
    assert error.problem is Problem.NOT_ALLOWED


def test_nothing_local_is_read_without_a_folder(documents: Path) -> None:
    error = _refused(str(documents / "invoice.pdf"), VisualSettings())
    assert error.problem is Problem.NOT_ALLOWED
    assert "--documents" in str(error)


@pytest.mark.parametrize(
    "reference", ["../secret.pdf", "/etc/passwd", "file:///etc/passwd", "sub/../../secret.pdf"]
)
def test_paths_outside_the_folder_are_refused(documents: Path, reference: str) -> None:
    (documents.parent / "secret.pdf").write_bytes(b"%PDF-1.7 secret")
    error = _refused(reference, VisualSettings(documents=documents))
    assert error.problem is Problem.NOT_ALLOWED
    assert "outside the documents folder" in str(error)


def test_a_symlink_out_of_the_folder_is_refused(documents: Path) -> None:
    (documents.parent / "secret.pdf").write_bytes(b"%PDF-1.7 secret")
    (documents / "link.pdf").symlink_to(documents.parent / "secret.pdf")
    assert _refused("link.pdf", VisualSettings(documents=documents)).problem is Problem.NOT_ALLOWED


def test_a_missing_file(settings: VisualSettings) -> None:
    assert _refused("nope.pdf", settings).problem is Problem.NOT_FOUND


def test_unknown_schemes_are_refused(settings: VisualSettings) -> None:
    assert _refused("ftp://example.org/a.pdf", settings).problem is Problem.UNSUPPORTED


def test_a_data_uri(settings: VisualSettings, invoice_png: bytes) -> None:
    uri = "data:image/png;base64," + base64.b64encode(invoice_png).decode()
    assert fetch(uri, settings).data == invoice_png


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path == "/stalled.png":  # the headers, a few bytes, then nothing
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(self.body[:10])
            self.wfile.flush()
            time.sleep(3)
            return
        if self.path == "/slow.png":  # a byte every 0.1 s: each read is quick, the whole never ends
            self.send_response(200)
            self.end_headers()
            for byte in self.body[:200]:
                time.sleep(0.1)
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            return
        if self.path != "/invoice.png":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()  # no Content-Length: the size cap must hold while streaming
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server(invoice_png: bytes) -> Iterator[str]:
    _Handler.body = invoice_png
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_urls_are_fetched_only_when_enabled(server: str, invoice_png: bytes) -> None:
    url = f"{server}/invoice.png"
    error = _refused(url, VisualSettings())
    assert error.problem is Problem.NOT_ALLOWED and "--allow-remote" in str(error)
    assert fetch(url, VisualSettings(allow_remote=True)).data == invoice_png
    assert _refused(f"{server}/other.png", VisualSettings(allow_remote=True)).problem is Problem.NOT_FOUND


def test_a_remote_document_over_the_byte_cap_is_cut_off(server: str) -> None:
    error = _refused(f"{server}/invoice.png", VisualSettings(allow_remote=True, max_bytes=1000))
    assert error.problem is Problem.TOO_LARGE


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("invoice\x00.pdf", "NUL"),
        ("loop-a", "symbolic link loop"),
        ("a" * 5000, "cannot be read (File name too long)"),
        ("x/" * 3000 + "b.png", "File name too long"),
    ],
)
def test_paths_the_system_cannot_follow_are_refused(documents: Path, reference: str, says: str) -> None:
    (documents / "loop-a").symlink_to("loop-b")
    (documents / "loop-b").symlink_to("loop-a")
    error = _refused(reference, VisualSettings(documents=documents))
    assert error.problem is Problem.NOT_FOUND
    assert says in str(error)
    assert len(str(error)) < 400, "the message names the document by a short name"


def test_a_remote_document_that_trickles_in_is_cut_off_at_the_documents_time(server: str) -> None:
    started = time.monotonic()
    error = _refused(f"{server}/slow.png", VisualSettings(allow_remote=True, timeout=1.0))
    assert time.monotonic() - started < 5, "the download went on past the document's time"
    assert error.problem is Problem.TIMEOUT and "--document-timeout" in str(error)


def test_a_remote_document_that_stops_coming_is_a_clear_error(server: str) -> None:
    settings = VisualSettings(allow_remote=True, remote_timeout=0.5)
    error = _refused(f"{server}/stalled.png", settings)
    assert error.problem is Problem.NOT_FOUND and "could not be fetched" in str(error)
