"""The ``sparknlp`` engine: a server's compiled pipeline on a warm JVM, through a ``LightPipeline``.

Loading checks before it serves: the pipeline's Spark NLP version against the running one, every
pretrained stage against the lock and the store (:mod:`.pinning`), licensed stages refused
(:mod:`.assembly`). Rules run in the native rules engine beside the Spark NLP stages; their
columns are merged into the same findings.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alabctl.assets.home import Home
from alabctl.compile.sparknlp.versions import is_compatible, parse_version
from alabctl.runtime.engine import Engine, Findings
from alabctl.runtime.sparknlp.assembly import fit_pipeline, plan
from alabctl.runtime.sparknlp.findings import Column, findings
from alabctl.runtime.sparknlp.offsets import offset_map
from alabctl.runtime.sparknlp.pinning import check_pinned
from alabctl.runtime.sparknlp.session import SessionOptions, spark_session
from alabctl.spec.errors import UserError

SPARK_KINDS = frozenset({"ner", "classification"})


@dataclass(frozen=True, slots=True)
class _Annotation:
    """The fields of a JVM annotation the findings read, copied once."""

    begin: int
    end: int
    result: str
    metadata: Mapping[str, str]


def _copy(java: Any) -> _Annotation:
    return _Annotation(int(java.begin()), int(java.end()), str(java.result()), dict(java.metadata()))


def output_columns(outputs: Sequence[Mapping[str, Any]]) -> list[Column]:
    """The Spark NLP output columns to read, once each, in a stable order (pure)."""
    seen: dict[str, Column] = {}
    for out in outputs:
        kind = str(out.get("kind"))
        if kind not in SPARK_KINDS:
            continue
        name = str(out["column"])
        seen.setdefault(
            name,
            Column(
                name, kind, str(out.get("labelKey") or "result"), out.get("scoreKey"), str(out["predictor"])
            ),
        )
    return [seen[k] for k in sorted(seen)]


def check_version(raw: Mapping[str, Any], running: str) -> None:
    """The pipeline was compiled for a Spark NLP version this one can run (Spark NLP's own rule)."""
    wanted = str(raw.get("sparkNlpVersion") or "")
    if not is_compatible(parse_version(running), parse_version(wanted)):
        raise UserError(
            f"server '{raw.get('server')}' was compiled for Spark NLP {wanted}, this machine runs {running}",
            "set the Hub's sparkNlpVersion to the installed version and compile again, or install that version",
        )


class SparkNlpEngine:
    """Implements :class:`~alabctl.runtime.engine.Engine` on Spark NLP; ``predict`` is thread-safe."""

    def __init__(
        self,
        raw: Mapping[str, Any],
        home: Home,
        rules: Engine | None = None,
        options: SessionOptions | None = None,
    ) -> None:
        split = plan(list(raw.get("stages", [])))
        if (
            split.native_stages
            and rules is None
            and any(o.get("kind") == "rule" for o in raw.get("outputs", []))
        ):
            raise UserError(
                f"server '{raw.get('server')}': its rules need the native rules engine, which is not available",
                "install alabctl with its rules engine, or remove the rules from the server's projects",
            )
        pinned = check_pinned(split.spark_stages, home)
        self._session = spark_session(home.root, options)
        import sparknlp
        from sparknlp.base import LightPipeline

        check_version(raw, sparknlp.version())
        self.model = fit_pipeline(self._session, split.spark_stages, pinned)
        self._light = LightPipeline(self.model)
        self._columns = output_columns(list(raw.get("outputs", [])))
        self._names = [c.name for c in self._columns]
        self.rules = rules
        self._lock = threading.Lock()

    def _annotate(self, texts: Sequence[str]) -> list[Mapping[str, Any]]:
        with self._lock:
            # the JVM call under LightPipeline.fullAnnotate, reading back only the output columns:
            # converting every column (tokens, embeddings) costs a py4j round trip per annotation,
            # and fullAnnotate would read a text that names an existing file as an image path
            java = self._light._lightPipeline.fullAnnotateJava(list(texts))
            return [{c: [_copy(a) for a in (row.get(c) or [])] for c in self._names} for row in java]

    @property
    def columns(self) -> list[str]:
        """The Spark NLP output columns the engine reads."""
        return [c.name for c in self._columns]

    @property
    def session(self) -> Any:
        """The Spark session the pipeline runs on."""
        return self._session

    def read(self, result: Mapping[str, Sequence[Any]], text: str) -> Findings:
        """Findings from one row of annotations (a ``fullAnnotate`` dict or a DataFrame row as a dict)."""
        return findings(result, self._columns, offset_map(text))

    def _spark(self, texts: Sequence[str]) -> list[Findings]:
        if not self._columns:
            return [{} for _ in texts]
        try:
            batch = self._annotate(texts)
        except Exception:  # one bad text must not fail the others: retry one by one
            batch = []
            for text in texts:
                try:
                    batch.append(self._annotate([text])[0])
                except Exception:
                    batch.append({})
        return [
            findings(result, self._columns, offset_map(text))
            for text, result in zip(texts, batch, strict=True)
        ]

    def predict(self, texts: Sequence[str]) -> list[Findings]:
        """One ``Findings`` per text: the Spark NLP columns, then the rule columns."""
        found = self._spark(list(texts))
        if self.rules is None:
            return found
        ruled = self.rules.predict(texts)
        return [{**spark, **rules} for spark, rules in zip(found, ruled, strict=True)]

    def close(self) -> None:
        """Drop the pipeline; the JVM stays up for the next build (one per process)."""
        if self.rules is not None:
            self.rules.close()
        self._light = None
        self.model = None
