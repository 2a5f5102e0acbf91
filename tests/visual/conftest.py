"""Fixtures for Visual NER: drawn documents in an allowed folder, and a small pattern engine."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from alabctl.runtime.engine import Chunk, Findings
from alabctl.runtime.visual.settings import VisualSettings
from tests.visual.drawing import INVOICE, draw_pdf, render_png


class PatternEngine:
    """Implements the Engine protocol with plain regexes, so these tests build their chunks
    themselves (label -> pattern)."""

    def __init__(self, patterns: dict[str, str]) -> None:
        self.patterns = {label: re.compile(p) for label, p in patterns.items()}

    def predict(self, texts: Sequence[str]) -> list[Findings]:
        return [
            {
                "rule_" + label.lower(): [
                    Chunk(m.start(), m.end(), m.group(), label, 1.0, label.lower())
                    for m in pattern.finditer(text)
                ]
                for label, pattern in self.patterns.items()
            }
            for text in texts
        ]

    def close(self) -> None:
        return None


INVOICE_PATTERNS = {
    "InvoiceNumber": r"INV-\d+",
    "InvoiceDate": r"\d{2}/\d{2}/\d{4}",
    "Vendor": r"Acme\s+Corporation\s+Ltd",
}


@pytest.fixture(scope="session")
def invoice_pdf() -> bytes:
    return draw_pdf([INVOICE])


@pytest.fixture(scope="session")
def invoice_png(invoice_pdf: bytes) -> bytes:
    return render_png(invoice_pdf)


@pytest.fixture
def documents(tmp_path: Path, invoice_pdf: bytes, invoice_png: bytes) -> Path:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "invoice.pdf").write_bytes(invoice_pdf)
    (folder / "invoice.png").write_bytes(invoice_png)
    return folder


@pytest.fixture
def settings(documents: Path) -> VisualSettings:
    return VisualSettings(documents=documents)
