"""``watch``: reconcile on every edit, and heal what dies.

File events (watchdog) are collected and debounced — a burst of saves becomes one reconcile once
the files have been quiet for ``debounce`` seconds, or ``max_wait`` after the first event. Between
edits, every ``interval`` seconds it asks whether a deployed server died or answers unhealthy, and
reconciles then, backing off exponentially while that keeps failing. It stops cleanly when
``stop`` is set (the CLI sets it on SIGTERM / SIGINT). What a reconcile is, how drift is detected
and how lines are logged are given by the caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~", ".part")


@dataclass(frozen=True)
class WatchOptions:
    debounce: float = 0.3
    """Quiet time after the last event before reconciling."""
    max_wait: float = 1.6
    """Longest time from the first event of a burst to the reconcile."""
    interval: float = 2.0
    """How often to check for dead or unhealthy servers."""
    backoff: float = 1.0
    """First delay after a failed heal; doubled each time."""
    backoff_cap: float = 60.0


def ignored(path: str) -> bool:
    """Editor swap files, temporary files, and anything in a hidden folder (``.git``)."""
    parts = Path(path).parts
    return (
        any(p.startswith(".") for p in parts[:-1])
        or Path(path).name.startswith(".")
        or path.endswith(IGNORED_SUFFIXES)
    )


class Changes:
    """File events collected from watchdog's thread."""

    def __init__(self) -> None:
        self._paths: set[str] = set()
        self._lock = threading.Lock()
        self._event = threading.Event()

    def add(self, path: str) -> None:
        if ignored(path):
            return
        with self._lock:
            self._paths.add(path)
        self._event.set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    def drain(self, debounce: float, max_wait: float, stop: threading.Event) -> set[str]:
        """Every path changed in this burst: waits until ``debounce`` s pass with no new event."""
        first = time.monotonic()
        while not stop.is_set():
            self._event.clear()
            if not self._event.wait(debounce) or time.monotonic() - first >= max_wait:
                break
        with self._lock:
            paths, self._paths = self._paths, set()
        self._event.clear()
        return paths


def _observer(roots: Sequence[Path], changes: Changes) -> Any:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write") or event.is_directory:
                return
            changes.add(str(event.src_path))
            dest = getattr(event, "dest_path", "")
            if dest:
                changes.add(str(dest))

    observer = Observer()
    for root in roots:
        observer.schedule(Handler(), str(root), recursive=root.is_dir())
    return observer


def watch(
    roots: Sequence[Path],
    *,
    reconcile: Callable[[str], bool],
    drifted: Callable[[], list[str]],
    log: Callable[[dict[str, Any]], None],
    stop: threading.Event,
    options: WatchOptions | None = None,
) -> None:
    """Reconcile now, then on every debounced edit and whenever ``drifted`` names servers, until
    ``stop`` is set. ``reconcile(reason)`` returns ``False`` when something failed."""
    options = options or WatchOptions()
    changes = Changes()
    observer = _observer([r if r.is_dir() else r.parent for r in roots], changes)
    observer.start()
    try:
        log({"event": "start", "paths": [str(r) for r in roots]})
        reconcile("start")
        failures = 0
        next_heal = 0.0
        while not stop.is_set():
            if changes.wait(options.interval):
                paths = changes.drain(options.debounce, options.max_wait, stop)
                if stop.is_set():
                    break
                if paths:
                    log({"event": "change", "paths": sorted(paths)})
                    failures = 0 if reconcile("change") else failures
                continue
            now = time.monotonic()
            if now < next_heal:
                continue
            dead = drifted()
            if not dead:
                continue
            log({"event": "drift", "servers": dead})
            if reconcile("drift"):
                failures, next_heal = 0, 0.0
            else:
                failures += 1
                delay = min(options.backoff_cap, options.backoff * 2 ** (failures - 1))
                next_heal = now + delay
                log({"event": "backoff", "seconds": delay, "failures": failures})
    finally:
        observer.stop()
        observer.join(timeout=5)
        log({"event": "stop"})
