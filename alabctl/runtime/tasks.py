"""Reading a task's text: the data key the project's config reads (``<Text value="$text">``).

A Label Studio / Annotation Lab task is ``{"id": …, "data": {"text": …}, …}``; a task without
``data`` (Annotation Lab's import format ``{"text": …, "title": …}``) is its own data, as Label
Studio reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_TEXT_CHARS = 5_000_000


class TaskError(ValueError):
    """A task the project cannot read; the message says which key and what was wrong."""


def task_data(task: Any) -> Mapping[str, Any]:
    if not isinstance(task, Mapping):
        raise TaskError(f"a task is a JSON object, not {type(task).__name__}")
    data = task.get("data", task)
    if not isinstance(data, Mapping):
        raise TaskError(f"'data' is a JSON object, not {type(data).__name__}")
    return data


VISUAL_NOT_HERE = (
    "this project is Visual NER (boxes on a PDF or image): its tasks need the document reader "
    "(alabctl.runtime.visual), which this alabctl does not have"
)


def task_text(task: Any, key: str) -> str:
    """The text a project annotates, checked: present, a string, not binary, not huge."""
    data = task_data(task)
    if key not in data:
        keys = ", ".join(sorted(map(str, data))) or "none"
        raise TaskError(f"no '{key}' in the task's data (the config reads ${key}; the data has: {keys})")
    text = data[key]
    if not isinstance(text, str):
        raise TaskError(f"data.{key} is {type(text).__name__}, not a string")
    if "\x00" in text:
        raise TaskError(f"data.{key} looks binary (it holds NUL characters); send text")
    if len(text) > MAX_TEXT_CHARS:
        raise TaskError(f"data.{key} has {len(text):,} characters; at most {MAX_TEXT_CHARS:,} per task")
    return text
