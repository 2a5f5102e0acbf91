"""Task files of a project (SPEC §8): JSON, JSONL or CSV in the repository, read with positions.

A task is Label Studio's ``{"data": {...}}`` or a flat mapping (the mapping is the data). Every task
keeps the ``file:line:column`` where it starts, so a problem with it is reported there, and a
content hash of its data, which is how re-applying recognises a task already imported.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TASK_SUFFIXES = (".json", ".jsonl", ".csv")


@dataclass(frozen=True)
class TaskRecord:
    """One task as declared: its data, where it starts, and the hash of its data."""

    data: Mapping[str, Any]
    file: str
    line: int
    column: int

    @property
    def digest(self) -> str:
        return task_digest(self.data)


@dataclass(frozen=True)
class TaskProblem:
    """A task file, or one task in it, that cannot be used."""

    file: str
    line: int
    column: int
    message: str


def task_digest(data: Mapping[str, Any]) -> str:
    """The content hash kept in an imported task's ``meta``: sha256 of its canonical JSON data."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def expand(patterns: Sequence[str], directory: Path, root: Path) -> tuple[list[Path], list[str]]:
    """The files the patterns name (relative to ``directory``), sorted, and the patterns matching none.

    Files outside ``root`` (through ``..`` or a symbolic link) and unsupported suffixes are left out.
    """
    found: list[Path] = []
    empty: list[str] = []
    for pattern in patterns:
        matches = (
            sorted(directory.glob(pattern)) if any(c in pattern for c in "*?[") else [directory / pattern]
        )
        hits = [
            m.resolve()
            for m in matches
            if m.is_file() and m.suffix.lower() in TASK_SUFFIXES and _inside(m.resolve(), root)
        ]
        if not hits:
            empty.append(pattern)
        found.extend(h for h in hits if h not in found)
    return found, empty


def _positions(text: str) -> list[int]:
    return [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]


def _where(starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def _as_data(value: Any) -> Mapping[str, Any] | None:
    if not isinstance(value, dict):
        return None
    inner = value.get("data")
    if isinstance(inner, dict):
        return inner
    return value


def _json_items(text: str) -> Iterator[tuple[int, Any]]:
    """(offset, value) of each element of a top-level array, or of the single top-level object."""
    decoder = json.JSONDecoder()
    i = len(text) - len(text.lstrip())
    if not text.startswith("[", i):
        value, _ = decoder.raw_decode(text, i)
        yield i, value
        return
    i += 1
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return
        value, end = decoder.raw_decode(text, i)
        yield i, value
        i = end


def _read_json(text: str, display: str) -> tuple[list[TaskRecord], list[TaskProblem]]:
    starts = _positions(text)
    records: list[TaskRecord] = []
    try:
        for offset, value in _json_items(text):
            line, column = _where(starts, offset)
            data = _as_data(value)
            if data is None:
                return records, [TaskProblem(display, line, column, "a task must be a JSON object")]
            records.append(TaskRecord(data, display, line, column))
    except json.JSONDecodeError as exc:
        return records, [TaskProblem(display, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}")]
    return records, []


def _read_jsonl(text: str, display: str) -> tuple[list[TaskRecord], list[TaskProblem]]:
    records: list[TaskRecord] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        column = len(raw) - len(raw.lstrip()) + 1
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            return records, [TaskProblem(display, number, exc.colno, f"invalid JSON: {exc.msg}")]
        data = _as_data(value)
        if data is None:
            return records, [TaskProblem(display, number, column, "a task must be a JSON object")]
        records.append(TaskRecord(data, display, number, column))
    return records, []


def _read_csv(text: str, display: str) -> tuple[list[TaskRecord], list[TaskProblem]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records: list[TaskRecord] = []
    line = 2
    try:
        for row in reader:
            if None in row:
                return records, [TaskProblem(display, line, 1, "more fields than the header names")]
            records.append(TaskRecord({k: v for k, v in row.items() if k}, display, line, 1))
            line = reader.line_num + 1
    except csv.Error as exc:
        return records, [TaskProblem(display, reader.line_num, 1, f"invalid CSV: {exc}")]
    return records, []


def read_tasks(path: Path, display: str) -> tuple[list[TaskRecord], list[TaskProblem]]:
    """The tasks of one file, and what is wrong with it (reading stops at the first problem)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [TaskProblem(display, 1, 1, f"cannot be read: {exc}")]
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(text, display)
    if suffix == ".csv":
        return _read_csv(text, display)
    return _read_json(text, display)


def display_path(path: Path, directory: Path, manifest_file: str, root: Path) -> str:
    """A task file as the user would name it: next to the manifest's file as given, else from the root."""
    try:
        return (Path(manifest_file).parent / path.relative_to(directory.resolve())).as_posix()
    except ValueError:
        return path.relative_to(root).as_posix()


@dataclass(frozen=True)
class ProjectTasks:
    """Every task a project declares, the problems reading them, and the patterns that matched nothing."""

    records: tuple[TaskRecord, ...]
    problems: tuple[TaskProblem, ...]
    unmatched: tuple[str, ...]
    files: tuple[Path, ...]


def collect_tasks(patterns: Sequence[str], directory: Path, manifest_file: str, root: Path) -> ProjectTasks:
    """Read every task file the patterns name, in order, each task once."""
    files, unmatched = expand(patterns, directory, root.resolve())
    records: list[TaskRecord] = []
    problems: list[TaskProblem] = []
    for path in files:
        got, bad = read_tasks(path, display_path(path, directory, manifest_file, root.resolve()))
        records.extend(got)
        problems.extend(bad)
    return ProjectTasks(tuple(records), tuple(problems), tuple(unmatched), tuple(files))
