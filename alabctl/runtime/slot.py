"""The deployment a server is serving, swapped atomically on a hot reload.

A request takes a lease on the current deployment and predicts with it to the end, even if a
reload swaps another one in meanwhile; a replaced deployment is closed when its last lease ends.
A reload loads the new build beside the old one (with its smoke predictions); only a deployment
that loaded replaces the old one. A failed reload keeps the old one serving and marks the slot
``Degraded`` with the reason, until a reload succeeds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from alabctl.runtime.deployment import Deployment


class Health(StrEnum):
    """A server's health as ``/health`` reports it."""

    HEALTHY = "Healthy"
    """Serving the build it was last asked to serve."""
    DEGRADED = "Degraded"
    """Serving an older build: the last reload failed (``reason`` says why)."""


Loader = Callable[[Path | None], Deployment]
"""Loads a deployment: from the given build folder, or (None) from the server's own source again."""


@dataclass
class _Entry:
    deployment: Deployment
    leases: int = 0
    retired: bool = False


class Slot:
    """Holds the serving deployment; thread-safe."""

    def __init__(self, deployment: Deployment, loader: Loader) -> None:
        self._entry = _Entry(deployment)
        self._loader = loader
        self._lock = threading.Lock()
        self._reloading = threading.Lock()
        self.health = Health.HEALTHY
        self.reason: str | None = None

    @property
    def current(self) -> Deployment:
        return self._entry.deployment

    @contextmanager
    def lease(self) -> Iterator[Deployment]:
        """The current deployment, kept open until the ``with`` block ends."""
        with self._lock:
            entry = self._entry
            entry.leases += 1
        try:
            yield entry.deployment
        finally:
            with self._lock:
                entry.leases -= 1
                done = entry.retired and entry.leases == 0
            if done:
                entry.deployment.close()

    def reload(self, build: Path | None = None) -> Deployment:
        """Load beside, smoke-test, swap. Raises (and marks the slot Degraded) when the new build fails."""
        with self._reloading:
            try:
                new = self._loader(build)
                if new.server != self.current.server:
                    new.close()
                    raise ValueError(f"the build serves '{new.server}', not '{self.current.server}'")
            except Exception as exc:
                self.health, self.reason = Health.DEGRADED, _reason(exc)
                raise
            with self._lock:
                old, self._entry = self._entry, _Entry(new)
                old.retired = True
                done = old.leases == 0
            self.health, self.reason = Health.HEALTHY, None
            if done:
                old.deployment.close()
            return new


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    hint = getattr(exc, "hint", "")
    return f"reload failed: {message}" + (f" ({hint})" if hint else "")
