"""Dictionary matching: one Aho-Corasick automaton (pyahocorasick) per dictionary rule.

An entry's words are the automaton's keys, with every run of whitespace made one space (and folded
when the rule is case-insensitive). The text is scanned in the same form
(:meth:`Document.view`); a hit counts only when it starts at a token start and ends at a token end,
so ``man`` never matches inside ``manhattan`` or ``woman``. Overlapping hits of one rule are resolved
leftmost, then longest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter

import ahocorasick

from alabctl.compile.dictionary import parse_dictionary, sniff_dictionary
from alabctl.runtime.rules import text as seg
from alabctl.runtime.rules.document import Document, fold, text_view
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
        self._caseless = not case_sensitive
        self.size = 0
        automaton = ahocorasick.Automaton()
        for normalized, words in entries.items():
            for word in words:
                key = _SPACES.sub(" ", word.strip())
                if key:
                    self.size += _add(automaton, fold(key) if self._caseless else key, normalized)
        self._iter = None
        if self.size:
            automaton.make_automaton()
            self._iter = automaton.iter

    def find(self, doc: Document) -> list[Hit]:
        """Non-overlapping whole-token hits, leftmost then longest, in text order."""
        if self._iter is None:
            return []
        view, where = doc.view(self._caseless)
        return self._scan(" " + view + " ", [len(view)], [where]).get(0, [])

    def find_many(self, texts: Sequence[str]) -> dict[int, list[Hit]]:
        """:meth:`find` for many non-empty texts in one scan: ``{index: hits}`` for texts with hits."""
        if self._iter is None or not texts:
            return {}
        views: list[str] = []
        wheres: list[list[int] | None] = []
        for text in texts:
            if text.isprintable() and "  " not in text:  # the text is its own view (once folded)
                views.append(text)
                wheres.append(None)
            else:
                view, where = text_view(text, False)
                views.append(view)
                wheres.append(where)
        joined = " " + " \n ".join(views) + " "
        # folding the whole is folding each text: ``fold`` is per character
        return self._scan(fold(joined) if self._caseless else joined, [len(v) for v in views], wheres)

    def _scan(self, joined: str, lengths: list[int], wheres: list[list[int] | None]) -> dict[int, list[Hit]]:
        """Hits per view, in one pass of the automaton over ``joined``: the views (each folded when
        the rule is caseless), apart by ``" \\n "``, with one space before the first and after the last."""
        assert self._iter is not None
        out: dict[int, list[Hit]] = {}
        # The automaton reads ``joined`` with every context character blanked, so a key is found
        # wherever a whitespace or punctuation boundary could surround it; no key holds the line
        # break, so no hit spans two views. A hit is then confirmed on ``joined`` itself: the same
        # characters, and a token boundary on each side (a space is one, so is a lone punctuation
        # mark next to a space; anything else is read by ``Boundaries`` on the view alone).
        cc = _CC
        k = 0
        base = 1  # where view k starts in ``joined``
        top = base + lengths[0]  # the space after view k
        cands: list[Hit] = []
        bounds: seg.Boundaries | None = None  # view k's, made on the first hit that needs it
        for end, (back, length, key, normalized, alternatives) in self._iter(_blanked(joined)):
            if end > top:
                if cands:
                    out[k] = _placed(cands, wheres[k])
                    cands = []
                while end > top:
                    base = top + 3
                    k += 1
                    top = base + lengths[k]
                bounds = None
            s = end - back
            e = s + length
            if alternatives:
                bounds = bounds or seg.Boundaries(joined[base:top])
                cands.extend(_confirmed(joined, end, base, alternatives, bounds))
                continue
            if key is not None and joined[s:e] != key:
                continue
            c = joined[s - 1]
            if c != " " and not (c in cc and joined[s - 2] == " "):
                bounds = bounds or seg.Boundaries(joined[base:top])
                if not bounds.start(s - base):
                    continue
            c = joined[e]
            if c != " " and not (c in cc and joined[e + 1] == " "):
                bounds = bounds or seg.Boundaries(joined[base:top])
                if not bounds.end(e - base):
                    continue
            cands.append((s - base, e - base, normalized))
        if cands:
            out[k] = _placed(cands, wheres[k])
        return out


_Key = tuple[int, int, str, str]
"""``(back, length, key, normalized)``: where a key starts before its padded hit's end, its length,
the key itself and its normalized value."""

_START = itemgetter(0)
_LENGTH = itemgetter(1)
_CC = seg.CONTEXT_CHARS
_BLANKED = str.maketrans(_CC, " " * len(_CC))
_BLANKED_BYTES = bytes.maketrans(_CC.encode("ascii"), b" " * len(_CC))


def _add(automaton: ahocorasick.Automaton, key: str, normalized: str) -> int:
    """Add ``key`` (as the view reads it) padded; 1 when it is new, 0 when an earlier entry has it.

    The automaton's value: ``(back, length, key, normalized, alternatives)``, where ``key`` is None
    when a padded hit proves it (no space, no context character in it: the blanked text holds the
    same characters there), and ``alternatives`` lists every key of this padded form when several
    read the same (``a-b`` and ``a b``; ``x.`` and ``x``), shortest first (see
    :func:`_leftmost_longest`), each confirmed on its own.
    """
    left, right = key[0] not in _CC, key[-1] not in _CC
    blanked = key.translate(_BLANKED)
    padded = (" " if left else "") + blanked + (" " if right else "")
    back = len(padded) - left - 1  # from the padded hit's last index back to the key's first
    plain = blanked == key and " " not in key
    got = automaton.get(padded, None)
    if got is None:
        automaton.add_word(padded, (back, len(key), None if plain else key, normalized, ()))
        return 1
    known: tuple[_Key, ...] = got[4] or (
        (got[0], got[1], padded[1:-1] if got[2] is None else got[2], got[3]),
    )
    if any(k[2] == key for k in known):  # the first entry that lists a word keeps it
        return 0
    every = tuple(sorted((*known, (back, len(key), key, normalized)), key=_LENGTH))
    automaton.add_word(padded, (*every[0], every))
    return 1


def _blanked(text: str) -> str:
    """``text`` with every context character made a space."""
    if text.isascii():  # bytes.translate is a table lookup in C, str.translate is not
        return text.encode("ascii").translate(_BLANKED_BYTES).decode("ascii")
    return text.translate(_BLANKED)


def _confirmed(joined: str, end: int, base: int, keys: tuple[_Key, ...], bounds: seg.Boundaries) -> list[Hit]:
    """The keys (of one padded form) that really are whole tokens of the view at this hit."""
    out: list[Hit] = []
    for back, length, key, normalized in keys:
        s = end - back
        e = s + length
        if joined[s:e] == key and bounds.start(s - base) and bounds.end(e - base):
            out.append((s - base, e - base, normalized))
    return out


def _placed(hits: list[Hit], where: list[int] | None) -> list[Hit]:
    """Leftmost-longest hits (found in the order of their ends), in the original text's offsets."""
    if len(hits) > 1:
        hits = _leftmost_longest(hits)
    if where is None:
        return hits
    return [(where[s], where[e - 1] + 1, normalized) for s, e, normalized in hits]


def _leftmost_longest(hits: list[Hit]) -> list[Hit]:
    """The leftmost hit, then the longest there, then the same after its end, and so on (``hits``
    in the order of their ends)."""
    hits.reverse()  # longest first among hits with one start, kept so by the stable sort
    hits.sort(key=_START)
    kept: list[Hit] = []
    last = -1
    for hit in hits:
        if hit[0] >= last:
            kept.append(hit)
            last = hit[1]
    return kept
