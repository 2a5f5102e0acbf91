"""Task files of a project (SPEC §8): JSON, JSONL or CSV in the repository, read with positions.

A task is Label Studio's ``{"data": {...}}`` or a flat mapping (the mapping is the data). Every task
keeps the ``file:line:column`` where it starts, so a problem with it is reported there, and a
content hash of its data, which is how re-applying recognises a task already imported.
"""

from __future__ import annotations

import bisect
import csv
import fnmatch
import hashlib
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from alabctl.spec.readfile import FileKind, FileReadError, read_text, real_path

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


MAX_WALK = 100_000
"""Folder entries one task pattern may look at: a glob from a pull request cannot walk the disk."""

_WILDCARDS = frozenset("*?[")


class Expanded(NamedTuple):
    """What task patterns name."""

    files: list[Path]
    """The files, resolved, each once, in pattern order (each pattern's sorted)."""
    unmatched: list[str]
    """Patterns that name no task file."""
    refused: list[tuple[str, str]]
    """``(pattern, why)`` for patterns that would leave the repository or walk too far."""


def expand(patterns: Sequence[str], directory: Path, root: Path) -> Expanded:
    """The files the patterns name (relative to ``directory``, inside ``root``).

    A pattern's folders before its first wildcard may climb with ``..`` as long as they stay in
    the repository; the rest is matched by walking that folder (linked folders are not followed,
    linked files count where they lead, at most :data:`MAX_WALK` entries). ``**`` matches any
    number of folders. Unsupported suffixes are left out.
    """
    found: list[Path] = []
    unmatched: list[str] = []
    refused: list[tuple[str, str]] = []
    for pattern in patterns:
        try:
            hits = _expand(pattern, directory, root)
        except _Refused as exc:
            refused.append((pattern, str(exc)))
            continue
        if not hits:
            unmatched.append(pattern)
        found.extend(h for h in hits if h not in found)
    return Expanded(found, unmatched, refused)


class _Refused(Exception):
    pass


def _task_file(path: Path, root: Path) -> Path | None:
    real = real_path(path)
    if real is None or not _inside(real, root) or real.suffix.lower() not in TASK_SUFFIXES:
        return None
    return real if real.is_file() else None


def _expand(pattern: str, directory: Path, root: Path) -> list[Path]:
    if pattern.startswith("/"):
        raise _Refused("an absolute path; name task files relative to the manifest")
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    fixed = next((i for i, p in enumerate(parts) if _WILDCARDS & set(p)), len(parts))
    if ".." in parts[fixed:]:
        raise _Refused("'..' after a wildcard; put the folders first, e.g. ../data/*.json")
    base = real_path(directory.joinpath(*parts[:fixed]))
    if base is None or not _inside(base, root):
        raise _Refused("outside the repository; task files must be inside it")
    rest = parts[fixed:]
    if not rest:
        hit = _task_file(base, root)
        return [hit] if hit else []
    return sorted(_walk(base, rest, root))


def _walk(base: Path, pattern: list[str], root: Path) -> Iterator[Path]:
    """Files under ``base`` whose path below it matches ``pattern`` (segments; ``**`` for any folders)."""
    deepest = None if "**" in pattern else len(pattern) - 1
    seen = 0
    for folder, dirnames, filenames in os.walk(base):  # never follows linked folders
        here = Path(folder)
        below = here.relative_to(base).parts
        seen += len(dirnames) + len(filenames)
        if seen > MAX_WALK:
            raise _Refused(f"walks more than {MAX_WALK:,} folder entries; name a narrower folder")
        if deepest is not None:
            if len(below) >= deepest:
                dirnames.clear()
            else:
                dirnames[:] = [d for d in dirnames if fnmatch.fnmatchcase(d, pattern[len(below)])]
        for name in filenames:
            if _matches((*below, name), pattern):
                hit = _task_file(here / name, root)
                if hit is not None:
                    yield hit


def _matches(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    """Whether path ``parts`` match glob ``pattern`` segments, ``**`` matching zero or more parts."""
    # can[j]: parts[:i] matched by pattern[:j], row by row over i
    can = [True] + [False] * len(pattern)
    for j, segment in enumerate(pattern, 1):
        can[j] = can[j - 1] and segment == "**"
    for part in parts:
        row = [False] * (len(pattern) + 1)
        for j, segment in enumerate(pattern, 1):
            if segment == "**":
                row[j] = row[j - 1] or can[j]
            else:
                row[j] = can[j - 1] and fnmatch.fnmatchcase(part, segment)
        can = row
    return can[-1]


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
    """The tasks of one file, and what is wrong with it (reading stops at the first problem).

    The file is read like every file a pull request may control: a regular file only, at most
    the task file cap (:data:`alabctl.spec.readfile.LIMITS`).
    """
    try:
        text = read_text(path, FileKind.TASKS, encoding="utf-8-sig")
    except FileReadError as exc:
        return [], [TaskProblem(display, 1, 1, f"{exc.reason}; {exc.hint}" if exc.hint else exc.reason)]
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
    files, unmatched, _ = expand(patterns, directory, root.resolve())  # refused ones: ALB007 (spec.refs)
    records: list[TaskRecord] = []
    problems: list[TaskProblem] = []
    for path in files:
        got, bad = read_tasks(path, display_path(path, directory, manifest_file, root.resolve()))
        records.extend(got)
        problems.extend(bad)
    return ProjectTasks(tuple(records), tuple(problems), tuple(unmatched), tuple(files))
