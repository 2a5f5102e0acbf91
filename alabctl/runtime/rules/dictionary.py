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
        views: Sequence[str]
        wheres: Sequence[list[int] | None]
        whole = "".join(texts)
        if whole.isprintable() and "  " not in whole:  # each text is its own view (once folded)
            views, wheres = texts, [None] * len(texts)
        else:
            views, wheres = [], []
            for text in texts:
                view, where = text_view(text, False)
                views.append(view)
                wheres.append(where)
        joined = " " + " \n ".join(views) + " "
        # folding the whole is folding each text: ``fold`` is per character
        return self._scan(fold(joined) if self._caseless else joined, [len(v) for v in views], wheres)

    def _scan(
        self, joined: str, lengths: Sequence[int], wheres: Sequence[list[int] | None], *, every: bool = False
    ) -> dict[int, list[Hit]]:
        """Hits per view, in one pass of the automaton over ``joined``: the views (each folded when
        the rule is caseless), apart by ``" \\n "``, with one space before the first and after the last.

        Leftmost-longest is kept as the hits come (:func:`_keep`), which needs them in the order of
        their ends; a view where one comes out of that order is scanned again on its own with
        ``every`` (every confirmed hit kept, then :func:`_leftmost_longest` in any order).
        """
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
        kept: list[Hit] = []  # view k's hits so far: leftmost-longest, or every one
        reach = 0  # the furthest end of a hit in view k so far
        again: list[int] = []  # views whose hits came out of the order of their ends
        bounds: seg.Boundaries | None = None  # view k's, made on the first hit that needs it
        for end, (back, length, key, normalized, alternatives) in self._iter(_blanked(joined)):
            if end > top:
                if kept:
                    out[k] = _placed(kept, wheres[k], every)
                    kept = []
                while end > top:
                    base = top + 3
                    k += 1
                    top = base + lengths[k]
                bounds = None
                reach = 0
            s = end - back
            e = s + length
            if alternatives:
                bounds = bounds or seg.Boundaries(joined[base:top])
                for hit in _confirmed(joined, end, base, alternatives, bounds):
                    if hit[1] < reach and not every:
                        again.append(k)
                    reach = max(reach, hit[1])
                    if every:
                        kept.append(hit)
                    else:
                        _keep(kept, hit)
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
            s -= base
            e -= base
            if every:
                kept.append((s, e, normalized))
                continue
            if e < reach:  # out of order: this view is scanned again
                again.append(k)
                continue
            reach = e
            # leftmost-longest as the hits come (see ``_keep``), the common cases inline
            if kept:
                last = kept[-1]
                if last[0] < s:
                    if last[1] > s:  # an earlier start overlaps this hit: it wins
                        continue
                else:
                    _keep(kept, (s, e, normalized))
                    continue
            kept.append((s, e, normalized))
        if kept:
            out[k] = _placed(kept, wheres[k], every)
        for k in dict.fromkeys(again):
            base = 1 + sum(lengths[:k]) + 3 * k
            view = joined[base - 1 : base + lengths[k] + 1]
            hits = self._scan(view, lengths[k : k + 1], wheres[k : k + 1], every=True)
            if 0 in hits:
                out[k] = hits[0]
            else:
                out.pop(k, None)
        return out


_Key = tuple[int, int, str, str]
"""``(back, length, key, normalized)``: where a key starts before its padded hit's end, its length,
the key itself and its normalized value."""

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


def _placed(hits: list[Hit], where: list[int] | None, every: bool) -> list[Hit]:
    """One view's hits in the original text's offsets (``every``: all the confirmed ones, in any
    order, resolved here; else already leftmost-longest)."""
    if every and len(hits) > 1:
        hits = _leftmost_longest(hits)
    if where is None:
        return hits
    return [(where[s], where[e - 1] + 1, normalized) for s, e, normalized in hits]


def _keep(kept: list[Hit], hit: Hit) -> None:
    """Add ``hit`` to ``kept``, the leftmost-longest choice among the hits so far, when it is one.

    The hits come in the order of their ends. Leftmost-longest takes the hits by start (the longer
    first at one start) and keeps each that starts at or after the end of the last kept. Those
    that start before ``hit`` are taken exactly as before it came (it is after them in that order):
    they are the kept ones that start before it. ``hit`` is kept when the last of them ends at or
    before its start. Then every earlier hit that starts at or after its start ends at or before
    its end (they came first), so lies inside it and is dropped. When ``hit`` is not kept, the
    choice is as before.
    """
    s = hit[0]
    i = len(kept)
    while i and kept[i - 1][0] >= s:
        i -= 1
    if i and kept[i - 1][1] > s:
        return
    del kept[i:]
    kept.append(hit)


def _leftmost_longest(hits: list[Hit]) -> list[Hit]:
    """The leftmost hit, then the longest there, then the same after its end, and so on (``hits``
    in any order)."""
    hits.sort(key=_BY_START_LONGEST)
    kept: list[Hit] = []
    last = -1
    for hit in hits:
        if hit[0] >= last:
            kept.append(hit)
            last = hit[1]
    return kept


def _by_start_longest(hit: Hit) -> tuple[int, int]:
    return hit[0], -hit[1]


_BY_START_LONGEST = _by_start_longest
