"""Deterministic label colors: the same label value always gets the same color.

A label without a ``color`` in its manifest gets one picked from a fixed palette by a stable hash
of its value (SHA-256, not Python's salted ``hash``), so colors never change between runs,
machines or Python versions, and adding a label never recolors the others.
"""

from __future__ import annotations

import hashlib

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


def color_for(value: str) -> str:
    """The palette color of a label value, stable across runs and machines."""
    digest = hashlib.sha256(value.encode("utf-8")).digest()
    return PALETTE[int.from_bytes(digest[:8], "big") % len(PALETTE)]
