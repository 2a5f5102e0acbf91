"""One text being annotated, with what the rules need computed lazily and at most once.

Most rules never need the token list: a regex in document scope and a dictionary check token
boundaries only where they matched (:func:`~alabctl.runtime.rules.text.is_token_start`). The full
token list and the sentences are built on first use and shared by every rule of the call.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from alabctl.runtime.rules import text as seg

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Caseless form of ``text`` with the same length: ``casefold``, per character when that would
    change the length (``ß`` stays ``ß``)."""
    folded = text.casefold()
    if len(folded) == len(text):
        return folded
    return "".join(c if len(f := c.casefold()) != 1 else f for c in text)


class Document:
    """The text plus its lazily computed tokens, sentences and matching views."""

    __slots__ = (
        "_bounds",
        "_lowered",
        "_sentence_starts",
        "_sentences",
        "_token_ends",
        "_token_starts",
        "_views",
        "text",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self._token_starts: list[int] | None = None
        self._sentences: list[tuple[int, int]] | None = None
        self._views: dict[bool, tuple[str, list[int] | None]] = {}
        self._lowered: str | None = None
        self._bounds: seg.Boundaries | None = None

    @property
    def lowered(self) -> str:
        """``text.lower()`` (for substring tests only: its offsets may differ)."""
        if self._lowered is None:
            self._lowered = self.text.lower()
        return self._lowered

    # --- tokens -----------------------------------------------------------------------------------

    def _tokens(self) -> tuple[list[int], list[int]]:
        if self._token_starts is None:
            spans = seg.tokens(self.text)
            self._token_starts = [s for s, _ in spans]
            self._token_ends = [e for _, e in spans]
            return self._token_starts, self._token_ends
        return self._token_starts, self._token_ends

    def token_spans(self, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """Tokens that lie inside ``[start, end)``."""
        starts, ends = self._tokens()
        end = len(self.text) if end is None else end
        i = bisect_left(starts, start)
        j = bisect_right(ends, end)
        return list(zip(starts[i:j], ends[i:j], strict=True))

    def token_at(self, pos: int) -> tuple[int, int] | None:
        """The token that holds ``pos``; None when ``pos`` is whitespace. Reads only the piece around
        ``pos`` while pieces are short (the full token list otherwise, or once it exists)."""
        text = self.text
        if text[pos].isspace():
            return None
        if self._token_starts is None:
            local = seg.token_at(text, pos, seg.LOCAL_LIMIT)
            if local is not None:
                return local
        starts, ends = self._tokens()
        i = bisect_right(starts, pos) - 1
        return starts[i], ends[i]

    def covering(self, start: int, end: int) -> tuple[int, int] | None:
        """The span of the whole tokens that ``[start, end)`` touches; None when it touches none
        (it is all whitespace)."""
        starts, ends = self._tokens()
        i = bisect_right(ends, start)  # first token ending after start
        j = bisect_left(starts, end) - 1  # last token starting before end
        if i > j:
            return None
        return starts[i], ends[j]

    def _boundaries(self) -> seg.Boundaries:
        if self._bounds is None:
            self._bounds = seg.Boundaries(self.text)
        return self._bounds

    def is_token_start(self, pos: int) -> bool:
        return self._boundaries().start(pos)

    def is_token_end(self, pos: int) -> bool:
        return self._boundaries().end(pos)

    # --- sentences --------------------------------------------------------------------------------

    def sentences(self) -> list[tuple[int, int]]:
        if self._sentences is None:
            self._sentences = seg.sentences(self.text)
            self._sentence_starts = [s for s, _ in self._sentences]
        return self._sentences

    def sentence_index(self, pos: int) -> int:
        """The sentence that holds ``pos``; -1 when ``pos`` is between sentences."""
        bounds = self.sentences()
        return seg.sentence_of(bounds, self._sentence_starts, pos)

    def sentence_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The sentence that holds all of ``[start, end)``, or None when it crosses a sentence end."""
        i = self.sentence_index(start)
        if i < 0:
            return None
        s, e = self.sentences()[i]
        return (s, e) if end <= e else None

    # --- dictionary view --------------------------------------------------------------------------

    def view(self, caseless: bool) -> tuple[str, list[int] | None]:
        """The text as dictionaries see it: every run of whitespace one space, folded when caseless.

        Returns the view and, when it differs in length from the text, the original offset of each of
        its characters (None when offsets are the same).
        """
        got = self._views.get(caseless)
        if got is None:
            got = self._views[caseless] = text_view(self.text, caseless)
        return got


def text_view(text: str, caseless: bool) -> tuple[str, list[int] | None]:
    """``text`` as dictionaries see it (see :meth:`Document.view`), with the offset map or None."""
    if text.isprintable() and "  " not in text:  # only single ' ' separate words
        return (fold(text) if caseless else text), None
    parts: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _SPACES.finditer(text):
        s, e = m.span()
        parts.append(text[pos:s])
        where.extend(range(pos, s))
        parts.append(" ")
        where.append(s)
        pos = e
    parts.append(text[pos:])
    where.extend(range(pos, len(text)))
    view = "".join(parts)
    return (fold(view) if caseless else view), where
