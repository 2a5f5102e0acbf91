"""A Jinja2 sandbox with a budget: bounded sizes, loop iterations, calls and wall time.

Jinja2's own sandbox stops templates from reaching Python internals, but not from exhausting
memory or time: ``'a' * 10**9``, ``'%999999999s' % x``, ``x|center(10**9)`` or two nested
``range(10**5)`` loops. This environment adds a :class:`Budget` per render:

* every binary operator on strings and sequences (``*``, ``%``, ``+``, ``**``) and every ``~``
  concatenation is checked *before* it runs, so no oversized value is ever built;
* width-like arguments (``center``, ``indent``, ``wordwrap``, ``ljust``, ``format`` widths ...) are
  capped, and ``range`` is capped;
* a call or filter whose result can be much larger than its inputs has that result estimated from
  its inputs *before* it runs: a width times the lines, tabs or fields it applies to (``indent``,
  ``expandtabs``, ``%`` and ``format()``), the padding times the count (``batch``, ``slice``), an
  indent times the nesting (``tojson``, ``pprint``), a separator times the items (``join``), the
  pieces of a ``split``; filters that handle each word or line in Python are capped in pieces;
* every loop iteration, call and filter is a step; steps and wall time are capped, and the wall
  time is checked at every call, filter and operator (one of them may take long);
* every value handed to a call, a filter or the output is measured (containers walked, repeated
  references counted each time) against the value cap.

A limit hit raises :class:`BudgetExceeded` (a ``SecurityError``), which the renderer turns into a
diagnostic at the template's line.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer


@dataclass(frozen=True)
class Caps:
    """The limits of one render."""

    value: int = 8 * 1024 * 1024
    """Characters of a value (all its strings and the digits of its large integers, walked)."""
    items: int = 1_000_000
    """Items of a value (walked: nested containers and repeated references count each time)."""
    width: int = 10_000
    """A width, padding or precision argument."""
    range: int = 10_000
    """Items of one ``range``."""
    steps: int = 1_000_000
    """Loop iterations, calls and filters of one render."""
    seconds: float = 5.0
    """Wall time of one render."""
    power_bits: int = 4096
    """Bits of an integer ``**`` or ``*`` result."""
    written: int = 32 * 1024 * 1024
    """Characters the ``{{ }}`` expressions of one render write in all, to the output or into the
    text of a macro, a ``{% set %}``, ``{% filter %}`` or ``{% call %}`` block (which the output
    cap does not see until the block is printed)."""
    pieces: int = 100_000
    """Words, lines or items of one filter that handles each of them in Python code (``wordwrap``,
    ``title``, ``urlize``, ``slice``, ``pprint``, ``tojson`` with an indent)."""


class BudgetExceeded(SecurityError):
    """A template went over one of its limits."""


class Budget:
    """What one render has used."""

    def __init__(self, caps: Caps) -> None:
        self.caps = caps
        self.steps = 0
        self.written = 0
        self.deadline = time.monotonic() + caps.seconds

    def step(self, *, timed: bool = False) -> None:
        """Count one step; check the wall time every 64 steps, or now when ``timed``.

        Calls, filters and operators are ``timed``: one of them can take long (it is bounded by the
        size estimates, not by the step count), so the next one must notice the deadline.
        """
        self.steps += 1
        if self.steps > self.caps.steps:
            raise BudgetExceeded(
                f"the template ran more than {self.caps.steps} loop iterations, calls and filters"
            )
        if (timed or self.steps % 64 == 0) and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"the template ran longer than {self.caps.seconds:g} seconds")

    def check_width(self, value: Any, what: str) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > self.caps.width:
            raise BudgetExceeded(f"{what} {value} is over the cap of {self.caps.width}")

    def check_size(self, size: int, what: str) -> None:
        if size > self.caps.value:
            raise BudgetExceeded(
                f"{what} would hold {size} items or characters (the cap is {self.caps.value})"
            )

    def write(self, size: int) -> None:
        """Count ``size`` characters written by an expression, against the written cap."""
        self.written += size
        if self.written > self.caps.written:
            raise BudgetExceeded(
                f"the template's expressions wrote more than {self.caps.written} characters "
                "(output, macros and blocks together)"
            )

    def check_items(self, count: int, what: str, cap: int | None = None) -> None:
        """Refuse a call that would make ``count`` items (list items, lines, words) at once."""
        cap = self.caps.items if cap is None else cap
        if count > cap:
            raise BudgetExceeded(f"{what} would make {count} items (the cap is {cap})")

    def text_size(self, value: Any, *, escaped: bool = False) -> int:
        """An upper estimate of the characters of ``value`` as text (``str()`` of it, or its JSON or
        URL form when ``escaped``).

        A top-level string counts its length unless ``escaped``; strings in a container count as
        ``repr`` (or JSON) may escape them (:func:`_quoted`). Every item adds 8 (quotes, separators,
        small numbers) and an integer its digits. The walk stops once the estimate passes the value
        cap.
        """
        if isinstance(value, str) and not escaped:
            return len(value)
        size = walked = 0
        stack = [value]
        while stack and size <= self.caps.value and walked <= self.caps.items:
            item = stack.pop()
            walked += 1
            size += 8
            if isinstance(item, str):
                size += _quoted(item, json=escaped)
            elif isinstance(item, bytes):
                size += 4 * len(item)
            elif isinstance(item, Mapping):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list | tuple | set | frozenset):
                stack.extend(item)
            elif isinstance(item, int):
                size += _digits(item)
            elif isinstance(item, range):
                size += 8 * len(item)
        return size

    def footprint(self, value: Any) -> tuple[int, int]:
        """Characters and items of ``value``, walking containers (repeated references counted each time).

        The digits of a large integer count as characters. The walk stops as soon as either count passes its cap, so it costs at most ``caps.items`` steps.
        """
        chars = items = 0
        stack = [value]
        while stack and chars <= self.caps.value and items <= self.caps.items:
            item = stack.pop()
            items += 1
            if isinstance(item, str | bytes):
                chars += len(item)
            elif isinstance(item, Mapping):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list | tuple | set | frozenset):
                stack.extend(item)
            elif isinstance(item, range):
                items += len(item)
            elif isinstance(item, int) and item.bit_length() > 64:
                chars += _digits(item)
        return chars, items

    def measure(self, value: Any, what: str, times: int = 1) -> None:
        """Refuse ``value`` (repeated ``times``) when its characters or items pass their caps."""
        chars, items = self.footprint(value)
        times = max(times, 0)
        if chars * times > self.caps.value:
            raise BudgetExceeded(f"{what} would hold more than {self.caps.value} characters")
        if items * times > self.caps.items:
            raise BudgetExceeded(f"{what} would hold more than {self.caps.items} items")


def _quoted(text: str, *, json: bool) -> int:
    """Characters of ``text`` as ``repr`` (or, with ``json``, JSON in HTML) writes it, at most."""
    if not json:
        return len(text) if text.isprintable() else 10 * len(text)  # '\U000e0000'
    if not text.isascii() or not text.isprintable():
        return 12 * len(text)  # '\ud83d\ude00'
    return len(text) + 5 * sum(text.count(c) for c in "<>&'\"\\")  # '\u003c'


def _digits(number: int) -> int:
    """How many characters ``str(number)`` has at most (without building it)."""
    return abs(number).bit_length() * 31 // 100 + 2


_BUDGET: ContextVar[Budget | None] = ContextVar("alabctl_template_budget", default=None)


def _budget() -> Budget:
    budget = _BUDGET.get()
    if budget is None:  # rendering outside render(): use a fresh default budget
        budget = Budget(Caps())
        _BUDGET.set(budget)
    return budget


# ---------------------------------------------------------------- estimates, before a call runs
#
# Each check below looks at a call's inputs and refuses it when what it would build (characters,
# items, or pieces handled one by one in Python) passes a cap: widths times lines, tabs or fields,
# padding times count, indent times nesting. The call runs only when the estimate fits.

_PERCENT_SPEC = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")
_NUMBER = re.compile(r"\d+")
_FIELD_HEAD = re.compile(r"[^.\[]*")
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_SPACES = " \t\n\r\v\f\x1c\x1d\x1e\x1f"
_FIELD_SLACK = 64
"""Characters a format field may add beyond its value and widths (an attribute's text, a sign)."""


def _count(value: Any) -> int:
    """``value`` as a count or width (0 when it is not an integer)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _length(value: Any) -> int:
    """``len(value)`` for the containers and strings a template has, else 0."""
    return len(value) if isinstance(value, str | bytes | list | tuple | Mapping | set | frozenset) else 0


def _arg(values: list[Any], kwargs: Mapping[str, Any], position: int, name: str, default: Any = None) -> Any:
    """A filter's argument, given by position or by name."""
    return values[position] if len(values) > position else kwargs.get(name, default)


def _lines(text: str | bytes) -> int:
    """How many lines ``splitlines`` can cut ``text`` into (at most)."""
    if isinstance(text, bytes):
        return text.count(b"\n") + text.count(b"\r") + 1
    return sum(text.count(c) for c in _LINE_BREAKS) + 1


def _pieces(text: str | bytes, separators: str = "") -> int:
    """How many words and gaps cutting ``text`` at white space (and ``separators``) can make, at most.

    Text that is not ASCII may hold Unicode white space: every character counts then.
    """
    if not text.isascii():
        return len(text) + 1
    marks = _SPACES + separators
    if isinstance(text, bytes):
        return 2 * sum(text.count(c.encode()) for c in marks) + 1
    return 2 * sum(text.count(c) for c in marks) + 1


def _occurrences(text: str | bytes, part: str | bytes) -> int:
    """``text.count(part)``, 0 when one is ``str`` and the other ``bytes``."""
    if isinstance(text, str):
        return text.count(part) if isinstance(part, str) else 0
    return text.count(part) if isinstance(part, bytes) else 0


def _width(budget: Budget, digits: str, what: str) -> int:
    """A width written in a format string, checked against the width cap."""
    width = budget.caps.width + 1 if len(digits) > 9 else int(digits or 0)
    budget.check_width(width, what)
    return width


def _check_percent(budget: Budget, fmt: str | bytes, args: Any) -> None:
    """Refuse ``fmt % args`` when its text, widths, precisions and values add up past the value cap.

    Every ``%`` of ``fmt`` must start a field this check reads; ``*`` widths and parentheses in a
    ``%(key)`` are refused (Python reads nested parentheses, the check would not).
    """
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    positional = args if isinstance(args, tuple) else (args,)
    sizes: dict[Any, int] = {}
    total, covered, index = len(text), 0, 0
    for match in _PERCENT_SPEC.finditer(text):
        key, width, precision = match.groups()
        covered += match.group().count("%")
        if "*" in (width, precision):
            raise BudgetExceeded("'*' widths in %-formatting are not allowed in templates")
        if key is not None and "(" in key:
            raise BudgetExceeded("parentheses in a %(key) are not allowed in templates")
        total += _width(budget, width or "", "a %-format width")
        total += _width(budget, precision or "", "a %-format precision")
        if match.group()[-1] == "%":  # '%%' writes one '%' and takes no value
            continue
        if key is not None:
            value = args.get(key) if isinstance(args, Mapping) else None
            slot: Any = ("key", key)
        else:
            value = positional[index] if index < len(positional) else None
            slot = index
            index += 1
        if slot not in sizes:
            sizes[slot] = budget.text_size(value)
        total += sizes[slot]
        budget.check_size(total, "a %-formatted string")
    if covered != text.count("%"):
        raise BudgetExceeded(
            "a '%' in a %-format starts no field the template checks can read (write '%%' for '%')"
        )


def _check_format_string(budget: Budget, fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse ``fmt.format(*args, **kwargs)`` when its text, widths and values pass the value cap."""
    sizes: dict[Any, int] = {}
    total, auto = 0, 0
    try:
        for literal, field, spec, _ in string.Formatter().parse(fmt):
            total += len(literal)
            if field is None:
                continue
            if spec and "{" in spec:
                raise BudgetExceeded("nested format fields are not allowed in templates")
            total += sum(_width(budget, n, "a format width") for n in _NUMBER.findall(spec or ""))
            head = _FIELD_HEAD.match(field)
            name = head.group() if head else ""
            if name == "":
                name, auto = str(auto), auto + 1
            if name not in sizes:
                value = args[int(name)] if name.isdigit() and int(name) < len(args) else kwargs.get(name)
                sizes[name] = budget.text_size(value)
            total += sizes[name] + _FIELD_SLACK
            budget.check_size(total, "a formatted string")
    except ValueError:
        return  # str.format raises its own error


def _sequence_len(value: Any) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return None


def _check_binop(budget: Budget, operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            size = _sequence_len(seq)
            if size is not None and isinstance(times, int):
                budget.check_size(size * max(times, 0), "a repeated value")
                budget.measure(seq, "a repeated value", times)
        if _count(left) and _count(right):
            bits = abs(left).bit_length() + abs(right).bit_length()
            if bits > budget.caps.power_bits:
                raise BudgetExceeded(f"a product with more than {budget.caps.power_bits} bits")
    elif operator == "+":
        a, b = _sequence_len(left), _sequence_len(right)
        if a is not None and b is not None:
            budget.check_size(a + b, "a joined value")
            budget.measure((left, right), "a joined value")
    elif operator == "%" and isinstance(left, str | bytes):
        budget.measure(right, "a %-format argument")
        _check_percent(budget, left, right)
    elif operator in ("//", "%") and _count(left) and _count(right):
        _check_division(budget, left, right)
    elif operator == "**" and isinstance(left, int) and isinstance(right, int | float):
        bits = max(abs(left).bit_length(), 1) * max(float(right), 0.0)
        if abs(left) > 1 and bits > budget.caps.power_bits:
            raise BudgetExceeded(f"a power with more than {budget.caps.power_bits} bits")


def _check_division(budget: Budget, left: int, right: int) -> None:
    """Refuse ``//`` or ``%`` of two large integers (long division takes the product of their sizes)."""
    small, large = sorted((abs(left).bit_length(), abs(right).bit_length()))
    if small > 64 and large > budget.caps.power_bits:
        raise BudgetExceeded(f"a division of integers with more than {budget.caps.power_bits} bits")


def _estimate_replace(budget: Budget, text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str | bytes) and isinstance(old, type(text)) and isinstance(new, type(text)):
        hits = _occurrences(text, old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        budget.check_size(len(text) + hits * max(len(new) - len(old), 0), "a replaced string")


def _materialized(budget: Budget, items: Any, what: str) -> Any:
    """``items`` as a list when it is an iterable other than a string, list or tuple (a generator,
    a dict, a range), taking at most the item cap; so a lazy input's size is known before use."""
    if isinstance(items, str | bytes | list | tuple) or not isinstance(items, Iterable):
        return items
    taken = list(itertools.islice(items, budget.caps.items + 1))
    budget.check_items(len(taken), what)
    budget.measure(taken, what)
    return taken


def _estimate_join(budget: Budget, items: Any, separator: Any) -> None:
    """Refuse a join whose items and separators add up past the value cap."""
    sep = len(separator) if isinstance(separator, str | bytes) else budget.text_size(separator)
    if isinstance(items, str | bytes):
        budget.check_size(len(items) + sep * max(len(items) - 1, 0), "a joined string")
    elif isinstance(items, list | tuple):
        budget.measure(items, "a joined value")
        total = sep * max(len(items) - 1, 0)
        for item in items:
            if isinstance(item, str | bytes):
                total += len(item)
            elif isinstance(item, int):  # 'False' is 5 characters
                total += _digits(item) + 3
            else:
                total += budget.text_size(item)
            budget.check_size(total, "a joined string")


def _estimate_split(
    budget: Budget, text: str | bytes, method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    """Refuse a ``split``/``rsplit``/``splitlines`` that would make more pieces than the item cap."""
    if method == "splitlines":
        pieces = _lines(text)
    else:
        sep = args[0] if args else kwargs.get("sep")
        pieces = _occurrences(text, sep) + 1 if isinstance(sep, str | bytes) and sep else _pieces(text)
        limit = _count(args[1] if len(args) > 1 else kwargs.get("maxsplit", -1))
        if limit > 0:
            pieces = min(pieces, limit + 1)
    budget.check_items(pieces, f"'{method}'")


def _estimate_translate(budget: Budget, text: str | bytes, table: Any) -> None:
    """Refuse a ``translate`` whose longest replacement times the text's length passes the value cap."""
    if isinstance(text, bytes):
        return  # a bytes table maps one byte to one byte
    values: Iterable[Any] = (
        table.values() if isinstance(table, Mapping) else table if isinstance(table, list | tuple) else ()
    )
    longest = max((len(v) if isinstance(v, str) else 1 for v in values), default=1)
    budget.check_size(len(text) * longest, "a translated string")


def _estimate_expandtabs(
    budget: Budget, text: str | bytes, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    tabsize = _count(args[0] if args else kwargs.get("tabsize", 8))
    tabs = _occurrences(text, "\t") + _occurrences(text, b"\t")
    budget.check_size(len(text) + tabsize * tabs, "'expandtabs'")


def _check_method(
    budget: Budget, owner: str | bytes, method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    """The checks of a ``str`` or ``bytes`` method call."""
    if method in _WIDTH_METHODS:
        for value in (*args[:1], kwargs.get("width"), kwargs.get("tabsize")):
            budget.check_width(value, f"'{method}' width")
    if method == "expandtabs":
        _estimate_expandtabs(budget, owner, args, kwargs)
    elif method == "replace" and len(args) >= 2:
        _estimate_replace(budget, owner, *args[:3])
    elif method == "join" and args:
        _estimate_join(budget, args[0], owner)
    elif method in ("split", "rsplit", "splitlines"):
        _estimate_split(budget, owner, method, args, kwargs)
    elif method == "translate" and args:
        _estimate_translate(budget, owner, args[0])
    elif method in ("encode", "decode"):
        _check_codec(args[0] if args else kwargs.get("encoding", "utf-8"))


_CODECS = frozenset(
    {"ascii", "iso8859-1", "cp1252", "utf-7", "unicode-escape", "raw-unicode-escape"}
    | {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
)
"""Codecs written in C that take time linear in the text (``punycode`` and ``idna`` are Python
code that can take time quadratic in it)."""


def _check_codec(encoding: Any) -> None:
    if isinstance(encoding, str):
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            return  # encode/decode raise their own error
        if name not in _CODECS:
            raise SecurityError(
                f"the {name!r} codec is not allowed in templates (use utf-8, utf-16, utf-32, ascii or latin-1)"
            )


_WIDTH_FILTERS: dict[str, tuple[int, str]] = {
    "center": (1, "width"),
    "indent": (1, "width"),
    "wordwrap": (1, "width"),
    "truncate": (1, "length"),
    "round": (1, "precision"),
}
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_TEXT_FILTERS = frozenset(
    {"capitalize", "center", "format", "indent", "lower", "replace", "striptags", "title", "trim"}
    | {"truncate", "upper", "urlize", "wordcount", "wordwrap", "string", "e", "escape", "forceescape"}
)
"""Filters that turn their input into text first."""


def _check_width_args(budget: Budget, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    position, keyword = _WIDTH_FILTERS.get(name, (-1, ""))
    if position >= 0 and len(args) > position:
        budget.check_width(args[position], f"'{name}' {keyword or 'argument'}")
    if keyword and keyword in kwargs:
        budget.check_width(kwargs[keyword], f"'{name}' {keyword}")


def _filter_indent(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    text, width = values[0], _arg(values, kwargs, 1, "width", 4)
    if isinstance(text, str):
        lines = _lines(text) + 1
        budget.check_items(lines, "the lines of 'indent'")
        each = len(width) if isinstance(width, str) else _count(width)
        budget.check_size(len(text) + 1 + each * lines, "'indent'")


def _filter_wordwrap(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    text, width = values[0], max(_count(_arg(values, kwargs, 1, "width", 79)), 1)
    wrap = _arg(values, kwargs, 3, "wrapstring")
    if isinstance(text, str):
        lines = _pieces(text, "-") + len(text) // width
        budget.check_items(lines, "the words and lines of 'wordwrap'", budget.caps.pieces)
        budget.check_size(len(text) + lines * (len(wrap) if isinstance(wrap, str) else 1), "'wordwrap'")


def _filter_words(cap: str, separators: str = "") -> Callable[[Budget, list[Any], dict[str, Any]], None]:
    """A check of a filter that cuts its text into words (at most the ``cap`` named, a Caps field)."""

    def check(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
        if isinstance(values[0], str):
            pieces = _pieces(values[0], separators)
            budget.check_items(pieces, "the words of a filter", getattr(budget.caps, cap))

    return check


def _filter_urlize(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    text = values[0]
    if isinstance(text, str):
        words = _pieces(text)
        budget.check_items(words, "the words of 'urlize'", budget.caps.pieces)
        extra = sum(len(v) for v in (*values[1:], *kwargs.values()) if isinstance(v, str))
        budget.check_size(6 * len(text) + words * (_FIELD_SLACK + extra), "'urlize'")


def _filter_batch(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    count, fill = _count(_arg(values, kwargs, 1, "linecount")), _arg(values, kwargs, 2, "fill_with")
    if fill is not None:  # the last batch is padded up to count
        budget.check_items(_length(values[0]) + count, "'batch' with fill_with")
        budget.measure(fill, "the padding of 'batch'", count)


def _filter_slice(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    count, fill = _count(_arg(values, kwargs, 1, "slices")), _arg(values, kwargs, 2, "fill_with")
    budget.check_items(count, "'slice'", budget.caps.pieces)  # one list per slice, even empty ones
    if fill is not None:
        budget.measure(fill, "the padding of 'slice'", count)


def _nesting(value: Any, cap: int) -> tuple[int, int]:
    """Items of ``value`` and the sum of their depths (how many times an indent is written).

    The walk stops once it has seen more than ``cap`` items.
    """
    items = depths = 0
    stack = [(value, 0)]
    while stack and items <= cap:
        item, depth = stack.pop()
        items += 1
        depths += depth
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend((v, depth + 1) for v in item)
    return items, depths


def _filter_tojson(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    indent = _arg(values, kwargs, 1, "indent")
    size = budget.text_size(values[0], escaped=True)
    if indent is not None:  # one line per item, indented by its depth; json's Python encoder
        items, depths = _nesting(values[0], budget.caps.pieces)
        budget.check_items(items, "'tojson' with an indent", budget.caps.pieces)
        size += (len(indent) if isinstance(indent, str) else _count(indent)) * depths
    budget.check_size(size, "'tojson'")


def _filter_pprint(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    items, depths = _nesting(values[0], budget.caps.pieces)
    budget.check_items(items, "'pprint'", budget.caps.pieces)
    budget.check_size(budget.text_size(values[0]) + depths, "'pprint'")


def _filter_format(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    if isinstance(values[0], str):
        _check_percent(budget, values[0], kwargs or tuple(values[1:]))


def _filter_replace(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    if len(values) >= 3:
        _estimate_replace(budget, str(values[0]), values[1], values[2], *values[3:4])


def _filter_join(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    values[0] = _materialized(budget, values[0], "the input of 'join'")
    _estimate_join(budget, values[0], _arg(values, kwargs, 1, "d", ""))


def _filter_sum(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    start = _arg(values, kwargs, 2, "start", 0)
    if isinstance(start, list | tuple):  # every '+' copies the sum so far
        values[0] = items = _materialized(budget, values[0], "the input of 'sum'")
        size = copied = len(start)
        for item in items if isinstance(items, list | tuple) else ():
            size += len(item) if isinstance(item, list | tuple) else budget.footprint(item)[1]
            copied += size
            budget.check_size(copied, "'sum' of lists (every partial sum counted)")


def _filter_int(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    text, base = values[0], _count(_arg(values, kwargs, 2, "base", 10))
    if isinstance(text, str | bytes):  # bases 2, 4, 8, 16 and 32 have no digit limit in Python
        bits = len(text) * (5 if base in (0, 32) or base > 32 else max((base - 1).bit_length(), 1))
        if bits > budget.caps.power_bits:
            raise BudgetExceeded(f"an integer of more than {budget.caps.power_bits} bits from 'int'")


def _filter_list(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    if isinstance(values[0], str | bytes):
        budget.check_items(len(values[0]), "'list' of a string")


def _filter_escape(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    text = values[0]
    if isinstance(text, str):
        marks = sum(text.count(c) for c in "&<>\"'")
        budget.check_size(len(text) + 4 * marks, "an escaped string")
    else:
        budget.check_size(5 * budget.text_size(text), "an escaped string")


def _filter_urlencode(budget: Budget, values: list[Any], kwargs: dict[str, Any]) -> None:
    text = values[0]
    each = 3 if isinstance(text, str) and text.isascii() else 12  # %XX per UTF-8 byte
    budget.check_size(each * budget.text_size(text), "'urlencode'")


_FILTER_CHECKS: dict[str, Callable[[Budget, list[Any], dict[str, Any]], None]] = {
    "indent": _filter_indent,
    "wordwrap": _filter_wordwrap,
    "title": _filter_words("pieces", "-({[<"),
    "wordcount": _filter_words("items"),
    "striptags": _filter_words("items", "&"),
    "urlize": _filter_urlize,
    "batch": _filter_batch,
    "slice": _filter_slice,
    "tojson": _filter_tojson,
    "pprint": _filter_pprint,
    "format": _filter_format,
    "replace": _filter_replace,
    "join": _filter_join,
    "sum": _filter_sum,
    "list": _filter_list,
    "int": _filter_int,
    "e": _filter_escape,
    "escape": _filter_escape,
    "forceescape": _filter_escape,
    "urlencode": _filter_urlencode,
}
"""Filters whose result can be much larger (or slower to make) than their inputs, and their estimates."""


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with a step, argument checks and result estimates in front of it."""
    passes = getattr(function, "jinja_pass_arg", None)
    estimate = _FILTER_CHECKS.get(name)

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step(timed=True)
        head, values = (args[:1], list(args[1:])) if passes is not None else ((), list(args))
        for value in values:
            budget.measure(value, f"the input of '{name}'")
        for value in kwargs.values():
            budget.measure(value, f"an argument of '{name}'")
        if values and name in _TEXT_FILTERS and not isinstance(values[0], str):
            budget.check_size(budget.text_size(values[0]), f"the input of '{name}' as text")
        _check_width_args(budget, name, tuple(values), kwargs)
        if estimate is not None and values:
            estimate(budget, values, kwargs)
        return function(*head, *values, **kwargs)

    return guarded


def _guard_test(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A test (``is divisibleby(n)`` ...) with a step in front of it, and ``divisibleby`` checked as ``%``."""

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step(timed=True)
        if name == "divisibleby" and len(args) >= 2:
            _check_binop(budget, "%", args[0], args[1])
        return function(*args, **kwargs)

    return guarded


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.step()
        yield item


def _concat(*parts: Any) -> str:
    budget = _budget()
    for part in parts:
        if not isinstance(part, str):
            budget.measure(part, "a value turned into text")
    budget.check_size(sum(budget.text_size(p) for p in parts), "the text of a '~' concatenation")
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    budget.check_size(sum(len(t) for t in texts), "a '~' concatenation")
    return "".join(texts)


def _dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    """``dict(...)`` for templates."""
    return dict(*args, **kwargs)


def _safe_range(*args: int) -> range:
    budget = _budget()
    budget.step()
    result = range(*args)
    if len(result) > budget.caps.range:
        raise BudgetExceeded(f"range() of {len(result)} items is over the cap of {budget.caps.range}")
    return result


_LOOP_GUARD = "alabctl_loop_guard"
_CONCAT = "alabctl_concat"
_VALUE = "alabctl_value"


def _value(value: Any) -> Any:
    budget = _budget()
    budget.step()
    budget.measure(value, "a list, tuple or dict")
    return value


class _Guards(NodeTransformer):
    """Wraps every ``for`` loop's iterable in the step counter and every ``~`` in a checked join."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.Name(_LOOP_GUARD, "load"), [node.iter], [], None, None, lineno=node.lineno
        )
        return node

    def visit_List(self, node: nodes.List) -> nodes.Node:
        return self._literal(node)

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        return self._literal(node) if node.ctx == "load" else self.generic_visit(node) or node

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        return self._literal(node)

    def _literal(self, node: nodes.Expr) -> nodes.Node:
        """A list, tuple or dict literal, measured when it is built (nesting can double its size)."""
        self.generic_visit(node)
        return nodes.Call(nodes.Name(_VALUE, "load"), [node], [], None, None, lineno=node.lineno)

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.Name(_CONCAT, "load"), list(node.nodes), [], None, None, lineno=node.lineno)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with the budget checks of this module."""

    intercepted_binops = frozenset({"*", "%", "+", "**", "//", "/"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.tests = {name: _guard_test(name, cast(Callable[..., Any], t)) for name, t in self.tests.items()}
        self.finalize = self._finalize

    @staticmethod
    def _finalize(value: Any) -> Any:
        budget = _budget()
        budget.step()
        budget.measure(value, "an output value")
        size = budget.text_size(value)
        budget.check_size(size, "an output value as text")
        budget.write(size)
        return value

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """The text of a macro or block: its pieces' total is checked before they are joined."""
        budget = _budget()
        budget.step(timed=True)
        pieces = parts if isinstance(parts, list) else list(parts)
        budget.check_size(sum(map(len, pieces)), "the text of a macro or a set, filter or call block")
        return "".join(pieces)

    def base_globals(self) -> dict[str, Any]:
        """The only globals a template gets: ``range`` (capped), ``dict`` and the guards.

        ``dict`` is a function, not the type: ``dict.update(d, ...)`` or ``dict.clear(d)`` would
        change a value the template was given.
        """
        return {"range": _safe_range, "dict": _dict, _LOOP_GUARD: _counted, _CONCAT: _concat, _VALUE: _value}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template = super()._parse(source, name, filename)
        guarded = _Guards().visit(template)
        assert isinstance(guarded, nodes.Template)
        return guarded

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.step(timed=True)
        _check_binop(budget, operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step(timed=True)
        for value in (*args, *kwargs.values()):
            budget.measure(value, "a call argument")
        owner = getattr(__obj, "__self__", None)
        method = getattr(__obj, "__name__", "")
        if isinstance(owner, str | bytes):
            if method == "join" and args:
                args = (_materialized(budget, args[0], "the input of 'join'"), *args[1:])
            _check_method(budget, owner, method, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__

        mapped = value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> str:
            budget = _budget()
            budget.step(timed=True)
            for arg in (*args, *kwargs.values()):
                budget.measure(arg, "a format argument")
            if mapped:
                _check_format_string(
                    budget, template, (), args[0] if args and isinstance(args[0], Mapping) else {}
                )
            else:
                _check_format_string(budget, template, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked


def start(caps: Caps) -> Callable[[], None]:
    """Begin a render's budget; call the returned function when the render ends."""
    token = _BUDGET.set(Budget(caps))
    return lambda: _BUDGET.reset(token)
