"""One apply at a time per home: an exclusive file lock that names its holder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from alabctl.spec.errors import UserError


def _holder(path: Path) -> str:
    try:
        with path.open("rb") as lock:
            text = lock.read(32).decode(errors="replace").strip()
    except OSError:
        return "another process"
    return f"pid {text}" if text.isdigit() else "another process"


@contextlib.contextmanager
def apply_lock(home: Path, timeout: float = 0.0) -> Iterator[None]:
    """Hold ``<home>/apply.lock`` while the block runs; wait up to ``timeout`` seconds for it,
    then refuse, naming the holder's pid."""
    path = home / "apply.lock"
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UserError(
            f"can not open the lock file {path}: {exc.strerror}",
            "make the home folder writable (and free space on its disk), or use another --home",
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UserError(
                        f"another apply holds {path} ({_holder(path)})",
                        "wait for it to finish, or pass --lock-timeout 60s to wait",
                    ) from None
                time.sleep(0.1)
        with contextlib.suppress(OSError):  # the pid only names the holder: a full disk may refuse it
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
