"""Which engine runs a server: a factory keyed by ``pipeline.json``'s ``engine``.

``native`` runs rule-only servers in-process. ``sparknlp`` is looked up lazily in
``alabctl.runtime.sparknlp`` (a module exposing ``load_engine(build, pipeline) -> Engine``); an
engine plugs in by adding a loader to :data:`LOADERS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from alabctl.runtime.build import Build, Pipeline
from alabctl.runtime.engine import Engine
from alabctl.spec.errors import UserError

EngineLoader = Callable[[Build, Pipeline], Engine]


def _native(build: Build, pipeline: Pipeline) -> Engine:
    if pipeline.models:
        raise UserError(
            f"server '{pipeline.server}' uses models ({', '.join(pipeline.models)}) but its engine is "
            "'native', which runs only regex and dictionary rules",
            "set 'engine: sparknlp' (or 'auto') on the Server manifest, or move the models' projects "
            "to a server of their own, and compile again",
        )
    from alabctl.runtime.native import NativeEngine

    return NativeEngine(build, pipeline)


def _sparknlp(build: Build, pipeline: Pipeline) -> Engine:
    try:
        module = importlib.import_module("alabctl.runtime.sparknlp")
    except ImportError as exc:
        raise UserError(
            f"server '{pipeline.server}' needs the sparknlp engine, which is not available here ({exc})",
            "install alabctl[spark] with a Spark NLP jar, or serve a rule-only server with engine native",
        ) from exc
    return cast(EngineLoader, module.load_engine)(build, pipeline)


LOADERS: dict[str, EngineLoader] = {"native": _native, "sparknlp": _sparknlp}
"""``pipeline.json`` ``engine`` -> loader. ``auto`` was resolved by compile."""


def load_engine(build: Build, pipeline: Pipeline) -> Engine:
    """The engine the pipeline asks for, loaded; a clear UserError when it cannot run here."""
    loader = LOADERS.get(pipeline.engine)
    if loader is None:
        raise UserError(
            f"server '{pipeline.server}': unknown engine {pipeline.engine!r} in pipeline.json",
            f"engines this alabctl runs: {', '.join(sorted(LOADERS))}",
        )
    return loader(build, pipeline)
