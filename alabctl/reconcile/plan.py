"""The plan: every action with its reason, as a frozen, JSON-serialisable value (pure).

Assets first (download what is not installed, redownload what drifted), then servers: deploy what
does not run, redeploy (hot reload) what runs another build, restart what died or answers
unhealthy, prune what no manifest declares (only with ``--prune``). A saved plan carries the
digest of the inputs and of the state it was made against, so ``apply plan.json`` can refuse a
stale one, and its :class:`Source` (absolute paths, root, lock file, template values), so that it
reads exactly the same inputs again from any folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from alabctl.compile.desired import DesiredServer, DesiredState
from alabctl.reconcile.observe import Actual, ServerActual
from alabctl.reconcile.pair import AssetPair, ServerPair, pair_assets, pair_servers
from alabctl.reconcile.vocab import Action, Health
from alabctl.spec.errors import PermanentError

PLAN_SCHEMA_VERSION = 2
"""2: the plan records its :class:`Source` (1 kept the ``-f`` paths as typed, relative to a folder
it did not record, and no template values)."""


@dataclass(frozen=True)
class Source:
    """What a plan was made from: enough to read exactly the same inputs again, from any folder."""

    paths: tuple[str, ...]
    """The ``-f`` paths, absolute."""
    root: str
    """The repository root manifests' paths must stay in, absolute."""
    lockfile: str
    """The lock file, absolute (it need not exist)."""
    values: Mapping[str, Any]
    """The template values (``--values`` files merged, then ``--set``), as plain JSON data."""

    def to_json(self) -> dict[str, Any]:
        return {
            "paths": list(self.paths),
            "root": self.root,
            "lockfile": self.lockfile,
            "values": self.values,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Source:
        paths, root, lockfile, values = d["paths"], d["root"], d["lockfile"], d["values"]
        if not isinstance(paths, list) or not all(
            isinstance(p, str) and PurePath(p).is_absolute() for p in paths
        ):
            raise ValueError("'inputs.paths' must be a list of absolute paths")
        if not paths:
            raise ValueError("'inputs.paths' is empty")
        for key, value in (("root", root), ("lockfile", lockfile)):
            if not isinstance(value, str) or not PurePath(value).is_absolute():
                raise ValueError(f"'inputs.{key}' must be an absolute path")
        if not isinstance(values, dict):
            raise ValueError("'inputs.values' must be a mapping")
        return cls(tuple(paths), root, lockfile, values)


@dataclass(frozen=True)
class Step:
    """One action on one resource, and why."""

    action: Action
    kind: str
    name: str
    reason: str
    digest: str | None = None
    """The build a server step deploys, or the cache key an asset step installs."""
    bytes: int | None = None
    needs: tuple[str, ...] = ()
    """``Kind/name`` of the steps this one waits for (a server waits for its downloads)."""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "name": self.name,
            "reason": self.reason,
            "digest": self.digest,
            "bytes": self.bytes,
            "needs": list(self.needs),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Step:
        return cls(
            Action(d["action"]),
            str(d["kind"]),
            str(d["name"]),
            str(d["reason"]),
            d.get("digest"),
            d.get("bytes"),
            tuple(d.get("needs", ())),
        )


@dataclass(frozen=True)
class Missing:
    """An asset a server needs that can not be fetched, and from where it was looked for."""

    ref: str
    reason: str
    servers: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """What ``apply`` would do."""

    steps: tuple[Step, ...]
    inputs_digest: str
    state_digest: str
    unchanged: tuple[str, ...] = ()
    """Servers already right."""
    orphans: tuple[str, ...] = ()
    """Running servers no manifest declares (pruned only with ``--prune``)."""
    missing: tuple[Missing, ...] = ()
    source: Source | None = None
    """The inputs the plan was made from (``None``: not recorded, e.g. stdin)."""
    prune: bool = False
    schema_version: int = PLAN_SCHEMA_VERSION

    @property
    def changes(self) -> bool:
        return bool(self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": self.schema_version,
            "inputsDigest": self.inputs_digest,
            "stateDigest": self.state_digest,
            "inputs": self.source.to_json() if self.source is not None else None,
            "prune": self.prune,
            "steps": [s.to_json() for s in self.steps],
            "unchanged": list(self.unchanged),
            "orphans": list(self.orphans),
            "missing": [{"ref": m.ref, "reason": m.reason, "servers": list(m.servers)} for m in self.missing],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Plan:
        if not isinstance(d, Mapping) or d.get("schemaVersion") != PLAN_SCHEMA_VERSION:
            version = d.get("schemaVersion") if isinstance(d, Mapping) else None
            raise PermanentError(
                f"the plan has schema version {version!r}; this alabctl reads {PLAN_SCHEMA_VERSION}",
                "make the plan again with 'alabctl plan --out'",
            )
        return cls(
            steps=tuple(Step.from_json(s) for s in d["steps"]),
            inputs_digest=str(d["inputsDigest"]),
            state_digest=str(d["stateDigest"]),
            unchanged=tuple(d.get("unchanged", ())),
            orphans=tuple(d.get("orphans", ())),
            missing=tuple(Missing(m["ref"], m["reason"], tuple(m["servers"])) for m in d.get("missing", ())),
            source=Source.from_json(d["inputs"]) if d.get("inputs") is not None else None,
            prune=bool(d.get("prune", False)),
        )


def _what(ref: str) -> str:
    kind, name = ref.split("/", 1)
    if "/" in name or kind not in ("Project", "Rule", "Model", "Embeddings", "Server"):
        return f"`{ref}`"
    return f"{kind.lower()} `{name}`"


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """What differs between two ``{Kind/name: sha256}`` maps, named (``rule `height` changed``)."""
    out = []
    for ref in sorted(set(before) | set(after)):
        if ref not in before:
            out.append(f"{_what(ref)} added")
        elif ref not in after:
            out.append(f"{_what(ref)} removed")
        elif before[ref] != after[ref] and not ref.startswith("Server/"):
            out.append(f"{_what(ref)} changed")
    if not out and before != after:
        out.append("its pipeline changed")
    return out


def _asset_step(
    pair: AssetPair, servers: Sequence[str], origin: str, dependents: Sequence[str]
) -> Step | Missing | None:
    actual, pin = pair.actual, pair.pin
    kind, name = pair.ref.split("/", 1)
    if actual is not None and actual.present and (pin is None or actual.key == pin.key):
        if actual.intact is False:
            return Step(
                Action.REDOWNLOAD,
                kind,
                name,
                "drift: checksum mismatch (files changed since install)",
                pin.key if pin else actual.key,
                pin.size if pin else None,
            )
        return None
    if pin is None:
        return Missing(
            pair.ref,
            f"{kind.lower()} '{name}' is not installed and the lock file does not pin it; "
            f"it comes from {origin} (run 'alabctl lock -f REPO' to pin it, or 'alabctl models upload')",
            tuple(servers),
        )
    used = f"needed by server {', '.join(servers)}"
    if dependents:
        used = f"a dependency of {', '.join(_what(d) for d in dependents)}; {used}"
    if actual is not None and actual.key == pin.key and actual.status == "ready":
        return Step(
            Action.REDOWNLOAD, kind, name, f"drift: files missing from the store; {used}", pin.key, pin.size
        )
    if actual is not None and actual.key is not None and actual.key != pin.key and actual.present:
        why = f"the lock pins {pin.key}, the store has {actual.key}"
    elif actual is not None and actual.status in ("failed", "downloading"):
        why = f"last download {actual.status}"
    else:
        why = "not installed"
    return Step(Action.DOWNLOAD, kind, name, f"{why}; {used}; from {pin.url}", pin.key, pin.size)


def _server_step(pair: ServerPair, needs: tuple[str, ...], prune: bool) -> Step | None:
    desired, actual = pair.desired, pair.actual
    if desired is None:
        if actual is None or not actual.running:
            return (
                Step(Action.PRUNE, "Server", pair.name, "no manifest declares it (forget its record)")
                if prune and actual
                else None
            )
        if not prune:
            return None
        return Step(Action.PRUNE, "Server", pair.name, "no manifest declares it any more")
    record = actual.deployment if actual else None
    if actual is None or record is None:
        return Step(Action.DEPLOY, "Server", pair.name, "new server", desired.digest, needs=needs)
    if record.intent:
        return Step(
            Action.RESTART, "Server", pair.name, "an apply was interrupted here", desired.digest, needs=needs
        )
    if record.digest is None:
        why = "stopped with 'alabctl down'" if record.health == Health.STOPPED.value else "not running"
        return Step(Action.DEPLOY, "Server", pair.name, why, desired.digest, needs=needs)
    changed = record.digest != desired.digest
    what = ", ".join(changes(record.inputs, desired.inputs)) if changed else ""
    if not actual.running:
        reason = f"drift: process gone (pid {record.pid})" + (f"; and {what}" if what else "")
        return Step(Action.RESTART, "Server", pair.name, reason, desired.digest, needs=needs)
    moved = desired.host != record.host or (desired.port is not None and desired.port != record.port)
    if moved:
        return Step(
            Action.RESTART, "Server", pair.name, f"its address changed; {what}", desired.digest, needs=needs
        )
    if changed:
        return Step(Action.REDEPLOY, "Server", pair.name, f"because {what}", desired.digest, needs=needs)
    return _health_step(pair.name, actual, desired, needs)


def _health_step(
    name: str, actual: ServerActual, desired: DesiredServer, needs: tuple[str, ...]
) -> Step | None:
    seen = actual.probe
    if seen is None or seen.health is Health.HEALTHY:
        return None
    why = seen.reason or seen.health.value
    return Step(
        Action.RESTART,
        "Server",
        name,
        f"drift: unhealthy ({seen.health.value}: {why})",
        desired.digest,
        needs=needs,
    )


def make_plan(
    desired: DesiredState, actual: Actual, *, prune: bool = False, source: Source | None = None
) -> Plan:
    """The steps that take ``actual`` to ``desired`` (pure)."""
    users: dict[str, list[str]] = {}
    for server in desired.servers.values():
        for ref in server.assets:
            users.setdefault(ref, []).append(server.name)
    dependents: dict[str, list[str]] = {}
    for resource in desired.resources.values():
        for ref in resource.depends_on:
            if resource.kind in ("Model", "Embeddings"):
                dependents.setdefault(ref, []).append(resource.ref)
    asset_steps: list[Step] = []
    missing: list[Missing] = []
    for pair in pair_assets(desired, actual):
        origin = desired.origins.get(pair.ref, "the hub")
        found = _asset_step(pair, users.get(pair.ref, []), origin, dependents.get(pair.ref, []))
        if isinstance(found, Step):
            asset_steps.append(found)
        elif isinstance(found, Missing):
            missing.append(found)
    pending = {s.ref for s in asset_steps}
    server_steps: list[Step] = []
    unchanged: list[str] = []
    orphans: list[str] = []
    for spair in pair_servers(desired, actual):
        needs = tuple(a for a in (spair.desired.assets if spair.desired else ()) if a in pending)
        step = _server_step(spair, needs, prune)
        if step is not None:
            server_steps.append(step)
        elif spair.desired is not None:
            unchanged.append(spair.name)
        elif spair.actual is not None and spair.actual.running:
            orphans.append(spair.name)
    return Plan(
        steps=tuple(asset_steps + server_steps),
        inputs_digest=desired.digest,
        state_digest=actual.state_digest,
        unchanged=tuple(unchanged),
        orphans=tuple(orphans),
        missing=tuple(missing),
        source=source,
        prune=prune,
    )


def staleness(saved: Plan, inputs_digest: str, state_digest: str) -> list[str]:
    """Why ``saved`` no longer fits the inputs or the state (empty: it still does)."""
    out = []
    if saved.inputs_digest != inputs_digest:
        out.append("the manifests (or the lock file) changed since the plan was made")
    if saved.state_digest != state_digest:
        out.append(
            "the state changed since the plan was made (another apply ran, or a server was started or stopped)"
        )
    return out
