"""The shape of names that come from a hub, checked before any path is made from them.

A hub's ``metadata.json`` and a model's ``metadata/part-00000`` are written by whoever runs the
hub, and their names become file names in the store: ``cache/<key>/``, ``tmp/<key>.zip.part``,
``locks/<key>.lock``. Spark NLP's own names are short identifiers (``ner_dl``, ``glove_100d``,
``bert_base_cased``, ``sent_biobert_pubmed_base_cased``, ``xx``), and its cache key is
``<name>_<lang>_<libv>_<sparkv>_<epochms>`` (research/sparknlp.md §1.3), so anything else —
a ``/``, a ``..``, a leading dot, an absolute path, a control character — is refused here, and
:func:`inside` is the last check where a path is built.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from alabctl.spec.errors import PermanentError

MAX_NAME = 200
"""Characters of a name (file names are at most 255 bytes, and the key adds versions and a time)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_LANGUAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")


def name_problem(name: object) -> str | None:
    """Why ``name`` is not a Spark NLP asset name (or storageRef), or ``None`` when it is one."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if len(name) > MAX_NAME:
        return f"it is longer than {MAX_NAME} characters"
    if ".." in name:
        return "it contains '..'"
    if not _NAME.match(name):
        return "only letters, digits, '_', '.', '+' and '-' are allowed, starting with a letter or digit"
    return None


def language_problem(language: object) -> str | None:
    """Why ``language`` is not a Spark NLP language code, or ``None``."""
    if language is None:
        return None
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        return "a language is a short code such as 'en' or 'xx'"
    return None


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a cache key (a file name in the store), or ``None``."""
    if not key or len(key) > 255:
        return "a cache key is 1 to 255 characters"
    if key in (".", "..") or ".." in key or key.startswith("."):
        return "a cache key cannot start with '.' or contain '..'"
    if "/" in key or "\\" in key or "\0" in key or any(ord(c) < 32 for c in key):
        return "a cache key cannot contain '/', '\\' or control characters"
    return None


def check_name(name: object, what: str) -> str:
    """``name`` when it is a Spark NLP name; a :class:`PermanentError` naming ``what`` otherwise."""
    problem = name_problem(name)
    if problem is not None:
        raise PermanentError(
            f"{what}: {name!r} is not a Spark NLP name ({problem})",
            "the hub serves a name that could leave the store; nothing was written",
        )
    assert isinstance(name, str)
    return name


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless ``name`` is one safe file name that stays inside ``folder``."""
    problem = key_problem(name)
    if problem is not None:
        raise PermanentError(
            f"refusing the store path {name!r}: {problem}",
            "the hub serves a name that could leave the store; nothing was written",
        )
    path = folder / name
    if Path(os.path.realpath(path)).parent != Path(os.path.realpath(folder)):
        raise PermanentError(
            f"refusing the store path {name!r}: it resolves outside {folder}",
            "the hub serves a name that could leave the store; nothing was written",
        )
    return path
