"""The desired state: the compiled build as typed values, for the reconciler to diff.

Read from ``manifest.json`` (with its schema version checked) and the lock file: every compiled
resource keyed by kind and name with its content hash and dependencies, every server with the
hash of what it runs, and every hub asset with the pin (cache key, URL, size) to download it by.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alabctl.spec.errors import PermanentError

if TYPE_CHECKING:  # reading a cached desired state (a no-op plan) loads neither the compiler nor pydantic
    from alabctl.spec.repository import Repository

DESIRED_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CompiledResource:
    """One entry of ``manifest.json``: ``Kind/name``, its sha256, its artifacts and dependencies."""

    kind: str
    name: str
    sha256: str
    depends_on: tuple[str, ...] = ()
    artifacts: Mapping[str, str] = field(default_factory=dict)
    builtin: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class AssetPin:
    """How to fetch one hub asset: what the lock file pins."""

    name: str
    type: str
    key: str
    repository: str
    language: str
    url: str
    size: int | None = None


@dataclass(frozen=True)
class DesiredServer:
    """A pre-annotation server as the build wants it."""

    name: str
    digest: str
    """What a deployment is keyed by: the server's compiled hash and its projects' configs."""
    build: str
    """The server's sha256 in ``manifest.json`` (pipeline and everything it loads)."""
    projects: tuple[str, ...]
    assets: tuple[str, ...]
    """``Model/x`` and ``Embeddings/y`` references the server loads."""
    files: tuple[str, ...]
    """Build-relative paths a deployment of this server carries."""
    host: str = "127.0.0.1"
    port: int | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    """``Kind/name`` -> sha256 of each thing the server's digest covers (to name what changed)."""


@dataclass(frozen=True)
class DesiredState:
    """Everything a build declares, with content hashes."""

    resources: Mapping[str, CompiledResource]
    servers: Mapping[str, DesiredServer]
    pins: Mapping[str, AssetPin]
    """``Model/x`` / ``Embeddings/y`` -> the lock's pin, for hub assets."""
    digest: str
    """sha256 of ``manifest.json`` and the pins: the plan's inputs digest."""
    origins: Mapping[str, str] = field(default_factory=dict)
    """``Model/x`` -> where it comes from (hub folder URL, repository path or URL), for messages."""

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": DESIRED_SCHEMA_VERSION,
            "resources": [_resource_json(r) for r in self.resources.values()],
            "servers": [_server_json(s) for s in self.servers.values()],
            "pins": {k: vars(p) for k, p in self.pins.items()},
            "digest": self.digest,
            "origins": dict(self.origins),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DesiredState:
        if data.get("schemaVersion") != DESIRED_SCHEMA_VERSION:
            raise PermanentError(
                f"desired state has schema version {data.get('schemaVersion')!r}; "
                f"this alabctl reads {DESIRED_SCHEMA_VERSION}",
                "compile again with this alabctl",
            )
        resources = [_resource(r) for r in data["resources"]]
        servers = [_server(s) for s in data["servers"]]
        return cls(
            {r.ref: r for r in resources},
            {s.name: s for s in servers},
            {k: AssetPin(**v) for k, v in data["pins"].items()},
            str(data["digest"]),
            dict(data.get("origins", {})),
        )


def _resource_json(r: CompiledResource) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "name": r.name,
        "sha256": r.sha256,
        "dependsOn": list(r.depends_on),
        "artifacts": dict(r.artifacts),
        "builtin": r.builtin,
    }


def _resource(d: Mapping[str, Any]) -> CompiledResource:
    return CompiledResource(
        kind=str(d["kind"]),
        name=str(d["name"]),
        sha256=str(d["sha256"]),
        depends_on=tuple(d.get("dependsOn", ())),
        artifacts=dict(d.get("artifacts", {})),
        builtin=bool(d.get("builtin", False)),
    )


def _server_json(s: DesiredServer) -> dict[str, Any]:
    data = dict(vars(s))
    data["inputs"] = dict(s.inputs)
    for key in ("projects", "assets", "files"):
        data[key] = list(data[key])
    return data


def _server(d: Mapping[str, Any]) -> DesiredServer:
    return DesiredServer(
        name=str(d["name"]),
        digest=str(d["digest"]),
        build=str(d["build"]),
        projects=tuple(d["projects"]),
        assets=tuple(d["assets"]),
        files=tuple(d["files"]),
        host=str(d.get("host", "127.0.0.1")),
        port=d.get("port"),
        inputs=dict(d.get("inputs", {})),
    )


def read_manifest(data: bytes) -> list[CompiledResource]:
    """The resources of a ``manifest.json``; a permanent error for another schema version."""
    from alabctl.compile.build import MANIFEST_SCHEMA_VERSION

    manifest = json.loads(data)
    version = manifest.get("schemaVersion") if isinstance(manifest, dict) else None
    if version != MANIFEST_SCHEMA_VERSION:
        raise PermanentError(
            f"manifest.json has schema version {version!r}; this alabctl reads {MANIFEST_SCHEMA_VERSION}",
            "compile the repository again with this alabctl",
        )
    return [_resource(r) for r in manifest["resources"]]


def _server_files(
    resources: Mapping[str, CompiledResource], server: CompiledResource, projects: list[CompiledResource]
) -> list[str]:
    files = ["manifest.json", *server.artifacts]
    for ref in server.depends_on:
        dep = resources.get(ref)
        if dep is not None:
            files.extend(dep.artifacts)
    for project in projects:
        files.extend(project.artifacts)
    return sorted(set(files))


def _digest(value: Any) -> str:
    from alabctl.compile.build import canonical_json

    return hashlib.sha256(canonical_json(value)).hexdigest()


def desired_state(manifest: bytes, repo: Repository) -> DesiredState:
    """The desired state of a compiled build (its ``manifest.json``) of ``repo``."""
    resources = {r.ref: r for r in read_manifest(manifest)}
    pins: dict[str, AssetPin] = {}
    for r in resources.values():
        if r.kind in ("Model", "Embeddings") and repo.lock is not None:
            locked = repo.lock.find(r.name)
            if locked is not None:
                pins[r.ref] = AssetPin(
                    r.name, r.kind, locked.key, locked.repository, locked.language, locked.url, locked.size
                )
    on_server: dict[str, list[CompiledResource]] = {}
    for r in resources.values():
        if r.kind == "Project":
            for ref in r.depends_on:
                on_server.setdefault(ref, []).append(r)
    servers = {}
    for r in resources.values():
        if r.kind != "Server":
            continue
        hosted = sorted(on_server.get(r.ref, []), key=lambda p: p.name)
        projects = [p.name for p in hosted]
        inputs = {r.ref: r.sha256} | {p.ref: p.sha256 for p in hosted}
        inputs |= {d: resources[d].sha256 for d in r.depends_on if d in resources}
        spec = repo.server(r.name)
        servers[r.name] = DesiredServer(
            name=r.name,
            digest=_digest({"in": inputs, "host": spec.host, "port": spec.port}),
            build=r.sha256,
            projects=tuple(projects),
            assets=tuple(d for d in r.depends_on if d.split("/")[0] in ("Model", "Embeddings")),
            files=tuple(_server_files(resources, r, hosted)),
            host=spec.host,
            port=spec.port,
            inputs=inputs,
        )
    from alabctl.compile.build import canonical_json

    digest = hashlib.sha256(manifest + canonical_json({k: vars(p) for k, p in pins.items()})).hexdigest()
    return DesiredState(resources, servers, pins, digest, _origins(repo, resources))


def _origins(repo: Repository, resources: Mapping[str, CompiledResource]) -> dict[str, str]:
    out = {}
    hub = repo.hub().url.rstrip("/")
    for r in resources.values():
        if r.kind not in ("Model", "Embeddings"):
            continue
        declared = repo.get(r.kind, r.name)
        source = declared.manifest.spec.source if declared else None  # type: ignore[union-attr]
        if source is None or source.hub is not None:
            folder = source.hub.repository if source is not None and source.hub else "public/models"
            out[r.ref] = f"the hub folder {hub}/{folder}"
        elif source.path is not None:
            out[r.ref] = f"the repository path {source.path}"
        else:
            out[r.ref] = f"the URL {source.url}"
    return out
