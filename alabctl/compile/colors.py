"""Deterministic label colors, distinct within a project.

A label without a ``color`` in its manifest gets one picked from a fixed palette by a stable hash
of its value (SHA-256, not Python's salted ``hash``), so colors never change between runs,
machines or Python versions. When that color is already taken in the project (by a manifest's
``color`` or an earlier label), the next free palette color is used, and past the palette a color
derived from the value: two labels of one project never share an automatic color.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

PALETTE: tuple[str, ...] = (
    "#e6194b",
    "#3cb44b",
    "#ffe119",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#46f0f0",
    "#f032e6",
    "#bcf60c",
    "#fabebe",
    "#008080",
    "#e6beff",
    "#9a6324",
    "#800000",
    "#aaffc3",
    "#808000",
    "#ffd8b1",
    "#808080",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#6686fc",
    "#c4f57e",
    "#7ea48f",
    "#ffa500",
)
"""Sasha Trubetskoy's distinct colors (less the palest and the darkest), Tableau 10, and a few
Annotation Lab defaults. Any change here recolors every label without a `color` (a test pins one)."""


@lru_cache(maxsize=8192)  # label values repeat across projects
def _palette_index(value: str) -> int:
    digest = hashlib.sha256(value.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % len(PALETTE)


def color_for(value: str) -> str:
    """The palette color of a label value, stable across runs and machines."""
    return PALETTE[_palette_index(value)]


def distinct_colors(values: Sequence[str], taken: Iterable[str] = ()) -> list[str]:
    """A color for each value (in order), none equal to another or to a ``taken`` one."""
    used = {c.lower() for c in taken}
    out = []
    for value in values:
        start = _palette_index(value)
        free = (PALETTE[(start + i) % len(PALETTE)] for i in range(len(PALETTE)))
        color = next((c for c in free if c not in used), None) or _beyond_palette(value, used)
        used.add(color)
        out.append(color)
    return out


def _beyond_palette(value: str, used: set[str]) -> str:
    n = 0
    while True:
        color = "#" + hashlib.sha256(f"{value}\x00{n}".encode()).hexdigest()[:6]
        if color not in used:
            return color
        n += 1
