"""A Visual NER task's document -> its pages of words: the OCR the task already carries (hOCR),
else a PDF's text layer, else Tesseract on the rendered page or the image."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alabctl.runtime.visual import hocr, image, ocr, pdf
from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.page import Page
from alabctl.runtime.visual.settings import VisualSettings
from alabctl.runtime.visual.source import Document, Kind, fetch

if TYPE_CHECKING:
    from PIL import Image


@dataclass(slots=True)
class _Budget:
    """What is left of one document's time."""

    deadline: float
    name: str

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def check(self, page: int) -> None:
        if self.left() <= 0:
            raise DocumentError(
                Problem.TIMEOUT,
                f"{self.name}: still unfinished at page {page + 1} when the time allowed ran out; "
                "raise the timeout (--document-timeout) or send fewer pages per task",
            )


def read_pages(reference: object, settings: VisualSettings, carried_ocr: object = None) -> list[Page]:
    """The task's pages of words. ``reference`` is the data key's value (a document, or a list of
    page images; anything else is refused); ``carried_ocr`` the task's hOCR (a string, or a list
    with one per page), which when present is used instead of reading and OCRing the document."""
    if carried_ocr is not None:
        return _from_hocr(carried_ocr, settings)
    references = [reference] if isinstance(reference, str) else reference
    if not isinstance(references, list | tuple) or not all(isinstance(r, str) for r in references):
        raise DocumentError(
            Problem.UNSUPPORTED,
            f"the task's document is {_kind_of(reference)}: give a path or URL (a string), "
            "or a list of them (one per page)",
        )
    if not references:
        raise DocumentError(Problem.NOT_FOUND, "the task names no document (an empty list)")
    if len(references) > settings.max_pages:
        raise DocumentError(
            Problem.TOO_MANY_PAGES, f"{len(references)} pages, more than the {settings.max_pages} allowed"
        )
    budget = _Budget(time.monotonic() + settings.timeout, references[0])
    pages: list[Page] = []
    for ref in references:
        document = fetch(ref, settings)
        budget.name = document.name
        pages.extend(_pages(document, len(pages), settings, budget))
        if len(pages) > settings.max_pages:
            raise DocumentError(
                Problem.TOO_MANY_PAGES, f"{document.name}: more than the {settings.max_pages} pages allowed"
            )
    return pages


def _kind_of(value: object) -> str:
    if isinstance(value, list | tuple):
        return "a list with an item that is not a string"
    names = {bool: "true or false", int: "a number", float: "a number", dict: "an object"}
    return "null" if value is None else names.get(type(value), f"a {type(value).__name__}")


def document_pages(document: Document, settings: VisualSettings) -> list[Page]:
    """The pages of a document already in memory (bytes and kind known)."""
    budget = _Budget(time.monotonic() + settings.timeout, document.name)
    return _pages(document, 0, settings, budget)


def _pages(document: Document, first: int, settings: VisualSettings, budget: _Budget) -> list[Page]:
    if document.kind is Kind.PDF:
        return _pdf_pages(document, first, settings, budget)
    pages = []
    for n, frame in enumerate(
        image.frames(
            document.data, max_pixels=settings.max_pixels, max_pages=settings.max_pages, name=document.name
        )
    ):
        budget.check(first + n)
        pages.append(_recognize(frame, first + n, settings, budget))
    return pages


def _pdf_pages(document: Document, first: int, settings: VisualSettings, budget: _Budget) -> list[Page]:
    pages = []
    with pdf.open_pdf(document.data, settings.max_pages, document.name) as opened:
        with pdf.PDFIUM:
            count = len(opened)
        for n in range(count):
            budget.check(first + n)
            with pdf.damaged(document.name, n), pdf.PDFIUM:
                handle = opened[n]
            try:
                with pdf.damaged(document.name, n):
                    page = pdf.text_layer(handle, first + n, settings.dpi)
                    scanned = sum(len(w.text) for w in page.words) < settings.ocr_text_layer_min_chars
                    rendered = (
                        pdf.render(handle, settings.dpi, settings.max_pixels, document.name)
                        if scanned
                        else None
                    )
                if rendered is not None:
                    page = _recognize(rendered, first + n, settings, budget)
            finally:
                with pdf.PDFIUM:
                    handle.close()
            pages.append(page)
    return pages


def _recognize(picture: Image.Image, index: int, settings: VisualSettings, budget: _Budget) -> Page:
    return ocr.recognize(
        picture, index, language=settings.ocr_language, timeout=budget.left(), name=budget.name
    )


def _from_hocr(carried: object, settings: VisualSettings) -> list[Page]:
    items = [carried] if isinstance(carried, str | bytes) else carried
    if not isinstance(items, list) or not items or not all(isinstance(i, str | bytes) for i in items):
        raise DocumentError(
            Problem.UNSUPPORTED,
            f"the task's {settings.hocr_key!r} must be hOCR text or a non-empty list of it",
        )
    pages: list[Page] = []
    for n, item in enumerate(items):
        if len(item) > settings.max_bytes:
            raise DocumentError(
                Problem.TOO_LARGE, f"hOCR item {n + 1} is larger than {settings.max_bytes} bytes"
            )
        pages.extend(hocr.parse_hocr(item, first_index=len(pages), name=f"{settings.hocr_key}[{n}]"))
        if len(pages) > settings.max_pages:
            raise DocumentError(
                Problem.TOO_MANY_PAGES, f"the task's OCR has more than the {settings.max_pages} pages allowed"
            )
    return pages
