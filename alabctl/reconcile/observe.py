"""Observe what is: the state database, the asset store on disk, live servers over HTTP (I/O only;
nothing is written)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alabctl.reconcile import integrity
from alabctl.reconcile.health import Probe, probe_all
from alabctl.reconcile.process import alive
from alabctl.reconcile.state import Deployment, State

if TYPE_CHECKING:
    from alabctl.assets.home import Home
    from alabctl.assets.store import Store
    from alabctl.compile.desired import DesiredState


@dataclass(frozen=True)
class ServerActual:
    """A recorded server and what was seen of it."""

    deployment: Deployment
    running: bool
    probe: Probe | None
    """``None`` when its process is not running, or health was not asked (nothing was asked)."""


@dataclass(frozen=True)
class AssetActual:
    """An asset as the store and the disk have it."""

    ref: str
    key: str | None
    status: str | None
    present: bool
    intact: bool | None
    """``False``: the files changed since install; ``None``: no fingerprint recorded yet."""
    fingerprint: str | None = None


@dataclass(frozen=True)
class Actual:
    """Everything observed, and the digest of the state rows it was read from."""

    servers: dict[str, ServerActual]
    assets: dict[str, AssetActual]
    state_digest: str


def observe_servers(deployments: list[Deployment], *, health: bool = True) -> dict[str, ServerActual]:
    """Every recorded server: is its process alive, and (with ``health``) what does its ``/health``
    say (all asked at once)."""
    running = {d.server for d in deployments if alive(d.pid, d.pid_start)}
    asked = [d for d in deployments if d.server in running] if health else []
    probes = dict(zip((d.server for d in asked), probe_all([(d.host, d.port) for d in asked]), strict=True))
    return {d.server: ServerActual(d, d.server in running, probes.get(d.server)) for d in deployments}


def observe_assets(home: Home, store: Store, state: State, refs: list[str]) -> dict[str, AssetActual]:
    """The assets ``refs`` names (``Model/x``), with an integrity check of their files."""
    from alabctl.assets.store import Status

    rows = {f"{r.type.value.title()}/{r.name}": r for r in store.rows()} if refs else {}
    records = state.integrity() if refs else {}
    out: dict[str, AssetActual] = {}
    for ref in refs:
        row = rows.get(ref) or rows.get(_other(ref))
        if row is None:
            out[ref] = AssetActual(ref, None, None, False, None)
            continue
        path = home.asset_dir(row.key)
        present = row.status is Status.READY and path.exists()
        intact = None
        print_ = None
        if present:
            record = records.get(row.key)
            print_ = integrity.fingerprint(path)
            if record is not None:
                intact = print_ == record.fingerprint or integrity.content_digest(path) == record.digest
        out[ref] = AssetActual(ref, row.key, row.status.value, present, intact, print_)
    return out


def _other(ref: str) -> str:
    kind, name = ref.split("/", 1)
    return f"{'Embeddings' if kind == 'Model' else 'Model'}/{name}"


def observe(home: Home, state: State, desired: DesiredState | None, *, health: bool = True) -> Actual:
    """What runs and what is installed, for the desired assets; ``health=False`` asks no server
    (whether each process runs is still checked)."""
    refs = sorted({a for s in desired.servers.values() for a in s.assets}) if desired else []
    assets = {}
    if refs:
        from alabctl.assets.store import Store

        assets = observe_assets(home, Store(home.db), state, refs)
    digest = state.digest()
    servers = observe_servers(list(state.deployments().values()), health=health)
    return Actual(servers, assets, digest)


__all__ = ["Actual", "AssetActual", "ServerActual", "observe"]
