"""``--engine spark`` in this process, on the test run's own Spark session: chunks, order, skips.

The chunk size is shrunk to a few tasks so that one small file crosses many chunk boundaries and
the driver writes one chunk while Spark annotates the next.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from alabctl.assets.home import Home
from alabctl.runtime import spark as spark_batch
from alabctl.runtime.batch import BatchJob, BatchReport
from alabctl.spec.errors import UserError
from tests.sparknlp.repo import PROJECT
from tests.sparknlp.test_serve import TEXTS, check

pytestmark = pytest.mark.spark


def test_chunk_size_follows_the_cluster_and_stays_bounded() -> None:
    assert spark_batch.chunk_rows(1) == spark_batch.ROWS_PER_SLICE
    assert spark_batch.chunk_rows(2) == 2 * spark_batch.ROWS_PER_SLICE
    assert spark_batch.chunk_rows(10_000) == spark_batch.MAX_CHUNK


def test_chunks_are_read_lazily_with_bad_tasks_skipped(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    lines = [json.dumps({"id": i, "data": {"text": f"text {i}"}}) for i in range(7)]
    lines[3] = "{not json"
    lines[5] = json.dumps({"id": 5, "data": {"body": "no text"}})
    tasks.write_text("\n".join(lines) + "\n")
    report = BatchReport()
    job = BatchJob(build=tmp_path, project=PROJECT, tasks=tasks)
    read = spark_batch.chunks(job, "text", 2, report)
    first = next(read)
    assert [item.index for item in first] == [0, 1]
    assert report.tasks == 2  # nothing read past the first chunk yet
    rest = list(read)
    assert [[item.index for item in chunk] for chunk in rest] == [[2, 4], [6]]
    assert report.tasks == 7 and report.skipped == 2
    assert [p.split(":")[0] for p in report.problems] == ["task 3", "task 5"]


class Py4JJavaError(Exception):
    """Stands for py4j's error class, which the engine recognises by name (py4j is imported lazily)."""


def test_a_failed_spark_job_is_a_user_error_with_its_cause() -> None:
    failed: Future[list[dict[str, Any]]] = Future()
    failed.set_exception(
        Py4JJavaError(
            "An error occurred while calling o564.collectToPython.\n"
            ": org.apache.spark.SparkException: Job aborted due to stage failure\n"
            "Caused by: java.lang.IllegalArgumentException: requirement failed: Storage not found under given ref"
        )
    )
    with pytest.raises(UserError, match="Storage not found under given ref") as caught:
        spark_batch._collected(failed)
    assert "docs/engines.md" in str(caught.value.hint)
    other: Future[list[dict[str, Any]]] = Future()
    other.set_exception(KeyError("row"))
    with pytest.raises(KeyError):  # anything else is a bug, not the cluster's
        spark_batch._collected(other)


def test_many_small_chunks_keep_input_order(
    spark: Any,
    built: tuple[Path, Home, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build, home, _ = built
    monkeypatch.setenv("ALABCTL_HOME", str(home.root))
    monkeypatch.setattr(spark_batch, "ROWS_PER_SLICE", 2)  # 4 tasks per chunk on local[2]
    texts = [*TEXTS, "Olga Silva left Rome for Madrid .", "Shares fell as the market opened ."] * 3
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"id": i, "data": {"text": t}}) + "\n" for i, t in enumerate(texts)))
    out = tmp_path / "out.json"
    job = BatchJob(build=build, project=PROJECT, tasks=tasks, out=out, engine="spark")
    report = spark_batch.preannotate_spark(job, io.StringIO(), io.StringIO())
    assert (report.tasks, report.written, report.skipped) == (len(texts), len(texts), 0)
    written = json.loads(out.read_text())
    assert [t["id"] for t in written] == list(range(len(texts)))
    for task in written:
        (prediction,) = task["predictions"]
        check(spark, built, task["data"]["text"], prediction)


def test_tasks_whose_output_would_not_be_json_are_skipped(
    spark: Any,
    built: tuple[Path, Home, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build, home, _ = built
    monkeypatch.setenv("ALABCTL_HOME", str(home.root))
    tasks = tmp_path / "tasks.jsonl"
    lines = [
        json.dumps({"id": 0, "data": {"text": TEXTS[0]}, "predictions": 5}),  # was a crash
        json.dumps({"id": 1, "data": {"text": TEXTS[0]}, "predictions": "ab"}),  # was split into "a", "b"
        '{"id": 2, "data": {"text": "x"}, "meta": {"n": NaN}}',  # was written as NaN, not JSON
        json.dumps({"id": 3, "data": {"text": TEXTS[0]}}),
    ]
    tasks.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    job = BatchJob(build=build, project=PROJECT, tasks=tasks, out=out, engine="spark")
    report = spark_batch.preannotate_spark(job, io.StringIO(), io.StringIO())
    assert (report.tasks, report.written, report.skipped) == (4, 1, 3)
    assert [p.split(":")[0] for p in report.problems] == ["task 0", "task 1", "task 2"]
    assert "'predictions' is int, not a list" in report.problems[0]
    assert "NaN or Infinity" in report.problems[2]
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [3]
