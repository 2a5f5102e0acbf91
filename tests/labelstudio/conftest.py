"""The session's one Label Studio server, for tests marked ``labelstudio``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.labelstudio.server import TOKEN, RunningLabelStudio, make_venv, start, stop


@pytest.fixture(scope="session")
def labelstudio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLabelStudio]:
    """A real Label Studio on 127.0.0.1, started once for the whole run and stopped by pid at its end.

    ``ALABCTL_TEST_LABELSTUDIO_URL`` points the tests at one already running (started with the
    settings of ``server.py``) instead, to iterate quickly.
    """
    given = os.environ.get("ALABCTL_TEST_LABELSTUDIO_URL")
    if given:
        yield RunningLabelStudio(given, TOKEN, 0, Path())
        return
    venv = make_venv()
    if isinstance(venv, str):
        pytest.skip(venv)
    running = start(venv, tmp_path_factory.mktemp("labelstudio"))
    try:
        yield running
    finally:
        stop(running)
