"""From ``pipeline.json``'s stages to a fitted Spark NLP ``PipelineModel`` (Spark imported here, lazily).

- Pretrained stages load from their checked folders (:mod:`.pinning`), never from the network.
- Rule stages (``ContextualParserApproach``, which needs the licensed jar) are left out: the
  native rules engine runs those rules beside this pipeline.
- On a cluster (a master that is not ``local``), word-embedding stores are loaded into memory and
  broadcast to the executors (``enableInMemoryStorage``): their RocksDB index would otherwise have
  to sit on a file system every executor reads.
- Any other licensed stage (Spark NLP for Healthcare) is refused with a clear error.
- Only classes of the open-source Spark NLP modules are built, each by name from a fixed table,
  and parameters only through their ``set<Param>`` methods: a pipeline file is data, never code.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alabctl.compile.sparknlp.annotators import ANNOTATORS
from alabctl.runtime.sparknlp.pinning import PinnedStage
from alabctl.spec.errors import UserError

NATIVE_CLASSES = frozenset({"ContextualParserApproach"})
"""Stages the native rules engine runs instead of Spark NLP."""
OPEN_MODULES = frozenset({"sparknlp.base", "sparknlp.annotator"})
LICENSE_HINT = (
    "this stage needs Spark NLP for Healthcare (the licensed jar and the spark-nlp-jsl package), "
    "which this engine does not load; serve the project's open-source models and rules only"
)


@dataclass(frozen=True)
class Plan:
    """What the engine runs in Spark NLP, and what it leaves to the native rules engine."""

    spark_stages: tuple[Mapping[str, Any], ...]
    native_stages: tuple[Mapping[str, Any], ...]


def plan(stages: Sequence[Mapping[str, Any]]) -> Plan:
    """Split the stages; a licensed stage that is not a rule is a UserError (pure)."""
    spark: list[Mapping[str, Any]] = []
    native: list[Mapping[str, Any]] = []
    for stage in stages:
        cls = str(stage.get("class"))
        if cls in NATIVE_CLASSES:
            native.append(stage)
            continue
        row = ANNOTATORS.get(cls)
        if row is None:
            raise UserError(f"stage '{stage.get('name')}': unknown annotator class '{cls}'", "compile again")
        if row.licensed:
            raise UserError(f"stage '{stage.get('name')}' ({cls}): licensed", LICENSE_HINT)
        if row.module not in OPEN_MODULES or stage.get("module") != row.module:
            raise UserError(
                f"stage '{stage.get('name')}': module {stage.get('module')!r} for {cls}", "compile again"
            )
        spark.append(stage)
    return Plan(tuple(spark), tuple(native))


def _setter(obj: Any, stage: Mapping[str, Any], param: str) -> Any:
    name = "set" + param[:1].upper() + param[1:]
    method = getattr(obj, name, None)
    if method is None or not callable(method):
        raise UserError(
            f"stage '{stage.get('name')}' ({stage.get('class')}): no parameter '{param}' in Spark NLP",
            "compile again with this alabctl",
        )
    return method


def _build(stage: Mapping[str, Any], pinned: PinnedStage | None, cluster: bool = False) -> Any:
    cls_name = str(stage["class"])
    row = ANNOTATORS[cls_name]
    cls = getattr(importlib.import_module(row.module), cls_name)
    obj = _load(cls, stage, pinned) if pinned is not None else cls()
    if row.single_input:
        obj.setInputCol(stage["inputCols"][0])
    else:
        obj.setInputCols(list(stage["inputCols"]))
    obj.setOutputCol(str(stage["outputCol"]))
    for param, value in dict(stage.get("params") or {}).items():
        if param == "storageRef" and pinned is not None:
            continue  # a loaded model keeps its own ref (checked equal); Spark NLP refuses a second set
        _setter(obj, stage, param)(value)
    if cluster and hasattr(obj, "setEnableInMemoryStorage"):
        obj.setEnableInMemoryStorage(True)
    return obj


def _load(cls: Any, stage: Mapping[str, Any], pinned: PinnedStage) -> Any:
    """The stage's model read from the store; a folder Spark NLP cannot read is the user's to fix
    (an interrupted copy, a file removed by hand), not a crash."""
    from py4j.protocol import Py4JJavaError

    try:
        return cls.load(str(pinned.path))
    except Py4JJavaError as exc:
        name = str((stage.get("pretrained") or {}).get("name") or pinned.key)
        raise UserError(
            f"stage '{pinned.name}' ({pinned.cls}): Spark NLP cannot load {pinned.path}: {_java_reason(exc)}",
            f"the store's copy of '{name}' is incomplete or damaged: run 'alabctl hub redownload {name}'",
        ) from None


def _java_reason(exc: Exception) -> str:
    """The Java exception's own one-line message (its class and text), without the stack."""
    try:
        return str(exc.java_exception.toString())  # type: ignore[attr-defined]
    except Exception:  # a JVM already gone: the Python side's first line will do
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def fit_pipeline(session: Any, stages: Sequence[Mapping[str, Any]], pinned: Mapping[str, PinnedStage]) -> Any:
    """The fitted ``PipelineModel`` of the Spark NLP stages (rule-based approaches fit on an empty frame)."""
    from pyspark.ml import Pipeline

    cluster = not str(session.sparkContext.master).startswith("local")
    built = [_build(s, pinned.get(str(s["name"])), cluster) for s in stages]
    empty = session.createDataFrame([[""]]).toDF("text")
    return Pipeline(stages=built).fit(empty)
