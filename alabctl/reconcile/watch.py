"""``watch``: reconcile on every edit, and heal what dies.

File events (watchdog) are collected and debounced — a burst of saves becomes one reconcile once
the files have been quiet for ``debounce`` seconds, or ``max_wait`` after the first event. Between
edits, every ``interval`` seconds it asks whether a deployed server died or answers unhealthy, and
reconciles then, backing off exponentially while that keeps failing. It stops cleanly when
``stop`` is set (the CLI sets it on SIGTERM / SIGINT). What a reconcile is, how drift is detected
and how lines are logged are given by the caller.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alabctl.spec.errors import AlabctlError

INPUT_SUFFIXES = (".yaml", ".yml", ".yaml.j2", ".yml.j2")
"""Manifests and templates: what a folder given with ``-f`` is read for."""
INPUT_NAMES = (".alabctlignore",)
TEMPORARY_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", "~", ".part", ".bak", "___jb_tmp___", "___jb_old___")
_SED_TEMP = re.compile(r"sed[A-Za-z0-9]{6}")
"""``sed -i`` writes its output to ``sedXXXXXX`` beside the file, then renames it over the file."""


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


def temporary(name: str) -> bool:
    """An editor's swap or backup file, or another tool's temporary file (``sed -i``, vim's 4913)."""
    return (
        name.endswith(TEMPORARY_SUFFIXES)
        or (name.startswith("#") and name.endswith("#"))  # emacs auto-save
        or name == "4913"  # vim's probe for whether it may write in the folder
        or _SED_TEMP.fullmatch(name) is not None
    )


def ignored(path: str) -> bool:
    """Editor swap files, temporary files, and anything in a hidden folder (``.git``)."""
    parts = Path(path).parts
    return (
        any(p.startswith(".") for p in parts[:-1]) or Path(path).name.startswith(".") or temporary(parts[-1])
    )


class Watched:
    """Which changed paths could be inputs of the next reconcile.

    Under a folder given with ``-f``: manifests and templates (``*.yaml``, ``*.yml``,
    ``*.yaml.j2``, ``*.yml.j2``) and ``.alabctlignore``, outside hidden folders. A file given with
    ``-f``. The lock file. And the files the last load read besides the manifests (rules'
    dictionaries, local models, Label Studio task files: :meth:`read`). Never an editor's or
    another tool's temporary file.
    """

    def __init__(self, roots: Sequence[Path], lockfile: Path | None = None) -> None:
        self.roots = tuple(roots)
        self.lockfile = str(lockfile) if lockfile is not None else None
        self._read: frozenset[str] = frozenset()

    def read(self, files: Iterable[str]) -> None:
        """The files the last load read besides the manifests (absolute); replaces the last set."""
        self._read = frozenset(files)

    def folders(self) -> list[tuple[Path, bool]]:
        """Each folder to watch, and whether recursively: the ``-f`` folders, the parents of the
        ``-f`` files and the lock file's folder; each once, none inside a folder watched recursively."""
        out: dict[Path, bool] = {root: True for root in self.roots if root.is_dir()}
        for root in self.roots:
            if root not in out:  # a file given with -f: its folder, not recursively
                out.setdefault(root.parent, False)
        if self.lockfile is not None and Path(self.lockfile).parent.is_dir():
            out.setdefault(Path(self.lockfile).parent, False)
        recursive = [f for f, r in out.items() if r]
        covered = {f for f in out if any(f != g and f.is_relative_to(g) for g in recursive)}
        return sorted((f, r) for f, r in out.items() if f not in covered)

    def wants(self, path: str) -> bool:
        """Whether a change to ``path`` (absolute) could change the next reconcile."""
        name = Path(path).name
        if temporary(name):
            return False
        if path == self.lockfile or path in self._read:
            return True
        if any(path.startswith(f + "/") for f in self._read):  # a file in a model folder
            return True
        given = Path(path)
        for root in self.roots:
            if given == root:
                return True
            if given.is_relative_to(root):
                rel = given.relative_to(root).parts
                hidden = any(p.startswith(".") for p in rel[:-1])
                if not hidden and (name.endswith(INPUT_SUFFIXES) or name in INPUT_NAMES):
                    return True
        return False


class Changes:
    """File events collected from watchdog's thread: those ``wanted`` (default: not :func:`ignored`)."""

    def __init__(self, wanted: Callable[[str], bool] | None = None) -> None:
        self._paths: set[str] = set()
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._wanted = wanted or (lambda path: not ignored(path))

    def add(self, path: str) -> None:
        if not self._wanted(path):
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


def _observer(folders: Sequence[tuple[Path, bool]], changes: Changes) -> Any:
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
    for folder, recursive in folders:
        observer.schedule(Handler(), str(folder), recursive=recursive)
    return observer


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at ``folder`` now (device, inode); ``None`` when there is none."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


class _Observers:
    """The watchdog observer over the watched folders, started again when one of them was deleted
    and made anew (``rm -rf repo`` and a new clone): the OS stops watching a deleted folder, so the
    new one would never report an edit."""

    def __init__(self, watched: Watched, changes: Changes) -> None:
        self._watched, self._changes = watched, changes
        self._roots = [root for root in watched.roots if root.is_dir()]  # folders given with -f
        self._start()

    def _start(self) -> None:
        folders = self._watched.folders()  # a -f folder missing now is looked at all the same
        self._seen = {folder: _identity(folder) for folder in [*self._roots, *(f for f, _ in folders)]}
        self.observer = _observer(folders, self._changes)
        self.observer.start()

    def renewed(self) -> list[str]:
        """The folders that were made anew since they were watched: watched again now. One is made
        anew when it is there again after it was seen gone, when it is another folder (device and
        inode), or when its watch ended (the OS reports a watched folder's deletion)."""
        ended = {Path(e.watch.path) for e in self.observer.emitters if not e.is_alive()}
        back = []
        for folder, known in self._seen.items():
            now = _identity(folder)
            if now is None:
                self._seen[folder] = None  # gone: a new folder may reuse its inode
            elif now != known or folder in ended:
                back.append(folder)
        if back:
            self.stop()
            self._start()
        return [str(f) for f in back]

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


def _surviving(
    reconcile: Callable[[str], bool], drifted: Callable[[], list[str]], log: Callable[[dict[str, Any]], None]
) -> tuple[Callable[[str], bool], Callable[[], list[str]]]:
    """``reconcile`` and ``drifted`` that log a user error (the apply lock held too long by another
    command, a state database that can not be read for now) instead of ending the watch: a failed
    reconcile, retried with backoff; no drift seen this time."""

    def safe_reconcile(reason: str) -> bool:
        try:
            return reconcile(reason)
        except AlabctlError as exc:
            log({"event": "error", "reason": reason, "message": exc.message, "hint": exc.hint})
            return False

    def safe_drifted() -> list[str]:
        try:
            return drifted()
        except AlabctlError as exc:
            log({"event": "error", "reason": "drift", "message": exc.message, "hint": exc.hint})
            return []

    return safe_reconcile, safe_drifted


def watch(
    watched: Watched,
    *,
    reconcile: Callable[[str], bool],
    drifted: Callable[[], list[str]],
    log: Callable[[dict[str, Any]], None],
    stop: threading.Event,
    options: WatchOptions | None = None,
) -> None:
    """Reconcile now, then on every debounced edit of a file ``watched`` wants and whenever
    ``drifted`` names servers, until ``stop`` is set. ``reconcile(reason)`` returns ``False`` when
    something failed. The ``-f`` paths must exist (the caller checks)."""
    options = options or WatchOptions()
    changes = Changes(watched.wants)
    observers = _Observers(watched, changes)
    reconcile, drifted = _surviving(reconcile, drifted, log)
    try:
        log({"event": "start", "paths": [str(r) for r in watched.roots]})
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
            renewed = observers.renewed()
            if renewed:
                log({"event": "change", "paths": renewed})
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
        observers.stop()
        log({"event": "stop"})
