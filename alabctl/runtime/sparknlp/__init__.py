"""The ``sparknlp`` engine: compiled pipelines run by Spark NLP on a local JVM (see :mod:`.engine`).

Spark and Spark NLP are imported only inside this package, and only when an engine is loaded.
:func:`load_engine` is what the engine factory (:mod:`alabctl.runtime.engines`) calls.
"""

from __future__ import annotations

from alabctl.assets.home import Home, resolve_home
from alabctl.runtime.build import Build, Pipeline
from alabctl.runtime.engine import Engine


def load_engine(build: Build, pipeline: Pipeline, home: Home | None = None) -> Engine:
    """The server's Spark NLP stages on this process's JVM, its rules in the native engine beside them.

    Pretrained stages load from the asset store ``home`` (default: ``$ALABCTL_HOME``, else ``~/.alabctl``).
    """
    from alabctl.runtime.sparknlp.engine import SparkNlpEngine

    rules: Engine | None = None
    if pipeline.rules:
        from alabctl.runtime.native import NativeEngine

        rules = NativeEngine(build, pipeline)
    return SparkNlpEngine(pipeline.raw, home or resolve_home(), rules)
