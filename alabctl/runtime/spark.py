"""``alabctl preannotate --engine spark``: the server's pipeline on Spark DataFrames, chunk by chunk.

Steps: the driver streams the task file (:mod:`alabctl.runtime.taskfile`; unreadable tasks
reported and skipped) in chunks of at most :func:`chunk_rows` tasks -> each chunk's texts become a
DataFrame (``createDataFrame`` from the driver: one slice per core of the cluster, nothing for the
executors to read from the driver's disk, no Python on the executors) -> the fitted Spark NLP
pipeline transforms it on the executors (``local[*]`` by default, any master URL) -> the driver
collects only the output columns of that chunk, turns each row into a checked Label Studio
prediction (rules run natively here) and writes it, in input order. While the driver writes one
chunk, the cluster annotates the next; the driver never holds more than two chunks, whatever the
number of tasks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from alabctl.runtime.batch import BatchJob, BatchReport, TaskWriter, task_json
from alabctl.runtime.deployment import Deployment, load_deployment, server_of
from alabctl.runtime.results import ProjectView, predict_project
from alabctl.runtime.taskfile import BadTask, read_tasks
from alabctl.runtime.tasks import TaskError, task_data, task_text
from alabctl.spec.errors import UserError

ROWS_PER_SLICE = 2000
"""Tasks per core in one chunk: enough to keep a core busy, small enough to keep the driver flat."""
MAX_CHUNK = 50_000
"""At most this many tasks per chunk however big the cluster (the driver holds two chunks)."""


@dataclass(frozen=True)
class Item:
    """A readable task, where it was in the file, and the text the project annotates."""

    index: int
    task: Any
    text: str


def chunk_rows(parallelism: int) -> int:
    """Tasks per chunk for a cluster of ``parallelism`` cores (pure)."""
    return max(ROWS_PER_SLICE, min(MAX_CHUNK, ROWS_PER_SLICE * max(1, parallelism)))


def chunks(job: BatchJob, text_key: str, size: int, report: BatchReport) -> Iterator[list[Item]]:
    """The readable tasks, ``size`` at a time, read lazily; the others reported as skipped."""
    chunk: list[Item] = []
    for index, task in enumerate(read_tasks(job.tasks)):
        report.tasks += 1
        if isinstance(task, BadTask):
            report.skip(index, task.reason)
            continue
        try:
            task_data(task)
            text = task_text(task, text_key)
        except TaskError as exc:
            report.skip(index, str(exc))
            continue
        chunk.append(Item(index, task, text))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def annotate(engine: Any, chunk: list[Item]) -> list[dict[str, Any]]:
    """The Spark NLP output columns of each task of ``chunk``, in its order (runs on the cluster)."""
    frame = engine.session.createDataFrame(
        [(row, item.text) for row, item in enumerate(chunk)], "row INT, text STRING"
    )
    annotated = engine.model.transform(frame).select("row", *engine.columns)
    rows = sorted(annotated.collect(), key=lambda r: int(r["row"]))
    if [int(r["row"]) for r in rows] != list(range(len(chunk))):
        raise RuntimeError(f"Spark returned {len(rows)} rows for a chunk of {len(chunk)} tasks")
    return [r.asDict(recursive=False) for r in rows]


def _collected(running: Future[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A chunk's rows; a failed Spark job (lost executors, a cluster without the jars) as a UserError."""
    try:
        return running.result()
    except Exception as exc:
        if type(exc).__name__ != "Py4JJavaError":
            raise
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        cause = next(
            (line for line in lines if line.startswith("Caused by:")), lines[1] if len(lines) > 1 else ""
        )
        raise UserError(
            f"the Spark job failed: {cause[:400] or type(exc).__name__}",
            "check the master URL and that the executors are up (see docs/engines.md, 'On a cluster')",
        ) from exc


def _write(
    deployment: Deployment,
    view: ProjectView,
    chunk: list[Item],
    annotated: list[dict[str, Any]],
    writer: TaskWriter,
    report: BatchReport,
) -> None:
    engine: Any = deployment.engine
    rules = getattr(engine, "rules", None)
    ruled = rules.predict([item.text for item in chunk]) if rules is not None else None
    for at, (item, row) in enumerate(zip(chunk, annotated, strict=True)):
        found = dict(engine.read(row, item.text))
        if ruled is not None:
            found.update(ruled[at])
        prediction = predict_project(view, found, item.text)
        payload = {
            "model_version": prediction.model_version,
            "score": prediction.score,
            "result": prediction.result,
        }
        try:
            line = task_json(item.task, payload)
        except TaskError as exc:
            report.skip(item.index, str(exc))
            continue
        writer.write(line)
        report.written += 1
        report.results += len(prediction.result)
        report.dropped += prediction.dropped


def _checked(job: BatchJob) -> tuple[Deployment, ProjectView]:
    server = server_of(job.build, job.project)
    deployment = load_deployment(job.build, server, smoke=False)
    if deployment.pipeline.engine != "sparknlp":
        deployment.close()
        raise UserError(
            f"server '{server}' runs on the {deployment.pipeline.engine} engine: there is nothing for Spark to do",
            "run without --engine spark",
        )
    view = deployment.view(job.project)
    if view.visual:
        deployment.close()
        raise UserError(
            f"project '{job.project}' is Visual NER (boxes on PDFs or images): --engine spark runs text "
            "projects only",
            "pre-annotate it without --engine spark (its documents are read and OCRed on this machine)",
        )
    return deployment, view


def preannotate_spark(job: BatchJob, stdout: IO[str], stderr: IO[str]) -> BatchReport:
    """Pre-annotate ``job.tasks`` on Spark; the same report as the local engine's."""
    from alabctl.runtime.sparknlp.session import SessionOptions, set_default_options

    if job.master:
        set_default_options(SessionOptions(master=job.master, app_name="alabctl preannotate"))
    deployment, view = _checked(job)
    report = BatchReport(model_version=view.model_version)
    began = time.perf_counter()
    engine: Any = deployment.engine
    writer = TaskWriter(job.out, stdout)
    size = chunk_rows(int(engine.session.sparkContext.defaultParallelism))
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alabctl-spark") as cluster:
            pending: tuple[list[Item], Future[list[dict[str, Any]]]] | None = None
            for chunk in chunks(job, view.text_key, size, report):
                running = cluster.submit(annotate, engine, chunk)
                if pending is not None:
                    _write(deployment, view, pending[0], _collected(pending[1]), writer, report)
                pending = (chunk, running)
            if pending is not None:
                _write(deployment, view, pending[0], _collected(pending[1]), writer, report)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        deployment.close()
    report.seconds = time.perf_counter() - began
    return report
