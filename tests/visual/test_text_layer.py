"""Born-digital PDFs: words from the text layer, chunks back to one box per chunk per line."""

from __future__ import annotations

import pytest

from alabctl.runtime.visual.annotate import annotate_pages
from alabctl.runtime.visual.document import read_pages
from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.geometry import Box, iou, union
from alabctl.runtime.visual.page import TextOrigin, page_text
from alabctl.runtime.visual.regions import chunk_regions
from alabctl.runtime.visual.settings import VisualSettings
from tests.visual.conftest import INVOICE_PATTERNS, PatternEngine
from tests.visual.drawing import DPI, INVOICE, PAGE, draw_pdf, layout, truth

WORDS = layout([INVOICE])


def _box(result: dict[str, object], width: int, height: int) -> Box:
    value = result["value"]
    assert isinstance(value, dict)
    x, y = value["x"] / 100 * width, value["y"] / 100 * height
    return Box(x, y, x + value["width"] / 100 * width, y + value["height"] / 100 * height)


def test_every_drawn_word_is_read_with_its_box(settings: VisualSettings) -> None:
    (page,) = read_pages("invoice.pdf", settings)
    assert page.origin is TextOrigin.TEXT_LAYER
    assert (page.width, page.height) == (round(PAGE[0] * DPI / 72), round(PAGE[1] * DPI / 72))
    assert [w.text for w in page.words] == [w.text for w in WORDS]
    for read, drawn in zip(page.words, WORDS, strict=True):
        assert iou(read.box, drawn.box) >= 0.8, (read, drawn)
        assert read.line == drawn.line


def test_page_text_keeps_the_word_of_every_character(settings: VisualSettings) -> None:
    (page,) = read_pages("invoice.pdf", settings)
    text = page_text(page)
    assert text.text.split("\n") == INVOICE
    start = text.text.index("INV-20931")
    assert {text.owners[i] for i in range(start, start + 9)} == {2}
    assert text.owners[start - 1] == -1  # the space before it belongs to no word


def test_a_multi_word_chunk_on_one_line_is_one_region(settings: VisualSettings) -> None:
    (page,) = read_pages("invoice.pdf", settings)
    results = annotate_pages([page], PatternEngine({"Vendor": r"Acme Corporation Ltd"}))
    boxes = [r for r in results if r["type"] == "rectanglelabels"]
    assert len(boxes) == 1  # the first line's match, merged from three words
    expected = union(w.box for w in truth(WORDS, "Acme Corporation Ltd"))
    assert iou(_box(boxes[0], page.width, page.height), expected) >= 0.8
    assert boxes[0]["value"]["text"] == "Acme Corporation Ltd"
    assert boxes[0]["value"]["rectanglelabels"] == ["Vendor"]


def test_a_chunk_broken_across_lines_is_one_region_per_line(settings: VisualSettings) -> None:
    (page,) = read_pages("invoice.pdf", settings)
    text = page_text(page)
    engine = PatternEngine({"Vendor": r"Acme\nCorporation Ltd"})
    (findings,) = engine.predict([text.text])
    (chunk,) = findings["rule_vendor"]
    regions = chunk_regions(text, chunk)
    assert [r.text for r in regions] == ["Acme", "Corporation Ltd"]
    line3 = [w for w in WORDS if w.line == 2 and w.text == "Acme"]
    line4 = [w for w in WORDS if w.line == 3 and w.text in {"Corporation", "Ltd"}]
    assert iou(regions[0].box, union(w.box for w in line3)) >= 0.8
    assert iou(regions[1].box, union(w.box for w in line4)) >= 0.8


def test_every_rule_match_lands_on_its_words(settings: VisualSettings) -> None:
    (page,) = read_pages("invoice.pdf", settings)
    results = annotate_pages([page], PatternEngine(INVOICE_PATTERNS))
    boxes = {r["value"]["text"]: r for r in results if r["type"] == "rectanglelabels"}
    assert set(boxes) == {"INV-20931", "12/03/2024", "Acme Corporation Ltd", "Acme", "Corporation Ltd"}
    for text in ("INV-20931", "12/03/2024"):
        expected = union(w.box for w in truth(WORDS, text))
        assert iou(_box(boxes[text], page.width, page.height), expected) >= 0.8
    # every region carries the page, its size and a transcription sharing its id
    for result in results:
        assert result["item_index"] == 0
        assert (result["original_width"], result["original_height"]) == (page.width, page.height)
    ids = [r["id"] for r in results]
    assert all(ids.count(i) == 2 for i in ids)


def test_pages_of_a_multi_page_pdf_carry_their_index(documents, settings: VisualSettings) -> None:  # type: ignore[no-untyped-def]
    pages = [["Page one has INV-1001"], ["Nothing here"], ["Page three has INV-3003 and INV-3004"]]
    (documents / "three.pdf").write_bytes(draw_pdf(pages))
    read = read_pages("three.pdf", settings)
    assert [p.index for p in read] == [0, 1, 2]
    results = annotate_pages(read, PatternEngine({"InvoiceNumber": r"INV-\d+"}))
    found = sorted((r["item_index"], r["value"]["text"]) for r in results if r["type"] == "rectanglelabels")
    assert found == [(0, "INV-1001"), (2, "INV-3003"), (2, "INV-3004")]
    drawn = layout(pages)
    (third,) = [r for r in results if r["type"] == "rectanglelabels" and r["value"]["text"] == "INV-3004"]
    expected = union(w.box for w in truth(drawn, "INV-3004", page=2))
    assert iou(_box(third, read[2].width, read[2].height), expected) >= 0.8


def test_a_rotated_page_reports_boxes_on_the_page_as_displayed(documents, settings: VisualSettings) -> None:  # type: ignore[no-untyped-def]
    (documents / "rotated.pdf").write_bytes(draw_pdf([INVOICE], rotate=90))
    (page,) = read_pages("rotated.pdf", settings)
    assert page.width > page.height  # a portrait page turned a quarter
    (upright,) = read_pages("invoice.pdf", settings)
    assert sorted(w.text for w in page.words) == sorted(w.text for w in upright.words)
    for word in upright.words:
        # a quarter turn clockwise: (x, y) on the upright page -> (H - y, x) on the turned one
        expected = Box(
            upright.height - word.box.bottom, word.box.left, upright.height - word.box.top, word.box.right
        )
        best = max(iou(t.box, expected) for t in page.words if t.text == word.text)
        assert best >= 0.9, word


def test_a_list_of_documents_is_one_document_of_their_pages(documents, settings: VisualSettings) -> None:  # type: ignore[no-untyped-def]
    (documents / "p1.pdf").write_bytes(draw_pdf([["first INV-1"]]))
    (documents / "p2.pdf").write_bytes(draw_pdf([["second INV-2"], ["third INV-3"]]))
    pages = read_pages(["p1.pdf", "/data/local-files/?d=p2.pdf"], settings)
    assert [(p.index, p.words[0].text) for p in pages] == [(0, "first"), (1, "second"), (2, "third")]
    results = annotate_pages(pages, PatternEngine({"InvoiceNumber": r"INV-\d"}))
    found = [(r["item_index"], r["value"]["text"]) for r in results if r["type"] == "rectanglelabels"]
    assert found == [(0, "INV-1"), (1, "INV-2"), (2, "INV-3")]
    with pytest.raises(DocumentError) as caught:
        read_pages(["p1.pdf", "p2.pdf"], VisualSettings(documents=documents, max_pages=2))
    assert caught.value.problem is Problem.TOO_MANY_PAGES


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_a_rotated_page_renders_as_displayed_with_its_text_where_the_text_layer_says(rotate: int) -> None:
    import pypdfium2
    from PIL import ImageOps

    from alabctl.runtime.visual.pdf import render, text_layer

    document = pypdfium2.PdfDocument(draw_pdf([INVOICE], rotate=rotate))
    try:
        page = document[0]
        picture = render(page, 72, 10**8, "rotated.pdf")
        words = text_layer(page, 0, 72).words
    finally:
        document.close()
    assert picture.size == ((792, 612) if rotate % 180 else (612, 792))  # turned a quarter: landscape
    left, top, right, bottom = ImageOps.invert(picture).getbbox()
    ink = Box(left, top, right, bottom)
    assert iou(ink, union(w.box for w in words)) >= 0.8


def test_text_outside_the_crop_box_gets_no_box(documents, settings: VisualSettings) -> None:  # type: ignore[no-untyped-def]
    import io

    import pypdfium2

    document = pypdfium2.PdfDocument(draw_pdf([INVOICE]))
    try:
        document[0].set_cropbox(0, 0, 612, 660)  # cuts off the first two lines (baselines 700, 678)
        out = io.BytesIO()
        document.save(out)
    finally:
        document.close()
    (documents / "cropped.pdf").write_bytes(out.getvalue())
    (page,) = read_pages("cropped.pdf", settings)
    assert page_text(page).text.split("\n") == INVOICE[2:]
    assert all(w.box.bottom > 0 and w.box.top < page.height for w in page.words)
