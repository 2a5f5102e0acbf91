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
from collections.abc import Iterator, Sequence
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
Hint = Sequence[tuple[int, int]]
"""From a prefilter: ``(end, lowest start)`` of every place a rule's match can end, sorted."""


def compile_pattern(pattern: str, where: str) -> re.Pattern[str]:
    """The rule's pattern compiled with ``re.ASCII``; :class:`UserError` when it does not compile."""
    try:
        return re.compile(pattern, re.ASCII)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        raise UserError(f"{where}: regex {pattern!r} does not compile: {exc}") from exc


def _nodes(parsed: Any) -> Iterator[tuple[Any, Any]]:
    """Every ``(opcode, argument)`` of a parsed pattern, nested groups and branches included."""
    stack = [parsed]
    while stack:
        node = stack.pop()
        for op, av in node:
            yield op, av
            items = av if isinstance(av, (list, tuple)) else [av]
            for item in items:
                if isinstance(item, _parser.SubPattern):
                    stack.append(item)
                elif isinstance(item, (list, tuple)):
                    stack.extend(x for x in item if isinstance(x, _parser.SubPattern))


def _ops(parsed: Any) -> set[str]:
    """The names of every opcode in a parsed pattern (recursively)."""
    return {str(op) for op, _ in _nodes(parsed)}


_REGULAR_OPS = frozenset(
    ("LITERAL", "NOT_LITERAL", "ANY", "IN", "BRANCH", "SUBPATTERN", "MAX_REPEAT", "MIN_REPEAT", "AT")
)
"""Opcodes of a regular expression in the strict sense (characters, classes, groups, alternatives,
greedy and lazy repeats, and anchors, of which only word boundaries are let through): whether it
matches ``text[s:e]`` depends on those characters (and the ones on either side) only, never on how
the engine searches."""

_BOUNDARIES = frozenset(
    str(getattr(_constants, name)) for name in ("AT_BOUNDARY", "AT_NON_BOUNDARY") if hasattr(_constants, name)
)


def _anchors(parsed: Any) -> set[str]:
    """The names of every anchor (``AT``) in a parsed pattern (recursively): ``AT_BOUNDARY``, ..."""
    return {str(av) for op, av in _nodes(parsed) if str(op) == "AT"}


def _local_ignorecase(parsed: Any) -> bool:
    """Whether a group turns case-insensitivity on (``(?i:...)``)."""
    return any(str(op) == "SUBPATTERN" and av[1] & re.IGNORECASE for op, av in _nodes(parsed))


def _required(items: Any) -> frozenset[str] | None:
    """Strings one of which every match contains (ASCII literals only), or None when unsure.

    A run of literal characters in a sequence is required; a group or a repeat of at least one
    passes on what its body requires; a branch requires one of what each alternative requires. Of
    several candidates the most selective (longest shortest string) is kept.
    """
    best: frozenset[str] | None = None

    def consider(candidate: frozenset[str] | None) -> None:
        nonlocal best
        if candidate and all(candidate) and (best is None or _rank(candidate) > _rank(best)):
            best = candidate

    run: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL" and av < 128:
            run.append(chr(av))
            continue
        if run:
            consider(frozenset(["".join(run)]))
            run = []
        if name == "SUBPATTERN":
            consider(_required(av[-1]))
        elif name == "ATOMIC_GROUP":
            consider(_required(av))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            consider(_required(av[2]))
        elif name == "BRANCH":
            alternatives = [_required(branch) for branch in av[1]]
            if all(alternatives):
                consider(frozenset().union(*alternatives))  # type: ignore[arg-type]
    if run:
        consider(frozenset(["".join(run)]))
    return best


def _rank(candidate: frozenset[str]) -> tuple[int, int]:
    return min(len(s) for s in candidate), -len(candidate)


class PatternFacts:
    """What the matcher may assume about a pattern: its width bounds, whether it looks outside the
    characters it matches (anchors, ``\\b``, lookarounds), and strings every match contains."""

    __slots__ = ("bounded_only", "caseless", "context_free", "max_width", "min_width", "needles", "regular")

    def __init__(self, pattern: str) -> None:
        try:
            parsed = _parser.parse(pattern, re.ASCII)
            self.min_width, high = parsed.getwidth()
            self.max_width = high if high < _constants.MAXREPEAT else _UNBOUNDED
            ops = _ops(parsed)
            context = ops & _CONTEXT_OPS
            self.context_free = not context
            only_boundaries = _anchors(parsed) <= _BOUNDARIES
            self.bounded_only = context == {"AT"} and only_boundaries
            """Whether the only thing it reads outside its match is a word boundary (``\\b``, ``\\B``)."""
            self.regular = ops <= _REGULAR_OPS and only_boundaries
            """Whether only the opcodes of :data:`_REGULAR_OPS` occur (word boundaries the only anchors)."""
            self.caseless = bool(parsed.state.flags & re.IGNORECASE) or _local_ignorecase(parsed)
            needles = _required(parsed.data)
            if needles is not None and self.caseless:
                needles = frozenset(n.lower() for n in needles)
            self.needles: tuple[str, ...] | None = tuple(sorted(needles)) if needles else None
        except Exception:  # a tree this reader does not know just turns the shortcuts off
            self.min_width, self.max_width, self.context_free, self.bounded_only = 0, _UNBOUNDED, False, False
            self.regular = False
            self.caseless, self.needles = False, None

    def may_match(self, text: str, lowered: str) -> bool:
        """False only when no match can exist: none of the required strings is in the text."""
        needles = self.needles
        if needles is None:
            return True
        hay = lowered if self.caseless else text
        return any(n in hay for n in needles)


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
    def disjoint(self) -> bool:
        """Whether ``find`` returns spans in order and without overlaps (no widening to tokens)."""
        return self._complete or not self._token

    @property
    def scope(self) -> RuleScope:
        return self._scope

    @property
    def pattern(self) -> str:
        return self._rx.pattern

    @property
    def search(self) -> Any:
        """The compiled pattern's ``search(text, pos)``."""
        return self._search

    @property
    def width(self) -> int | None:
        """The longest a match can be; None when unbounded."""
        width = self._facts.max_width
        return width if width < _UNBOUNDED else None

    def find(self, doc: Document, ends: Hint | None = None) -> list[Span]:
        """Spans in text order (may overlap after widening to tokens; the engine resolves that).

        ``ends``, when given, are ``(end, lowest start)`` pairs sorted by end, covering every
        position where a match of this pattern can end (from a prefilter); the result is the same
        as without them.
        """
        if ends is not None and not ends:
            return []
        if ends is None and not self._facts.may_match(doc.text, doc.lowered if self._facts.caseless else ""):
            return []
        if self._scope is RuleScope.DOCUMENT:
            spans = self._document(doc.text, ends)
            if self._complete:
                return [(s, e) for s, e in spans if doc.is_token_start(s) and doc.is_token_end(e)]
            if self._token:
                return _distinct([c for s, e in spans if (c := doc.covering(s, e)) is not None])
            return spans
        return self._tokens(doc, ends)

    def _document(self, text: str, ends: Hint | None) -> list[Span]:
        if ends is None:
            return [m.span() for m in self._rx.finditer(text) if m.end() > m.start()]
        return self.confirmed(text, ends)

    def confirmed(self, text: str, ends: Hint) -> list[Span]:
        """``finditer``'s non-empty matches, searching only from where the next match can start.

        ``ends`` holds every ``(end, lowest start)`` at which a match of this pattern can end, by
        end: a match ``[s, e)`` that ``finditer`` returns ends at one of them, and starts at or after
        ``e - max_width`` and at or after the lowest start given for ``e``. The next match after
        ``pos`` ends at or after the first end beyond ``pos``; so searching from the latest of
        ``pos``, that end minus ``max_width`` and the lowest start of that end or any later one
        finds the same next match. Only for patterns that never match empty.
        """
        width = self._facts.max_width
        bounded = width < _UNBOUNDED
        search = self._search
        n = len(ends)
        if n == 1:  # the common case: one possible end, so at most one match
            e, lowest = ends[0]
            m = search(text, max(lowest, e - width) if bounded else lowest)
            return [] if m is None else [m.span()]
        floor = [0] * n  # floor[i]: the lowest start of ends[i:]
        running = len(text)
        for k in range(n - 1, -1, -1):
            running = min(running, ends[k][1])
            floor[k] = running
        out: list[Span] = []
        pos = 0
        i = 0
        while i < n:
            e = ends[i][0]
            if e <= pos:
                i += 1
                continue
            m = search(text, max(pos, floor[i], e - width) if bounded else max(pos, floor[i]))
            if m is None:
                break
            s, pos = m.span()
            out.append((s, pos))
        return out

    def _tokens(self, doc: Document, ends: Hint | None) -> list[Span]:
        if self._facts.context_free:
            if ends is not None:  # the tokens that hold the last character of a possible match
                held: list[Span] = []
                for e, _ in ends:
                    token = doc.token_at(e - 1) if e > 0 else None
                    if token is not None and (not held or held[-1] != token):
                        held.append(token)
                return self._in_tokens(doc, held)
            return self._candidate_tokens(doc)
        return self._in_tokens(doc, doc.token_spans())

    def _candidate_tokens(self, doc: Document) -> list[Span]:
        """Only the tokens where a match in the text starts: the same as trying every token.

        The pattern never looks outside its match, so a match inside a token is a match in the
        text at the same place. Searching the text from ``pos`` gives the leftmost place where one
        starts; no token before it can hold a match (it would have been found first), so the next
        token to try is the one holding that place; after it, the search goes on from its end.
        """
        text = doc.text
        search = self._search
        out: list[Span] = []
        pos = 0
        n = len(text)
        while pos < n:
            m = search(text, pos)
            if m is None:
                break
            token = doc.token_at(m.start()) if m.start() < n else None
            if token is None:  # the match starts on whitespace: no token starts a match before it
                pos = m.start() + 1
                continue
            out.extend(self._in_tokens(doc, [token]))
            pos = token[1]
        return out

    def _in_tokens(self, doc: Document, spans: Sequence[Span]) -> list[Span]:
        """Each token tried on its own: fullmatch (complete), search (token) or finditer (sub-token)."""
        text = doc.text
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


def _distinct(spans: list[Span]) -> list[Span]:
    """The spans without repeats of the one before (widening makes many matches one token)."""
    out: list[Span] = []
    for span in spans:
        if not out or out[-1] != span:
            out.append(span)
    return out
