"""Axis-aligned boxes in page pixels, origin at the top-left corner, y pointing down."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle: ``left <= right``, ``top <= bottom``, in the page's own units."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def scaled(self, factor: float) -> Box:
        """The same box in units ``factor`` times smaller (points -> pixels at a DPI: 300/72)."""
        return Box(self.left * factor, self.top * factor, self.right * factor, self.bottom * factor)


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box that holds every box given (at least one)."""
    items = list(boxes)
    if not items:
        raise ValueError("union of no boxes")
    return Box(
        min(b.left for b in items),
        min(b.top for b in items),
        max(b.right for b in items),
        max(b.bottom for b in items),
    )


def iou(a: Box, b: Box) -> float:
    """Intersection over union, 0 when the boxes do not overlap."""
    inter = Box(max(a.left, b.left), max(a.top, b.top), min(a.right, b.right), min(a.bottom, b.bottom))
    if inter.width <= 0 or inter.height <= 0:
        return 0.0
    whole = a.area + b.area - inter.area
    return inter.area / whole if whole > 0 else 0.0
