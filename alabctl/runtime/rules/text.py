"""Sentences and tokens with code-point offsets into the original text, close to Spark NLP's defaults.

Tokens (Spark NLP ``Tokenizer`` with default parameters): the text is split on whitespace into
*pieces*; the context characters :data:`CONTEXT_CHARS` at the start and at the end of a piece are
split off, one token per character; what is left in the middle is one token. ``"(aspirin),"`` gives
``(``, ``aspirin``, ``)``, ``,``; ``"co-amilofruse"`` and ``"b.i.d"`` stay whole.

Sentences (``SentenceDetector``'s defaults, simplified): a sentence ends after a run of ``.``, ``!``
or ``?`` (and any closing quotes or brackets) that is followed by whitespace and then by something
other than a lowercase letter, unless the word before the period is a common abbreviation
(``Dr.``, ``e.g.``) or a single letter (an initial); an empty line also ends a sentence. Sentence
spans are trimmed of surrounding whitespace.

Every function here works on positions: it never copies token texts unless asked.
"""

from __future__ import annotations

import re
from bisect import bisect_right

CONTEXT_CHARS = ".,;:!?*-()\"'"
"""Split off the start and end of a whitespace-separated piece, one token each (Spark NLP's default)."""

ABBREVIATIONS = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "no",
        "fig",
        "approx",
        "dept",
        "est",
        "inc",
        "ltd",
        "co",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "u.s",
        "mt",
        "ave",
    ]
)
"""Words that do not end a sentence when a period follows them (compared lowercased)."""

_PIECE = re.compile(r"\S+")
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NEXT = re.compile(r"\s*(\S)")


def tokens(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The ``(start, end)`` of every token of ``text[start:end]``, in order, end exclusive."""
    out: list[tuple[int, int]] = []
    add = out.append
    cc = CONTEXT_CHARS
    for m in _PIECE.finditer(text, start, len(text) if end is None else end):
        s, e = m.span()
        piece = m.group()
        lead = len(piece) - len(piece.lstrip(cc))
        if lead == len(piece):
            out.extend((i, i + 1) for i in range(s, e))
            continue
        trail = len(piece) - len(piece.rstrip(cc))
        out.extend((i, i + 1) for i in range(s, s + lead))
        add((s + lead, e - trail))
        out.extend((i, i + 1) for i in range(e - trail, e))
    return out


def sentences(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of every sentence, trimmed of whitespace, in order; none for blank text."""
    cuts = [m.end() for m in _END.finditer(text) if _ends_sentence(text, m.start(), m.end())]
    cuts.extend(m.start() for m in _BLANK_LINE.finditer(text))
    cuts.sort()
    out: list[tuple[int, int]] = []
    begin = 0
    for cut in [*cuts, len(text)]:
        span = _trimmed(text, begin, cut)
        if span is not None:
            out.append(span)
        begin = cut
    return out


def _ends_sentence(text: str, start: int, end: int) -> bool:
    following = _NEXT.match(text, end)
    if following is not None and following.group(1).islower():
        return False
    if text[start] != ".":
        return True
    word_start = start
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:start].lstrip(CONTEXT_CHARS.replace(".", "")).lower()
    return not (word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    chunk = text[start:end]
    stripped = chunk.lstrip()
    if not stripped:
        return None
    s = start + len(chunk) - len(stripped)
    return s, s + len(stripped.rstrip())


def sentence_of(bounds: list[tuple[int, int]], starts: list[int], pos: int) -> int:
    """Index of the sentence that holds ``pos`` (or the last one starting before it); -1 if none."""
    i = bisect_right(starts, pos) - 1
    return i if i >= 0 and pos < bounds[i][1] else -1


LOCAL_LIMIT = 64
"""How far a local boundary check reads each way before it gives up (see :class:`Boundaries`)."""


def _run_before(text: str, pos: int, limit: int | None) -> bool | None:
    """Whether everything from the piece's start up to ``pos`` is context characters (None: a run
    of context characters longer than ``limit``)."""
    lo = 0 if limit is None else max(0, pos - limit)
    cc = CONTEXT_CHARS
    p0 = pos
    while p0 > lo and text[p0 - 1] in cc:
        p0 -= 1
    if p0 == 0 or text[p0 - 1].isspace():
        return True
    return None if p0 == lo and text[p0 - 1] in cc else False


def _run_after(text: str, pos: int, limit: int | None) -> bool | None:
    """Whether everything from ``pos`` to the piece's end is context characters (None: unknown)."""
    n = len(text)
    hi = n if limit is None else min(n, pos + limit)
    cc = CONTEXT_CHARS
    p1 = pos
    while p1 < hi and text[p1] in cc:
        p1 += 1
    if p1 == n or text[p1].isspace():
        return True
    return None if p1 == hi and text[p1] in cc else False


def is_token_start(text: str, pos: int, limit: int | None = None) -> bool | None:
    """Whether a token starts at ``pos`` (``text[pos]`` is not whitespace), reading only the piece
    around it, at most ``limit`` characters each way (None when that was not enough to tell)."""
    if pos == 0 or text[pos - 1].isspace():
        return True
    before = _run_before(text, pos, limit)
    if before:
        return True
    after = _run_after(text, pos, limit)
    if after:
        return True
    return None if before is None or after is None else False


def is_token_end(text: str, pos: int, limit: int | None = None) -> bool | None:
    """Whether a token ends at ``pos`` (exclusive; ``text[pos - 1]`` is not whitespace); as
    :func:`is_token_start`."""
    if pos == len(text) or text[pos].isspace():
        return True
    after = _run_after(text, pos, limit)
    if after:
        return True
    before = _run_before(text, pos, limit)
    if before:
        return True
    return None if before is None or after is None else False


def token_at(text: str, pos: int, limit: int) -> tuple[int, int] | None:
    """The token holding ``pos`` (``text[pos]`` is not whitespace), reading at most ``limit``
    characters each way; None when the piece around ``pos`` is longer than that."""
    n = len(text)
    lo, hi = max(0, pos - limit), min(n, pos + limit)
    p0 = pos
    while p0 > lo and not text[p0 - 1].isspace():
        p0 -= 1
    p1 = pos + 1
    while p1 < hi and not text[p1].isspace():
        p1 += 1
    if (p0 == lo and p0 > 0 and not text[p0 - 1].isspace()) or (
        p1 == hi and p1 < n and not text[p1].isspace()
    ):
        return None
    piece = text[p0:p1]
    lead = len(piece) - len(piece.lstrip(CONTEXT_CHARS))
    trail = len(piece) - len(piece.rstrip(CONTEXT_CHARS)) if lead < len(piece) else 0
    if pos < p0 + lead or pos >= p1 - trail:
        return pos, pos + 1
    return p0 + lead, p1 - trail


class Boundaries:
    """Token-boundary tests on one text: local reads while pieces are short, the full token list
    once a piece is longer than :data:`LOCAL_LIMIT` (so a huge unspaced text stays linear)."""

    __slots__ = ("_ends", "_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: set[int] | None = None
        self._ends: set[int] = set()

    def _build(self) -> set[int]:
        spans = tokens(self._text)
        self._ends = {e for _, e in spans}
        self._starts = {s for s, _ in spans}
        return self._starts

    def start(self, pos: int) -> bool:
        if self._starts is None:
            got = is_token_start(self._text, pos, LOCAL_LIMIT)
            if got is not None:
                return got
            self._build()
        assert self._starts is not None
        return pos in self._starts

    def end(self, pos: int) -> bool:
        if self._starts is None:
            got = is_token_end(self._text, pos, LOCAL_LIMIT)
            if got is not None:
                return got
            self._build()
        return pos in self._ends
