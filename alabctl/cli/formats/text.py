"""``-o text``: ``file:line:col: error[CODE]: summary``, a numbered excerpt with a caret, the fix."""

from __future__ import annotations

from alabctl.api import SourceIndex, ValidationReport
from alabctl.spec.diagnostics import Diagnostic, Severity

_RED, _YELLOW, _BLUE, _BOLD, _RESET = "\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[1m", "\x1b[0m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def excerpt(sources: SourceIndex, d: Diagnostic, color: bool = False) -> list[str]:
    """Up to two lines before the one at fault, that line, and a caret under the column."""
    shown = sources.excerpt(d)  # a License or token pasted into its manifest reads ***
    if d.line is None or not shown:
        return []
    first = d.line - len(shown) + 1
    width = len(str(d.line))
    gutter = " " * width + " |"
    out = [_paint(gutter, _BLUE, color)]
    for n, text in enumerate(shown, start=first):
        out.append(f"{_paint(str(n).rjust(width) + ' |', _BLUE, color)} {text}")
    caret = " " * ((d.column or 1) - 1) + "^"
    tone = _RED if d.is_error else _YELLOW
    out.append(f"{_paint(gutter, _BLUE, color)} {_paint(caret, tone, color)}")
    return out


def format_one(sources: SourceIndex, d: Diagnostic, color: bool = False) -> str:
    where = d.file or "alabctl"
    if d.line is not None:
        where += f":{d.line}:{d.column or 1}"
    tone = _RED if d.severity is Severity.ERROR else _YELLOW
    head = f"{_paint(where, _BOLD, color)}: {_paint(f'{d.severity}[{d.code}]', tone, color)}: {d.summary}"
    lines = [head, *excerpt(sources, d, color)]
    if d.detail:
        pad = " " * (len(str(d.line)) if d.line else 1)
        lines.append(f"{pad} = {d.detail}")
    return "\n".join(lines)


def summary_line(report: ValidationReport) -> str:
    errors = sum(1 for d in report.diagnostics if d.is_error)
    warnings = len(report.diagnostics) - errors
    counts = f"{report.files} file{'s' * (report.files != 1)}, {report.manifests} manifest{'s' * (report.manifests != 1)}"
    if not report.diagnostics:
        return f"valid: {counts}"
    parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    verdict = "invalid" if errors else "valid"
    return f"{verdict}: {', '.join(parts)} in {counts}"


def render(report: ValidationReport, color: bool = False) -> str:
    blocks = [format_one(report.sources, d, color) for d in report.diagnostics]
    blocks.append(summary_line(report))
    return "\n\n".join(blocks) + "\n"
