"""Server processes: start one detached, tell whether a recorded one still runs, stop one.

A process is known by its pid and its start time (``/proc/<pid>/stat`` on Linux), so a pid the
OS has given to another program is never mistaken for a server, nor signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def start_time(pid: int) -> str | None:
    """When process ``pid`` started, as an opaque string; ``None`` when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None if not _exists(pid) else "?"
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has finished
        return None
    return fields[19]


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive(pid: int | None, started: str | None) -> bool:
    """Whether the recorded process still runs (same pid, same start time)."""
    if pid is None:
        return False
    now = start_time(pid)
    return now is not None and (started is None or now == started or now == "?")


def spawn(argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None) -> tuple[int, str | None]:
    """Start ``argv`` in its own session, stdin from /dev/null, stdout and stderr appended to
    ``log``; it outlives the caller. Returns its pid and start time."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=dict(env) if env is not None else None,
        )
    # not waited for: the child outlives this process; reap it if it ends while we still run
    with _reaping:
        _children.append(child)
    return child.pid, start_time(child.pid)


_children: list[subprocess.Popen[bytes]] = []


_reaping = threading.Lock()
"""Servers start and stop in threads of one apply: two reaping at once removed one child twice."""


def reap() -> None:
    """Collect children that have ended (so they do not linger as zombies while we run)."""
    with _reaping:
        for child in list(_children):
            if child.poll() is not None:
                _children.remove(child)


def serve_argv(server: str, build: Path, host: str, port: int) -> list[str]:
    """The command line of one server: the runtime's ``alabctl serve``."""
    return [
        sys.executable,
        "-m",
        "alabctl",
        "serve",
        server,
        "--build",
        str(build),
        "--host",
        host,
        "--port",
        str(port),
    ]


def stop(pid: int, started: str | None, *, grace: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after ``grace`` seconds. ``False`` when it was not running."""
    if not alive(pid, started):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGCONT)  # a stopped process (SIGSTOP, Ctrl-Z) handles SIGTERM only then
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        reap()
        if not alive(pid, started):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while alive(pid, started):
        reap()
        time.sleep(0.05)
    return True
