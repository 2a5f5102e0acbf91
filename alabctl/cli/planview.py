"""Rendering shared by ``plan``, ``apply`` and ``watch``: plans, outcome lines, durations, options."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alabctl.api import ValidationReport
from alabctl.spec.errors import UsageError

if TYPE_CHECKING:
    from alabctl.reconcile.apply import Outcome
    from alabctl.reconcile.labelstudio import LabelStudioPlan
    from alabctl.reconcile.plan import Plan


def human_bytes(size: int | None) -> str:
    if size is None:
        return "size unknown"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def plan_text(plan: Plan) -> str:
    """One line per action with its reason, then a summary."""
    lines = []
    for step in plan.steps:
        size = f" ({human_bytes(step.bytes)})" if step.kind != "Server" else ""
        needs = f" [after {', '.join(step.needs)}]" if step.needs else ""
        lines.append(f"  {step.action.value:<10} {step.kind.lower()}/{step.name}{size}: {step.reason}{needs}")
    for missing in plan.missing:
        lines.append(
            f"  missing    {missing.ref.lower()}: {missing.reason}; needed by {', '.join(missing.servers)}"
        )
    for name in plan.orphans:
        lines.append(f"  orphan     server/{name}: runs but no manifest declares it (apply --prune stops it)")
    downloads = [s for s in plan.steps if s.kind != "Server"]
    total = sum(s.bytes or 0 for s in downloads)
    counts: dict[str, int] = {}
    for step in plan.steps:
        counts[step.action.value] = counts.get(step.action.value, 0) + 1
    if not plan.steps and not plan.missing:
        head = f"No changes. {len(plan.unchanged)} server(s) up to date."
    else:
        parts = [f"{n} to {a}" for a, n in counts.items()]
        if downloads:
            parts.append(f"{human_bytes(total)} to download")
        parts.append(f"{len(plan.unchanged)} unchanged")
        if plan.missing:
            parts.append(f"{len(plan.missing)} missing")
        head = "Plan: " + ", ".join(parts) + "."
    return "\n".join([*lines, head]) + "\n"


def outcome_line(outcome: Outcome) -> str:
    message = f": {outcome.message}" if outcome.message else ""
    return f"{outcome.kind.lower()}/{outcome.name} {outcome.result.value}{message}"


def print_invalid(report: ValidationReport, what: str, note: str = "nothing done") -> None:
    """The validation diagnostics, and that nothing was done (or ``note``)."""
    from alabctl.cli.common import use_color
    from alabctl.cli.formats.text import render

    sys.stdout.write(render(report, use_color()))
    print(f"{what}: {note}, fix the errors above", file=sys.stderr)


def show_invalid(report: ValidationReport, what: str, output: str) -> int:
    """Invalid manifests for a command that only reads: the diagnostics (a JSON document with
    ``-o json``, as ``plan`` prints it), and exit status 1."""
    if output == "json":
        payload = {"valid": False, "diagnostics": [d.to_json() for d in report.diagnostics]}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        print_invalid(report, what, "the manifests are not valid")
    return 1


def duration(text: str) -> float:
    """``60s``, ``2m``, ``1h`` or plain seconds."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text.strip())
    if not match:
        raise UsageError(f"not a duration: {text!r}", "write e.g. 30s, 2m or 1h")
    value = float(match.group(1))
    return value * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def add_home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        metavar="DIR",
        help="the state and asset store (default: $ALABCTL_HOME or ~/.alabctl)",
    )


def labelstudio_text(plan: LabelStudioPlan) -> str:
    """The Label Studio side of a plan: one line per action with its reason."""
    lines = []
    for project in plan.projects:
        ref = f"labelstudioproject/{project.desired.name}"
        for action in project.actions:
            lines.append(f"  {action.verb.value:<10} {ref}: {action.reason}")
    changed = sum(1 for p in plan.projects if p.changes)
    refused = len(plan.refused)
    summary = (
        f"Label Studio: {changed} project(s) to change, {len(plan.projects) - changed - refused} up to date"
    )
    if refused:
        summary += f", {refused} refused: apply changes nothing anywhere until the manifests are fixed"
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"
