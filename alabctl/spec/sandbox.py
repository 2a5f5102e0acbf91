"""A Jinja2 sandbox with a budget: bounded sizes, loop iterations, calls and wall time.

Jinja2's own sandbox stops templates from reaching Python internals, but not from exhausting
memory or time: ``'a' * 10**9``, ``'%999999999s' % x``, ``x|center(10**9)`` or two nested
``range(10**5)`` loops. This environment adds a :class:`Budget` per render:

* every binary operator on strings and sequences (``*``, ``%``, ``+``, ``**``) and every ``~``
  concatenation is checked *before* it runs, so no oversized value is ever built;
* width-like arguments (``center``, ``indent``, ``wordwrap``, ``ljust``, ``format`` widths ...) are
  capped, ``join``/``replace`` results are estimated first, and ``range`` is capped;
* every loop iteration, call and filter is a step; steps and wall time are capped;
* every value handed to a call, a filter or the output is measured (containers walked, repeated
  references counted each time) against the value cap.

A limit hit raises :class:`BudgetExceeded` (a ``SecurityError``), which the renderer turns into a
diagnostic at the template's line.
"""

from __future__ import annotations

import functools
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer


@dataclass(frozen=True)
class Caps:
    """The limits of one render."""

    value: int = 8 * 1024 * 1024
    """Characters of a value (all its strings, walked)."""
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
    """Bits of an integer ``**`` result."""


class BudgetExceeded(SecurityError):
    """A template went over one of its limits."""


class Budget:
    """What one render has used."""

    def __init__(self, caps: Caps) -> None:
        self.caps = caps
        self.steps = 0
        self.deadline = time.monotonic() + caps.seconds

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.caps.steps:
            raise BudgetExceeded(
                f"the template ran more than {self.caps.steps} loop iterations, calls and filters"
            )
        if self.steps % 64 == 0 and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"the template ran longer than {self.caps.seconds:g} seconds")

    def check_width(self, value: Any, what: str) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > self.caps.width:
            raise BudgetExceeded(f"{what} {value} is over the cap of {self.caps.width}")

    def check_size(self, size: int, what: str) -> None:
        if size > self.caps.value:
            raise BudgetExceeded(
                f"{what} would hold {size} items or characters (the cap is {self.caps.value})"
            )

    def footprint(self, value: Any) -> tuple[int, int]:
        """Characters and items of ``value``, walking containers (repeated references counted each time).

        The walk stops as soon as either count passes its cap, so it costs at most ``caps.items`` steps.
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
        return chars, items

    def measure(self, value: Any, what: str, times: int = 1) -> None:
        """Refuse ``value`` (repeated ``times``) when its characters or items pass their caps."""
        chars, items = self.footprint(value)
        times = max(times, 0)
        if chars * times > self.caps.value:
            raise BudgetExceeded(f"{what} would hold more than {self.caps.value} characters")
        if items * times > self.caps.items:
            raise BudgetExceeded(f"{what} would hold more than {self.caps.items} items")


_BUDGET: ContextVar[Budget | None] = ContextVar("alabctl_template_budget", default=None)


def _budget() -> Budget:
    budget = _BUDGET.get()
    if budget is None:  # rendering outside render(): use a fresh default budget
        budget = Budget(Caps())
        _BUDGET.set(budget)
    return budget


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_WIDTH_IN_SPEC = re.compile(r"(\d+)")


def _check_percent(budget: Budget, fmt: str) -> None:
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*":
                raise BudgetExceeded("'*' widths in %-formatting are not allowed in templates")
            if number:
                budget.check_width(int(number), "a %-format width")


def _check_format_string(budget: Budget, fmt: str) -> None:
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises its own error
    for _, _, spec, _ in parsed:
        for number in _WIDTH_IN_SPEC.findall(spec or ""):
            budget.check_width(int(number), "a format width")
        if spec and "{" in spec:
            raise BudgetExceeded("nested format fields are not allowed in templates")


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
    elif operator == "+":
        a, b = _sequence_len(left), _sequence_len(right)
        if a is not None and b is not None:
            budget.check_size(a + b, "a joined value")
            budget.measure((left, right), "a joined value")
    elif operator == "%" and isinstance(left, str):
        _check_percent(budget, left)
        budget.measure(right, "a %-format argument")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int | float):
        bits = max(abs(left).bit_length(), 1) * max(float(right), 0.0)
        if abs(left) > 1 and bits > budget.caps.power_bits:
            raise BudgetExceeded(f"a power with more than {budget.caps.power_bits} bits")


_WIDTH_FILTERS: dict[str, tuple[int, str]] = {
    "center": (1, "width"),
    "indent": (1, "width"),
    "wordwrap": (1, "width"),
    "truncate": (1, "length"),
    "round": (1, "precision"),
}
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _check_width_args(budget: Budget, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    position, keyword = _WIDTH_FILTERS.get(name, (-1, ""))
    if position >= 0 and len(args) > position:
        budget.check_width(args[position], f"'{name}' {keyword or 'argument'}")
    if keyword and keyword in kwargs:
        budget.check_width(kwargs[keyword], f"'{name}' {keyword}")


def _estimate_replace(budget: Budget, text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        hits = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        budget.check_size(len(text) + hits * max(len(new) - len(old), 0), "a replaced string")


def _estimate_join(budget: Budget, items: Any, separator: Any) -> None:
    if isinstance(items, list | tuple):
        budget.measure(items, "a joined value")
        sep = len(separator) if isinstance(separator, str) else 0
        total = sep * max(len(items) - 1, 0)
        total += sum(len(i) if isinstance(i, str) else 16 for i in items)
        budget.check_size(total, "a joined string")


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with a step, argument checks and result estimates in front of it."""
    passes = getattr(function, "jinja_pass_arg", None)

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step()
        values = args[1:] if passes is not None else args  # the first is the context/environment
        for value in values:
            budget.measure(value, f"the input of '{name}'")
        for value in kwargs.values():
            budget.measure(value, f"an argument of '{name}'")
        _check_width_args(budget, name, tuple(values), kwargs)
        if name == "format" and values and isinstance(values[0], str):
            _check_percent(budget, values[0])
        if name == "replace" and len(values) >= 3:
            _estimate_replace(budget, str(values[0]), values[1], values[2], *values[3:4])
        if name == "join" and values:
            separator = values[1] if len(values) > 1 else kwargs.get("d", "")
            _estimate_join(
                budget, list(values[0]) if isinstance(values[0], list | tuple) else None, separator
            )
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
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    budget.check_size(sum(len(t) for t in texts), "a '~' concatenation")
    return "".join(texts)


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
        self.finalize = self._finalize

    @staticmethod
    def _finalize(value: Any) -> Any:
        budget = _budget()
        budget.step()
        budget.measure(value, "an output value")
        return value

    def base_globals(self) -> dict[str, Any]:
        """The only globals a template gets: ``range`` (capped), ``dict`` and the guards."""
        return {"range": _safe_range, "dict": dict, _LOOP_GUARD: _counted, _CONCAT: _concat, _VALUE: _value}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template = super()._parse(source, name, filename)
        guarded = _Guards().visit(template)
        assert isinstance(guarded, nodes.Template)
        return guarded

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.step()
        _check_binop(budget, operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step()
        for value in (*args, *kwargs.values()):
            budget.measure(value, "a call argument")
        owner = getattr(__obj, "__self__", None)
        method = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            if method in _WIDTH_METHODS:
                for value in args[:1]:
                    budget.check_width(value, f"'{method}' width")
            elif method == "replace" and len(args) >= 2:
                _estimate_replace(budget, owner, *args[:3])
            elif method == "join" and args:
                _estimate_join(budget, list(args[0]) if isinstance(args[0], list | tuple) else None, owner)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            budget = _budget()
            budget.step()
            _check_format_string(budget, template)
            for arg in (*args, *kwargs.values()):
                budget.measure(arg, "a format argument")
            return wrapped(*args, **kwargs)

        return checked


def start(caps: Caps) -> Callable[[], None]:
    """Begin a render's budget; call the returned function when the render ends."""
    token = _BUDGET.set(Budget(caps))
    return lambda: _BUDGET.reset(token)
