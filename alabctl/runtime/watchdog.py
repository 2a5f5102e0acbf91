"""A time budget for the rules a request runs, and a stop that no request can hold up.

CPython's regex engine holds the GIL for a whole match: a catastrophic match in a worker thread
starves every other thread, the event loop and the signal handlers (which run on the main thread
only) included, so moving the work to a thread does not help. On the main thread, though, the
engine checks for signals every few thousand steps, and a Python signal handler that raises aborts
the match. So a server runs the native rules on its event loop (main) thread, a slice of a request
at a time, each slice under a ``SIGALRM`` timer (:meth:`Budget.limit`): a slice that runs past its
budget is cut short with :class:`Overrun` and the request answered 503, and the loop serves the
next request (``/health`` included).

On SIGTERM or SIGINT, :class:`StoppableServer` aborts the slice running at that moment (uvicorn
could otherwise only stop after it) and arms :mod:`faulthandler`'s watchdog, a C thread that needs
no GIL: if the process has still not exited ``hard_stop`` seconds later (stuck in code that never
returns to the loop), it prints every thread's stack to stderr and exits with status 1.
"""

from __future__ import annotations

import faulthandler
import signal
import threading
from types import FrameType
from typing import Any

import uvicorn

HARD_STOP_SECONDS = 15.0
"""After SIGTERM/SIGINT, how long the graceful shutdown may take (uvicorn's own allows 10 s to
drain connections) before the process exits hard."""


class Overrun(BaseException):
    """Work under a :class:`Budget` ran out of time, or the server is stopping.

    A ``BaseException``, like ``KeyboardInterrupt``: the rules engine's ``except Exception`` guards
    (one rule's bug must not lose the other rules' chunks) must not swallow it and carry on.
    """

    def __init__(self, reason: str, *, stopping: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stopping = stopping
        """The server is stopping (rather than: the work ran out of time)."""


class Budget:
    """Bounds the wall time of synchronous work on the main thread with ``SIGALRM``.

    Inert until :meth:`install` (on the main thread), and on any other thread: there
    :meth:`limit` runs the work unbounded.
    """

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False
        self._armed: float | None = None
        """The seconds of the window in force, None outside one."""
        self._stopping = False

    @property
    def active(self) -> bool:
        """Whether :meth:`limit` bounds work on the calling thread."""
        return self._installed and threading.current_thread() is threading.main_thread()

    def install(self) -> None:
        """Take over ``SIGALRM`` (main thread only)."""
        self._previous = signal.signal(signal.SIGALRM, self._expired)
        self._installed = True

    def uninstall(self) -> None:
        """Give ``SIGALRM`` back and cancel a pending hard stop."""
        if self._installed:
            self._armed = None
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._installed = False
        faulthandler.cancel_dump_traceback_later()

    def limit(self, seconds: float) -> _Window:
        """``with budget.limit(s):`` runs the body (synchronous: no ``await`` inside) for at most
        ``s`` seconds; :class:`Overrun` when it runs longer or the server starts stopping meanwhile."""
        return _Window(self, seconds)

    def interrupt(self, reason: str) -> None:
        """The server is stopping: no new window opens, and the open one (if this signal handler
        runs inside it) ends now with :class:`Overrun`."""
        self._stopping = True
        if self._armed is not None:
            self._armed = None
            raise Overrun(reason, stopping=True)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        seconds = self._armed
        if seconds is not None:  # else the window closed while the signal was on its way
            self._armed = None
            raise Overrun(f"the rules ran longer than {seconds:g} s")


class _Window:
    """One :meth:`Budget.limit` (a class, not a generator: a few microseconds less per request)."""

    __slots__ = ("armed", "budget", "seconds")

    def __init__(self, budget: Budget, seconds: float) -> None:
        self.budget, self.seconds, self.armed = budget, seconds, False

    def __enter__(self) -> None:
        budget = self.budget
        if not budget.active:
            return
        if budget._stopping:
            raise Overrun("the server is stopping", stopping=True)
        budget._armed = self.seconds
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            self.budget._armed = None  # first: a signal already on its way finds the window closed
            signal.setitimer(signal.ITIMER_REAL, 0)


class StoppableServer(uvicorn.Server):
    """uvicorn's server whose SIGTERM/SIGINT also ends the rules running on the loop and arms a
    hard stop (see the module's docstring)."""

    def __init__(self, config: uvicorn.Config, budget: Budget, hard_stop: float = HARD_STOP_SECONDS) -> None:
        super().__init__(config)
        self.budget = budget
        self.hard_stop = hard_stop
        self._hard_armed = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if not self._hard_armed:
            self._hard_armed = True
            faulthandler.dump_traceback_later(self.hard_stop, exit=True)
        self.budget.interrupt(f"the server is stopping ({signal.Signals(sig).name})")
