"""Requests of bounded size: items cut into runs by count and by bytes of JSON (pure)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any


def batches(items: Sequence[Any], count: int, max_bytes: int) -> Iterator[Sequence[Any]]:
    """``items`` in runs of at most ``count`` items and ``max_bytes`` of JSON; an item larger than
    ``max_bytes`` goes alone (the server says whether it takes it)."""
    start, used = 0, 2  # the list's brackets
    for end, item in enumerate(items):
        weight = len(json.dumps(item, ensure_ascii=False).encode()) + 1
        if end > start and (end - start >= count or used + weight > max_bytes):
            yield items[start:end]
            start, used = end, 2
        used += weight
    if start < len(items):
        yield items[start:]
