"""The one error a task's document can cause: it says what is wrong with which document."""

from __future__ import annotations

from enum import StrEnum


class Problem(StrEnum):
    """Why a document could not be read."""

    NOT_ALLOWED = "not-allowed"
    NOT_FOUND = "not-found"
    TOO_LARGE = "too-large"
    TOO_MANY_PAGES = "too-many-pages"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    UNSUPPORTED = "unsupported"
    TIMEOUT = "timeout"
    OCR_UNAVAILABLE = "ocr-unavailable"


class DocumentError(Exception):
    """A task's document cannot be read; the message says why and what to do. Per task: the
    caller reports it for that task and goes on with the others."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message

    def __str__(self) -> str:
        return self.message
