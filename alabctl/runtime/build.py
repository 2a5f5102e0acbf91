"""Reading a compiled build folder (``alabctl compile --out``): the runtime's only input.

A build is the deployable unit: ``manifest.json`` (every resource with its hash and dependencies),
``servers/<s>/pipeline.json`` (stages, outputs, engine, host and port), ``projects/<p>/config.xml``
and ``rules/*``. Every JSON file's ``schemaVersion`` is checked; a missing, foreign or corrupt
build is a :class:`~alabctl.spec.errors.UserError` that names the file and how to fix it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alabctl.spec.errors import UserError

MANIFEST_SCHEMA_VERSION = 1
PIPELINE_SCHEMA_VERSION = 1
REBUILD = "compile it again with 'alabctl compile -f REPO --out DIR'"


@dataclass(frozen=True)
class Output:
    """One ``outputs[]`` entry of ``pipeline.json``: which engine column feeds which control of a project."""

    column: str
    project: str
    kind: str
    """rule | ner | assertion | relation | classification."""
    predictor: str
    from_name: str
    to_name: str
    type: str
    """The control tag lower-cased: labels, rectanglelabels, choices, relation."""
    labels: Mapping[str, str]
    """Predictor label -> project label; a label not in the map is filtered out."""
    chunk_column: str | None = None


@dataclass(frozen=True)
class Pipeline:
    """A server's compiled pipeline (``servers/<s>/pipeline.json``)."""

    server: str
    engine: str
    host: str
    port: int | None
    projects: tuple[str, ...]
    outputs: tuple[Output, ...]
    stages: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def rules(self) -> list[str]:
        """The rule names the server runs, sorted."""
        return sorted({o.predictor for o in self.outputs if o.kind == "rule"})

    @property
    def models(self) -> list[str]:
        """The model names the server's outputs come from (empty for a rule-only server)."""
        return sorted({o.predictor for o in self.outputs if o.kind != "rule"})

    def outputs_of(self, project: str) -> list[Output]:
        return [o for o in self.outputs if o.project == project]


@dataclass(frozen=True)
class Resource:
    """One ``manifest.json`` resource."""

    kind: str
    name: str
    sha256: str
    depends_on: tuple[str, ...]
    artifacts: Mapping[str, str]

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Build:
    """A compiled build folder, checked."""

    root: Path
    resources: Mapping[str, Resource]
    """``Kind/name`` -> resource."""

    def resource(self, kind: str, name: str) -> Resource | None:
        return self.resources.get(f"{kind}/{name}")

    @property
    def servers(self) -> list[str]:
        return sorted(r.name for r in self.resources.values() if r.kind == "Server")

    def server_hash(self, server: str) -> str:
        found = self.resource("Server", server)
        if found is None:
            raise self.no_server(server)
        return found.sha256

    def no_server(self, server: str) -> UserError:
        known = ", ".join(self.servers) or "none"
        return UserError(
            f"{self.root}: the build has no server '{server}' (servers: {known})",
            "a project without 'server:' gets a server of its own name",
        )

    def pipeline(self, server: str) -> Pipeline:
        """Read and check ``servers/<server>/pipeline.json``."""
        if self.resource("Server", server) is None:
            raise self.no_server(server)
        raw = read_json(self.root / "servers" / server / "pipeline.json", PIPELINE_SCHEMA_VERSION)
        try:
            return _pipeline(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(
                f"{self.root / 'servers' / server / 'pipeline.json'}: not a pipeline alabctl wrote ({exc!r})",
                REBUILD,
            ) from exc

    def config_xml(self, project: str) -> str:
        """The project's compiled labeling config."""
        path = self.root / "projects" / project / "config.xml"
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot read the project's labeling config ({exc})", REBUILD) from exc

    def file_hash(self, rel: str) -> str | None:
        """The sha256 ``manifest.json`` records for a build file."""
        for resource in self.resources.values():
            if rel in resource.artifacts:
                return resource.artifacts[rel]
        return None


def read_json(path: Path, version: int) -> dict[str, Any]:
    """A JSON object alabctl wrote, with the schema version it expects."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise UserError(f"{path}: missing; is this a build folder?", REBUILD) from exc
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: corrupt ({exc})", REBUILD) from exc
    if not isinstance(data, dict) or "schemaVersion" not in data:
        raise UserError(f"{path}: not written by alabctl (no schemaVersion)", REBUILD)
    if data["schemaVersion"] != version:
        raise UserError(
            f"{path}: schemaVersion {data['schemaVersion']!r}, this alabctl reads {version}",
            "compile it with this version of alabctl",
        )
    return data


def _output(raw: Mapping[str, Any]) -> Output:
    return Output(
        column=str(raw["column"]),
        project=str(raw["project"]),
        kind=str(raw["kind"]),
        predictor=str(raw["predictor"]),
        from_name=str(raw["fromName"]),
        to_name=str(raw["toName"]),
        type=str(raw["type"]),
        labels={str(k): str(v) for k, v in dict(raw["labels"]).items()},
        chunk_column=raw.get("chunkColumn"),
    )


def _pipeline(raw: Mapping[str, Any]) -> Pipeline:
    port = raw.get("port")
    return Pipeline(
        server=str(raw["server"]),
        engine=str(raw["engine"]),
        host=str(raw.get("host") or "127.0.0.1"),
        port=int(port) if port is not None else None,
        projects=tuple(str(p) for p in raw["projects"]),
        outputs=tuple(_output(o) for o in raw["outputs"]),
        stages=tuple(raw["stages"]),
        raw=raw,
    )


def _resource(raw: Mapping[str, Any]) -> Resource:
    return Resource(
        kind=str(raw["kind"]),
        name=str(raw["name"]),
        sha256=str(raw["sha256"]),
        depends_on=tuple(str(d) for d in raw.get("dependsOn", [])),
        artifacts={str(k): str(v) for k, v in dict(raw.get("artifacts", {})).items()},
    )


def load_build(root: Path) -> Build:
    """Open a build folder: ``manifest.json`` read and checked; the rest is read on demand."""
    if not root.is_dir():
        raise UserError(f"{root}: no such build folder", REBUILD)
    raw = read_json(root / "manifest.json", MANIFEST_SCHEMA_VERSION)
    try:
        resources = [_resource(r) for r in raw["resources"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{root / 'manifest.json'}: not a manifest alabctl wrote ({exc!r})", REBUILD) from exc
    return Build(root=root.resolve(), resources={r.ref: r for r in resources})
