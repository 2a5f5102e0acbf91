"""Where each part of a rendered ``*.yaml.j2`` came from in the template.

A template's YAML is parsed as it rendered, so positions found there count lines of the rendered
text. Users edit the template: :class:`TemplateMap` turns a rendered position into the template's
line and column, so an error in the second iteration of a loop points at the loop body's line.

The render hands over its output piece by piece (see :func:`alabctl.spec.template.render_template`),
each with whether it is the template's own text and the line Jinja's table gives for it (at or
before its real line). :class:`Placer` finds each piece in the template: the template's own text
is found verbatim from that line on, and what an expression wrote sits at the next ``{{`` after
the text before it.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

from alabctl.spec.diagnostics import Position


class Piece(NamedTuple):
    """One piece of the rendered text."""

    start: int
    """Offset in the rendered text."""
    text: str
    at: int
    """Offset in the template: where the text starts, or the ``{{`` of the expression that wrote it."""
    literal: bool
    """The template's own text (so offsets inside it map one to one)."""


def _line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


class Placer:
    """Finds, in order, where each piece of a render's output came from in ``template``."""

    def __init__(self, template: str) -> None:
        self.template = template
        self._starts = _line_starts(template)
        self._cursor = 0
        self._size = 0
        self.pieces: list[Piece] = []

    def add(self, text: str, line: int, literal: bool) -> None:
        """Place ``text``, which Jinja's table says the template wrote at or after ``line``."""
        start, self._size = self._size, self._size + len(text)
        if not text:
            return
        at = -1
        if literal:
            hint = self._starts[min(max(line, 1), len(self._starts)) - 1]
            at = self.template.find(text, hint)
            if at < 0:
                at = self.template.find(text)
        if at >= 0:
            self._cursor = at + len(text)
        else:
            literal = False
            at = self.template.find("{{", self._cursor)
            if at < 0:
                at = self._starts[min(max(line, 1), len(self._starts)) - 1]
            else:
                end = self.template.find("}}", at)
                self._cursor = end + 2 if end >= 0 else at + 2
        self.pieces.append(Piece(start, text, at, literal))


class TemplateMap:
    """Rendered ``(line, column)`` -> the template's, both 1-based."""

    def __init__(self, pieces: list[Piece], rendered: str, template: str) -> None:
        self.pieces = pieces
        self._starts = [p.start for p in pieces]
        self._rendered = _line_starts(rendered)
        self._template = _line_starts(template)

    def position(self, line: int, column: int) -> Position:
        if not self.pieces or line < 1:
            return Position(line, column)
        offset = self._rendered[min(line, len(self._rendered)) - 1] + max(column, 1) - 1
        piece = self.pieces[max(bisect.bisect_right(self._starts, offset) - 1, 0)]
        at = piece.at + (min(max(offset - piece.start, 0), len(piece.text)) if piece.literal else 0)
        row = bisect.bisect_right(self._template, at)
        return Position(row, at - self._template[row - 1] + 1)
