"""A project's Label Studio tasks carry the data keys its labeling config reads (SPEC §8).

The config shows ``value="$text"`` (or ``$image``): a task without that key would show nothing.
Each problem is reported at the task's ``file:line:column``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from alabctl.compile.labelconfig import compile_label_config
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.repository import Repository
from alabctl.spec.tasks import collect_tasks

_DATA_KEY = re.compile(rb'\bvalue="\$([A-Za-z_][A-Za-z0-9_]*)"')
_OBJECT_KEY = re.compile(rb'<([A-Za-z]+)\b[^>]*?\bvalue="\$([A-Za-z_][A-Za-z0-9_]*)"')
_SHOWS: dict[str, tuple[type, ...]] = {"Text": (str, int, float, list), "Image": (str, list)}
"""The values Label Studio's object tags import (its tasks/validation.py); other values are refused."""
_KINDS = {str: "a string", int: "a number", float: "a number", list: "a list"}
_SHOWN = 3
"""Tasks reported per missing key and file; the rest are counted."""


def data_keys(config: bytes) -> tuple[str, ...]:
    """The task data keys a labeling config reads, in order of appearance."""
    return tuple(dict.fromkeys(m.decode() for m in _DATA_KEY.findall(config)))


def shown_types(config: bytes) -> dict[str, tuple[type, ...]]:
    """Data key -> the JSON value types Label Studio imports for it (keys of known tags only)."""
    return {
        m[2].decode(): _SHOWS[m[1].decode()] for m in _OBJECT_KEY.finditer(config) if m[1].decode() in _SHOWS
    }


def _problem(
    data: dict[str, object], key: str, allowed: tuple[type, ...], project: str
) -> tuple[str, str] | None:
    """Why a task's ``key`` is unusable (summary, hint): missing, or a value Label Studio refuses."""
    if key not in data:
        keys = ", ".join(sorted(data)) or "none"
        return (
            f"task has no '{key}' but project '{project}' shows ${key}",
            f"add '{key}' to the task's data (keys: {keys})",
        )
    value = data[key]
    if isinstance(value, allowed):
        return None
    what = "null" if value is None else "an object" if isinstance(value, dict) else type(value).__name__
    kinds = list(dict.fromkeys(_KINDS[t] for t in allowed))
    return (
        f"task's '{key}' is {what}, but Label Studio imports only {', '.join(kinds[:-1])} or {kinds[-1]} there",
        f"give '{key}' a value project '{project}' can show",
    )


def check_task_files(repo: Repository) -> Iterator[Diagnostic]:
    """Unreadable task files, and tasks lacking a key their project's config reads (or holding a
    value there that Label Studio refuses to import)."""
    for project, resource in repo.projects():
        ls = project.spec.label_studio
        if ls is None or not ls.tasks:
            continue
        found = collect_tasks(ls.tasks, resource.origin.directory, resource.origin.file, repo.root)
        for p in found.problems:
            yield Diagnostic(
                "ALB230",
                Severity.ERROR,
                f"task file {p.file}: {p.message}",
                f"fix the file, or remove it from project '{project.name}' labelStudio.tasks",
                p.file,
                p.line,
                p.column,
            )
        config = compile_label_config(project, repo)
        keys, types = data_keys(config), shown_types(config)
        shown: dict[tuple[str, str, bool], int] = {}
        for record in found.records:
            for key in keys:
                problem = _problem(dict(record.data), key, types.get(key, (object,)), project.name)
                if problem is None:
                    continue
                count = (record.file, key, key in record.data)
                n = shown[count] = shown.get(count, 0) + 1
                if n <= _SHOWN:
                    yield Diagnostic(
                        "ALB231", Severity.ERROR, *problem, record.file, record.line, record.column
                    )
        for (file, key, present), n in shown.items():
            if n > _SHOWN:
                yield Diagnostic(
                    "ALB231",
                    Severity.ERROR,
                    f"{n - _SHOWN} more tasks in {file} have "
                    + (f"a '{key}' Label Studio refuses" if present else f"no '{key}'"),
                    f"project '{project.name}' shows ${key}",
                    file,
                )
