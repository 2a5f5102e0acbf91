"""The whole compile: a checked repository -> every artifact of SPEC §4, as ``{path: bytes}``.

Steps: each project's labeling config, each server's pipeline spec and script, each rule's
ContextualParser JSON (and dictionary CSV), then ``manifest.json`` with the sha256 of every
artifact and the dependency graph (project -> server -> models, rules, embeddings) that ``plan``
diffs. Pure and deterministic: sorted keys, no timestamps, no absolute paths.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from alabctl.compile.contextual import to_contextual_parser
from alabctl.compile.labelconfig import compile_label_config
from alabctl.compile.pipeline import compile_pipeline
from alabctl.compile.render import render_pipeline_script
from alabctl.spec.kinds import RuleManifest
from alabctl.spec.kinds.manifest import Kind
from alabctl.spec.readfile import FileKind, read_text
from alabctl.spec.repository import DEFAULT_EMBEDDINGS, Repository

MANIFEST_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Build:
    """Compiled artifacts by path relative to the output folder, ``manifest.json`` included."""

    files: dict[str, bytes]

    @property
    def manifest(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.files["manifest.json"])
        return loaded


_ORJSON_OPTIONS = (
    orjson.OPT_INDENT_2
    | orjson.OPT_SORT_KEYS
    | orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)

_DIGITS = frozenset(b"0123456789")


def _small_float(data: bytes) -> bool:
    """Whether orjson may have written a float unlike ``repr`` does: ``1e-7`` for ``1e-07``,
    ``0.00001`` for ``1e-05`` (a superset: the same bytes in a string count too)."""
    if b".0000" in data:
        return True
    at = data.find(b"e-")
    while at > 0:
        if data[at - 1] in _DIGITS:
            return True
        at = data.find(b"e-", at + 2)
    return False


def _stdlib_json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys, 2-space indentation and a trailing newline: stable bytes.

    The bytes are those of ``json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)`` plus
    a newline, written by orjson (the standard library's indenting encoder is pure Python, and
    was most of the compile step). Whatever orjson refuses (integers beyond 64 bits, keys that are
    not strings) or may write differently (floats below 1e-4) goes through the standard library.
    NaN and infinities, which no manifest field can hold, are written ``null`` (valid JSON).
    """
    try:
        data = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError
        return _stdlib_json(value)
    if _small_float(data):
        return _stdlib_json(value)
    return bytes(memoryview(data))  # an exact-size copy: orjson's buffer keeps its spare capacity


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rule_dictionary(rule: RuleManifest, texts: Mapping[str, str]) -> str | None:
    dictionary = rule.spec.dictionary
    if dictionary is None or dictionary.file is None:
        return None
    return texts.get(rule.name)


def compile_rules(repo: Repository, dictionaries: Mapping[str, str]) -> dict[str, bytes]:
    """``rules/<name>.json`` and ``rules/<name>.csv`` for every rule a project uses."""
    return dict(_rule_files(repo, dictionaries))


def _rule_files(repo: Repository, dictionaries: Mapping[str, str]) -> Iterator[tuple[str, bytes]]:
    used = sorted(
        {name for project, _ in repo.projects() if project.spec.ner for name in project.spec.ner.rules}
    )
    for name in used:
        rule = repo.rule(name)
        if rule is None:
            continue
        data, csv_text = to_contextual_parser(rule, _rule_dictionary(rule, dictionaries))
        yield f"rules/{name}.json", canonical_json(data)
        if csv_text is not None:
            yield f"rules/{name}.csv", csv_text.encode()


def _asset_digest(repo: Repository, kind: str, name: str) -> str:
    """The sha256 of what defines a model or embeddings: its manifest spec and its lock entry."""
    resource = repo.get(kind, name)
    spec = resource.manifest.spec.model_dump(mode="json", by_alias=True) if resource else None
    locked = None
    if repo.lock is not None:
        asset = repo.lock.find(name)
        locked = asset.model_dump(mode="json", by_alias=True) if asset else None
    return sha256(canonical_json({"spec": spec, "lock": locked}))


def _server_dependencies(repo: Repository, server: str) -> list[str]:
    deps: set[str] = set()
    for project, _ in repo.projects_on(server):
        for binding in project.bindings():
            deps.add(f"Model/{binding.model}")
            facts = repo.model_facts(binding.model)
            if facts is not None and facts.embeddings:
                deps.add(f"Embeddings/{facts.embeddings}")
        if project.spec.ner:
            deps.update(f"Rule/{rule}" for rule in project.spec.ner.rules)
    return sorted(deps)


def build_manifest(repo: Repository, files: Mapping[str, bytes]) -> dict[str, Any]:
    """Every resource with the sha256 of its compiled form and what it depends on."""
    return manifest_of(repo, {path: sha256(data) for path, data in files.items()})


def manifest_of(repo: Repository, digests: Mapping[str, str]) -> dict[str, Any]:
    """:func:`build_manifest` from the sha256 of each compiled file (by path) instead of the files."""
    resources: list[dict[str, Any]] = []
    for project, _ in repo.projects():
        path = f"projects/{project.name}/config.xml"
        server = repo.server_name(project)
        resources.append(
            {
                "kind": Kind.PROJECT,
                "name": project.name,
                "artifacts": {path: digests[path]},
                "sha256": digests[path],
                "dependsOn": [f"Server/{server}"],
            }
        )
    servers: list[dict[str, Any]] = []
    for server in repo.server_names():
        paths = [f"servers/{server}/pipeline.json", f"servers/{server}/pipeline.py"]
        servers.append(
            {
                "kind": Kind.SERVER,
                "name": server,
                "artifacts": {p: digests[p] for p in paths if p in digests},
                "dependsOn": _server_dependencies(repo, server),
            }
        )
    rule_names = sorted({p.split("/")[1].rsplit(".", 1)[0] for p in digests if p.startswith("rules/")})
    for name in rule_names:
        artifacts = {p: digests[p] for p in (f"rules/{name}.json", f"rules/{name}.csv") if p in digests}
        combined = sha256(canonical_json(artifacts))
        resources.append(
            {"kind": Kind.RULE, "name": name, "artifacts": artifacts, "sha256": combined, "dependsOn": []}
        )
    models = sorted({d.split("/", 1)[1] for r in servers for d in r["dependsOn"] if d.startswith("Model/")})
    for name in models:
        facts = repo.model_facts(name)
        deps = [f"Embeddings/{facts.embeddings}"] if facts and facts.embeddings else []
        resources.append(
            {
                "kind": Kind.MODEL,
                "name": name,
                "sha256": _asset_digest(repo, Kind.MODEL, name),
                "dependsOn": deps,
            }
        )
    embeddings = sorted(
        {
            d.split("/", 1)[1]
            for r in [*servers, *resources]
            for d in r["dependsOn"]
            if d.startswith("Embeddings/")
        }
    )
    for name in embeddings:
        resources.append(
            {
                "kind": Kind.EMBEDDINGS,
                "name": name,
                "sha256": _asset_digest(repo, Kind.EMBEDDINGS, name),
                "dependsOn": [],
                "builtin": name == DEFAULT_EMBEDDINGS and repo.get(Kind.EMBEDDINGS, name) is None,
            }
        )
    # a server's hash covers what it runs: its pipeline and everything the pipeline loads, so a
    # changed rule or a re-pinned model redeploys exactly the servers that use it
    digests = {f"{r['kind']}/{r['name']}": r["sha256"] for r in resources}
    for server_resource in servers:
        inputs = {
            "artifacts": server_resource["artifacts"],
            "dependencies": {d: digests.get(d) for d in server_resource["dependsOn"]},
        }
        server_resource["sha256"] = sha256(canonical_json(inputs))
    resources.extend(servers)
    resources.sort(key=lambda r: (r["kind"], r["name"]))
    return {"schemaVersion": MANIFEST_SCHEMA_VERSION, "resources": resources}


def compile_repository(
    repo: Repository, dictionaries: Mapping[str, str], configs: Mapping[str, bytes] | None = None
) -> Build:
    """Every artifact. ``dictionaries`` maps a rule name to its dictionary file's text; ``configs``
    holds labeling configs the checks already compiled (by project name), built only when missing."""
    return Build(dict(compile_files(repo, dictionaries, configs)))


def compile_files(
    repo: Repository, dictionaries: Mapping[str, str], configs: Mapping[str, bytes] | None = None
) -> Iterator[tuple[str, bytes]]:
    """:func:`compile_repository`'s artifacts one at a time, as ``(path, bytes)`` in the same order,
    ``manifest.json`` last: a caller that writes each one as it comes never holds them all (only
    their sha256 are kept, for the manifest)."""
    digests: dict[str, str] = {}

    def made(path: str, data: bytes) -> tuple[str, bytes]:
        digests[path] = sha256(data)
        return path, data

    built = configs or {}
    for project, _ in repo.projects():
        xml = built.get(project.name)
        yield made(
            f"projects/{project.name}/config.xml",
            xml if xml is not None else compile_label_config(project, repo),
        )
    for server in repo.server_names():
        spec = compile_pipeline(server, repo)
        yield made(f"servers/{server}/pipeline.json", canonical_json(spec))
        yield made(f"servers/{server}/pipeline.py", render_pipeline_script(spec).encode())
    for path, data in _rule_files(repo, dictionaries):
        yield made(path, data)
    yield "manifest.json", canonical_json(manifest_of(repo, digests))


def read_dictionaries(repo: Repository) -> dict[str, str]:
    """The text of every rule's dictionary file (the one read the compile step does)."""
    texts: dict[str, str] = {}
    for _, rule, file in repo.dictionary_files():
        path = file.resolve()
        if repo.root in path.parents:
            texts[rule.name] = read_text(path, FileKind.DICTIONARY, encoding="utf-8-sig")
    return texts
