"""Visual NER through the runtime: ``serve`` and ``preannotate`` read a task's PDF or image and
answer with boxes that pass Label Studio's prediction check for the compiled config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alabctl.runtime.visual.geometry import Box, iou, union
from tests.runtime.conftest import Server
from tests.runtime.lscheck import ls_errors
from tests.visual.drawing import INVOICE, draw_pdf, layout, render_png, truth

WORDS = layout([INVOICE])
CARRIED = """<html><body><div class="ocr_page" title="bbox 0 0 1000 800; ppageno 0">
<span class="ocr_line" title="bbox 10 10 400 40">
<span class="ocrx_word" title="bbox 10 10 90 40; x_wconf 95">Invoice</span>
<span class="ocrx_word" title="bbox 100 10 140 40; x_wconf 95">no.</span>
<span class="ocrx_word" title="bbox 200 10 350 40; x_wconf 93">AB-12345</span>
</span></div></body></html>"""


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    pdf = draw_pdf([INVOICE])
    (folder / "invoice.pdf").write_bytes(pdf)
    (folder / "invoice.png").write_bytes(render_png(pdf))
    (folder / "two-pages.pdf").write_bytes(draw_pdf([["Nothing on this page"], INVOICE]))
    (tmp_path / "outside.pdf").write_bytes(pdf)
    return folder


def _box(result: dict[str, Any]) -> Box:
    value, width, height = result["value"], result["original_width"], result["original_height"]
    x, y = value["x"] / 100 * width, value["y"] / 100 * height
    return Box(x, y, x + value["width"] / 100 * width, y + value["height"] / 100 * height)


def _rectangles(prediction: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["value"]["text"]: r for r in prediction["result"] if r["type"] == "rectanglelabels"}


def _check_invoice(prediction: dict[str, Any], build: Path, minimum: float, page: int = 0) -> None:
    assert ls_errors(build, "invoices", prediction) == []
    found = _rectangles(prediction)
    assert set(found) == {"INV-20931", "12/03/2024"}  # the example's rules: number and date
    assert found["INV-20931"]["value"]["rectanglelabels"] == ["InvoiceNumber"]
    for text, result in found.items():
        assert result["item_index"] == page
        assert iou(_box(result), union(w.box for w in truth(WORDS, text))) >= minimum


def test_the_server_answers_visual_tasks_with_boxes(
    start_server: Callable[..., Server], build: Path, documents: Path
) -> None:
    server = start_server("invoices", "--build", str(build), "--documents", str(documents))
    tasks = [
        {"id": 1, "data": {"image": "invoice.pdf"}},
        {"id": 2, "data": {"image": "/data/local-files/?d=two-pages.pdf"}},
        {"id": 3, "data": {"image": "../outside.pdf"}},
        {"id": 4, "data": {"image": "invoice.png"}},
    ]
    reply = server.post("/predict", {"tasks": tasks}, timeout=120)
    assert reply.status == 200, reply.body
    first, second, outside, scanned = reply.body["results"]
    _check_invoice(first, build, 0.8)
    _check_invoice(second, build, 0.8, page=1)
    assert outside["result"] == [] and "outside the documents folder" in outside["error"]
    _check_invoice(scanned, build, 0.6)


def test_the_server_reads_no_local_file_unless_given_a_folder(
    start_server: Callable[..., Server], build: Path, documents: Path
) -> None:
    server = start_server("invoices", "--build", str(build))
    reply = server.post("/predict", {"tasks": [{"data": {"image": str(documents / "invoice.pdf")}}]})
    assert reply.status == 200
    (only,) = reply.body["results"]
    assert only["result"] == [] and "--documents" in only["error"]


def _preannotate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alabctl", "preannotate", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_preannotate_writes_boxes_and_skips_documents_it_may_not_read(
    build: Path, documents: Path, tmp_path: Path, workers: str
) -> None:
    tasks = tmp_path / "tasks.json"
    tasks.write_text(
        json.dumps(
            [
                {"id": 1, "data": {"image": "invoice.pdf"}},
                {"id": 2, "data": {"image": "/etc/passwd"}},
                {"id": 3, "data": {"image": "invoice.png"}},
                {"id": 4, "data": {"text": "no image key"}},
                {"id": 5, "data": {"image": "not-there.png", "hocr": CARRIED}},
            ]
        )
    )
    out = tmp_path / "out.json"
    done = _preannotate(
        "--project", "invoices", "--build", str(build), "--tasks", str(tasks), "--out", str(out),
        "--documents", str(documents), "--workers", workers,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # two tasks skipped
    assert "task 1: /etc/passwd: outside the documents folder" in done.stderr
    assert "task 3: no 'image' in the task's data" in done.stderr
    written = json.loads(out.read_text())
    assert [t["id"] for t in written] == [1, 3, 5]
    _check_invoice(written[0]["predictions"][0], build, 0.8)
    _check_invoice(written[1]["predictions"][0], build, 0.6)
    # the OCR the task carried was used: its document (absent) was never read
    carried = written[2]["predictions"][0]
    assert ls_errors(build, "invoices", carried) == []
    (number,) = [r for r in carried["result"] if r["type"] == "rectanglelabels"]
    assert number["value"]["text"] == "AB-12345" and number["original_width"] == 1000
    assert (number["value"]["x"], number["value"]["width"]) == (20.0, 15.0)
