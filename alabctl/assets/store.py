"""The SQLite inventory of installed assets (``$ALABCTL_HOME/alabctl.db``), shared with the reconciler.

Schema version 1 (``PRAGMA user_version``): ``assets`` (one row per type and name) and ``servers``
(which pre-annotation server uses which asset; the reconciler fills it, ``delete`` reads it). WAL
mode, a connection per call, so threads and processes can share the file.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

from alabctl.spec.errors import PermanentError
from alabctl.spec.names import AssetType

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assets (
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    size INTEGER,
    sha256 TEXT,
    labels TEXT,
    language TEXT,
    lib_version TEXT,
    spark_version TEXT,
    storage_ref TEXT,
    edition TEXT,
    task TEXT,
    repository TEXT,
    url TEXT,
    error TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (type, name)
);
CREATE TABLE IF NOT EXISTS servers (
    server TEXT NOT NULL,
    asset TEXT NOT NULL,
    PRIMARY KEY (server, asset)
);
"""


class Source(StrEnum):
    """Where an installed asset came from."""

    HUB = "hub"
    """Downloaded from a Models Hub."""
    UPLOAD = "upload"
    """Installed from a local folder or zip (``alabctl models upload``)."""
    TRAINED = "trained"
    """Produced by training."""


class Status(StrEnum):
    """Where an asset is in its life."""

    DOWNLOADING = "downloading"
    """A download or install is under way (or was killed; ``hub redownload`` retries it)."""
    READY = "ready"
    """Installed in ``cache/<key>/`` and verified."""
    FAILED = "failed"
    """The last download or install failed; nothing is installed."""
    INCOMPATIBLE = "incompatible"
    """Installed, but it does not fit the configured Spark NLP / Spark versions."""


@dataclass(frozen=True)
class AssetRow:
    """One asset in the inventory."""

    name: str
    type: AssetType
    key: str
    source: Source
    status: Status
    size: int | None = None
    sha256: str | None = None
    labels: tuple[str, ...] | None = None
    language: str | None = None
    lib_version: str | None = None
    spark_version: str | None = None
    storage_ref: str | None = None
    edition: str | None = None
    task: str | None = None
    repository: str | None = None
    url: str | None = None
    error: str | None = None
    created: str = ""
    updated: str = ""


_TIMEOUT = 30.0
"""Seconds a connection waits for another one's lock."""


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the database to WAL (once: the mode is kept in the file).

    SQLite refuses the switch at once, without waiting like other locks do, while another
    connection has the file open: several pulls starting together on a new store all try it. The
    first one switches; the others retry until they see WAL.
    """
    deadline = time.monotonic() + _TIMEOUT
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class Store:
    """Typed access to the inventory database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            _use_wal(db)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise PermanentError(
                    f"{path} has schema version {version}; this alabctl knows version {SCHEMA_VERSION}",
                    "upgrade alabctl, or move the store aside with --home",
                )
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=_TIMEOUT)
        try:
            with db:
                yield db
        finally:
            db.close()

    def put(self, row: AssetRow) -> AssetRow:
        """Insert or replace a row, keeping its creation time; returns what was stored."""
        old = self.get(row.name, row.type)
        now = _now()
        row = replace(row, created=old.created if old else now, updated=now)
        data = asdict(row)
        data["type"] = row.type.value
        data["source"] = row.source.value
        data["status"] = row.status.value
        data["labels"] = json.dumps(list(row.labels)) if row.labels is not None else None
        columns = ", ".join(data)
        marks = ", ".join(f":{k}" for k in data)
        with self._connect() as db:
            db.execute(f"INSERT OR REPLACE INTO assets ({columns}) VALUES ({marks})", data)  # noqa: S608
        return row

    def set_status(self, name: str, type: AssetType, status: Status, error: str | None = None) -> None:
        """Change one row's status (and error text)."""
        with self._connect() as db:
            db.execute(
                "UPDATE assets SET status = ?, error = ?, updated = ? WHERE name = ? AND type = ?",
                (status.value, error, _now(), name, type.value),
            )

    def get(self, name: str, type: AssetType | None = None) -> AssetRow | None:
        """The row for a name (of a type, when given)."""
        rows = [r for r in self.rows(type) if r.name == name]
        return rows[0] if rows else None

    def rows(self, type: AssetType | None = None) -> list[AssetRow]:
        """Every row (of a type), sorted by type and name."""
        query = "SELECT * FROM assets"
        params: tuple[str, ...] = ()
        if type is not None:
            query += " WHERE type = ?"
            params = (type.value,)
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(query + " ORDER BY type, name", params).fetchall()
        return [_row(dict(r)) for r in rows]

    def delete(self, name: str, type: AssetType) -> None:
        """Forget an asset (its files are the caller's business)."""
        with self._connect() as db:
            db.execute("DELETE FROM assets WHERE name = ? AND type = ?", (name, type.value))

    def servers_using(self, asset: str) -> list[str]:
        """The servers the reconciler recorded as using ``asset``."""
        with self._connect() as db:
            rows = db.execute("SELECT server FROM servers WHERE asset = ? ORDER BY server", (asset,))
            return [r[0] for r in rows.fetchall()]

    def set_server_assets(self, server: str, assets: list[str]) -> None:
        """Record what a server uses (the reconciler's side)."""
        with self._connect() as db:
            db.execute("DELETE FROM servers WHERE server = ?", (server,))
            db.executemany("INSERT INTO servers (server, asset) VALUES (?, ?)", [(server, a) for a in assets])


def _row(data: dict[str, object]) -> AssetRow:
    labels = data.pop("labels")
    return AssetRow(
        **{k: v for k, v in data.items() if k not in ("type", "source", "status")},  # type: ignore[arg-type]
        type=AssetType(str(data["type"])),
        source=Source(str(data["source"])),
        status=Status(str(data["status"])),
        labels=tuple(json.loads(str(labels))) if labels is not None else None,
    )
