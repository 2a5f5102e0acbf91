"""``alabctl preannotate --engine spark``: the server's pipeline on a Spark DataFrame, partition by partition.

Steps: the driver streams the task file (:mod:`alabctl.runtime.taskfile`) into a staging JSONL of
``(index, text, task)`` rows (unreadable tasks reported and skipped) -> Spark reads it as a
DataFrame, split in partitions -> the fitted Spark NLP pipeline transforms it on the executors
(``local[*]`` by default, any master URL) -> the driver pulls the results back one partition at a
time (``toLocalIterator``), turns each row into a checked Label Studio prediction (rules run
natively here) and writes it, in input order. Memory on the driver holds one partition, whatever
the number of tasks.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from alabctl.runtime.batch import BatchJob, BatchReport, TaskWriter
from alabctl.runtime.deployment import Deployment, load_deployment, server_of
from alabctl.runtime.results import predict_project
from alabctl.runtime.taskfile import BadTask, read_tasks
from alabctl.runtime.tasks import TaskError, task_data, task_text
from alabctl.spec.errors import UserError

ROWS_PER_PARTITION = 2000


def _stage(job: BatchJob, text_key: str, staging: Path, report: BatchReport) -> int:
    """Write the readable tasks as JSONL rows for Spark; returns how many."""
    count = 0
    with staging.open("w", encoding="utf-8") as out:
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
            row = {"index": index, "text": text, "task": json.dumps(task, ensure_ascii=False)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _with_prediction(task: Any, prediction: dict[str, Any]) -> dict[str, Any]:
    out = dict(task) if "data" in task else {"data": dict(task)}
    out["predictions"] = [*list(out.get("predictions") or []), prediction]
    return out


def _rows(deployment: Deployment, staging: Path, count: int) -> Any:
    engine: Any = deployment.engine
    session = engine.session
    partitions = max(1, -(-count // ROWS_PER_PARTITION))
    schema = "index LONG, text STRING, task STRING"
    frame = session.read.schema(schema).json(str(staging))
    frame = frame.repartitionByRange(partitions, "index").sortWithinPartitions("index")
    columns = engine.columns
    annotated = engine.model.transform(frame).select("index", "text", "task", *columns)
    return annotated.toLocalIterator(prefetchPartitions=False)


def preannotate_spark(job: BatchJob, stdout: IO[str], stderr: IO[str]) -> BatchReport:
    """Pre-annotate ``job.tasks`` on Spark; the same report as the local engine's."""
    from alabctl.runtime.sparknlp.session import SessionOptions, set_default_options

    if job.master:
        set_default_options(SessionOptions(master=job.master, app_name="alabctl preannotate"))
    server = server_of(job.build, job.project)
    deployment = load_deployment(job.build, server, smoke=False)
    if deployment.pipeline.engine != "sparknlp":
        raise UserError(
            f"server '{server}' runs on the {deployment.pipeline.engine} engine: there is nothing for Spark to do",
            "run without --engine spark",
        )
    view = deployment.view(job.project)
    if view.visual:
        raise UserError(
            f"project '{job.project}' is Visual NER (boxes on PDFs or images): --engine spark runs text "
            "projects only",
            "pre-annotate it without --engine spark (its documents are read and OCRed on this machine)",
        )
    report = BatchReport(model_version=view.model_version)
    began = time.perf_counter()
    rules = getattr(deployment.engine, "rules", None)
    writer = TaskWriter(job.out, stdout)
    try:
        with tempfile.TemporaryDirectory(prefix="alabctl-spark-") as tmp:
            staging = Path(tmp) / "tasks.jsonl"
            count = _stage(job, view.text_key, staging, report)
            for row in _rows(deployment, staging, count) if count else []:
                data = row.asDict(recursive=False)
                text = str(data["text"])
                found = dict(deployment.engine.read(data, text))  # type: ignore[attr-defined]
                if rules is not None:
                    found.update(rules.predict([text])[0])
                prediction = predict_project(view, found, text)
                payload = {
                    "model_version": prediction.model_version,
                    "score": prediction.score,
                    "result": prediction.result,
                }
                task = json.loads(data["task"])
                writer.write(
                    json.dumps(_with_prediction(task, payload), ensure_ascii=False, separators=(",", ":"))
                )
                report.written += 1
                report.results += len(prediction.result)
                report.dropped += prediction.dropped
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        deployment.close()
    report.seconds = time.perf_counter() - began
    return report
