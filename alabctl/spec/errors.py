"""The few exception types alabctl raises, named for what the caller should do.

Problems in manifests are not exceptions: they are :class:`~alabctl.spec.diagnostics.Diagnostic`
values. These are for everything else.
"""

from __future__ import annotations


class AlabctlError(Exception):
    """Base class: a failure with a message meant for the user."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AlabctlError):
    """The command line is wrong (exit code 2)."""


class UserError(AlabctlError):
    """The input or environment is wrong and the user can fix it (exit code 1)."""


class PermanentError(UserError):
    """Retrying will not help (a checksum mismatch, a refused archive, a 404)."""


class TransientError(AlabctlError):
    """May succeed later (a dropped connection, a 503); ``delay`` says when to try again."""

    def __init__(self, message: str, delay: float = 1.0, hint: str = "") -> None:
        super().__init__(message, hint)
        self.delay = delay
