"""The stable diagnostic codes.

Codes never change meaning once released; new problems get new codes. ``ALB0xx`` are about reading
files, ``ALB1xx`` about the shape of one manifest, ``ALB2xx`` about references between manifests,
``ALB3xx`` about the compiler's checks (limits, embeddings, licenses, labels, rules, versions, XML)
and ``ALB4xx`` about the lock file and the Models Hub.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    title: str


_CODES = [
    # reading files
    Code("ALB001", "YAML syntax error"),
    Code("ALB002", "duplicate key"),
    Code("ALB003", "template error"),
    Code("ALB004", "file cannot be read"),
    Code("ALB005", "document is not a mapping"),
    Code("ALB006", "unsupported YAML construct"),
    Code("ALB007", "path leaves the repository"),
    Code("ALB008", "template refused by the sandbox"),
    Code("ALB009", "no manifests found"),
    # one manifest
    Code("ALB101", "missing required field"),
    Code("ALB102", "wrong type"),
    Code("ALB103", "value not allowed"),
    Code("ALB104", "unknown field"),
    Code("ALB105", "invalid name"),
    Code("ALB106", "invalid value"),
    Code("ALB107", "unknown kind"),
    Code("ALB108", "unsupported apiVersion"),
    Code("ALB109", "conflicting fields"),
    # references between manifests
    Code("ALB201", "duplicate name"),
    Code("ALB202", "reference to nothing"),
    Code("ALB203", "duplicate label value"),
    Code("ALB204", "label both manual and model-bound"),
    Code("ALB205", "rename onto an existing label"),
    Code("ALB206", "referenced file missing"),
    Code("ALB207", "duplicate control name"),
    # Label Studio (SPEC §8)
    Code("ALB230", "task file unusable"),
    Code("ALB231", "task lacks a data key its config reads"),
    Code("ALB232", "label renamed from a label that still exists"),
]

CODES: dict[str, Code] = {c.code: c for c in _CODES}


def register(code: str, title: str) -> None:
    """Register a code from a higher layer (the compiler's checks, the hub)."""
    existing = CODES.get(code)
    if existing is not None and existing.title != title:
        raise ValueError(f"diagnostic code {code} registered twice with different titles")
    CODES[code] = Code(code, title)


def title(code: str) -> str:
    found = CODES.get(code)
    return found.title if found else code


register("ALB401", "invalid lock file")
register("ALB402", "hub asset not locked")
