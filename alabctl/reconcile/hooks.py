"""Named points where a test can freeze an apply (to kill it there): ``ALABCTL_PAUSE_AT=point``.

When the running apply reaches that point it writes ``<home>/paused-<point>`` and sleeps until it
is killed. Points: ``download`` (one download finished), ``spawn`` (intent recorded, process not
started), ``spawned`` (process started, not recorded), ``recorded`` (recorded, not yet healthy),
``reload`` (reload intent recorded, reload not requested).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "ALABCTL_PAUSE_AT"


def pause(point: str, home: Path) -> None:
    """Freeze here when the environment asks for this point (tests only)."""
    if os.environ.get(PAUSE_ENV) != point:
        return
    (home / f"paused-{point}").write_text(str(os.getpid()))
    while True:
        time.sleep(60)
