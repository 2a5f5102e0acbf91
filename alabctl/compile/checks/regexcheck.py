"""Check one rule regex: it compiles, it reads the same in Java and Python, it does not backtrack badly.

Spark NLP runs rules with ``java.util.regex``; alabctl's native engine, previews and tests use Python
``re``. A pattern is only safe to ship when both read it the same way (SPEC §3 item 9).

Steps, in order:

1. ``_Parser`` walks the pattern once with a small tokenizer (escapes, character classes, groups,
   quantifiers) into a tree of :class:`Item` values, noting every construct outside the portable
   subset as a :class:`RegexFinding` with its offset.
2. The pattern is compiled with Python ``re``; a compile error is reported unless a portability
   finding already explains it (``(?<name>``, ``\\p{L}``: one problem, one finding).
3. When it compiles, the tree is searched for nested quantifiers that risk catastrophic backtracking.
"""

from __future__ import annotations

import re
import string
import warnings
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from alabctl.spec.diagnostics import Severity

COMPILE = "ALB330"
PORTABILITY = "ALB331"
BACKTRACKING = "ALB332"

_SAMPLE = string.ascii_letters + string.digits + string.punctuation + " \t\n\r\f\v" + "é中\u00a0"
_PORTABLE_FLAGS = set("ims")


class RegexFinding(NamedTuple):
    """One problem in a pattern, at ``offset`` (0-based, into the pattern) for ``length`` characters."""

    code: str
    summary: str
    detail: str
    offset: int
    length: int = 1
    severity: Severity = Severity.ERROR

    @property
    def end(self) -> int:
        return self.offset + max(self.length, 1)


class Atom(NamedTuple):
    """One character-sized (or zero-width) piece: a literal, an escape, a class, ``.``, an anchor."""

    text: str
    start: int
    zero_width: bool = False
    negated: bool = False


class Group(NamedTuple):
    """``( ... )`` of any kind, with its alternatives."""

    kind: str  # capture | plain | lookahead | lookbehind | atomic | named
    start: int
    end: int
    branches: tuple[tuple[Item, ...], ...]


class Item(NamedTuple):
    """A node with its quantifier; ``high`` is None when unbounded."""

    node: Atom | Group
    low: int = 1
    high: int | None = 1


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.findings: list[RegexFinding] = []
        self.lookbehinds: list[Group] = []
        self.seen_content = False

    def flag(self, offset: int, length: int, summary: str, detail: str, *, warn: bool = False) -> None:
        severity = Severity.WARNING if warn else Severity.ERROR
        self.findings.append(RegexFinding(PORTABILITY, summary, detail, offset, length, severity))

    def peek(self, n: int = 0) -> str:
        i = self.pos + n
        return self.pattern[i] if i < len(self.pattern) else ""

    def parse(self) -> tuple[tuple[Item, ...], ...]:
        branches = self.branches()
        while self.pos < len(self.pattern):  # a stray ')': re reports it; keep reading
            self.pos += 1
            branches += self.branches()
        return branches

    def branches(self) -> tuple[tuple[Item, ...], ...]:
        out: list[tuple[Item, ...]] = []
        items: list[Item] = []
        while self.pos < len(self.pattern):
            c = self.peek()
            if c == ")":
                break
            if c == "|":
                out.append(tuple(items))
                items = []
                self.pos += 1
                continue
            if c in "*+?" or (c == "{" and items and _brace(self.pattern, self.pos)):
                if items:
                    items[-1] = self.quantifier(items[-1])
                else:
                    self.pos += 1
                continue
            node = self.atom()
            if node is not None:
                self.seen_content = self.seen_content or not isinstance(node, Group) or node.kind != "flags"
                if not (isinstance(node, Group) and node.kind == "flags"):
                    items.append(Item(node))
        out.append(tuple(items))
        return tuple(out)

    def quantifier(self, item: Item) -> Item:
        start = self.pos
        c = self.peek()
        low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}.get(c, (1, 1))
        if c == "{":
            braces = _brace(self.pattern, self.pos)
            assert braces is not None
            low, high, end = braces
            if self.pattern[start + 1] == ",":
                self.flag(
                    start,
                    end - start,
                    f"'{self.pattern[start:end]}' has no lower bound",
                    f"Python reads '{{,n}}' as '{{0,n}}' but Java rejects it (\"Illegal repetition\"); "
                    f"write '{{0,{high}}}'",
                )
            self.pos = end
        else:
            self.pos += 1
        if self.peek() == "?":
            self.pos += 1
        elif self.peek() == "+":
            self.flag(
                self.pos,
                1,
                f"possessive quantifier '{self.pattern[start : self.pos + 1]}'",
                "possessive quantifiers exist in Java and only since Python 3.11, and they change which "
                "strings match; drop the '+' or make the pattern unambiguous instead",
                warn=True,
            )
            self.pos += 1
        return Item(item.node, low, high)

    def atom(self) -> Atom | Group | None:
        start = self.pos
        c = self.peek()
        if c == "\\":
            return self.escape(in_class=False)
        if c == "[":
            return self.char_class()
        if c == "(":
            return self.group()
        self.pos += 1
        if c == "{":
            self.flag(
                start,
                1,
                "unescaped '{'",
                "Java rejects a '{' that does not start a repetition like '{2}' or '{1,3}' "
                "(\"Illegal repetition\"), Python reads it as a literal; escape it as '\\{'",
            )
        return Atom(c, start, zero_width=c in "^$")

    def escape(self, *, in_class: bool) -> Atom:
        start = self.pos
        c = self.peek(1)
        self.pos = min(self.pos + 2, len(self.pattern))
        text = self.pattern[start : self.pos]
        if not c:
            return Atom(text, start)
        if c in "pP":
            self.pos = (
                _skip_braced(self.pattern, self.pos)
                if self.peek() == "{"
                else min(self.pos + 1, len(self.pattern))
            )
            name = self.pattern[start : self.pos]
            self.flag(
                start,
                self.pos - start,
                f"Unicode property '{name}'",
                "Java supports \\p{...} classes, Python 're' does not ('bad escape'); use an explicit class "
                "such as '[A-Za-z]' (for \\p{L}), '[A-Z]' (\\p{Lu}) or '[0-9]' (\\p{N})",
            )
        elif c == "k" and self.peek() == "<":
            self.pos = _skip_to(self.pattern, self.pos, ">")
            self.flag(
                start,
                self.pos - start,
                f"named back-reference '{self.pattern[start : self.pos]}'",
                "'\\k<name>' is Java syntax (Python writes '(?P=name)'); use a numbered back-reference "
                "such as '\\1'",
            )
        elif c == "x" and self.peek() == "{":
            self.pos = _skip_braced(self.pattern, self.pos)
            self.flag(
                start,
                self.pos - start,
                f"'{self.pattern[start : self.pos]}' escape",
                "'\\x{h...h}' is Java only; write '\\xhh' or '\\uhhhh'",
            )
        elif c == "x":
            self.pos = min(self.pos + 2, len(self.pattern))
        elif c == "u":
            self.pos = min(self.pos + 4, len(self.pattern))
        elif c == "N" and self.peek() == "{":
            self.pos = _skip_braced(self.pattern, self.pos)
        elif c == "Q":
            end = self.pattern.find("\\E", self.pos)
            self.pos = len(self.pattern) if end < 0 else end + 2
            self.flag(
                start,
                self.pos - start,
                "quoted literal '\\Q...\\E'",
                "Java quotes with \\Q...\\E, Python 're' does not know it; escape each special "
                "character instead (as Python's re.escape does)",
            )
        elif c.isdigit():
            while self.peek().isdigit():
                self.pos += 1
            if c == "0" or self.pos - start > 2:
                self.flag(
                    start,
                    self.pos - start,
                    f"numeric escape '{self.pattern[start : self.pos]}'",
                    "Java and Python disagree on octal escapes and multi-digit back-references "
                    "('\\0' alone is an error in Java, '\\12' may be octal in Python); write '\\xhh' for "
                    "a character or use groups 1-9 only",
                )
        elif c in _JAVA_ESCAPES:
            self.flag(start, 2, f"escape '{text}'", _JAVA_ESCAPES[c])
        zero = not in_class and c in "bBAzZG"
        return Atom(self.pattern[start : self.pos], start, zero_width=zero, negated=c in "DWSP")

    def char_class(self) -> Atom:
        start = self.pos
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        if self.peek() == "]":
            self.pos += 1
        while self.pos < len(self.pattern):
            c = self.peek()
            if c == "\\":
                self.escape(in_class=True)
                continue
            if c == "]":
                self.pos += 1
                break
            if c == "[":
                self.flag(
                    self.pos,
                    1,
                    "'[' inside a character class",
                    "Java reads '[a[b]]' as a nested class (a union) and '[[:alpha:]]' as the characters "
                    "':alph'; Python reads '[' as a literal; escape it as '\\[' or write one flat class",
                )
            elif c == "&" and self.peek(1) == "&":
                self.flag(
                    self.pos,
                    2,
                    "'&&' inside a character class",
                    "Java reads '[a-z&&[^aeiou]]' as an intersection, Python as the literal '&'; list the "
                    "characters you mean, e.g. '[b-df-hj-np-tv-z]'",
                )
                self.pos += 1
            self.pos += 1
        return Atom(self.pattern[start : self.pos], start, negated=negated)

    def group(self) -> Group | Atom:
        start = self.pos
        self.pos += 1
        kind = "capture"
        if self.peek() == "?":
            kind = self.group_kind(start)
            if kind == "flags":
                return Group(kind, start, self.pos, ())
            if kind in ("comment", "backref"):
                return Atom(self.pattern[start : self.pos], start, zero_width=kind == "comment")
        branches = self.branches()
        if self.peek() == ")":
            self.pos += 1
        group = Group(kind, start, self.pos, branches)
        if kind == "lookbehind":
            self.lookbehinds.append(group)
        return group

    def group_kind(self, start: int) -> str:
        rest = self.pattern[self.pos :]
        for prefix, kind in (("?:", "plain"), ("?=", "lookahead"), ("?!", "lookahead")):
            if rest.startswith(prefix):
                self.pos += 2
                return kind
        if rest.startswith(("?<=", "?<!")):
            self.pos += 3
            return "lookbehind"
        if rest.startswith("?<"):
            self.pos = _skip_to(self.pattern, self.pos, ">")
            self.flag(
                start,
                self.pos - start,
                f"named group '{self.pattern[start : self.pos]}'",
                "'(?<name>...)' is Java syntax and an error in Python 're' (which writes '(?P<name>...)'); "
                "use a plain group '(...)': rules use no group names",
            )
            return "named"
        if rest.startswith("?P<"):
            self.pos = _skip_to(self.pattern, self.pos, ">")
            self.flag(
                start,
                self.pos - start,
                f"Python named group '{self.pattern[start : self.pos]}'",
                "'(?P<name>...)' is Python only; Java rejects it; use a plain group '(...)'",
            )
            return "named"
        if rest.startswith("?P="):
            self.pos = _skip_to(self.pattern, self.pos, ")")
            self.flag(
                start,
                self.pos - start,
                "Python named back-reference",
                "'(?P=name)' is Python only; use a numbered back-reference such as '\\1'",
            )
            return "backref"
        if rest.startswith("?>"):
            self.pos += 2
            self.flag(
                start,
                3,
                "atomic group '(?>'",
                "atomic groups exist in Java and only since Python 3.11, and they change which strings "
                "match; use a plain group '(?:...)' and an unambiguous pattern",
                warn=True,
            )
            return "atomic"
        if rest.startswith("?#"):
            self.pos = _skip_to(self.pattern, self.pos, ")")
            self.flag(
                start,
                self.pos - start,
                "comment group '(?#...)'",
                "Java has no '(?#...)' comments; remove it",
            )
            return "comment"
        if rest.startswith("?("):
            self.pos += 1
            self.flag(
                start, 3, "conditional group '(?(...)'", "Java has no conditional groups; write two rules"
            )
            return "plain"
        return self.inline_flags(start)

    def inline_flags(self, start: int) -> str:
        self.pos += 1
        while self.peek().isalpha() or self.peek() == "-":
            self.pos += 1
        letters = self.pattern[start + 2 : self.pos]
        odd = sorted(set(letters) - _PORTABLE_FLAGS - {"-"})
        if odd:
            self.flag(
                start,
                self.pos - start,
                f"inline flag{'s' if len(odd) > 1 else ''} {', '.join(repr(f) for f in odd)}",
                "only 'i', 'm' and 's' mean the same in Java and Python (Java: d=UNIX_LINES, U=Unicode "
                "classes, u=Unicode case, x differs in classes; Python: a=ASCII, L=locale); drop the flag",
            )
        if self.peek() == ":":
            self.pos += 1
            return "plain"
        if self.peek() == ")":
            self.pos += 1
        if self.seen_content:
            self.flag(
                start,
                self.pos - start,
                f"inline flags '{self.pattern[start : self.pos]}' in the middle of the pattern",
                "Java applies them from that point on, Python 3.11+ rejects global flags that are not at "
                f"the start; move them to the start or scope them: '(?{letters}:...)'",
            )
        return "flags"


_JAVA_ESCAPES = {
    "z": "Java's '\\z' (absolute end) is an error in Python before 3.14 and Python's '\\Z' means "
    "something else in Java; write '$', which both read as 'end, or before a final line break'",
    "Z": "Java's '\\Z' also matches before a final line break, Python's does not; write '$' in both",
    "h": "'\\h' (horizontal space) is Java only; write '[ \\t]'",
    "H": "'\\H' is Java only; write '[^ \\t]'",
    "R": "'\\R' (any line break) is Java only; write '(?:\\r\\n|[\\n\\r])'",
    "X": "'\\X' (grapheme cluster) is Java only; match the characters explicitly",
    "G": "'\\G' (end of the previous match) is Java only; drop it",
    "v": "Java reads '\\v' as any vertical whitespace, Python as the single character U+000B; write '[\\n\\r]'",
    "V": "'\\V' is Java only; write '[^\\n\\r]'",
    "e": "'\\e' (escape) is Java only; write '\\x1b'",
    "c": "'\\cX' (control character) is Java only; write '\\xhh'",
}


def _brace(pattern: str, pos: int) -> tuple[int, int | None, int] | None:
    """``{n}``, ``{n,}``, ``{n,m}`` or ``{,m}`` at ``pos``: (low, high, end), or None for a literal ``{``."""
    m = re.compile(r"\{(\d*)(,(\d*))?\}").match(pattern, pos)
    if m is None or (not m.group(1) and not m.group(3)):
        return None
    low = int(m.group(1) or 0)
    high = int(m.group(3)) if m.group(3) else (None if m.group(2) else low)
    return low, high, m.end()


def _skip_braced(pattern: str, pos: int) -> int:
    return _skip_to(pattern, pos, "}")


def _skip_to(pattern: str, pos: int, close: str) -> int:
    end = pattern.find(close, pos)
    return len(pattern) if end < 0 else end + 1


def parse_regex(pattern: str) -> tuple[tuple[Item, ...], ...]:
    """The pattern's alternatives as trees of :class:`Item` (tolerant: never raises)."""
    return _Parser(pattern).parse()


def check_regex(pattern: str) -> list[RegexFinding]:
    """Every problem with ``pattern``, by offset: compile errors, non-portable constructs, backtracking risks."""
    parser = _Parser(pattern)
    try:
        tree = parser.parse()
    except RecursionError:
        return [_compile_finding(pattern, f"it nests groups more than {MAX_NESTING} deep", 0)]
    if _depth(tree) > MAX_NESTING:
        return [_compile_finding(pattern, f"it nests groups more than {MAX_NESTING} deep", 0)]
    findings = list(parser.findings)
    error = _compile_error(pattern)
    if error is not None:
        message, pos = error
        if "look-behind" in message:
            findings.append(_lookbehind_finding(pattern, parser.lookbehinds))
        elif pos is None or not any(f.offset <= pos < f.end for f in findings):
            findings.append(_compile_finding(pattern, message, pos or 0))
    else:
        findings.extend(_backtracking(tree, pattern))
    return sorted(findings, key=lambda f: (f.offset, f.code, f.summary))


MAX_NESTING = 50
"""Groups inside groups: deeper patterns are refused before any recursive analysis."""


def _depth(branches: tuple[tuple[Item, ...], ...]) -> int:
    """How deeply groups nest (iteratively, so a deep pattern cannot exhaust the stack)."""
    deepest, stack = 0, [(branches, 0)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((i.node.branches, level + 1) for b in current for i in b if isinstance(i.node, Group))
    return deepest


def _compile_error(pattern: str) -> tuple[str, int | None] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            re.compile(pattern, re.ASCII)
        except re.error as exc:
            return exc.msg, exc.pos
        except (OverflowError, RecursionError, ValueError) as exc:
            return str(exc) or type(exc).__name__, None
    return None


def _compile_finding(pattern: str, message: str, pos: int) -> RegexFinding:
    near = pattern[pos : pos + 10]
    return RegexFinding(
        COMPILE,
        f"regex does not compile: {message}",
        f"near '{near}'" if near else "at the end of the pattern",
        pos,
    )


def _lookbehind_finding(pattern: str, lookbehinds: list[Group]) -> RegexFinding:
    variable = [g for g in lookbehinds if _width(g) is None] or lookbehinds
    group = variable[0] if variable else None
    offset = group.start if group else 0
    length = (group.end - group.start) if group else len(pattern)
    return RegexFinding(
        PORTABILITY,
        "variable-width look-behind",
        "Java allows a look-behind of bounded variable width ('(?<=a|bc)'), Python only a fixed width; "
        "split it into fixed-width alternatives: '(?:(?<=a)|(?<=bc))'",
        offset,
        length,
    )


def _width(node: Atom | Group) -> int | None:
    """The fixed width of a node, or None when it can vary."""
    if isinstance(node, Atom):
        return 0 if node.zero_width else 1
    if node.kind in ("lookahead", "lookbehind"):
        return 0
    widths = set()
    for branch in node.branches:
        total = 0
        for item in branch:
            inner = _width(item.node)
            if inner is None or item.low != item.high:
                return None
            total += inner * item.low
        widths.add(total)
    return widths.pop() if len(widths) == 1 else None


# --- catastrophic backtracking ------------------------------------------------------------------


@lru_cache(maxsize=512)
def _chars(text: str) -> frozenset[str]:
    """The sample characters one atom (``a``, ``\\d``, ``[^x]``, ``.``) matches."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = re.compile(text, re.ASCII)
    except (re.error, ValueError, OverflowError, RecursionError):
        return frozenset(_SAMPLE)
    return frozenset(c for c in _SAMPLE if compiled.fullmatch(c))


def chars_of(node: Atom | Group) -> frozenset[str]:
    """Every sample character a node can consume."""
    if isinstance(node, Atom):
        return frozenset() if node.zero_width else _chars(node.text)
    if node.kind in ("lookahead", "lookbehind"):
        return frozenset()
    out: frozenset[str] = frozenset()
    for branch in node.branches:
        for item in branch:
            out |= chars_of(item.node)
    return out


def _nullable(item: Item) -> bool:
    if item.low == 0:
        return True
    node = item.node
    if isinstance(node, Atom):
        return node.zero_width
    if node.kind in ("lookahead", "lookbehind"):
        return True
    return any(all(_nullable(i) for i in branch) for branch in node.branches)


LARGE_SPAN = 4
"""A quantifier whose upper bound exceeds its lower bound by more than this is treated like ``+``:
``(a{1,1000})+`` splits its input in exponentially many ways just as ``(a+)+`` does."""


def _unbounded(item: Item) -> bool:
    """Whether an item can match strings of (practically) unbounded length in more than one way of splitting."""
    if (item.high is None or item.high - item.low > LARGE_SPAN) and chars_of(item.node):
        return True
    node = item.node
    return isinstance(node, Group) and any(_unbounded(i) for b in node.branches for i in b)


def _first(items: tuple[Item, ...]) -> tuple[frozenset[str], bool]:
    """The characters a sequence can start with, and whether it can match the empty string."""
    out: frozenset[str] = frozenset()
    for item in items:
        out |= _first_of(item.node)
        if not _nullable(item):
            return out, False
    return out, True


def _first_of(node: Atom | Group) -> frozenset[str]:
    if isinstance(node, Atom):
        return chars_of(node)
    out: frozenset[str] = frozenset()
    for branch in node.branches:
        out |= _first(branch)[0]
    return out


def _walk(branches: tuple[tuple[Item, ...], ...]) -> Iterator[Item]:
    for branch in branches:
        for item in branch:
            yield item
            if isinstance(item.node, Group):
                yield from _walk(item.node.branches)


MANY = LARGE_SPAN
"""A repetition whose upper bound is above this (or unbounded) repeats "many" times: an optional or
bounded-variable part inside it that overlaps what follows makes the ways to split the input grow
exponentially with the count (``(a?){25}``: 2^25), while ``(\\d\\d?){3}`` stays small."""

POLY_RUN = 3
"""Unbounded parts in a row that can all match one character: on a near-miss of n such characters
the engine tries about n^k/k! ways to share them out, so three already cost 10^12 steps on 20,000
characters."""

_QUANTIFIER = re.compile(r"(?:[*+?]|\{\d*(?:,\d*)?\})[?+]?")


def _backtracking(tree: tuple[tuple[Item, ...], ...], pattern: str) -> list[RegexFinding]:
    out: list[RegexFinding] = []
    for item in _walk(tree):
        node = item.node
        if not isinstance(node, Group) or (item.high is not None and item.high <= 1):
            continue
        if node.kind in ("lookahead", "lookbehind", "atomic"):
            continue
        many = item.high is None or item.high > MANY
        reason = _ambiguous_repeat(node, pattern, many=many)
        witness = _witness(item) if many and not reason else None
        if witness is not None:
            reason = f"it can match {_shown(witness)} in more than one way"
        if reason:
            whole = pattern[node.start : _item_end(item, pattern)]
            rewrite = _rewrite(item)
            here = f"; here: '{rewrite}' instead of '{whole}'" if rewrite else ""
            out.append(
                RegexFinding(
                    BACKTRACKING,
                    f"'{whole}' is repeated and {reason}",
                    "on a near-miss the engine tries every way to split the input between the repetitions "
                    "(exponential in Java and Python alike); make each repetition consume a distinct part, "
                    "e.g. '(\\w+\\s)*' instead of '(\\w+\\s?)*', '(a+)' instead of '(a+)+', "
                    "'\\d+' instead of '(\\d\\d?)+', '([^a]*a){n}' instead of '(.*a){n}'" + here,
                    node.start,
                    len(whole),
                    Severity.WARNING,
                )
            )
    for branch in _branches(tree):
        out.extend(_runs(branch, pattern))
    return out


def _ambiguous_repeat(group: Group, pattern: str, *, many: bool) -> str | None:
    """Why repeating ``group`` is ambiguous, or None (``many``: the repetition is unbounded or large)."""
    for branch in group.branches:
        for i, item in enumerate(branch):
            unbounded = _unbounded(item)
            if not unbounded and not (many and _variable(item)):
                continue
            follow, empty = _first(branch[i + 1 :])
            if empty:
                wrap, wrap_empty = _first(branch[:i])
                follow |= wrap
                if wrap_empty:
                    if unbounded:
                        return "its body is a repeated sub-pattern that can match the same text in many ways"
                    follow |= _first_of(item.node)  # the next repetition starts with this part again
            if chars_of(item.node) & follow:
                if unbounded:
                    return "a repeated part inside it can also match what follows it"
                part = pattern[_item_start(item) : _item_end(item, pattern)]
                return (
                    f"its optional or variable-length part '{part}' can also match what follows it, "
                    "so the repetitions can split the same text in many ways"
                )
    branches = [b for b in group.branches if b]
    for a, first in enumerate(branches):
        for other in branches[a + 1 :]:
            if _same(first, other):
                return "two of its alternatives match the same text"
            if (len(first) == 1 or len(other) == 1) and _first(first)[0] & _first(other)[0]:
                return "its alternatives can start on the same character"
    if many and any(all(_nullable(i) for i in b) for b in group.branches):
        return "its body can match the empty string, so any repetition may match nothing"
    return None


def _variable(item: Item) -> bool:
    """Whether an item consumes characters and can match texts of different lengths (``a?``, ``a{1,2}``)."""
    low, high = _span(item)
    return low != high and bool(chars_of(item.node))


def _span(item: Item) -> tuple[int, int | None]:
    """The fewest and the most characters an item can consume (None: no bound)."""
    low, high = _node_span(item.node)
    if high == 0:
        return 0, 0
    most = None if high is None or item.high is None else high * item.high
    return low * item.low, most


def _node_span(node: Atom | Group) -> tuple[int, int | None]:
    if isinstance(node, Atom):
        return (0, 0) if node.zero_width else (1, 1)
    if node.kind in ("lookahead", "lookbehind"):
        return 0, 0
    lows: list[int] = []
    highs: list[int | None] = []
    for branch in node.branches:
        spans = [_span(i) for i in branch]
        lows.append(sum(s[0] for s in spans))
        tops = [s[1] for s in spans]
        highs.append(None if None in tops else sum(t for t in tops if t is not None))
    if not lows:
        return 0, 0
    return min(lows), (None if None in highs else max(h for h in highs if h is not None))


def _rewrite(item: Item) -> str | None:
    """One quantified atom that matches what a repeated group of one atom matches (``(?:\\d\\d?)+``
    -> ``\\d+``), or None when the group holds other atoms, anchors or look-arounds."""
    atoms = set()
    for inner in _walk(((item,),)):
        if isinstance(inner.node, Atom):
            if inner.node.zero_width:
                return None
            atoms.add(inner.node.text)
        elif inner.node.kind in ("lookahead", "lookbehind", "atomic"):
            return None
    if len(atoms) != 1:
        return None
    low, high = _span(item)
    if high == 0:
        return None
    return atoms.pop() + _quantifier_text(low, high)


def _quantifier_text(low: int, high: int | None) -> str:
    if high is None:
        return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    if (low, high) == (0, 1):
        return "?"
    if low == high:
        return "" if low == 1 else f"{{{low}}}"
    return f"{{{low},{high}}}"


def _item_start(item: Item) -> int:
    return item.node.start


def _item_end(item: Item, pattern: str) -> int:
    """Where an item's text ends in the pattern, its quantifier included."""
    node = item.node
    end = node.start + len(node.text) if isinstance(node, Atom) else node.end
    if (item.low, item.high) == (1, 1):
        return end
    m = _QUANTIFIER.match(pattern, end)
    return m.end() if m else end


def _branches(tree: tuple[tuple[Item, ...], ...]) -> Iterator[tuple[Item, ...]]:
    """Every sequence of the pattern: its top-level alternatives and each group's."""
    yield from tree
    for item in _walk(tree):
        if isinstance(item.node, Group) and item.node.kind not in ("lookahead", "lookbehind"):
            yield from item.node.branches


def _elastic(item: Item) -> bool:
    """Whether an item can stretch over a run of characters of any length: ``.*``, ``a+``,
    ``(?:a+)``, ``a{1,100}``, but not ``(?:a+b)`` (its ``b`` ends it)."""
    if not chars_of(item.node):
        return False
    if item.high is None or item.high - item.low > LARGE_SPAN:
        return True
    node = item.node
    if not isinstance(node, Group) or node.kind in ("lookahead", "lookbehind") or not node.branches:
        return False
    return all(
        any(_elastic(i) for i in b) and all(_elastic(i) or _nullable(i) for i in b) for b in node.branches
    )


def _runs(branch: tuple[Item, ...], pattern: str) -> Iterator[RegexFinding]:
    """Runs of :data:`POLY_RUN` or more elastic parts in a row (optional parts between them
    skipped) that can all match one same character: polynomial backtracking."""
    i = 0
    while i < len(branch):
        run = _run_from(branch, i) if _elastic(branch[i]) else []
        if len(run) >= POLY_RUN:
            yield _run_finding([branch[j] for j in run], pattern)
            i = run[-1] + 1
        else:
            i += 1


def _run_from(branch: tuple[Item, ...], start: int) -> list[int]:
    """The indexes of the elastic parts from ``start`` on that share a character with all before."""
    run, common = [start], chars_of(branch[start].node)
    for j in range(start + 1, len(branch)):
        item = branch[j]
        chars = chars_of(item.node)
        if _elastic(item) and chars & common:
            run.append(j)
            common &= chars
        elif not _nullable(item):
            break
    return run


def _run_finding(run: list[Item], pattern: str) -> RegexFinding:
    start, end = _item_start(run[0]), _item_end(run[-1], pattern)
    text = pattern[start:end]
    return RegexFinding(
        BACKTRACKING,
        f"'{text}' has {len(run)} unbounded parts in a row that can match the same characters",
        f"on a near-miss the engine tries every way to share the input between them (about n^{len(run)} "
        "steps for n characters, in Java and Python alike); merge them into one or make what separates "
        "them required, e.g. '.*=' instead of '.*.*=', 'a+' instead of '(?:a+)(?:a+)', "
        "'\\w+\\s+\\w+' instead of '\\w+\\s*\\w+'",
        start,
        end - start,
        Severity.WARNING,
    )


def _same(a: tuple[Item, ...], b: tuple[Item, ...]) -> bool:
    return [(_key(i.node), i.low, i.high) for i in a] == [(_key(i.node), i.low, i.high) for i in b]


def _key(node: Atom | Group) -> str:
    if isinstance(node, Atom):
        return node.text
    return repr([[(_key(i.node), i.low, i.high) for i in b] for b in node.branches])


WITNESS_STRINGS = 256
"""How many short strings the ambiguity search tries per repeated group (over one character of
each class the group's atoms tell apart, up to :data:`WITNESS_LENGTH` characters)."""
WITNESS_LENGTH = 5


def _witness(item: Item) -> str | None:
    """A short string that the repetition ``item`` (a group) can match in two different ways, or None.

    Repeating such a body is exponential: a string of n copies of the witness has 2^n parses. The
    search tries every string up to :data:`WITNESS_LENGTH` characters over one representative
    character per class of characters the group's atoms tell apart; look-arounds and anchors count
    as always matching."""
    classes = _classes(item)
    if not classes:
        return None
    strings: list[str] = [""]
    for _ in range(WITNESS_LENGTH):
        longer = [s + c for s in strings for c in classes]
        if len(longer) > WITNESS_STRINGS:
            break
        for candidate in longer:
            if _ends(item, candidate, 0).get(len(candidate), 0) > 1:
                return candidate
        strings = longer
    return None


def _classes(item: Item) -> list[str]:
    """One sample character per set of atoms of ``item`` that match it (characters none match left out)."""
    atoms = sorted(
        {i.node.text for i in _walk(((item,),)) if isinstance(i.node, Atom) and not i.node.zero_width}
    )
    seen: dict[tuple[bool, ...], str] = {}
    for c in _SAMPLE:
        key = tuple(c in _chars(a) for a in atoms)
        if any(key):
            seen.setdefault(key, c)
    return list(seen.values())


def _ends(item: Item, text: str, start: int) -> dict[int, int]:
    """Where ``item`` can end when it starts at ``start`` in ``text``, with how many ways (at most 2)."""
    out: dict[int, int] = {}
    current = {start: 1}
    high = len(text) - start + 1 if item.high is None else item.high
    if item.low == 0:
        out[start] = 1
    for count in range(1, high + 1):
        following: dict[int, int] = {}
        for at, ways in current.items():
            for end, more in _node_ends(item.node, text, at).items():
                if end == at and count > item.low:
                    continue  # an empty repetition past the minimum ends the loop in both engines
                following[end] = min(2, following.get(end, 0) + ways * more)
        if not following:
            break
        if count >= item.low:
            for end, ways in following.items():
                out[end] = min(2, out.get(end, 0) + ways)
        current = following
    return out


def _node_ends(node: Atom | Group, text: str, start: int) -> dict[int, int]:
    if isinstance(node, Atom):
        if node.zero_width:
            return {start: 1}
        return {start + 1: 1} if start < len(text) and text[start] in _chars(node.text) else {}
    if node.kind in ("lookahead", "lookbehind"):
        return {start: 1}
    out: dict[int, int] = {}
    for branch in node.branches:
        current = {start: 1}
        for inner in branch:
            following: dict[int, int] = {}
            for at, ways in current.items():
                for end, more in _ends(inner, text, at).items():
                    following[end] = min(2, following.get(end, 0) + ways * more)
            current = following
            if not current:
                break
        for end, ways in current.items():
            out[end] = min(2, out.get(end, 0) + ways)
    return out


def _shown(text: str) -> str:
    return "'" + text.encode("unicode_escape").decode("ascii") + "'"
