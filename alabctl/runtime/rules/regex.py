"""Regex matching with ContextualParser's scopes, on Python ``re`` (compiled once per engine).

Patterns are compiled with ``re.ASCII`` (``\\w``, ``\\d``, ``\\s``, ``\\b`` are ASCII, as in Java's
default), always case-sensitive (an inline ``(?i)`` at the start is the author's choice).

- ``ruleScope: document``: ``finditer`` over the whole text; a match may span tokens and sentences.
- ``ruleScope: sentence``: the pattern is tried on each token on its own (``^``/``$``/``\\b`` see the
  token's edges); a match never spans tokens.
- ``matchScope: sub-token`` keeps the matched characters; ``token`` widens them to the whole tokens
  they touch; ``completeMatchRegex`` keeps only matches that are exactly whole tokens (in sentence
  scope: the whole token ``fullmatch``-es), whatever ``matchScope`` says.
- Empty matches never make a chunk.

``Hints`` let a multi-pattern prefilter (hyperscan) say where a rule's matches can end; the matcher
then confirms with ``re`` from there, so both paths give the same spans (see :mod:`.multiscan`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from alabctl.runtime.rules.document import Document
from alabctl.runtime.rules.spec import MatchScope, RuleScope, RuleSpec
from alabctl.spec.errors import UserError

_parser: Any = re._parser  # type: ignore[attr-defined]
_constants: Any = re._constants  # type: ignore[attr-defined]

_CONTEXT_OPS = frozenset(
    name
    for name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF_EXISTS", "ATOMIC_GROUP")
    if hasattr(_constants, name)
)
_UNBOUNDED = 1 << 32

Span = tuple[int, int]


def compile_pattern(pattern: str, where: str) -> re.Pattern[str]:
    """The rule's pattern compiled with ``re.ASCII``; :class:`UserError` when it does not compile."""
    try:
        return re.compile(pattern, re.ASCII)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        raise UserError(f"{where}: regex {pattern!r} does not compile: {exc}") from exc


def _ops(parsed: Any) -> set[str]:
    """The names of every opcode in a parsed pattern (recursively)."""
    names: set[str] = set()
    stack = [parsed]
    while stack:
        node = stack.pop()
        for op, av in node:
            names.add(str(op))
            items = av if isinstance(av, (list, tuple)) else [av]
            for item in items:
                if isinstance(item, _parser.SubPattern):
                    stack.append(item)
                elif isinstance(item, (list, tuple)):
                    stack.extend(x for x in item if isinstance(x, _parser.SubPattern))
    return names


class PatternFacts:
    """What the matcher may assume about a pattern: its width bounds, and whether it looks outside
    the characters it matches (anchors, ``\\b``, lookarounds)."""

    __slots__ = ("context_free", "max_width", "min_width")

    def __init__(self, pattern: str) -> None:
        try:
            parsed = _parser.parse(pattern, re.ASCII)
            self.min_width, high = parsed.getwidth()
            self.max_width = high if high < _constants.MAXREPEAT else _UNBOUNDED
            self.context_free = not (_ops(parsed) & _CONTEXT_OPS)
        except Exception:  # a tree this reader does not know just turns the shortcuts off
            self.min_width, self.max_width, self.context_free = 0, _UNBOUNDED, False


class RegexMatcher:
    """Spans one regex rule matches in a document, before context is checked."""

    __slots__ = ("_complete", "_facts", "_fullmatch", "_rx", "_scope", "_search", "_token")

    def __init__(self, spec: RuleSpec, where: str) -> None:
        assert spec.regex is not None
        self._rx = compile_pattern(spec.regex, where)
        self._search = self._rx.search
        self._fullmatch = self._rx.fullmatch
        self._facts = PatternFacts(spec.regex)
        self._scope = spec.rule_scope
        self._complete = spec.complete_match
        self._token = spec.match_scope is MatchScope.TOKEN

    @property
    def facts(self) -> PatternFacts:
        return self._facts

    @property
    def scope(self) -> RuleScope:
        return self._scope

    @property
    def pattern(self) -> str:
        return self._rx.pattern

    def find(self, doc: Document, ends: Sequence[int] | None = None) -> list[Span]:
        """Spans in text order (may overlap after widening to tokens; the engine resolves that).

        ``ends``, when given, are sorted positions that include every position where a match of this
        pattern can end (from a prefilter); the result is the same as without them.
        """
        if ends is not None and not ends:
            return []
        if self._scope is RuleScope.DOCUMENT:
            spans = self._document(doc.text, ends)
            if self._complete:
                return [(s, e) for s, e in spans if doc.is_token_start(s) and doc.is_token_end(e)]
            if self._token:
                return [doc.covering(s, e) for s, e in spans]
            return spans
        return self._tokens(doc, ends)

    def _document(self, text: str, ends: Sequence[int] | None) -> list[Span]:
        if ends is None:
            return [m.span() for m in self._rx.finditer(text) if m.end() > m.start()]
        return self._confirmed(text, ends)

    def _confirmed(self, text: str, ends: Sequence[int]) -> list[Span]:
        """``finditer``'s non-empty matches, searching only from where a match can start.

        Every match ``[s, e)`` that ``finditer`` would return ends at one of ``ends``, and starts at
        or after ``e - max_width``; so searching from ``max(pos, first end >= pos - max_width)``
        finds the same next match. Only for patterns that never match empty.
        """
        width = self._facts.max_width
        search = self._search
        out: list[Span] = []
        pos = 0
        i = 0
        n = len(ends)
        while i < n:
            e = ends[i]
            if e <= pos:
                i += 1
                continue
            m = search(text, max(pos, e - width) if width < _UNBOUNDED else pos)
            if m is None:
                break
            s, pos = m.span()
            out.append((s, pos))
        return out

    def _tokens(self, doc: Document, ends: Sequence[int] | None) -> list[Span]:
        text = doc.text
        facts = self._facts
        if facts.context_free:
            # a match inside a token is a match in the text: no match in the text, none in any token
            if ends is None and self._search(text) is None:
                return []
            spans = doc.token_spans()
            if ends is not None:
                spans = _touching(spans, ends)
        else:
            spans = doc.token_spans()
        out: list[Span] = []
        for s, e in spans:
            token = text[s:e]
            if self._complete:
                if self._fullmatch(token) is not None:
                    out.append((s, e))
            elif self._token:
                if self._search(token) is not None:
                    out.append((s, e))
            else:
                out.extend((s + a, s + b) for a, b in (m.span() for m in self._rx.finditer(token)) if b > a)
        return out


def _touching(spans: list[Span], ends: Sequence[int]) -> list[Span]:
    """The tokens in which some position of ``ends`` falls (``start < end_pos <= end``)."""
    from bisect import bisect_left

    out: list[Span] = []
    for s, e in spans:
        i = bisect_left(ends, s + 1)
        if i < len(ends) and ends[i] <= e:
            out.append((s, e))
    return out
