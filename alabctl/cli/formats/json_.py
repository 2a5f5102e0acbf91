"""``-o json``: the stable interface of SPEC §3."""

from __future__ import annotations

import json

from alabctl.api import ValidationReport


def render(report: ValidationReport, color: bool = False) -> str:
    payload = {"valid": report.valid, "diagnostics": [d.to_json() for d in report.diagnostics]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
