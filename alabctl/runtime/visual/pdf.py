"""Born-digital PDFs through PDFium (pypdfium2): the text layer's characters -> words with boxes,
and pages rendered to images for OCR. PDFium is not thread-safe: every use holds ``PDFIUM``."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.geometry import Box, union
from alabctl.runtime.visual.page import Page, TextOrigin, Word

if TYPE_CHECKING:
    import pypdfium2
    from PIL import Image

PDFIUM = threading.RLock()
"""Held around every PDFium call (the library keeps global state)."""

POINTS_PER_INCH = 72
_SKIPPED = {"\x00", "\ufffe", "\uffff"}


@contextmanager
def open_pdf(data: bytes, max_pages: int, name: str) -> Iterator[pypdfium2.PdfDocument]:
    """The opened document, refused when it is corrupt, encrypted or longer than ``max_pages``.
    The lock is held only around PDFium calls, never while a page is OCRed."""
    try:
        import pypdfium2
    except ImportError:
        raise DocumentError(
            Problem.UNSUPPORTED, f"{name}: reading PDFs needs pypdfium2: pip install 'alabctl[visual]'"
        ) from None

    with PDFIUM:
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise _open_error(str(exc), name) from None
        pages = len(pdf)
    try:
        if pages > max_pages:
            raise DocumentError(
                Problem.TOO_MANY_PAGES,
                f"{name}: {pages} pages, more than the {max_pages} allowed; split the document "
                "or raise the page limit (--max-pages)",
            )
        if pages == 0:
            raise DocumentError(Problem.CORRUPT, f"{name}: the PDF has no pages")
        yield pdf
    finally:
        with PDFIUM:
            pdf.close()


@contextmanager
def damaged(name: str, index: int) -> Iterator[None]:
    """PDFium's errors on one page (it cannot be loaded, its text or image cannot be made) as the
    task's error: a damaged page, not a crash of the run."""
    import pypdfium2

    try:
        yield
    except pypdfium2.PdfiumError as exc:
        raise DocumentError(Problem.CORRUPT, f"{name}: page {index + 1} is damaged ({exc})") from None


def _open_error(reason: str, name: str) -> DocumentError:
    if "password" in reason.lower() or "security" in reason.lower():
        return DocumentError(
            Problem.ENCRYPTED,
            f"{name}: the PDF is encrypted (it needs a password); import a decrypted copy",
        )
    return DocumentError(Problem.CORRUPT, f"{name}: not a readable PDF ({reason})")


def page_size(page: pypdfium2.PdfPage, dpi: int) -> tuple[int, int]:
    """The displayed page's size in pixels at ``dpi`` (rotation applied)."""
    with PDFIUM:
        width, height = page.get_size()  # PDFium's: the crop box with /Rotate applied
    scale = dpi / POINTS_PER_INCH
    return round(width * scale), round(height * scale)


def text_layer(page: pypdfium2.PdfPage, index: int, dpi: int) -> Page:
    """The page's own text as words with boxes (pixels at ``dpi``), no OCR."""
    with PDFIUM:
        frame = _Frame.of(page)
        textpage = page.get_textpage()
        try:
            found = list(_words(_chars(textpage, frame)))
        finally:
            textpage.close()
    width, height = page_size(page, dpi)
    scale = dpi / POINTS_PER_INCH
    tops: dict[int, float] = {}
    for _, box, line in found:
        tops[line] = min(tops.get(line, box.top), box.top)
    words = (
        Word(text, frame.displayed(Box(box.left, tops[line], box.right, box.bottom)).scaled(scale), line)
        for text, box, line in found
    )
    # text outside the crop box is not shown, so it gets no box
    shown = tuple(w for w in words if _on_page(w.box, width, height))
    return Page(index, width, height, shown, TextOrigin.TEXT_LAYER)


def _on_page(box: Box, width: int, height: int) -> bool:
    return box.right > 0 and box.bottom > 0 and box.left < width and box.top < height


def render(page: pypdfium2.PdfPage, dpi: int, max_pixels: int, name: str) -> Image.Image:
    """The page as a greyscale image at ``dpi``; refused when that would exceed ``max_pixels``."""
    width, height = page_size(page, dpi)
    if width * height > max_pixels:
        raise DocumentError(
            Problem.TOO_LARGE,
            f"{name}: a page of {width}x{height} pixels at {dpi} dpi is more than the "
            f"{max_pixels} pixels allowed; lower the DPI (--dpi) or raise the pixel limit (--max-pixels)",
        )
    _check_images(page, max_pixels, name)
    with PDFIUM:
        bitmap = page.render(scale=dpi / POINTS_PER_INCH, grayscale=True)
        try:
            picture: Image.Image = bitmap.to_pil().copy()
            return picture
        finally:
            bitmap.close()


def _check_images(page: pypdfium2.PdfPage, max_pixels: int, name: str) -> None:
    """Refuse a page whose embedded images would decode to more than ``max_pixels`` each (their
    sizes are read from the image dictionaries, nothing is decoded): a bomb inside a PDF."""
    import pypdfium2.raw

    with PDFIUM:
        for found in page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE], max_depth=4):
            width, height = found.get_px_size()
            if width * height > max_pixels:
                raise DocumentError(
                    Problem.TOO_LARGE,
                    f"{name}: an image of {width}x{height} pixels inside the PDF is more than the "
                    f"{max_pixels} pixels allowed (a decompression bomb?); raise the pixel limit (--max-pixels)",
                )


class _Frame:
    """PDF user space (origin bottom-left, y up, page /Rotate not applied) -> the displayed page
    with its origin top-left and y down."""

    def __init__(self, left: float, bottom: float, right: float, top: float, rotation: int) -> None:
        self.left, self.bottom, self.right, self.top = left, bottom, right, top
        self.rotation = rotation % 360

    @classmethod
    def of(cls, page: pypdfium2.PdfPage) -> _Frame:
        left, bottom, right, top = page.get_cropbox()
        return cls(left, bottom, right, top, page.get_rotation())

    def upright(self, left: float, bottom: float, right: float, top: float) -> Box:
        """A user-space rectangle on the page before its /Rotate, origin top-left (points)."""
        return Box(left - self.left, self.top - top, right - self.left, self.top - bottom)

    def displayed(self, box: Box) -> Box:
        """An upright box on the page as displayed (its /Rotate applied, clockwise)."""
        w, h = self.right - self.left, self.top - self.bottom
        if self.rotation == 90:
            return Box(h - box.bottom, box.left, h - box.top, box.right)
        if self.rotation == 180:
            return Box(w - box.right, h - box.bottom, w - box.left, h - box.top)
        if self.rotation == 270:
            return Box(box.top, w - box.right, box.bottom, w - box.left)
        return box


def _chars(textpage: pypdfium2.PdfTextPage, frame: _Frame) -> Iterator[tuple[str, Box | None]]:
    """Every character of the text layer with its upright box in points (None for a space or a
    line break, PDFium's generated ones included)."""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count)
    if len(text) != count:  # characters outside the BMP: ask one at a time
        text = "".join(textpage.get_text_range(i, 1)[:1] or "\x00" for i in range(count))
    boxes = _CharBoxes(textpage)
    for i, char in enumerate(text):
        if char.isspace() or char in _SKIPPED:
            yield char, None
            continue
        left, bottom, right, top = boxes.box(i)
        yield ("-" if char == "\x02" else char), frame.upright(left, bottom, right, top)


class _CharBoxes:
    """PDFium's character boxes through its C API with reused out-parameters: about half the time
    of pypdfium2's ``get_charbox``, which allocates them for every character."""

    def __init__(self, textpage: pypdfium2.PdfTextPage) -> None:
        import ctypes

        import pypdfium2.raw

        self._raw = pypdfium2.raw
        self._handle = textpage.raw
        self._rect = pypdfium2.raw.FS_RECTF()
        self._tight = [ctypes.c_double() for _ in range(4)]
        self._tight_refs = [ctypes.byref(d) for d in self._tight]

    def box(self, index: int) -> tuple[float, float, float, float]:
        """Left, bottom, right from the loose box (advance widths and the font's descent), top
        from the tight one (the ink), in user space."""
        rect = self._rect
        if not self._raw.FPDFText_GetLooseCharBox(self._handle, index, rect):
            return 0.0, 0.0, 0.0, 0.0
        left, right, bottom, top = self._tight_refs  # FPDFText_GetCharBox takes l, r, b, t
        top_value = rect.top
        if self._raw.FPDFText_GetCharBox(self._handle, index, left, right, bottom, top):
            top_value = self._tight[3].value
        return rect.left, rect.bottom, rect.right, top_value


def _words(chars: Iterable[tuple[str, Box | None]]) -> Iterator[tuple[str, Box, int]]:
    """Group characters into words (split at whitespace) and number lines (at line breaks, or
    when a character sits below and left of the previous one)."""
    line = 0
    started = False
    line_break = False
    current: list[tuple[str, Box]] = []
    for char, box in chars:
        if box is None:
            if current:
                yield _word(current, line)
                current = []
            line_break = line_break or char in "\r\n"
            continue
        if current and _below(current[-1][1], box):
            yield _word(current, line)
            current = []
            line_break = True
        if not current:
            if line_break and started:
                line += 1
            started, line_break = True, False
        current.append((char, box))
    if current:
        yield _word(current, line)


def _below(previous: Box, box: Box) -> bool:
    """A glyph starts a new line when its top is under the previous glyph's middle and it lies
    to the left of it."""
    return box.top > (previous.top + previous.bottom) / 2 and box.left < previous.left


def _word(chars: list[tuple[str, Box]], line: int) -> tuple[str, Box, int]:
    return "".join(c for c, _ in chars), union(b for _, b in chars), line
