"""Asking a live server how it is: ``GET /health`` over loopback, and its admin reload call."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any

from alabctl.reconcile.vocab import Health


@dataclass(frozen=True)
class Probe:
    """What a server's ``/health`` said (``answered`` is ``False`` when nothing answered)."""

    answered: bool
    health: Health
    reason: str | None = None
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def build(self) -> str | None:
        value = self.body.get("build")
        return str(value) if value is not None else None

    @property
    def pid(self) -> int | None:
        value = self.body.get("pid")
        return int(value) if isinstance(value, int) else None


def request(
    host: str,
    port: int,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    timeout: float = 2.0,
) -> tuple[int, Any]:
    """One HTTP request with a JSON body; returns the status and the decoded JSON (or text)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")
    finally:
        conn.close()


def probe(host: str, port: int, timeout: float = 1.0) -> Probe:
    """``GET /health``: Healthy or Degraded as the server says; Unknown when it does not answer."""
    try:
        status, body = request(host, port, "GET", "/health", timeout=timeout)
    except (OSError, http.client.HTTPException) as exc:
        return Probe(False, Health.UNKNOWN, f"no answer on {host}:{port}: {exc}")
    if status != 200 or not isinstance(body, dict):
        return Probe(True, Health.DEGRADED, f"/health answered HTTP {status}", {})
    try:
        health = Health(str(body.get("health", "Healthy")))
    except ValueError:
        health = Health.UNKNOWN
    if body.get("status") not in (None, "UP"):
        health = Health.DEGRADED
    return Probe(True, health, body.get("reason"), body)
