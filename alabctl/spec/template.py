"""Rendering ``*.yaml.j2`` manifests in a sandbox.

Templates come from pull requests, so they are untrusted: they render in Jinja2's immutable
sandbox with strict undefined variables and no loader, so a template cannot read files
(``include``/``import``/``extends`` have nothing to load from), import modules, reach Python
internals (``__class__``, ``__globals__`` ...), or mutate the values it is given. Output is capped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from alabctl.spec.codes import TEMPLATE_CODES as TEMPLATE_CODES  # re-exported
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.sandbox import BoundedEnvironment, BudgetExceeded, Caps, start
from alabctl.spec.templatemap import Piece, Placer

MAX_OUTPUT = 8 * 1024 * 1024
"""Bytes one template may render to."""

_TEMPLATE_FILE = "<alabctl-template>"


class _Environment(BoundedEnvironment):
    """The bounded sandbox, with nothing but the builtin filters and tests."""

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            loader=None,
            extensions=[],
        )
        # no lipsum, cycler, joiner or namespace: values in, text out
        self.globals = self.base_globals()


_ENV: _Environment | None = None


def _env() -> _Environment:
    global _ENV
    if _ENV is None:
        _ENV = _Environment()
    return _ENV


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str | None
    diagnostics: list[Diagnostic]
    pieces: list[Piece] = field(default_factory=list)
    """Where each piece of ``text`` came from in the template (see :mod:`alabctl.spec.templatemap`)."""


_LOOPS: ContextVar[dict[int, str] | None] = ContextVar("alabctl_template_string_loops", default=None)
"""Python line of the compiled template -> the string a render iterated over there."""


class _Text(str):
    """A string value given to a template, which notes where the template iterates over its characters.

    ``{% for site in sites %}`` with ``sites`` a string (``--set sites=north``) loops over letters:
    almost always a list was meant, so the render reports a warning at that line.
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[str]:
        loops = _LOOPS.get()
        if loops is not None:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename != _TEMPLATE_FILE:
                frame = frame.f_back  # type: ignore[assignment]
            if frame is not None:
                loops.setdefault(frame.f_lineno, str(self))
        return super().__iter__()


def _noted(value: Any) -> Any:
    """``value`` with every string in it a :class:`_Text`."""
    if isinstance(value, str):
        return _Text(value)
    if isinstance(value, Mapping):
        return {k: _noted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_noted(v) for v in value]
    return value


def _loop_warnings(template: Any, loops: Mapping[int, str]) -> list[Diagnostic]:
    lines = {template.get_corresponding_lineno(py): text for py, text in sorted(loops.items())}
    return [
        Diagnostic(
            "ALB010",
            Severity.WARNING,
            f"the template loops over the characters of the string {_short(text)!r}",
            "a list was probably meant: give one in YAML, e.g. --set 'sites=[north,south]', "
            "or as a list in --values FILE",
            None,
            line,
            1,
        )
        for line, text in sorted(lines.items())
    ]


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _generate(template: Any, values: dict[str, Any]) -> Iterator[tuple[str, int, int]]:
    """``Template.generate``, each piece of output with the line of the compiled template that
    yielded it and the template line Jinja's table gives for that (at or before the real one).

    The line is read from the suspended render generator (the innermost one still in the
    template's code).
    """
    render = template.root_render_func(template.new_context(values))
    lines: dict[int, int] = {}
    try:
        for chunk in render:
            generator = render
            while (inner := generator.gi_yieldfrom) is not None and getattr(inner, "gi_frame", None):
                generator = inner
            frame = generator.gi_frame
            python_line = frame.f_lineno if frame is not None else 0
            line = lines.get(python_line)
            if line is None:
                line = lines[python_line] = template.get_corresponding_lineno(python_line)
            yield chunk, python_line, line
    except Exception:
        template.environment.handle_exception()  # re-raised with the template's lines, as generate does


def _template_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_template(source: str, file: str, values: Mapping[str, Any], caps: Caps | None = None) -> Rendered:
    """Render ``source`` with ``values``; problems come back as diagnostics at the template's line.

    The render is bounded (:mod:`alabctl.spec.sandbox`): value sizes, loop iterations, calls and
    wall time each have a cap, and hitting one is an ``ALB008`` diagnostic, never a hang.
    """
    env = _env()
    stop = start(caps or Caps(value=MAX_OUTPUT))
    try:
        python = env.compile(source, name=file, filename=_TEMPLATE_FILE, raw=True)
        code = compile(python, _TEMPLATE_FILE, "exec")
        template = env.template_class.from_code(env, code, env.make_globals(None))
        constants = {
            i
            for i, text in enumerate(python.splitlines(), 1)
            if text.lstrip().startswith(("yield '", 'yield "'))
        }
        chunks: list[str] = []
        placer = Placer(source)
        size = 0
        loops: dict[int, str] = {}
        token = _LOOPS.set(loops)
        try:
            for chunk, python_line, line in _generate(template, _noted(dict(values))):
                placer.add(chunk, line, python_line in constants)
                size += len(chunk)
                if size > MAX_OUTPUT:
                    too_large = f"a template may render at most {MAX_OUTPUT} characters"
                    return Rendered(None, [_diag("ALB008", 1, "template output too large", too_large)])
                chunks.append(chunk)
        finally:
            _LOOPS.reset(token)
        return Rendered("".join(chunks), _loop_warnings(template, loops), placer.pieces)
    except TemplateSyntaxError as exc:
        syntax = _diag(
            "ALB003",
            exc.lineno or 1,
            f"template syntax error: {exc.message}",
            "fix the Jinja2 syntax at this line",
        )
        return Rendered(None, [syntax])
    except (
        TemplateError,
        TypeError,
        ArithmeticError,
        ValueError,
        AttributeError,
        LookupError,  # KeyError, IndexError, and an unknown codec in .encode()
        RecursionError,
        MemoryError,
        OverflowError,
    ) as exc:
        return Rendered(None, [_runtime_diagnostic(exc, _template_line(sys.exc_info()[2]) or 1)])
    finally:
        stop()


def _runtime_diagnostic(exc: BaseException, line: int) -> Diagnostic:
    """What went wrong while rendering, and how to fix it."""
    if isinstance(exc, BudgetExceeded):
        return _diag(
            "ALB008",
            line,
            f"template over its limits: {exc}",
            "templates are bounded (sizes, loop iterations, time): render smaller values",
        )
    if isinstance(exc, RecursionError | MemoryError):
        return _diag(
            "ALB008",
            line,
            f"template over its limits: {type(exc).__name__}",
            "templates are bounded (recursion, memory): simplify the template",
        )
    if isinstance(exc, SecurityError):
        return _diag(
            "ALB008",
            line,
            f"template refused: {exc}",
            "templates may only format the values they are given; they cannot reach Python "
            "internals, call methods that change data, or run code",
        )
    if isinstance(exc, UndefinedError):
        return _diag(
            "ALB003",
            line,
            f"template error: {exc.message}",
            "give the value with --values FILE or --set key=value, or use '| default(...)' in the template",
        )
    if isinstance(exc, TypeError) and "no loader" in str(exc):
        return _diag(
            "ALB008",
            line,
            "template refused: include, import and extends are not allowed",
            "templates cannot read other files; inline the text",
        )
    if isinstance(exc, TemplateError):
        return _diag(
            "ALB003", line, f"template error: {exc.message or exc}", "fix the expression at this line"
        )
    return _diag(
        "ALB003", line, f"template error: {type(exc).__name__}: {exc}", "fix the expression at this line"
    )


def _diag(code: str, line: int, summary: str, detail: str) -> Diagnostic:
    # the file is filled in by the loader, which knows how the user named it
    return Diagnostic(code, Severity.ERROR, summary, detail, None, line, 1)
