"""Spark NLP's ``Version.parse`` and ``Version.isCompatible``, copied exactly (research §1.4)."""

from __future__ import annotations

import re
from collections.abc import Sequence

Version = tuple[int, ...]

_RC = re.compile(r"-rc\d")


def parse_version(text: str | None) -> Version | None:
    """Drop ``-rc<digit>``, split on ``.``/``-``, keep the leading all-digit parts, at most three."""
    if text is None:
        return None
    parts: list[int] = []
    for piece in re.split(r"[.-]", _RC.sub("", text.strip())):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts[:3]) if parts else None


def format_version(version: Sequence[int] | None) -> str:
    """Parts joined with dots, as Spark NLP's ``Version.toString``; ``""`` when absent."""
    return ".".join(str(p) for p in version) if version else ""


def is_compatible(current: Sequence[int] | None, found: Sequence[int] | None) -> bool:
    """Whether an asset built for ``found`` may be used by ``current``.

    ``found`` absent: yes. ``found`` more specific than ``current``: no. Otherwise ``found`` must be
    ≤ the same-length prefix of ``current`` (so any older version passes, even across majors).
    """
    if found is None or len(found) == 0:
        return True
    if current is None:
        return True
    if len(found) > len(current):
        return False
    return list(found) <= list(current[: len(found)])
