"""The optional hyperscan backend: every eligible regex rule in one database, one pass per text.

Hyperscan and Python ``re`` differ (hyperscan reports every end of every match; ``re`` picks one
match per position, by backtracking order). So hyperscan is only a **prefilter**: one scan tells,
for each rule, every position where one of its matches can end; ``re`` then confirms, searching
only from where a match can start (:meth:`RegexMatcher.confirmed`). The chunks are the same as
with ``re`` alone, by construction:

- a rule is eligible when its pattern is in the portable subset the compiler checks (ALB331: no
  construct Java and Python read differently, which is also what PCRE-syntax hyperscan could read
  differently), hyperscan compiles it and it never matches the empty string; in
  ``ruleScope: sentence`` it must also not look outside its match (no anchors, ``\\b`` or
  lookarounds), so that a match inside a token is a match in the text;
- only ASCII texts are prefiltered (byte offsets are then character offsets, and hyperscan's
  ``\\w``/``\\d``/``\\s``/``.`` read ASCII as ``re.ASCII`` does); other texts run on ``re`` alone.

``choose_backend("auto", ...)`` uses hyperscan when it is installed (``pip install
'alabctl[hyperscan]'``) and at least one rule is eligible; ``"re"`` never does; ``"hyperscan"``
insists and says how to install it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from alabctl.compile.checks.regexcheck import check_regex
from alabctl.runtime.rules.regex import RegexMatcher
from alabctl.runtime.rules.spec import RuleScope
from alabctl.spec.diagnostics import Severity
from alabctl.spec.errors import UserError

log = logging.getLogger(__name__)


class Backend(StrEnum):
    """How regex rules run."""

    AUTO = "auto"
    """hyperscan when installed and useful, else ``re``."""
    RE = "re"
    """Python ``re`` only."""
    HYPERSCAN = "hyperscan"
    """hyperscan prefilter, confirmed with ``re`` (needs the ``hyperscan`` extra)."""


def _eligible(matcher: RegexMatcher) -> bool:
    facts = matcher.facts
    if facts.min_width == 0:
        return False
    if matcher.scope is not RuleScope.DOCUMENT and not facts.context_free:
        return False
    # only patterns in the subset Java and Python read alike: hyperscan (PCRE syntax) reads some of
    # the others differently (``{,2}`` is literal text to it, ``\Q`` starts a quote)
    return not any(f.severity is Severity.ERROR for f in check_regex(matcher.pattern))


class MultiScan:
    """One hyperscan database over the eligible rules; ``scan`` gives each rule's match ends."""

    def __init__(self, hs: Any, rules: Sequence[tuple[int, RegexMatcher]]) -> None:
        compiled: list[tuple[int, bytes, int]] = []
        for index, matcher in rules:
            if not _eligible(matcher):
                continue
            expression = matcher.pattern.encode("utf-8", "surrogatepass")
            flags = _flags(hs, expression)
            if flags is None:
                log.debug("rule %d runs on re alone: hyperscan does not compile it", index)
                continue
            compiled.append((index, expression, flags))
        self.indices = frozenset(i for i, _, _ in compiled)
        self.joinable = all(_joinable(matcher) for index, matcher in rules if index in self.indices)
        """Whether :meth:`scan_many` may read many texts in one pass (see :func:`_joinable`)."""
        regular = {index for index, matcher in rules if matcher.facts.regular}
        self.exact = frozenset(i for i, _, f in compiled if i in regular and f == hs.HS_FLAG_SOM_LEFTMOST)
        """The rules whose one match end in a text *is* their match there, from its lowest start.

        Such a rule's pattern is regular (:data:`regex._REGULAR_OPS`: whether it matches
        ``text[s:e]`` depends on those characters and their neighbours only, the same for ``re``
        and for hyperscan on ASCII text; it never matches empty), and hyperscan reports each end
        with its leftmost start. When a text gives it exactly one end ``e`` with lowest start
        ``s``, every match there ends at ``e``. ``re``'s first match starts at the leftmost place
        where any match starts, which is ``s`` (all of them end at ``e``), and from there the
        only end it can reach is ``e``: so it is ``[s, e)``; the next search starts at ``e``,
        where no match can start that ends at ``e``. So ``re.finditer`` gives exactly
        ``[(s, e)]``, and the search that would confirm it can be skipped. (A lowest start that is
        not known for sure, given as -1 by :meth:`scan_many`, is never taken so.)
        """
        self._db: Any = None
        self._local = threading.local()
        if compiled:
            db = hs.Database()
            db.compile(
                expressions=[e for _, e, _ in compiled],
                ids=[i for i, _, _ in compiled],
                elements=len(compiled),
                flags=[f for _, _, f in compiled],
            )
            self._db = db
            self._hs = hs
            self._master = hs.Scratch(db)

    @property
    def active(self) -> bool:
        return self._db is not None

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._master.clone()
        return scratch

    def scan(self, text: str) -> dict[int, list[tuple[int, int]]] | None:
        """Per eligible rule index with a match, its ``(end, leftmost start)`` pairs sorted (the
        start is 0 for a rule hyperscan cannot track starts for); None when the text is not ASCII
        (then every rule runs on ``re``)."""
        if not text.isascii():
            return None
        ends: dict[int, list[tuple[int, int]]] = {}

        def on_match(rule: int, start: int, end: int, flags: int, context: Any) -> None:
            got = ends.get(rule)
            if got is None:
                ends[rule] = [(end, start)]
            else:
                got.append((end, start))

        self._db.scan(text.encode("ascii"), match_event_handler=on_match, scratch=self._scratch())
        for got in ends.values():
            if len(got) > 1:
                got.sort()
        return ends

    def scan_many(self, texts: Sequence[str]) -> Iterator[Mapping[int, list[tuple[int, int]]] | None]:
        """:meth:`scan` of each text, the same hints, in one pass over the ASCII texts joined by
        line breaks (needs :attr:`joinable`). A lowest start given as -1: the text's start, or
        earlier. The hints come text by text, as the caller reads them, so what each text needs
        is made just before it is used and gone just after (the scan itself runs at once).

        Every match a text has on its own is a match of the joined texts at the same place (the
        patterns read nothing outside their match but ``\\b``/``\\B``, and a line break next to
        a text reads as its end does: not a word character), so every end is reported. A match
        of the joined texts may also cross a line break: it is kept for the text where it ends
        with the lowest start -1 (so an end has a lowest start at or below its true one), or
        dropped when it ends on the line break itself. The extra ends can only send ``re`` to
        search from a place where it finds the same matches (:meth:`RegexMatcher.confirmed`).
        """
        joined = "\n".join(texts)
        readable: Sequence[bool] | None = None  # which texts are scanned (None: all)
        if not joined.isascii():
            readable = [text.isascii() for text in texts]
            joined = "\n".join([text for text, ok in zip(texts, readable, strict=True) if ok])
        found: list[int] = []  # end, start, rule of each match: ints, which the collector never tracks
        append = found.append

        def on_match(rule: int, start: int, end: int, flags: int, context: Any) -> None:
            append(end)
            append(start)
            append(rule)

        self._db.scan(joined.encode("ascii"), match_event_handler=on_match, scratch=self._scratch())
        ends = found[0::3]
        if ends != sorted(ends):  # hyperscan reports by end in practice; if not, sort
            found = [x for match in sorted(zip(ends, found[1::3], found[2::3], strict=True)) for x in match]
        return _hints(texts, readable, found)


_NO_HINTS: Mapping[int, list[tuple[int, int]]] = MappingProxyType({})


def _hints(
    texts: Sequence[str], readable: Sequence[bool] | None, found: list[int]
) -> Iterator[Mapping[int, list[tuple[int, int]]] | None]:
    """Each text's hints from the matches of :meth:`MultiScan.scan_many` (None: not scanned)."""
    at = 0
    n = len(found)
    base = 0  # where the text starts in the joined texts
    for k, text in enumerate(texts):
        if readable is not None and not readable[k]:
            yield None
            continue
        top = base + len(text)
        if at >= n or found[at] > top:
            yield _NO_HINTS
        else:
            hints: dict[int, list[tuple[int, int]]] = {}
            while at < n and found[at] <= top:
                end, start, rule = found[at], found[at + 1], found[at + 2]
                at += 3
                if end <= base:  # it ends on the line break before this text
                    continue
                pair = (end - base, start - base if start >= base else -1)  # -1: it crossed a line break
                got = hints.get(rule)
                if got is None:
                    hints[rule] = [pair]
                else:
                    got.append(pair)
            yield hints
        base = top + 1


def _joinable(matcher: RegexMatcher) -> bool:
    """Whether the pattern reads nothing outside its match but word boundaries: no anchor, no
    lookaround, no conditional on a group (a ``(?(1)...)`` could read a group matched earlier)."""
    return matcher.facts.context_free or matcher.facts.bounded_only


def _flags(hs: Any, expression: bytes) -> int | None:
    """Leftmost start of match tracking when hyperscan can do it for this pattern, else none;
    None when hyperscan cannot compile the pattern at all."""
    for flags in (hs.HS_FLAG_SOM_LEFTMOST, 0):
        try:
            probe = hs.Database()
            probe.compile(expressions=[expression], ids=[0], elements=1, flags=[flags])
        except Exception as exc:  # hyperscan's errors are its own classes; any means "not like this"
            log.debug("hyperscan does not compile %r with flags %d: %s", expression, flags, exc)
            continue
        return int(flags)
    return None


def choose_backend(backend: str, rules: Sequence[tuple[int, RegexMatcher]]) -> MultiScan | None:
    """The hyperscan prefilter to use, or None for ``re`` only."""
    try:
        choice = Backend(backend)
    except ValueError:
        raise UserError(f"backend {backend!r} is not one of: {', '.join(b.value for b in Backend)}") from None
    if choice is Backend.RE or not rules:
        return None
    try:
        import hyperscan
    except ImportError:
        if choice is Backend.HYPERSCAN:
            raise UserError(
                "the hyperscan backend is not installed; install it with: pip install 'alabctl[hyperscan]' "
                "(or use backend 're')"
            ) from None
        return None
    scan = MultiScan(hyperscan, rules)
    return scan if scan.active else None
