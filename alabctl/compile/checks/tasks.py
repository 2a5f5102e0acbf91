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
_SHOWN = 3
"""Tasks reported per missing key and file; the rest are counted."""


def data_keys(config: bytes) -> tuple[str, ...]:
    """The task data keys a labeling config reads, in order of appearance."""
    return tuple(dict.fromkeys(m.decode() for m in _DATA_KEY.findall(config)))


def check_task_files(repo: Repository) -> Iterator[Diagnostic]:
    """Unreadable task files, and tasks lacking a key their project's config reads."""
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
        keys = data_keys(compile_label_config(project, repo))
        shown: dict[tuple[str, str], int] = {}
        for record in found.records:
            for key in keys:
                if key in record.data:
                    continue
                n = shown[(record.file, key)] = shown.get((record.file, key), 0) + 1
                if n <= _SHOWN:
                    yield Diagnostic(
                        "ALB231",
                        Severity.ERROR,
                        f"task has no '{key}' but project '{project.name}' shows ${key}",
                        f"add '{key}' to the task's data (keys: {', '.join(sorted(record.data)) or 'none'})",
                        record.file,
                        record.line,
                        record.column,
                    )
        for (file, key), n in shown.items():
            if n > _SHOWN:
                yield Diagnostic(
                    "ALB231",
                    Severity.ERROR,
                    f"{n - _SHOWN} more tasks in {file} have no '{key}'",
                    f"project '{project.name}' shows ${key}",
                    file,
                )
