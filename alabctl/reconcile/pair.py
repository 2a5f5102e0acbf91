"""Pair desired with actual, by name (pure). A missing side is ``None``: a server to deploy has no
actual, one to prune has no desired, so neither needs a special case."""

from __future__ import annotations

from dataclasses import dataclass

from alabctl.compile.desired import AssetPin, DesiredServer, DesiredState
from alabctl.reconcile.observe import Actual, AssetActual, ServerActual


@dataclass(frozen=True)
class ServerPair:
    name: str
    desired: DesiredServer | None
    actual: ServerActual | None


@dataclass(frozen=True)
class AssetPair:
    ref: str
    pin: AssetPin | None
    """How to fetch it; ``None`` when the lock file does not pin it."""
    actual: AssetActual | None


def pair_servers(desired: DesiredState, actual: Actual) -> list[ServerPair]:
    names = sorted(set(desired.servers) | set(actual.servers))
    return [ServerPair(n, desired.servers.get(n), actual.servers.get(n)) for n in names]


def pair_assets(desired: DesiredState, actual: Actual) -> list[AssetPair]:
    refs = sorted({a for s in desired.servers.values() for a in s.assets})
    return [AssetPair(r, desired.pins.get(r), actual.assets.get(r)) for r in refs]
