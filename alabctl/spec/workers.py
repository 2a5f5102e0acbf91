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
from collections.abc import Callable, Sequence
from typing import TypeVar

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
    workers = min(worker_count(), max(1, len(items) // max(1, threshold // 2)))
    if len(items) < threshold or workers < 2:
        return [fn(item) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        context = multiprocessing.get_context("fork")  # the workers start with alabctl imported
    except ValueError:  # pragma: no cover - no fork on this platform
        return [fn(item) for item in items]
    size = -(-len(items) // (workers * 4))
    chunks = [(fn, items[i : i + size]) for i in range(0, len(items), size)]
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return [result for part in pool.map(_run_chunk, chunks) for result in part]
    except (OSError, RuntimeError):  # no processes to be had (limits, a sandbox): do it here
        return [fn(item) for item in items]
