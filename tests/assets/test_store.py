"""The asset store's database: several processes and threads open it at once."""

from __future__ import annotations

import threading
from pathlib import Path

from alabctl.assets.store import Store


def test_a_new_store_opened_by_several_pulls_at_once_is_created_once(tmp_path: Path) -> None:
    # SQLite refuses the switch to WAL, without waiting, while another connection has the file
    # open: three pulls starting together on an empty --home failed with "database is locked".
    for trial in range(60):
        path = tmp_path / str(trial) / "assets.db"
        errors: list[BaseException] = []

        def open_store(path: Path = path, errors: list[BaseException] = errors) -> None:
            try:
                Store(path)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], f"trial {trial}"
        assert Store(path).rows() == []
