"""``-o sarif``: SARIF 2.1.0, for GitHub code scanning (``upload-sarif``) and other viewers."""

from __future__ import annotations

import json

from alabctl import __version__
from alabctl.api import ValidationReport
from alabctl.spec.codes import Code, lookup

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule(code: Code) -> dict[str, object]:
    rule: dict[str, object] = {
        "id": code.code,
        "name": code.title.title().replace(" ", ""),
        "shortDescription": {"text": code.title},
    }
    if code.summary:
        rule["fullDescription"] = {"text": code.summary}
    return rule


def render(report: ValidationReport, color: bool = False) -> str:
    codes = sorted({d.code for d in report.diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    rules = [_rule(lookup(code)) for code in codes]
    results = []
    for d in report.diagnostics:
        result: dict[str, object] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error" if d.is_error else "warning",
            "message": {"text": d.summary + (f". {d.detail}" if d.detail else "")},
        }
        if d.file:
            region = {"startLine": d.line or 1, "startColumn": d.column or 1}
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.file, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "alabctl",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
