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

    __slots__ = ("_caseless", "_iter", "_ordered", "size")

    def __init__(self, entries: dict[str, list[str]], *, case_sensitive: bool) -> None:
        self._caseless = not case_sensitive
        self.size = 0
        self._ordered = True
        """No key ends with a context character: every hit ends where the automaton reports it."""
        automaton = ahocorasick.Automaton()
        for normalized, words in entries.items():
            for word in words:
                key = _SPACES.sub(" ", word.strip())
                if key:
                    self.size += _add(automaton, fold(key) if self._caseless else key, normalized)
                    self._ordered = self._ordered and key[-1] not in _CC
        self._iter = None
        if self.size:
            automaton.make_automaton()
            self._iter = automaton.iter

    @property
    def ordered(self) -> bool:
        """Whether hits come in the order of their ends (no key ends with a context character), so
        leftmost-longest is kept as they come instead of sorting each text's hits."""
        return self._ordered

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
        if _single_spaced("".join(texts)):  # each text is its own view (once folded)
            views, wheres = texts, [None] * len(texts)
        else:
            views, wheres = [], []
            for text in texts:
                view, where = text_view(text, False)
                views.append(view)
                wheres.append(where)
        joined = " " + " \n ".join(views) + " "
        # folding the whole is folding each text: ``fold`` is per character
        return self._scan(fold(joined) if self._caseless else joined, list(map(len, views)), wheres)

    def _scan(
        self, joined: str, lengths: Sequence[int], wheres: Sequence[list[int] | None]
    ) -> dict[int, list[Hit]]:
        """Hits per view, in one pass of the automaton over ``joined``: the views (each folded when
        the rule is caseless), apart by ``" \\n "``, with one space before the first and after the last."""
        assert self._iter is not None
        out: dict[int, list[Hit]] = {}
        # The automaton reads ``joined`` with every context character blanked, so a key is found
        # wherever a whitespace or punctuation boundary could surround it; no key holds the line
        # break, so no hit spans two views. A hit is then confirmed on ``joined`` itself: the same
        # characters, and a token boundary on each side (a space is one, so is a lone punctuation
        # mark next to a space; anything else is read by ``Boundaries`` on the view alone).
        #
        # Leftmost-longest is chosen as the hits come (see ``_keep``), which needs them in the order
        # of their ends: the automaton reports its hits in the order of their padded ends, and a
        # key ends one before its padded end unless its last character is a context character
        # (then at it). So when no key ends with one, the order holds; otherwise ("every") all of a
        # view's confirmed hits are kept and ``_leftmost_longest`` sorts them.
        every = not self._ordered
        cc = _CC
        starts = joined.startswith
        k = 0
        base = 1  # where view k starts in ``joined``
        top = base + lengths[0]  # the space after view k
        kept: list[Hit] = []  # view k's hits so far: leftmost-longest, or every one
        bounds: seg.Boundaries | None = None  # view k's, made on the first hit that needs it
        for end, (back, length, normalized, check) in self._iter(_blanked(joined)):
            if end > top:
                if kept:
                    out[k] = kept if wheres[k] is None and not every else _placed(kept, wheres[k], every)
                    kept = []
                while end > top:
                    base = top + 3
                    k += 1
                    top = base + lengths[k]
                bounds = None
            s = end - back
            rs = s - base
            if kept and not every:
                last = kept[-1]
                at = last[0]
                if at < rs and last[1] > rs:  # an earlier start overlaps it: it cannot be kept
                    continue
            else:
                at = -1
            e = s + length
            if check is not None and (check.__class__ is tuple or not starts(check, s)):
                if check.__class__ is not tuple:  # not the key, only its blanked form
                    continue
                bounds = bounds or seg.Boundaries(joined[base:top])
                for hit in _confirmed(joined, end, base, check, bounds):
                    if every:
                        kept.append(hit)
                    else:
                        _keep(kept, hit)
                continue
            c = joined[s - 1]
            if c != " " and not (c in cc and joined[s - 2] == " "):
                bounds = bounds or seg.Boundaries(joined[base:top])
                if not bounds.start(rs):
                    continue
            c = joined[e]
            if c != " " and not (c in cc and joined[e + 1] == " "):
                bounds = bounds or seg.Boundaries(joined[base:top])
                if not bounds.end(e - base):
                    continue
            if at < rs:  # the common cases of ``_keep`` inline
                kept.append((rs, e - base, normalized))
            elif at == rs:  # longer than the last one kept, at its start
                kept[-1] = (rs, e - base, normalized)
            else:
                _keep(kept, (rs, e - base, normalized))
        if kept:
            out[k] = _placed(kept, wheres[k], every)
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

    The automaton's value: ``(back, length, normalized, check)``, where ``check`` is None when a
    padded hit proves the key (no space, no context character in it: the blanked text holds the
    same characters there), else the key to compare with the text; or, when several keys read the
    same padded (``a-b`` and ``a b``; ``x.`` and ``x``), every one of them as ``_Key`` values,
    shortest first, each confirmed on its own (``back`` and ``length`` are then 0).
    """
    left, right = key[0] not in _CC, key[-1] not in _CC
    blanked = key.translate(_BLANKED)
    padded = (" " if left else "") + blanked + (" " if right else "")
    back = len(padded) - left - 1  # from the padded hit's last index back to the key's first
    plain = blanked == key and " " not in key
    got = automaton.get(padded, None)
    if got is None:
        automaton.add_word(padded, (back, len(key), normalized, None if plain else key))
        return 1
    check = got[3]
    known: tuple[_Key, ...] = (
        check
        if isinstance(check, tuple)
        else ((got[0], got[1], padded[1:-1] if check is None else check, got[2]),)
    )
    if any(k[2] == key for k in known):  # the first entry that lists a word keeps it
        return 0
    every = tuple(sorted((*known, (back, len(key), key, normalized)), key=_LENGTH))
    # (back, length) 0: the group's hit sits at its padded end, after every earlier hit of its view,
    # so ``_scan``'s early test never drops it (each key of the group is checked on its own)
    automaton.add_word(padded, (0, 0, "", every))
    return 1


_ODD_SPACES = bytes(c for c in range(128) if chr(c).isspace() and c != ord(" "))
"""The ASCII whitespace a view makes a space (``\\s`` but the space itself)."""


def _single_spaced(text: str) -> bool:
    """Whether every run of whitespace in ``text`` is one space, so its view is itself (when it
    says no, the views are made one by one: a false no only costs time)."""
    if text.isascii():  # bytes.translate is a table lookup in C; isprintable reads more slowly
        data = text.encode("ascii")
        return len(data.translate(None, _ODD_SPACES)) == len(data) and data.find(b"  ") < 0
    return text.isprintable() and "  " not in text


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
