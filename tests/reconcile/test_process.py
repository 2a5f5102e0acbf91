"""Server processes: reaping ended children is safe from the threads of one apply."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from alabctl.reconcile import process


def test_threads_reaping_at_once_never_fail(tmp_path: Path) -> None:
    """Servers start and stop in threads: each thread's stop reaps ended children, and two removing
    the same child made the second fail (a ValueError that left its server's record half-done)."""
    for round_ in range(20):
        pids = [process.spawn(["true"], tmp_path / f"log{round_}-{i}.txt")[0] for i in range(8)]
        deadline = time.monotonic() + 10
        while any(process.alive(pid, None) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.01)  # ended, not yet reaped: zombies until reap() collects them
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_reap_at_once, args=(barrier, errors)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert not any(child.pid in pids for child in process._children)


def _reap_at_once(barrier: threading.Barrier, errors: list[BaseException]) -> None:
    barrier.wait()
    try:
        process.reap()
    except BaseException as exc:
        errors.append(exc)
