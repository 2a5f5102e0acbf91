"""Renderers of diagnostics: ``text`` for people, ``json``, ``github``, ``junit`` and ``sarif`` for tools.

``RENDERERS`` maps each format to its renderer; a renderer's module (junit's loads lxml) is imported
when its format is first looked up, so a run imports only the one it prints.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alabctl.api import ValidationReport

Renderer = Callable[["ValidationReport", bool], str]

_MODULES = {
    "text": "alabctl.cli.formats.text",
    "json": "alabctl.cli.formats.json_",
    "github": "alabctl.cli.formats.github",
    "junit": "alabctl.cli.formats.junit",
    "sarif": "alabctl.cli.formats.sarif",
}


class _Renderers(Mapping[str, Renderer]):
    """Format name -> renderer, each module imported on first lookup."""

    def __getitem__(self, name: str) -> Renderer:
        render: Renderer = importlib.import_module(_MODULES[name]).render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


RENDERERS: Mapping[str, Renderer] = _Renderers()
