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
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from alabctl.compile.regexcheck import check_regex
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
