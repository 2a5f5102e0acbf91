"""A page as words with boxes, and its text with, for every character, the word it came from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alabctl.runtime.visual.geometry import Box

NO_WORD = -1
"""Owner of a character that belongs to no word: the spaces and line breaks between words."""


class TextOrigin(StrEnum):
    """Where a page's words came from."""

    TEXT_LAYER = "text-layer"
    """A born-digital PDF's own text (no OCR)."""
    TESSERACT = "tesseract"
    """Tesseract OCR on the page rendered as an image."""
    HOCR = "hocr"
    """OCR output the task already carried (Spark OCR, or any hOCR)."""


@dataclass(frozen=True, slots=True)
class Word:
    """One word on a page: its text, its box in page pixels, and the line it sits on."""

    text: str
    box: Box
    line: int
    """Index of the line on its page, in reading order; words of one line share it."""
    block: int = 0
    """Index of the block (paragraph, column) on its page; a new block starts a new paragraph."""
    confidence: float = 1.0
    """OCR confidence in [0, 1]; 1 for a text layer."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a document: its size in pixels and its words in reading order."""

    index: int
    """0-based page number in the document."""
    width: int
    """Pixels (at the stated DPI for a PDF page)."""
    height: int
    words: tuple[Word, ...]
    origin: TextOrigin


@dataclass(frozen=True, slots=True)
class PageText:
    """A page's words laid out as text: words of a line joined by a space, lines by a line break,
    blocks by an empty line. ``owners[i]`` is the index (into ``page.words``) of the word that
    character ``i`` of ``text`` came from, or ``NO_WORD``."""

    page: Page
    text: str
    owners: tuple[int, ...]

    def words_in(self, start: int, end: int) -> list[int]:
        """Indexes of the words that characters ``start..end`` (end exclusive) touch, in order."""
        seen: list[int] = []
        for owner in self.owners[max(0, start) : max(0, end)]:
            if owner != NO_WORD and (not seen or seen[-1] != owner):
                seen.append(owner)
        return seen


def page_text(page: Page) -> PageText:
    """Lay the page's words out as text and record which word every character came from."""
    parts: list[str] = []
    owners: list[int] = []
    previous: Word | None = None
    for index, word in enumerate(page.words):
        if previous is not None:
            gap = _separator(previous, word)
            parts.append(gap)
            owners.extend([NO_WORD] * len(gap))
        parts.append(word.text)
        owners.extend([index] * len(word.text))
        previous = word
    return PageText(page, "".join(parts), tuple(owners))


def _separator(previous: Word, word: Word) -> str:
    if word.block != previous.block:
        return "\n\n"
    if word.line != previous.line:
        return "\n"
    return " "
