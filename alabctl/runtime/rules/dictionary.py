"""Dictionary matching: one Aho-Corasick automaton (pyahocorasick) per dictionary rule.

An entry's words are the automaton's keys, with every run of whitespace made one space (and folded
when the rule is case-insensitive). The text is scanned in the same form
(:meth:`Document.view`); a hit counts only when it starts at a token start and ends at a token end,
so ``man`` never matches inside ``manhattan`` or ``woman``. Overlapping hits of one rule are resolved
leftmost, then longest.
"""

from __future__ import annotations

import re

import ahocorasick

from alabctl.compile.dictionary import parse_dictionary, sniff_dictionary
from alabctl.runtime.rules import text as seg
from alabctl.runtime.rules.document import Document, fold
from alabctl.spec.errors import UserError
from alabctl.spec.kinds.rule import Orientation

_SPACES = re.compile(r"\s+")

Hit = tuple[int, int, str]
"""``(start, end, normalized)`` in the original text."""


def parse_entries(
    text: str, *, filename: str, orientation: str = "", delimiter: str = ""
) -> dict[str, list[str]]:
    """``{normalized: [words]}`` from a dictionary file's text, read by the compiler's parser.

    Orientation and delimiter are guessed from the text when not given. Raises :class:`UserError`
    naming the line when the file has errors.
    """
    guessed_orientation, guessed_delimiter = sniff_dictionary(text, filename)
    layout = Orientation(orientation) if orientation in ("horizontal", "vertical") else guessed_orientation
    parsed = parse_dictionary(text, orientation=layout, delimiter=delimiter or guessed_delimiter)
    if parsed.has_errors:
        first = next(f for f in parsed.findings if f.severity.value == "error")
        raise UserError(f"dictionary '{filename}' line {first.line}: {first.summary}: {first.detail}")
    return parsed.entries


class DictionaryMatcher:
    """Whole-token matches of a dictionary's words, each with its normalized value."""

    __slots__ = ("_caseless", "_iter", "size")

    def __init__(self, entries: dict[str, list[str]], *, case_sensitive: bool) -> None:
        automaton = ahocorasick.Automaton()
        self._caseless = not case_sensitive
        self.size = 0
        for normalized, words in entries.items():
            for word in words:
                key = _SPACES.sub(" ", word.strip())
                if not key:
                    continue
                if self._caseless:
                    key = fold(key)
                if key not in automaton:  # the first entry that lists a word keeps it
                    automaton.add_word(key, (len(key), normalized))
                    self.size += 1
        if self.size:
            automaton.make_automaton()
            self._iter = automaton.iter
        else:
            self._iter = None

    def find(self, doc: Document) -> list[Hit]:
        """Non-overlapping whole-token hits, leftmost then longest, in text order."""
        if self._iter is None:
            return []
        view, where = doc.view(self._caseless)
        n = len(view)
        cands: list[tuple[int, int, str]] = []
        bounds: seg.Boundaries | None = None  # made on the first hit next to punctuation runs
        cc = seg.CONTEXT_CHARS
        # In the view every whitespace is one " ". A hit starts on a token start when the character
        # before it is a space, or a lone leading punctuation mark, or (rarely) a longer run of
        # punctuation; it cannot when neither that character nor its own first one is punctuation.
        # The same, mirrored, for its end.
        for end, (length, normalized) in self._iter(view):
            s = end - length + 1
            e = end + 1
            if s:
                before = view[s - 1]
                if before != " ":
                    if before in cc:
                        if s > 1 and view[s - 2] != " ":
                            bounds = bounds or seg.Boundaries(view)
                            if not bounds.start(s):
                                continue
                    elif view[s] not in cc:
                        continue
                    else:
                        bounds = bounds or seg.Boundaries(view)
                        if not bounds.start(s):
                            continue
            if e < n:
                after = view[e]
                if after != " ":
                    if after in cc:
                        if e + 1 < n and view[e + 1] != " ":
                            bounds = bounds or seg.Boundaries(view)
                            if not bounds.end(e):
                                continue
                    elif view[end] not in cc:
                        continue
                    else:
                        bounds = bounds or seg.Boundaries(view)
                        if not bounds.end(e):
                            continue
            cands.append((s, e, normalized))
        if not cands:
            return cands
        if len(cands) > 1:
            cands.sort(key=_leftmost_longest)
            kept: list[Hit] = []
            last = -1
            for hit in cands:
                if hit[0] >= last:
                    kept.append(hit)
                    last = hit[1]
            cands = kept
        if where is None:
            return cands
        return [(where[s], where[e - 1] + 1, normalized) for s, e, normalized in cands]


def _leftmost_longest(hit: Hit) -> tuple[int, int]:
    return hit[0], -hit[1]
