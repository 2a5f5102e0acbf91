"""Documents drawn by the tests: words at known positions, so every word's true box is known."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.pdfgen import canvas

from alabctl.runtime.visual.geometry import Box

PAGE = (612.0, 792.0)  # US letter, points
FONT = "Helvetica"
SIZE = 14.0
DPI = 300

INVOICE = [
    "Invoice no. INV-20931 dated 12/03/2024",
    "Vendor: Acme Corporation Ltd",
    "Deliver to the warehouse of Acme",
    "Corporation Ltd before Friday",
    "Total due EUR 1250.00",
]


@dataclass(frozen=True)
class DrawnWord:
    text: str
    page: int
    line: int
    box: Box
    """Pixels at ``DPI``, origin top-left."""


def layout(
    pages: list[list[str]], *, left: float = 72.0, top: float = 700.0, leading: float = 22.0
) -> list[DrawnWord]:
    """Where every word of every line goes (the true boxes)."""
    ascent, descent = getAscentDescent(FONT, SIZE)
    scale = DPI / 72
    space = stringWidth(" ", FONT, SIZE)
    out = []
    for p, lines in enumerate(pages):
        for n, line in enumerate(lines):
            baseline = top - n * leading
            x = left
            for word in line.split(" "):
                width = stringWidth(word, FONT, SIZE)
                box = Box(x, PAGE[1] - (baseline + ascent), x + width, PAGE[1] - (baseline + descent))
                out.append(DrawnWord(word, p, n, box.scaled(scale)))
                x += width + space
    return out


def draw_pdf(pages: list[list[str]], *, encrypt: str | None = None, rotate: int = 0) -> bytes:
    """A born-digital PDF with the lines of each page drawn as in :func:`layout`."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE, encrypt=encrypt, invariant=1)
    for lines in pages:
        pdf.setFont(FONT, SIZE)
        for n, line in enumerate(lines):
            pdf.drawString(72.0, 700.0 - n * 22.0, line)
        pdf.showPage()
    pdf.save()
    return _rotated(buffer.getvalue(), rotate) if rotate else buffer.getvalue()


def _rotated(data: bytes, rotate: int) -> bytes:
    """The same PDF with ``/Rotate`` set on every page: upright content, displayed turned."""
    document = pypdfium2.PdfDocument(data)
    try:
        for page in document:
            page.set_rotation(rotate)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    finally:
        document.close()


def render_png(pdf_bytes: bytes, page: int = 0, dpi: int = DPI) -> bytes:
    """One page of a PDF as a PNG (a 'scan' with no text layer)."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        bitmap = document[page].render(scale=dpi / 72, grayscale=True)
        out = io.BytesIO()
        bitmap.to_pil().save(out, format="PNG")
        return out.getvalue()
    finally:
        document.close()


def scanned_pdf(png: bytes) -> bytes:
    """A PDF whose only content is a page image (no text layer), as a scanner makes."""
    from reportlab.lib.utils import ImageReader

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE, invariant=1)
    pdf.drawImage(ImageReader(io.BytesIO(png)), 0, 0, width=PAGE[0], height=PAGE[1])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def truth(words: list[DrawnWord], text: str, page: int = 0) -> list[DrawnWord]:
    """The drawn words of ``text`` (a run of consecutive words on one page)."""
    wanted = text.split()
    on_page = [w for w in words if w.page == page]
    for i in range(len(on_page) - len(wanted) + 1):
        if [w.text for w in on_page[i : i + len(wanted)]] == wanted:
            return on_page[i : i + len(wanted)]
    raise AssertionError(f"{text!r} not drawn")
