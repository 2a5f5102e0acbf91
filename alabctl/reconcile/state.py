"""The reconciler's record of what runs: tables of its own in the asset store's SQLite database.

``ports`` (each server's port, assigned once and kept), ``deployments`` (per server: its process
and when it started, the build it serves and where that build was copied, health, the last error,
and the intent of an action under way, recorded before the action starts), and ``integrity``
(a fingerprint of each installed asset's files). Every change is one transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alabctl.spec.errors import PermanentError, UserError

STATE_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reconcile_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ports (
    server TEXT PRIMARY KEY,
    port INTEGER NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS deployments (
    server TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    pid INTEGER,
    pid_start TEXT,
    digest TEXT,
    build TEXT,
    dir TEXT,
    inputs TEXT NOT NULL DEFAULT '{}',
    projects TEXT NOT NULL DEFAULT '[]',
    assets TEXT NOT NULL DEFAULT '[]',
    health TEXT,
    last_error TEXT,
    intent TEXT,
    started TEXT,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS integrity (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    digest TEXT NOT NULL
);
"""


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Deployment:
    """One server as the state records it."""

    server: str
    host: str
    port: int
    pid: int | None = None
    pid_start: str | None = None
    """The process's start time as the OS reports it: a reused pid has another."""
    digest: str | None = None
    """The desired digest of the build it serves (``None``: nothing serving)."""
    build: str | None = None
    dir: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    projects: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    health: str | None = None
    last_error: str | None = None
    intent: Mapping[str, Any] | None = None
    """An action recorded before it started and cleared when it finished."""
    started: str | None = None
    updated: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Integrity:
    """A fingerprint (names, sizes, mtimes) and a content digest of an installed asset's files."""

    key: str
    name: str
    fingerprint: str
    digest: str


class State:
    """Typed access to the reconciler's tables."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._guard():
            version = self._version()
            if version is None:
                self._create()
                version = self._version()
        if version != str(STATE_SCHEMA_VERSION):
            raise PermanentError(
                f"{path}: the reconciler's tables have schema version {version}; "
                f"this alabctl knows {STATE_SCHEMA_VERSION}",
                "upgrade alabctl, or use another --home",
            )

    def _version(self) -> str | None:
        """The tables' schema version, read without writing (``None``: not created yet)."""
        if not self.path.exists():
            return None
        if not self._read("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reconcile_meta'"):
            return None
        rows = self._read("SELECT value FROM reconcile_meta WHERE key = 'schema'")
        return str(rows[0][0]) if rows else None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite's errors about the file itself (damaged, unwritable, disk full, locked too long)
        and a folder that can not be made, as a user error naming the file and what to do; others
        (a bug) pass."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise unusable(self.path, exc) from None
        except OSError as exc:  # its folder can not be made (a file is in the way, no permission)
            raise UserError(
                f"can not make the state database {self.path}: {exc.strerror} ({exc.filename})",
                "give a folder alabctl may write with --home or $ALABCTL_HOME",
            ) from None
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:  # IntegrityError, ProgrammingError, ...: a bug
                raise
            raise unusable(self.path, exc) from None

    def _create(self) -> None:
        from alabctl.assets.store import Store

        Store(self.path)  # creates the file, WAL mode and the store's own tables
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.executescript(_SCHEMA)
        finally:
            db.close()
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO reconcile_meta VALUES ('schema', ?)", (str(STATE_SCHEMA_VERSION),)
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One connection and one transaction: committed on success, rolled back on error."""
        with self._guard():
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):  # the error may have ended it already
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()

    def _read(self, query: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._guard():
            db = sqlite3.connect(self.path, timeout=30)
            try:
                db.row_factory = sqlite3.Row
                return db.execute(query, params).fetchall()
            finally:
                db.close()

    # ports -------------------------------------------------------------------------------------

    def ports(self) -> dict[str, int]:
        """Every server's assigned port."""
        return {r["server"]: r["port"] for r in self._read("SELECT server, port FROM ports")}

    def assign_port(self, server: str, wanted: int | None, free: int) -> int:
        """The server's port: ``wanted`` when the manifest sets one, else the one assigned before,
        else ``free`` (assigned now and kept)."""
        with self.transaction() as db:
            row = db.execute("SELECT port FROM ports WHERE server = ?", (server,)).fetchone()
            port = wanted if wanted is not None else (row[0] if row else free)
            if row is None or row[0] != port:
                db.execute("DELETE FROM ports WHERE port = ? AND server != ?", (port, server))
                db.execute("INSERT OR REPLACE INTO ports (server, port) VALUES (?, ?)", (server, port))
            return int(port)

    # deployments -------------------------------------------------------------------------------

    def deployments(self) -> dict[str, Deployment]:
        """Every recorded server, by name."""
        return {
            d.server: d for d in map(_deployment, self._read("SELECT * FROM deployments ORDER BY server"))
        }

    def deployment(self, server: str) -> Deployment | None:
        rows = self._read("SELECT * FROM deployments WHERE server = ?", (server,))
        return _deployment(rows[0]) if rows else None

    def put(self, deployment: Deployment) -> None:
        """Insert or replace a server's record (one transaction)."""
        data = asdict(deployment)
        data["inputs"] = json.dumps(dict(deployment.inputs), sort_keys=True)
        data["projects"] = json.dumps(list(deployment.projects))
        data["assets"] = json.dumps(list(deployment.assets))
        data["intent"] = json.dumps(dict(deployment.intent), sort_keys=True) if deployment.intent else None
        data["updated"] = now()
        columns = ", ".join(data)
        marks = ", ".join(f":{k}" for k in data)
        with self.transaction() as db:
            db.execute(f"INSERT OR REPLACE INTO deployments ({columns}) VALUES ({marks})", data)  # noqa: S608

    def forget(self, server: str) -> None:
        """Drop a server's record (its port stays assigned)."""
        with self.transaction() as db:
            db.execute("DELETE FROM deployments WHERE server = ?", (server,))

    # integrity ---------------------------------------------------------------------------------

    def integrity(self) -> dict[str, Integrity]:
        return {r["key"]: Integrity(**dict(r)) for r in self._read("SELECT * FROM integrity")}

    def put_integrity(self, record: Integrity) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO integrity VALUES (?, ?, ?, ?)", tuple(asdict(record).values()))

    def digest(self) -> str:
        """A digest of every row: what a saved plan was made against."""
        import hashlib

        parts = [
            [tuple(r) for r in self._read(f"SELECT * FROM {table} ORDER BY 1")]  # noqa: S608
            for table in ("ports", "integrity")
        ]
        rows = self._read(
            "SELECT server, port, pid, pid_start, digest, dir, intent FROM deployments ORDER BY server"
        )
        parts.append([tuple(r) for r in rows])
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def unusable(path: Path, exc: sqlite3.Error) -> UserError:
    """The user error for a state database SQLite can not use, by its cause."""
    text = str(exc)
    if "locked" in text:
        return UserError(
            f"{path} stayed locked by another alabctl for 30s ({text})",
            "wait for the other command to finish, then run this one again",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return UserError(
            f"{path}: the state database is damaged ({text})",
            f"restore it from a backup, or move it aside (mv {path} {path}.damaged) and run "
            "'alabctl apply -f REPO': the servers start again and their models are downloaded again",
        )
    return UserError(
        f"can not read or write the state database {path} ({text})",
        "free space on its disk and make its folder writable, or use another --home",
    )


def _deployment(row: sqlite3.Row) -> Deployment:
    data = dict(row)
    return Deployment(
        **{k: v for k, v in data.items() if k not in ("inputs", "projects", "assets", "intent")},
        inputs=json.loads(data["inputs"]),
        projects=tuple(json.loads(data["projects"])),
        assets=tuple(json.loads(data["assets"])),
        intent=json.loads(data["intent"]) if data["intent"] else None,
    )
