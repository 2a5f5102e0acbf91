"""A project's ``model_version``: a hash of everything that shapes its predictions, and nothing else.

It covers the project's compiled config, the engine, the project's own outputs in
``pipeline.json``, the stages those outputs are computed from (followed back through their input
columns: document, sentence, token, embeddings, the models and rules), the hashes
``manifest.json`` records for the files those stages read (rule JSON, dictionaries), and the
manifest hash of every rule, model and embeddings the outputs use. Another project on the same
server, a rule no output of this project uses, or a server setting that changes no stage (host,
port, workers) leave it unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from alabctl import __version__
from alabctl.runtime.build import Build, Pipeline

VERSION_LENGTH = 16


def _stages_behind(pipeline: Pipeline, columns: Iterable[str]) -> list[Mapping[str, Any]]:
    """The stages that compute ``columns``, with every stage they read from, in pipeline order."""
    producers = {str(s.get("outputCol")): s for s in pipeline.stages}
    needed: set[str] = set()
    todo = [c for c in columns if c]
    while todo:
        column = todo.pop()
        if column in needed or column not in producers:
            continue
        needed.add(column)
        todo.extend(str(c) for c in producers[column].get("inputCols", []))
    return [s for s in pipeline.stages if str(s.get("outputCol")) in needed]


def _files_read(stage: Mapping[str, Any]) -> list[str]:
    params = stage.get("params", {})
    paths = [params.get("jsonPath"), (params.get("dictionary") or {}).get("path")]
    return [str(p) for p in paths if p]


def _resources(build: Build, predictors: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in predictors:
        for kind in ("Rule", "Model"):
            resource = build.resource(kind, name)
            if resource is None:
                continue
            out[resource.ref] = resource.sha256
            for dep in resource.depends_on:
                found = build.resources.get(dep)
                if found is not None:
                    out[found.ref] = found.sha256
    return out


def model_version(build: Build, pipeline: Pipeline, project: str) -> str:
    """``<project>-<hash>``: changes exactly when an input of the project's predictions changes."""
    outputs = pipeline.outputs_of(project)
    raw_outputs = [o for o in pipeline.raw.get("outputs", []) if o.get("project") == project]
    columns = [o.column for o in outputs] + [o.chunk_column or "" for o in outputs]
    stages = _stages_behind(pipeline, columns)
    files = {path: build.file_hash(path) for stage in stages for path in _files_read(stage)}
    shaping = {
        "alabctl": __version__,
        "engine": pipeline.engine,
        "config": hashlib.sha256(build.config_xml(project).encode("utf-8")).hexdigest(),
        "outputs": raw_outputs,
        "stages": stages,
        "files": files,
        "resources": _resources(build, sorted({o.predictor for o in outputs})),
    }
    digest = hashlib.sha256(json.dumps(shaping, sort_keys=True).encode("utf-8")).hexdigest()
    return f"{project}-{digest[:VERSION_LENGTH]}"
