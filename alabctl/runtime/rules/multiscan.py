"""The optional hyperscan backend: every eligible regex rule in one database, one pass per text.

Hyperscan and Python ``re`` differ (hyperscan reports every end of every match; ``re`` picks one
match per position, by backtracking order). So hyperscan is only a **prefilter**: one scan tells,
for each rule, every position where one of its matches can end; ``re`` then confirms, searching
only from where a match can start (:meth:`RegexMatcher._confirmed`). The chunks are the same as
with ``re`` alone, by construction:

- a rule is eligible when hyperscan compiles it and it never matches the empty string; in
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

from alabctl.runtime.rules.regex import RegexMatcher
from alabctl.runtime.rules.spec import RuleScope
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
    return matcher.scope is RuleScope.DOCUMENT or facts.context_free


class MultiScan:
    """One hyperscan database over the eligible rules; ``scan`` gives each rule's match ends."""

    def __init__(self, hs: Any, rules: Sequence[tuple[int, RegexMatcher]]) -> None:
        compiled: list[tuple[int, bytes]] = []
        for index, matcher in rules:
            if not _eligible(matcher):
                continue
            expression = matcher.pattern.encode("utf-8", "surrogatepass")
            try:
                probe = hs.Database()
                probe.compile(expressions=[expression], ids=[0], elements=1, flags=[0])
            except Exception as exc:  # hyperscan cannot compile it: the rule runs on re alone
                log.debug("rule %d runs on re alone: hyperscan does not compile it (%s)", index, exc)
                continue
            compiled.append((index, expression))
        self.indices = frozenset(i for i, _ in compiled)
        self._db: Any = None
        self._local = threading.local()
        if compiled:
            db = hs.Database()
            db.compile(
                expressions=[e for _, e in compiled],
                ids=[i for i, _ in compiled],
                elements=len(compiled),
                flags=[0] * len(compiled),
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

    def scan(self, text: str) -> dict[int, list[int]] | None:
        """Sorted match ends per eligible rule index (rules with none are absent); None when the
        text is not ASCII (run every rule on ``re``)."""
        if not text.isascii():
            return None
        ends: dict[int, list[int]] = {}

        def on_match(rule: int, start: int, end: int, flags: int, context: Any) -> None:
            got = ends.get(rule)
            if got is None:
                ends[rule] = [end]
            else:
                got.append(end)

        self._db.scan(text.encode("ascii"), match_event_handler=on_match, scratch=self._scratch())
        for got in ends.values():
            if len(got) > 1:
                got.sort()
        return ends


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
