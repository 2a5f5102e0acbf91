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


def _array(stream: IO[bytes], path: Path) -> Iterator[Any]:
    count = 0
    try:
        for item in ijson.items(stream, "item", use_float=True):
            count += 1
            yield item
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
    for number, line in enumerate(stream, start=1):
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


def _one_object(stream: io.BufferedReader) -> Any:
    """The task of a file that holds one JSON object over several lines (a task saved pretty-
    printed), else None with the stream where it was. JSONL's first line is JSON on its own, so a
    JSONL file costs one line's parse here; only a file whose first line is not is parsed whole.
    A pipe (``--tasks <(…)``) cannot be read twice: it is always JSONL."""
    if not stream.seekable():
        return None
    start = stream.tell()
    line = stream.readline()
    try:
        json.loads(line)
        return None
    except (ValueError, RecursionError):
        pass
    finally:
        stream.seek(start)
    try:
        (task,) = ijson.items(stream, "", use_float=True)
    except (ijson.JSONError, UnicodeDecodeError, ValueError):
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
