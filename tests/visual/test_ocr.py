"""Images and scanned PDFs through Tesseract, and OCR the task already carries (hOCR)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alabctl.cli.main import main
from alabctl.runtime.visual.annotate import annotate_pages
from alabctl.runtime.visual.document import read_pages
from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.geometry import Box, iou, union
from alabctl.runtime.visual.ocr import missing_languages
from alabctl.runtime.visual.page import TextOrigin
from alabctl.runtime.visual.settings import VisualSettings
from tests.conftest import EXAMPLES
from tests.visual.conftest import INVOICE_PATTERNS, PatternEngine
from tests.visual.drawing import INVOICE, layout, scanned_pdf, truth

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="the tesseract program is not installed (apt-get install tesseract-ocr)",
)
WORDS = layout([INVOICE])
HOCR_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><meta name="ocr-system" content="spark-ocr"/></head><body>
<div class="ocr_page" id="page_1" title="image x.png; bbox 0 0 1000 500; ppageno 0">
 <div class="ocr_carea" title="bbox 10 10 900 200"><p class="ocr_par">
  <span class="ocr_line" title="bbox 10 10 900 40">
   <span class="ocrx_word" title="bbox 10 10 120 40; x_wconf 96">Invoice</span>
   <span class="ocrx_word" title="bbox 130 10 400 40; x_wconf 91">INV-777</span>
  </span>
  <span class="ocr_line" title="bbox 10 60 900 90">
   <span class="ocrx_word" title="bbox 10 60 200 90; x_wconf 88">Acme</span>
   <span class="ocrx_word" title="bbox 210 60 500 90; x_wconf 90">Corporation</span>
  </span>
 </p></div>
</div></body></html>"""


def _box(result: dict[str, object], width: int, height: int) -> Box:
    value = result["value"]
    assert isinstance(value, dict)
    x, y = value["x"] / 100 * width, value["y"] / 100 * height
    return Box(x, y, x + value["width"] / 100 * width, y + value["height"] / 100 * height)


def _check_invoice_regions(pages: list) -> None:  # type: ignore[type-arg]
    (page,) = pages
    results = annotate_pages(pages, PatternEngine(INVOICE_PATTERNS))
    boxes = {r["value"]["text"]: r for r in results if r["type"] == "rectanglelabels"}
    for text in ("INV-20931", "12/03/2024", "Acme Corporation Ltd"):
        expected = union(w.box for w in truth(WORDS, text))
        assert iou(_box(boxes[text], page.width, page.height), expected) >= 0.6, text


def test_an_image_is_read_through_tesseract(settings: VisualSettings, invoice_png: bytes) -> None:
    import io

    from PIL import Image

    pages = read_pages("invoice.png", settings)
    assert pages[0].origin is TextOrigin.TESSERACT
    assert (pages[0].width, pages[0].height) == Image.open(io.BytesIO(invoice_png)).size
    _check_invoice_regions(pages)


def test_a_scanned_pdf_without_a_text_layer_is_ocred(documents: Path, invoice_png: bytes) -> None:
    (documents / "scan.pdf").write_bytes(scanned_pdf(invoice_png))
    pages = read_pages("scan.pdf", VisualSettings(documents=documents))
    assert pages[0].origin is TextOrigin.TESSERACT
    _check_invoice_regions(pages)


def test_ocr_output_the_task_carries_is_used_and_nothing_is_read(invoice_png: bytes) -> None:
    import io

    import pytesseract
    from PIL import Image

    hocr = pytesseract.image_to_pdf_or_hocr(Image.open(io.BytesIO(invoice_png)), extension="hocr")
    # no documents folder: reading the image would fail, so these pages come from the hOCR alone
    pages = read_pages("invoice.png", VisualSettings(), carried_ocr=hocr.decode())
    assert pages[0].origin is TextOrigin.HOCR
    _check_invoice_regions(pages)


def test_spark_ocr_style_hocr_pages_lines_and_confidence() -> None:
    pages = read_pages("unused.pdf", VisualSettings(), carried_ocr=[HOCR_PAGE, HOCR_PAGE])
    assert [p.index for p in pages] == [0, 1]
    page = pages[1]
    assert (page.width, page.height) == (1000, 500)
    assert [(w.text, w.line) for w in page.words] == [
        ("Invoice", 0),
        ("INV-777", 0),
        ("Acme", 1),
        ("Corporation", 1),
    ]
    assert page.words[0].confidence == pytest.approx(0.96)
    results = annotate_pages(pages, PatternEngine({"Vendor": r"Acme Corporation", "No": r"INV-\d+"}))
    vendor = [
        r for r in results if r["type"] == "rectanglelabels" and r["value"]["text"] == "Acme Corporation"
    ]
    assert [r["item_index"] for r in vendor] == [0, 1]
    assert vendor[0]["value"] | {} == {
        "x": 1.0,
        "y": 12.0,
        "width": 49.0,
        "height": 6.0,
        "rotation": 0,
        "rectanglelabels": ["Vendor"],
        "text": "Acme Corporation",
    }


def test_ocr_past_the_time_allowed_is_a_clear_error(documents: Path, settings: VisualSettings) -> None:
    with pytest.raises(DocumentError) as caught:
        read_pages("invoice.png", VisualSettings(documents=documents, timeout=0.05))
    assert caught.value.problem is Problem.TIMEOUT
    assert "invoice.png" in str(caught.value) and "timeout" in str(caught.value)


def test_unreadable_hocr_is_a_clear_error() -> None:
    with pytest.raises(DocumentError) as caught:
        read_pages("x", VisualSettings(), carried_ocr="<html><body><p>no pages</p></body></html>")
    assert caught.value.problem is Problem.CORRUPT
    assert "ocr_page" in str(caught.value)


def test_a_scanned_pdf_being_ocred_does_not_hold_up_other_pdfs(documents: Path, invoice_png: bytes) -> None:
    import threading
    import time

    (documents / "scan.pdf").write_bytes(scanned_pdf(invoice_png))
    settings = VisualSettings(documents=documents)
    finished: dict[str, float] = {}

    def ocr() -> None:
        read_pages("scan.pdf", settings)
        finished["scan"] = time.monotonic()

    worker = threading.Thread(target=ocr)
    worker.start()
    try:
        time.sleep(0.3)  # the scan is being rendered or OCRed now (OCR alone takes seconds)
        read_pages("invoice.pdf", settings)
        finished["text"] = time.monotonic()
    finally:
        worker.join()
    assert finished["text"] < finished["scan"]


def test_hocr_boxes_from_a_stranger_are_put_right_or_left_out() -> None:
    words = [
        ("bbox 10 10 90 40", "Invoice"),
        ("bbox 350 40 200 10", "AB-12345"),  # corners swapped
        ("bbox 2000 10 3000 40", "off-the-page"),
        ("bbox 1 1 1" + "0" * 400 + " 5", "endless"),
    ]
    spans = "".join(f'<span class="ocrx_word" title="{box}">{text}</span> ' for box, text in words)
    hocr = f'<div class="ocr_page" title="bbox 0 0 1000 800"><span class="ocr_line">{spans}</span></div>'
    (page,) = read_pages("unused.pdf", VisualSettings(), carried_ocr=hocr)
    assert [(w.text, w.box.left, w.box.right) for w in page.words] == [
        ("Invoice", 10, 90),
        ("AB-12345", 200, 350),
    ]
    results = annotate_pages([page], PatternEngine({"No": r"AB-\d+"}))
    assert results[0]["value"]["width"] == 15.0 and results[0]["value"]["height"] == 3.75


def test_a_page_size_no_number_can_hold_is_a_clear_error() -> None:
    hocr = '<div class="ocr_page" title="bbox 0 0 1' + "0" * 400 + ' 100"></div>'
    with pytest.raises(DocumentError) as caught:
        read_pages("x", VisualSettings(), carried_ocr=hocr)
    assert caught.value.problem is Problem.CORRUPT and "no bbox with its size" in str(caught.value)


def test_an_empty_list_of_hocr_pages_is_refused() -> None:
    with pytest.raises(DocumentError) as caught:
        read_pages("x", VisualSettings(), carried_ocr=[])
    assert "non-empty list" in str(caught.value)


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_a_photo_stored_sideways_is_read_as_it_is_shown(
    documents: Path, invoice_png: bytes, orientation: int
) -> None:
    """Browsers, and so Label Studio, show a JPEG turned by its EXIF orientation: the boxes must be
    on that picture, not on the pixels as stored."""
    import io

    from PIL import Image

    upright = Image.open(io.BytesIO(invoice_png))
    # stored so that the orientation tag turns it back upright
    undo = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270, 3: Image.Transpose.ROTATE_180}
    stored = upright.transpose(undo[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=95, exif=exif)
    (documents / "photo.jpg").write_bytes(buffer.getvalue())
    pages = read_pages("photo.jpg", VisualSettings(documents=documents))
    assert (pages[0].width, pages[0].height) == upright.size
    _check_invoice_regions(pages)


def test_an_ocr_language_tesseract_lacks_is_one_usage_error_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert missing_languages("eng+osd") == [] and missing_languages("eng+zzz+yyy") == ["zzz", "yyy"]
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"data": {"image": "a.png"}}\n')
    argv = ["preannotate", "--project", "invoices", "-f", str(EXAMPLES), "--tasks", str(tasks)]
    code = main([*argv, "--ocr-language", "eng+zzz", "--documents", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "--ocr-language eng+zzz: Tesseract has no data for zzz" in err
    assert "tesseract --list-langs" in err
