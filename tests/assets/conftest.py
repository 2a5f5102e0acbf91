"""Fixtures: a real hub server on loopback and a store in a tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assets.hubserver import HubServer


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    server = HubServer(tmp_path / "hub")
    (tmp_path / "hub").mkdir()
    yield server
    server.close()
