"""Secrets pasted where their name belongs: never echoed.

A License and a LabelStudio token are named in manifests (``fromEnv``, ``fromFile``), never
written there; but people paste the license or the token itself by mistake, into ``fromEnv``, a
field of its own, or the whole ``spec``. Messages quote such values only when they could have been
typed as a name or a path (:func:`quoted`), and source excerpts of those documents show long runs
of letters and digits (a JWT, a hex token, base64) as ``***`` (:func:`masked`). Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

SECRET_KINDS = frozenset({"License", "LabelStudio"})
"""The kinds whose documents may hold a pasted secret."""

_RUN = re.compile(r"[A-Za-z0-9]{20}")
"""Twenty letters and digits in a row: no name or path a person types, every token and JWT."""
_SECRETISH = re.compile(r"[A-Za-z0-9+/=_.-]*[A-Za-z0-9]{20,}[A-Za-z0-9+/=_.-]*")
_KIND = re.compile(r"""^kind:\s*["']?([A-Za-z]+)["']?\s*(?:#.*)?$""")


def _pasted(value: str, longest: int) -> bool:
    """Whether ``value`` holds what a name or path typed by hand does not: spaces, quotes, braces,
    or more than ``longest`` characters."""
    return len(value) > longest or any(c.isspace() or c in "{}\"'" for c in value)


def typed_by_hand(value: str) -> bool:
    """Whether ``value`` could be a name or a path someone typed (not a token or a license)."""
    return not _pasted(value, 200) and not _RUN.search(value)


def quoted(value: str) -> str:
    """``'value'``, or words that say it is not shown when it may be a secret."""
    return (
        f"'{value}'" if typed_by_hand(value) else "the value given (not shown: it may be the secret itself)"
    )


def shown(value: str | object) -> str:
    """``value`` as it is, or words that say it is not shown when it may be a secret (for names
    and paths quoted in messages: ``environment variable JSL_LICENSE``)."""
    text = str(value)
    return text if typed_by_hand(text) else "(not shown: it may be the secret itself)"


def shown_path(given: str, path: Path | str) -> str:
    """``path`` (what ``given``, a ``fromFile`` value, resolves to), or words that say it is not
    shown when ``given`` may be a secret pasted there. A value with a ``/`` is taken for a path even
    with long names in it; one without must also pass :func:`typed_by_hand`."""
    if _pasted(given, 4096) or ("/" not in given and not typed_by_hand(given)):
        return "(not shown: it may be the secret itself)"
    return str(path)


def secret_path(given: str, env: Mapping[str, str], base: Path) -> Path:
    """A ``fromFile`` (a License's, a LabelStudio token's): ``~`` expanded from ``HOME`` in ``env``,
    a relative path taken from the manifest's folder ``base``."""
    if given == "~" or given.startswith("~/"):
        home = env.get("HOME")
        path = Path(home + given[1:]) if home else Path(given).expanduser()
    else:
        path = Path(given)
    return path if path.is_absolute() else base / path


def masked(line: str) -> str:
    """``line`` with every run that may be a secret replaced by ``***``."""
    return _SECRETISH.sub("***", line)


def in_secret_document(lines: list[str], line: int) -> bool:
    """Whether the 1-based ``line`` of a YAML file's ``lines`` is in a document of a kind in
    :data:`SECRET_KINDS` (documents are split at ``---``; the kind is read from its ``kind:`` line)."""
    start = line - 1
    while start > 0 and not lines[start - 1].startswith("---"):
        start -= 1
    end = line - 1
    while end < len(lines) and not (end > line - 1 and lines[end].startswith("---")):
        end += 1
    for text in lines[start:end]:
        match = _KIND.match(text)
        if match:
            return match.group(1) in SECRET_KINDS
    return False
