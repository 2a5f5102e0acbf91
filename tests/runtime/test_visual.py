"""Visual NER through the runtime: ``serve`` and ``preannotate`` read a task's PDF or image and
answer with boxes that pass Label Studio's prediction check for the compiled config."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
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


def test_the_server_answers_each_hostile_task_with_its_error(
    start_server: Callable[..., Server], build: Path, documents: Path
) -> None:
    server = start_server("invoices", "--build", str(build), "--documents", str(documents))
    tasks = [
        {"data": {"image": 42}},  # each of these was a 500 for the whole request
        {"data": {"image": "invoice\x00.pdf"}},
        {"data": {"image": "a" * 5000}},
        {"data": {"image": "x.png", "hocr": CARRIED}},
    ]
    reply = server.post("/predict", {"tasks": tasks})
    assert reply.status == 200, reply.body
    number, nul, long, carried = reply.body["results"]
    assert "a number" in number["error"] and "NUL" in nul["error"] and "too long" in long["error"]
    assert "error" not in carried and carried["result"]


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


def _long_scan(documents: Path, pages: int = 40) -> None:
    """A TIFF of ``pages`` scanned invoice pages: one task that keeps a worker in OCR for a while."""
    import io

    from PIL import Image

    page = Image.open(documents / "invoice.png")
    page.load()
    buffer = io.BytesIO()
    page.save(buffer, "TIFF", save_all=True, append_images=[page] * (pages - 1), compression="tiff_deflate")
    (documents / "long.tif").write_bytes(buffer.getvalue())


def _group(pgid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                found.append(int(stat.parent.name))
    return found


def _ocr_running(pgid: int) -> bool:
    for pid in _group(pgid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "tesseract":
                return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "sig"),
    [("group", signal.SIGINT), ("driver", signal.SIGINT), ("driver", signal.SIGTERM)],
    ids=["ctrl-c", "kill-int", "kill-term"],
)
def test_an_interrupted_run_stops_at_once_and_leaves_the_output_alone(
    build: Path, documents: Path, tmp_path: Path, how: str, sig: int
) -> None:
    _long_scan(documents)
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps([{"data": {"image": "long.tif"}}] * 2))
    out = tmp_path / "out.json"
    out.write_text("[]\n")
    cmd = [sys.executable, "-m", "alabctl", "preannotate", "--project", "invoices", "--build", str(build)]
    cmd += ["--tasks", str(tasks), "--out", str(out), "--documents", str(documents), "--workers", "3"]
    scratch = tmp_path / "tmp"  # the run's temporary folder: OCR's files must not stay in it
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    process = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while not _ocr_running(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, process.communicate()[1]
        time.sleep(0.5)
        signalled = time.monotonic()
        if how == "group":  # what the terminal does on Ctrl-C: every process of the group
            os.killpg(process.pid, sig)
        else:  # kill PID, timeout(1), a CI runner: the driver only
            os.kill(process.pid, sig)
        _, err = process.communicate(timeout=60)
        took = time.monotonic() - signalled
        deadline = time.monotonic() + 15  # an OCR run already started may finish its page
        while _group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group(process.pid) == [], "a worker or an OCR run outlived the run"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    assert took < 5, f"the run went on for {took:.1f} s after the signal"
    assert out.read_text() == "[]\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.json",
        "outside.pdf",
        "scans",
        "tasks.json",
        "tmp",
    ]
    assert list(scratch.iterdir()) == [], "OCR's temporary files were left behind"


def test_visual_tasks_go_to_the_workers_a_few_at_a_time(build: Path, tmp_path: Path) -> None:
    """A document can take seconds: in chunks of 256, a run of 100 scans kept one worker busy and
    the others idle, and showed no progress until the end."""
    import io

    from alabctl.runtime.batch import BatchJob, run_batch

    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        "".join(json.dumps({"data": {"image": "x.png", "hocr": CARRIED}}) + "\n" for _ in range(12))
    )
    out, err = io.StringIO(), io.StringIO()
    report = run_batch(BatchJob(build, "invoices", tasks, workers=1, progress=True), out, err)
    assert report.written == 12 and len(out.getvalue().splitlines()) == 12
    shown = [int(part.split()[0]) for part in err.getvalue().split("preannotate: ")[1:]]
    assert shown[0] < 12 and shown[-1] == 12, err.getvalue()


@pytest.mark.parametrize("folder", ["missing", "tasks.json"])
def test_documents_must_be_a_folder(build: Path, tmp_path: Path, folder: str) -> None:
    tasks = tmp_path / "tasks.json"
    # with --documents naming this very file, "../tasks.json" resolved to the folder itself and was read
    tasks.write_text(json.dumps([{"data": {"image": "../tasks.json"}}]))
    done = _preannotate(
        "--project", "invoices", "--build", str(build), "--tasks", str(tasks),
        "--documents", str(tmp_path / folder),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"--documents {tmp_path / folder}: not a folder" in done.stderr
    assert done.stdout == ""


def test_hostile_task_values_are_skipped_one_by_one(build: Path, documents: Path, tmp_path: Path) -> None:
    (documents / "loop-a").symlink_to("loop-b")
    (documents / "loop-b").symlink_to("loop-a")
    endless = '<div class="ocr_page" title="bbox 0 0 1' + "0" * 400 + ' 100"></div>'
    tasks = [
        {"data": {"image": 42}},
        {"data": {"image": "invoice\x00.pdf"}},
        {"data": {"image": "loop-a"}},
        {"data": {"image": "a" * 5000}},
        {"data": {"image": "x.png", "hocr": endless}},
        {"data": {"image": "x.png", "hocr": CARRIED}},
    ]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    done = _preannotate(
        "--project", "invoices", "--build", str(build), "--tasks", str(tmp_path / "tasks.json"),
        "--documents", str(documents), "--workers", "1",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # not 3: each is the task's fault, not a bug
    assert "internal error" not in done.stderr
    assert "5 skipped" in done.stderr and "pre-annotated 1 of 6 tasks" in done.stderr
    assert [json.loads(line)["data"]["hocr"] for line in done.stdout.splitlines()] == [CARRIED]
