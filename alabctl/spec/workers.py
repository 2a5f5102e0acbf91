"""Per-item work on every core: a pure function mapped over many items in worker processes.

Below ``threshold`` items, or on a one-core machine, or where processes cannot be started, the
work runs in this process (starting workers costs more than small inputs take). Results come back
in the order of the items, so the caller cannot tell which way it ran. The function must be a
module-level pure function, and its items and results picklable plain values. Workers are forked
when the map starts, so the function may also read large inputs the caller put in module state
just before the call (only the items travel to the workers then).

``ALABCTL_WORKERS`` sets the number of processes (``1``: never start any).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_THRESHOLD = 600
"""Items below which a map stays in this process."""


def worker_count() -> int:
    """How many processes per-item work may use: ``$ALABCTL_WORKERS``, else the usable cores."""
    given = os.environ.get("ALABCTL_WORKERS", "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _run_chunk(job: tuple[Callable[[T], R], Sequence[T]]) -> list[R]:
    fn, chunk = job
    return [fn(item) for item in chunk]


def map_items(fn: Callable[[T], R], items: Sequence[T], *, threshold: int = DEFAULT_THRESHOLD) -> list[R]:
    """``[fn(item) for item in items]``, split over worker processes when there are enough items."""
    return start_map(fn, items, threshold=threshold).result()


class PendingMap(Generic[R]):
    """Results of :func:`start_map`: the workers run while the caller does other work."""

    def __init__(
        self,
        done: list[R] | None,
        pool: Executor | None = None,
        parts: Iterator[list[R]] | None = None,
        redo: Callable[[], list[R]] | None = None,
    ) -> None:
        self._done, self._pool, self._parts, self._redo = done, pool, parts, redo

    def result(self) -> list[R]:
        """Every result, in the order of the items (waits for the workers)."""
        if self._done is None:
            assert self._pool is not None and self._parts is not None and self._redo is not None
            try:
                self._done = [result for part in self._parts for result in part]
            except (OSError, RuntimeError):  # the workers died (limits, a sandbox): do it here
                self._done = self._redo()
            finally:
                self._pool.shutdown()
        return self._done


def start_map(
    fn: Callable[[T], R], items: Sequence[T], *, threshold: int = DEFAULT_THRESHOLD
) -> PendingMap[R]:
    """Start ``[fn(item) for item in items]`` on worker processes and return at once.

    Below ``threshold`` items (or without workers) the work is done here, before this returns.
    The workers are forked before this returns, so module state the function reads may change
    afterwards without them seeing it.
    """
    workers = min(worker_count(), max(1, len(items) // max(1, threshold // 2)))

    def here() -> list[R]:
        return [fn(item) for item in items]

    if len(items) < threshold or workers < 2:
        return PendingMap(here())
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        context = multiprocessing.get_context("fork")  # the workers start with alabctl imported
    except ValueError:  # pragma: no cover - no fork on this platform
        return PendingMap(here())
    size = -(-len(items) // (workers * 4))
    chunks = [(fn, items[i : i + size]) for i in range(0, len(items), size)]
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    except (OSError, RuntimeError):
        return PendingMap(here())
    try:
        parts = pool.map(_run_chunk, chunks)  # submits every chunk: the workers are forked now
    except (OSError, RuntimeError):  # no processes to be had (limits, a sandbox): do it here
        pool.shutdown()
        return PendingMap(here())
    return PendingMap(None, pool, parts, here)
