"""Pausing Python's cyclic garbage collector while a batch of values is built.

Loading a repository creates hundreds of thousands of small objects (parsed values, models,
diagnostics) that reference counting frees on its own; the cyclic collector, triggered every 700
allocations, would walk the ever-growing heap again and again for cycles that are not there (a
fifth of a cold ``validate``'s CPU). Memory stays the same: nothing the load builds is cyclic.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collection() -> Iterator[None]:
    """Run the body with the cyclic collector off; it is switched back on after if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
