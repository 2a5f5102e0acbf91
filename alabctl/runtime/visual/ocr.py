"""Tesseract OCR (the ``tesseract`` program, through pytesseract) on an image -> a page of words."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from typing import TYPE_CHECKING

from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.hocr import parse_hocr
from alabctl.runtime.visual.page import Page, TextOrigin

if TYPE_CHECKING:
    from PIL import Image


RUNNING = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
"""At most one Tesseract per core in this process, whatever the number of requests in flight:
OCR memory and CPU stay bounded; a page waits for its turn within its document's time."""


def tesseract_available() -> bool:
    """Whether the ``tesseract`` program is on the PATH."""
    return shutil.which("tesseract") is not None


def missing_languages(language: str) -> list[str]:
    """The languages of ``language`` (``eng+deu``) Tesseract has no data for; none when Tesseract
    itself is missing (each document then says so) or cannot list them."""
    if not tesseract_available():
        return []
    try:
        listed = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    have = {line.strip() for line in listed.splitlines()[1:]}
    return [lang for lang in language.split("+") if lang and lang not in have]


def recognize(image: Image.Image, index: int, *, language: str, timeout: float, name: str) -> Page:
    """OCR one page image; stopped (and refused) after ``timeout`` seconds."""
    if not tesseract_available():
        raise DocumentError(
            Problem.OCR_UNAVAILABLE,
            f"{name}: needs OCR but the 'tesseract' program is not installed "
            "(Debian/Ubuntu: apt-get install tesseract-ocr)",
        )
    try:
        import pytesseract
    except ImportError:
        raise DocumentError(
            Problem.OCR_UNAVAILABLE, f"{name}: OCR needs pytesseract: pip install 'alabctl[visual]'"
        ) from None

    # Tesseract's OpenMP threads spin and crawl when the cores are busy (five times slower on a
    # loaded two-core machine); pages run in parallel through tasks and workers instead. A value
    # the user set is kept.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    began = time.monotonic()
    if timeout <= 0 or not RUNNING.acquire(timeout=timeout):
        raise _timeout(name, index)
    left = timeout - (time.monotonic() - began)
    try:
        if left <= 0:
            raise _timeout(name, index)
        hocr = pytesseract.image_to_pdf_or_hocr(image, lang=language, extension="hocr", timeout=left)
    except RuntimeError as exc:  # pytesseract's timeout
        if "timeout" in str(exc).lower():
            raise _timeout(name, index) from None
        raise DocumentError(Problem.CORRUPT, f"{name}: page {index + 1}: OCR failed ({exc})") from None
    except pytesseract.TesseractError as exc:
        raise DocumentError(Problem.CORRUPT, f"{name}: page {index + 1}: OCR failed ({exc})") from None
    finally:
        RUNNING.release()
    (page,) = parse_hocr(hocr, first_index=index, origin=TextOrigin.TESSERACT, name=name)[:1]
    return page


def _timeout(name: str, index: int) -> DocumentError:
    return DocumentError(
        Problem.TIMEOUT,
        f"{name}: page {index + 1}: OCR did not finish within the time allowed for the document; "
        "raise the timeout (--document-timeout) or send fewer pages per task",
    )
