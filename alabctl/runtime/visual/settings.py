"""What the Visual NER stages may read and how much work one document may cost."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_DPI = 300
"""Pages are rendered (for OCR) and measured (for a text layer) at this resolution."""


@dataclass(frozen=True, slots=True)
class VisualSettings:
    """Bounds and permissions for reading task documents. The defaults read nothing local and
    nothing remote: a caller names the folder (``documents``) and opts in to URLs."""

    documents: Path | None = None
    """Local documents are read only from under this folder; None: no local reads at all."""
    allow_remote: bool = False
    """Fetch ``http(s)://`` documents. Off unless asked for."""
    dpi: int = DEFAULT_DPI
    max_bytes: int = 64 * 1024 * 1024
    """A document larger than this is refused before it is parsed."""
    max_pages: int = 500
    """A PDF (or a task's page list) with more pages is refused, not truncated."""
    max_pixels: int = 80_000_000
    """Per image or rendered page (width x height); bigger is refused before it is decoded."""
    timeout: float = 120.0
    """Seconds one document may take in all (OCR runs get what is left of it)."""
    remote_timeout: float = 20.0
    """Seconds for connecting to and reading from a remote document's server."""
    ocr_language: str = "eng"
    hocr_key: str = "hocr"
    """Task data key that may carry OCR output already made (hOCR text, or a list per page)."""
    ocr_text_layer_min_chars: int = 1
    """A PDF page whose text layer has fewer characters is treated as scanned and OCRed."""
