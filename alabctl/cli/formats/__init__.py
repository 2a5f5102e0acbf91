"""Renderers of diagnostics: ``text`` for people, ``json``, ``github``, ``junit`` and ``sarif`` for tools."""

from __future__ import annotations

from collections.abc import Callable

from alabctl.api import ValidationReport
from alabctl.cli.formats import github, json_, junit, sarif, text

Renderer = Callable[[ValidationReport, bool], str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_.render,
    "github": github.render,
    "junit": junit.render,
    "sarif": sarif.render,
}
