"""Task files, streamed: a JSON array (Label Studio / Annotation Lab export or import), JSONL, or
one task object (pretty-printed over several lines).

Reading never holds more than one task (plus the parser's buffer): JSON arrays are parsed
incrementally with ijson's C backend. A line of JSONL that is not JSON is yielded as a
:class:`BadTask` so the run reports it with its index and goes on; a broken JSON array cannot be
resynchronised, so it ends the run with the index it stopped at.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson

from alabctl.spec.errors import UserError
from alabctl.spec.readfile import human_cap


@dataclass(frozen=True)
class BadTask:
    """A task that could not be read, and why."""

    reason: str


def _first_byte(stream: io.BufferedReader) -> bytes:
    """Skip a UTF-8 byte-order mark and leading whitespace; the next byte, not consumed."""
    if stream.peek(3)[:3] == b"\xef\xbb\xbf":
        stream.read(3)
    while True:
        head = stream.peek(1)
        if not head:
            return b""
        stripped = head.lstrip(b" \t\r\n")
        if stripped:
            stream.read(len(head) - len(stripped))
            return stripped[:1]
        stream.read(len(head))


MAX_TASK_BYTES = 256 * 1024 * 1024
"""The most of the file one task may take. A stranger's file with one endless task would hold a
line of JSONL (or an item of an array) in memory several times over, and ijson's time on one long
string grows with its square (a 200 MB string took 90 s): a larger task is refused unread."""
_BUFFER = 1 << 18
"""ijson's read size: 4 times its default, a quarter of the time on one long string (its cost grows
with the string's square over the buffer) for a tenth more on an array of short tasks."""


class _TaskTooLarge(Exception):
    pass


class _Metered:
    """The file as ijson reads it, refusing to read on once ``MAX_TASK_BYTES`` have gone by since
    the last task was handed out (``mark``)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream, self.total, self.mark = stream, 0, 0

    def read(self, size: int = -1) -> bytes:
        if self.total - self.mark > MAX_TASK_BYTES:
            raise _TaskTooLarge
        data = self.stream.read(size)
        self.total += len(data)
        return data


def _too_large(where: str) -> str:
    return f"{where} is larger than {human_cap(MAX_TASK_BYTES)}, the most one task may take"


def _array(stream: IO[bytes], path: Path) -> Iterator[Any]:
    count = 0
    metered = _Metered(stream)
    try:
        for item in ijson.items(metered, "item", use_float=True, buf_size=_BUFFER):
            count += 1
            metered.mark = metered.total
            yield item
    except _TaskTooLarge:
        raise UserError(
            f"{path}: {_too_large(f'task {count}')}",
            "split or shrink that task (a document goes by path or URL, not inline)",
        ) from None
    except ijson.JSONError as exc:
        reason = exc.args[0] if exc.args else exc
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise UserError(
            f"{path}: invalid JSON after task {count}: {reason.strip()}",
            "fix the file (or write it as JSONL, one task a line)",
        ) from exc
    except UnicodeDecodeError as exc:  # ijson on a lone surrogate escape ("\udcff")
        raise UserError(
            f"{path}: task {count} holds a \\u escape that is not a character (a lone surrogate)",
            "fix the text (or write the file as JSONL, where such a task is skipped alone)",
        ) from exc


def _lines(stream: IO[bytes]) -> Iterator[Any]:
    number = 0
    while line := stream.readline(MAX_TASK_BYTES + 1):
        number += 1
        if len(line) > MAX_TASK_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(_BUFFER)) and not rest.endswith(b"\n"):
                pass  # the rest of the line, never held whole
            yield BadTask(_too_large(f"line {number}"))
            continue
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except ValueError as exc:
            yield BadTask(f"line {number} is not JSON ({exc})")
        except RecursionError:
            yield BadTask(f"line {number} is JSON nested too deeply")
        else:
            yield BadTask(_LONE_SURROGATE.format(number)) if _lone_surrogate(line, task) else task


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = "line {} holds a \\u escape that is not a character (a lone surrogate); fix the text"


def _lone_surrogate(line: bytes, task: Any) -> bool:
    """Whether the task holds half of a UTF-16 pair (``"\\udcff"``): no UTF-8 output can hold it.
    Escapes of whole pairs (emoji) are common, so only a line with such an escape is checked."""
    if not _SURROGATE_ESCAPE.search(line):
        return False
    try:
        json.dumps(task, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _one_object(stream: io.BufferedReader) -> Any:
    """The task of a file that holds one JSON object over several lines (a task saved pretty-
    printed), else None with the stream where it was. JSONL's first line is JSON on its own, so a
    JSONL file costs one line's parse here; only a file whose first line is not is parsed whole.
    A pipe (``--tasks <(…)``) cannot be read twice: it is always JSONL."""
    if not stream.seekable():
        return None
    start = stream.tell()
    line = stream.readline(MAX_TASK_BYTES + 1)
    stream.seek(start)
    if len(line) > MAX_TASK_BYTES or _is_json(line):
        return None
    try:
        (task,) = ijson.items(_Metered(stream), "", use_float=True, buf_size=_BUFFER)
    except (ijson.JSONError, UnicodeDecodeError, ValueError, _TaskTooLarge):
        stream.seek(start)  # not one object either: read as JSONL, which reports the bad lines
        return None
    return task


def read_tasks(path: Path) -> Iterator[Any]:
    """Each task of the file, in order (a :class:`BadTask` for a JSONL line that is not JSON)."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the tasks ({exc.strerror})", "check --tasks") from exc
    with stream:
        first = _first_byte(stream)
        if first == b"[":
            yield from _array(stream, path)
        elif first == b"{":
            single = _one_object(stream)
            yield from _lines(stream) if single is None else [single]
        elif first:
            raise UserError(
                f"{path}: not a task file (it starts with {first!r})",
                "give a JSON array of tasks, or JSONL with one task object a line",
            )
