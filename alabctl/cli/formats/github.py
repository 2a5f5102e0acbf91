"""``-o github``: workflow commands (``::error file=…,line=…,col=…::``).

GitHub shows at most 10 annotations of each severity per step and drops the rest silently, so
only the first 10 of each become annotations; the others are printed as plain lines, and every
diagnostic goes to the step summary (``$GITHUB_STEP_SUMMARY``) when it is set.
"""

from __future__ import annotations

import os
from pathlib import Path

from alabctl.api import ValidationReport
from alabctl.cli.formats.text import summary_line
from alabctl.spec.diagnostics import Diagnostic

ANNOTATIONS_PER_SEVERITY = 10


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic) -> str:
    props = []
    if d.file:
        props.append(f"file={_escape_property(d.file)}")
    if d.line is not None:
        props.append(f"line={d.line}")
        props.append(f"col={d.column or 1}")
    props.append(f"title={_escape_property(f'{d.code} {d.summary}')}")
    message = d.summary + (f"\n{d.detail}" if d.detail else "")
    return f"::{'error' if d.is_error else 'warning'} {','.join(props)}::{_escape_data(message)}"


def plain(d: Diagnostic) -> str:
    where = f"{d.file}:{d.line}:{d.column}" if d.file and d.line else (d.file or "alabctl")
    return f"{where}: {d.severity}[{d.code}]: {d.summary}" + (f" ({d.detail})" if d.detail else "")


def step_summary(report: ValidationReport) -> str:
    rows = ["## alabctl validate", "", summary_line(report), ""]
    if report.diagnostics:
        rows += ["| | location | code | problem | fix |", "|---|---|---|---|---|"]
        for d in report.diagnostics:
            icon = ":x:" if d.is_error else ":warning:"
            where = f"`{d.file}:{d.line}:{d.column}`" if d.file and d.line else f"`{d.file or ''}`"
            cells = [icon, where, d.code, d.summary, d.detail]
            rows.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def render(report: ValidationReport, color: bool = False) -> str:
    shown = {"error": 0, "warning": 0}
    lines = []
    overflow = 0
    for d in report.diagnostics:
        severity = "error" if d.is_error else "warning"
        if shown[severity] < ANNOTATIONS_PER_SEVERITY:
            shown[severity] += 1
            lines.append(annotation(d))
        else:
            overflow += 1
            lines.append(plain(d))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with Path(summary_path).open("a", encoding="utf-8") as out:
            out.write(step_summary(report))
    if overflow:
        where = "the step summary" if summary_path else "the lines above"
        lines.append(f"{overflow} more diagnostic(s) than GitHub annotates per step: see {where}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
