"""``-o json``: the stable interface of SPEC §3."""

from __future__ import annotations

import json

from alabctl.api import ValidationReport


def render(report: ValidationReport, color: bool = False) -> str:
    errors = sum(1 for d in report.diagnostics if d.is_error)
    payload = {
        "valid": report.valid,
        "diagnostics": [d.to_json() for d in report.diagnostics],
        "summary": {
            "errors": errors,
            "warnings": len(report.diagnostics) - errors,
            "files": report.files,
            "manifests": report.manifests,
        },
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
