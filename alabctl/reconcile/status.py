"""What ``get servers``, ``status`` and ``wait`` show: each server's health and sync (pure)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from alabctl.compile.desired import DesiredState
from alabctl.reconcile.observe import ServerActual
from alabctl.reconcile.vocab import Health, Sync


@dataclass(frozen=True)
class ServerStatus:
    """One server as a user sees it."""

    name: str
    health: Health
    sync: Sync | None
    """``None`` when no manifests were given to compare with."""
    url: str
    model_version: dict[str, str] | str | None
    pid: int | None
    projects: tuple[str, ...]
    started: str | None
    last_error: str | None

    def uptime(self, now: datetime.datetime | None = None) -> str:
        if self.started is None or self.pid is None:
            return "-"
        now = now or datetime.datetime.now(datetime.UTC)
        seconds = int((now - datetime.datetime.fromisoformat(self.started)).total_seconds())
        if seconds < 120:
            return f"{seconds}s"
        if seconds < 7200:
            return f"{seconds // 60}m"
        return f"{seconds // 3600}h"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "health": self.health.value,
            "sync": self.sync.value if self.sync else None,
            "url": self.url,
            "modelVersion": self.model_version,
            "pid": self.pid,
            "projects": list(self.projects),
            "started": self.started,
            "uptime": self.uptime(),
            "lastError": self.last_error,
        }


def health_of(actual: ServerActual) -> Health:
    record = actual.deployment
    if not actual.running:
        stopped = record.health == Health.STOPPED.value and record.digest is None and not record.intent
        return Health.STOPPED if stopped else Health.MISSING
    if record.intent:
        return Health.PROGRESSING
    if actual.probe is None or not actual.probe.answered:
        return Health.UNKNOWN
    return actual.probe.health


def server_status(actual: ServerActual, desired: DesiredState | None) -> ServerStatus:
    record = actual.deployment
    health = health_of(actual)
    sync = None
    if desired is not None:
        want = desired.servers.get(record.server)
        ok = want is not None and actual.running and record.digest == want.digest and health is Health.HEALTHY
        sync = Sync.SYNCED if ok else Sync.OUT_OF_SYNC
    body = actual.probe.body if actual.probe else {}
    error = (actual.probe.reason if actual.probe and health is Health.DEGRADED else None) or record.last_error
    action = record.intent.get("action") if record.intent else None
    if action is not None:  # recorded before acting, cleared after: an apply runs, or was killed
        error = (
            f"an apply is doing '{action}' on it (if none runs, it was interrupted: "
            "the next 'alabctl apply -f REPO' finishes it)"
        )
    elif health is Health.MISSING and record.pid is not None:  # it ran since the last record: died
        error = f"its process (pid {record.pid}) is gone; 'alabctl apply -f REPO' restarts it"
    return ServerStatus(
        name=record.server,
        health=health,
        sync=sync,
        url=record.url,
        model_version=body.get("model_version"),
        pid=record.pid if actual.running else None,
        projects=record.projects,
        started=record.started,
        last_error=error,
    )


def declared_only(desired: DesiredState, recorded: set[str]) -> list[ServerStatus]:
    """Servers the manifests declare that were never deployed."""
    why = "never deployed: 'alabctl plan -f REPO' says what apply would do, and what it needs"
    return [
        ServerStatus(s.name, Health.MISSING, Sync.OUT_OF_SYNC, "-", None, None, s.projects, None, why)
        for s in desired.servers.values()
        if s.name not in recorded
    ]
