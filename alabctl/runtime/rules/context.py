"""Context around a match: ``prefix``/``suffix`` words within ``contextLength``, ``contextException``
words within ``exceptionDistance``, and the confidence that follows from them.

Distances are in characters: the gap between the match and a context word (``"date 1/2/2020"``: the
prefix ``date`` is 1 character away). Context words are whole tokens, compared caselessly. In
``ruleScope: sentence`` only the match's sentence is searched; in ``document`` the whole text.

Confidence: 0.5 for a match with no context found; a prefix found adds up to 0.25 and a suffix up to
0.25, each ``0.25 * (1 - gap / (contextLength + 1))`` for the nearest one; so both, right next to
the match, give almost 1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from alabctl.runtime.rules.document import Document, fold
from alabctl.runtime.rules.spec import RuleScope, RuleSpec
from alabctl.runtime.rules.text import CONTEXT_CHARS

BARE = 0.5
"""Confidence of a match with no context words found."""
SIDE = 0.25
"""Most a prefix (or a suffix) adds to the confidence."""


class Context:
    """Checks one rule's context around its matches."""

    __slots__ = ("_both", "_distance", "_exceptions", "_far", "_length", "_prefix", "_sentence", "_suffix")

    def __init__(self, spec: RuleSpec) -> None:
        self._prefix = _words(spec.prefix)
        self._suffix = _words(spec.suffix)
        self._exceptions = _words(spec.context_exception)
        self._length = spec.context_length
        self._distance = spec.exception_distance
        self._both = spec.prefix_and_suffix
        self._sentence = spec.rule_scope is RuleScope.SENTENCE
        longest = max((len(w) for w in (*spec.prefix, *spec.suffix, *spec.context_exception)), default=0)
        self._far = max(self._length, self._distance) + longest

    def score(self, doc: Document, start: int, end: int) -> float | None:
        """The match's confidence, or None when its context rules it out."""
        lo, hi = 0, len(doc.text)
        if self._sentence:
            span = doc.sentence_span(start, end) or doc.sentence_span(start, start + 1)
            if span is not None:
                lo, hi = min(span[0], start), max(span[1], end)
        before = doc.token_spans(max(lo, start - self._far), start)
        after = doc.token_spans(end, min(hi, end + self._far))
        text = doc.text
        if self._exceptions:
            limit = self._distance
            for s, e in before:
                if start - e <= limit and fold(text[s:e]) in self._exceptions:
                    return None
            for s, e in after:
                if s - end <= limit and fold(text[s:e]) in self._exceptions:
                    return None
        prefix_gap = _nearest(text, reversed(before), self._prefix, lambda s, e: start - e, self._length)
        suffix_gap = _nearest(text, after, self._suffix, lambda s, e: s - end, self._length)
        found_prefix = prefix_gap is not None
        found_suffix = suffix_gap is not None
        if self._prefix and self._suffix and self._both:
            if not (found_prefix and found_suffix):
                return None
        elif (self._prefix or self._suffix) and not (found_prefix or found_suffix):
            return None
        score = BARE
        if prefix_gap is not None:
            score += SIDE * (1 - prefix_gap / (self._length + 1))
        if suffix_gap is not None:
            score += SIDE * (1 - suffix_gap / (self._length + 1))
        return round(score, 4)


def _words(words: Iterable[str]) -> frozenset[str]:
    """Context words as tokens are compared: folded, without the punctuation the tokenizer splits off
    (``"no."`` is the token ``no``)."""
    return frozenset(fold(w.strip(CONTEXT_CHARS) or w) for w in words)


def _nearest(
    text: str,
    spans: Iterable[tuple[int, int]],
    words: frozenset[str],
    gap: Callable[[int, int], int],
    limit: int,
) -> int | None:
    """The gap to the nearest of ``words`` among ``spans`` (nearest first), within ``limit``."""
    if not words:
        return None
    for s, e in spans:
        g = gap(s, e)
        if g > limit:
            return None
        if fold(text[s:e]) in words:
            return g
    return None
