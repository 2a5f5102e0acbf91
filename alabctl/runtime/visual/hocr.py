"""hOCR (Tesseract's, Spark OCR's ``ImageToHocr``) -> pages of words with boxes. Parsed with
lxml's HTML parser: no network, no entities, no DTDs."""

from __future__ import annotations

import math
import re

from lxml import etree, html

from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.geometry import Box
from alabctl.runtime.visual.page import Page, TextOrigin, Word

_BBOX = re.compile(r"\bbbox\s+(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)")
_CONF = re.compile(r"\bx_wconf\s+(-?\d+(?:\.\d+)?)")
_LINES = {"ocr_line", "ocrx_line", "ocr_textfloat", "ocr_header", "ocr_caption"}
_BLOCKS = {"ocr_carea", "ocrx_block", "ocr_par"}


def parse_hocr(
    data: str | bytes, *, first_index: int = 0, origin: TextOrigin = TextOrigin.HOCR, name: str = "hOCR"
) -> list[Page]:
    """Every ``ocr_page`` of the document, numbered from ``first_index``."""
    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)
    raw = data.encode() if isinstance(data, str) else data
    if not raw.strip():
        raise DocumentError(Problem.CORRUPT, f"{name}: empty hOCR")
    try:
        root = etree.fromstring(raw, parser=parser)
    except etree.LxmlError as exc:
        raise DocumentError(Problem.CORRUPT, f"{name}: not readable hOCR ({exc})") from None
    if root is None:
        raise DocumentError(Problem.CORRUPT, f"{name}: not readable hOCR")
    pages = [el for el in root.iter() if "ocr_page" in _classes(el)]
    if not pages:
        raise DocumentError(Problem.CORRUPT, f"{name}: no ocr_page element in the hOCR")
    return [_page(el, first_index + n, origin, name) for n, el in enumerate(pages)]


def _classes(element: etree._Element) -> set[str]:
    value = element.get("class") if isinstance(element.tag, str) else None
    return set(value.split()) if value else set()


def _bbox(element: etree._Element) -> Box | None:
    found = _BBOX.search(element.get("title") or "")
    if not found:
        return None
    left, top, right, bottom = (float(v) for v in found.groups())
    if not all(math.isfinite(v) for v in (left, top, right, bottom)):
        return None  # "1000…0" with hundreds of digits: no size at all
    return Box(min(left, right), min(top, bottom), max(left, right), max(top, bottom))


def _page(element: etree._Element, index: int, origin: TextOrigin, name: str) -> Page:
    size = _bbox(element)
    if size is None or size.width <= 0 or size.height <= 0:
        raise DocumentError(Problem.CORRUPT, f"{name}: page {index + 1} has no bbox with its size")
    words: list[Word] = []
    lines: dict[etree._Element, int] = {}
    blocks: dict[etree._Element, int] = {}
    for el in element.iter():
        if "ocrx_word" not in _classes(el):
            continue
        box = _bbox(el)
        text = " ".join("".join(str(t) for t in el.itertext()).split())
        if box is None or not text or not _on_page(box, size):
            continue
        line = lines.setdefault(_ancestor(el, _LINES, element), len(lines))
        block = blocks.setdefault(_ancestor(el, _BLOCKS, element), len(blocks))
        conf = _CONF.search(el.get("title") or "")
        confidence = min(1.0, max(0.0, float(conf.group(1)) / 100)) if conf else 1.0
        words.append(Word(text.replace(" ", "\u00a0"), box, line, block, confidence))
    return Page(index, round(size.width), round(size.height), tuple(words), origin)


def _on_page(box: Box, page: Box) -> bool:
    """Whether any of the word lies on the page (a word off it would get an empty box at its edge)."""
    return box.right > page.left and box.bottom > page.top and box.left < page.right and box.top < page.bottom


def _ancestor(element: etree._Element, classes: set[str], stop: etree._Element) -> etree._Element:
    """The nearest enclosing element of one of ``classes`` (the page itself when none)."""
    node = element.getparent()
    while node is not None and node is not stop:
        if _classes(node) & classes:
            return node
        node = node.getparent()
    return stop
