"""Batch pre-annotation (``alabctl preannotate``): a task file in, the same tasks with predictions out.

Steps: stream the tasks (:mod:`alabctl.runtime.taskfile`) -> chunks of :data:`CHUNK` tasks ->
predicted by worker processes, each with the deployment loaded once, a bounded number of chunks in
flight so memory stays flat -> written in input order as JSON (``--out`` ending ``.json``) or JSONL,
atomically (a temporary file beside ``--out``, with the permissions ``open`` would give, renamed at
the end). A task that cannot be read is reported with its index and skipped.

``--engine spark`` is looked up in ``alabctl.runtime.spark`` (``preannotate_spark(job, out, err)``).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from alabctl.files import replacement
from alabctl.runtime.build import load_build
from alabctl.runtime.deployment import Deployment, load_deployment, server_of
from alabctl.runtime.heap import settle_heap
from alabctl.runtime.results import Prediction, ProjectView
from alabctl.runtime.taskfile import BadTask, read_tasks
from alabctl.runtime.tasks import TaskError, task_data, task_text
from alabctl.runtime.visual.settings import VisualSettings
from alabctl.spec.errors import UserError

CHUNK = 256
VISUAL_CHUNK = 4
"""Tasks per chunk of a Visual NER project: a document can take seconds (OCR), so chunks of 256
would leave every worker but one idle below 257 tasks, and show progress once per 256 documents."""
PR_SET_PDEATHSIG = 1
MAX_REPORTED = 20


@dataclass(frozen=True)
class BatchJob:
    """One ``preannotate`` run."""

    build: Path
    project: str
    tasks: Path
    out: Path | None = None
    workers: int = 1
    engine: str = "local"
    master: str | None = None
    progress: bool = False
    visual: VisualSettings = field(default_factory=VisualSettings)
    """Where a Visual NER project's documents may come from, and what one may cost."""


@dataclass
class BatchReport:
    """What a run did."""

    tasks: int = 0
    written: int = 0
    skipped: int = 0
    dropped: int = 0
    results: int = 0
    seconds: float = 0.0
    model_version: str = ""
    problems: list[str] = field(default_factory=list)

    def skip(self, index: int, reason: str) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(f"task {index}: {reason}")


# -- one chunk, in a worker -----------------------------------------------------------------------

Line = tuple[int, str | None, str | None, int, int]
"""(index, the task as JSON with its prediction or None, why it was skipped, results, dropped)."""

_DEPLOYMENT: Deployment | None = None
_PROJECT = ""
_VISUAL = VisualSettings()


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel send SIGTERM to this worker when the process that started it ends, so
    no worker outlives a run that failed or was killed."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before prctl took effect
        os._exit(1)


def _init(build: str, server: str, project: str, visual: VisualSettings) -> None:
    global _DEPLOYMENT, _PROJECT, _VISUAL
    _DEPLOYMENT = load_deployment(Path(build), server, smoke=False)
    _PROJECT = project
    _VISUAL = visual
    settle_heap()


def _with_prediction(task: Any, prediction: dict[str, Any]) -> dict[str, Any]:
    out = dict(task) if "data" in task else {"data": dict(task)}
    earlier = out.get("predictions")
    if earlier is not None and not isinstance(earlier, list):
        raise TaskError(
            f"'predictions' is {type(earlier).__name__}, not a list of predictions; "
            "make it a list (or remove it)"
        )
    out["predictions"] = [*(earlier or []), prediction]
    return out


def task_json(task: Any, prediction: dict[str, Any]) -> str:
    """The task with ``prediction`` appended to its ``predictions``, as one line of JSON (both
    engines write these); TaskError when it cannot be: its ``predictions`` is not a list, or it
    holds NaN or Infinity, which Python writes but JSON (and so Label Studio) does not allow."""
    try:
        return json.dumps(
            _with_prediction(task, prediction), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except TaskError:
        raise
    except ValueError:
        raise TaskError(
            "it holds NaN or Infinity (or 1e999), which JSON does not allow; fix the number"
        ) from None


def _init_worker(
    parent: int, build: str, server: str, project: str, visual: VisualSettings, scratch: str | None
) -> None:
    # Ctrl-C reaches every process of the terminal's group; the driver handles it and stops the
    # workers, so a worker lets it pass (no traceback from an idle one). A handler, not SIG_IGN:
    # the programs a worker runs (tesseract) keep the default and stop on it too.
    signal.signal(signal.SIGINT, lambda *_: None)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the driver's handler, inherited by fork
    _die_with_parent(parent)
    if scratch is not None:
        tempfile.tempdir = scratch  # pytesseract's files: see _scratch
    _init(build, server, project, visual)


@contextmanager
def _scratch(visual: bool) -> Iterator[str | None]:
    """For a Visual NER run, a folder for the temporary files OCR writes (pytesseract's page images
    and hOCR, in the system's temporary folder otherwise), removed when the run ends: a worker
    stopped mid-page (Ctrl-C, a failed run) never gets to remove its own."""
    if not visual:
        yield None
        return
    folder = tempfile.mkdtemp(prefix="alabctl-ocr-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _line(index: int, task: Any, prediction: Prediction) -> Line:
    payload = {
        "model_version": prediction.model_version,
        "score": prediction.score,
        "result": prediction.result,
    }
    try:
        dumped = task_json(task, payload)
    except TaskError as exc:
        return (index, None, str(exc), 0, 0)
    return (index, dumped, None, len(prediction.result), prediction.dropped)


def _visual_chunk(deployment: Deployment, view: ProjectView, items: list[tuple[int, Any]]) -> list[Line]:
    """Visual NER: each task's document read (one that cannot be is skipped with the reason)."""
    from alabctl.runtime.visual.project import predict_documents, read_tasks_pages

    lines: list[Line] = [(i, None, t.reason, 0, 0) for i, t in items if isinstance(t, BadTask)]
    good = [(i, t) for i, t in items if not isinstance(t, BadTask)]
    read = read_tasks_pages([t for _, t in good], view, _VISUAL)
    documents = [pages for pages in read if not isinstance(pages, str)]
    predictions = iter(predict_documents(deployment.engine, view, documents))
    for (index, task), pages in zip(good, read, strict=True):
        lines.append(
            (index, None, pages, 0, 0) if isinstance(pages, str) else _line(index, task, next(predictions))
        )
    return sorted(lines)


def _chunk(items: list[tuple[int, Any]]) -> list[Line]:
    assert _DEPLOYMENT is not None
    view = _DEPLOYMENT.view(_PROJECT)
    if view.visual:
        return _visual_chunk(_DEPLOYMENT, view, items)
    lines: list[Line] = []
    readable: list[tuple[int, Any, str]] = []
    for index, task in items:
        if isinstance(task, BadTask):
            lines.append((index, None, task.reason, 0, 0))
            continue
        try:
            task_data(task)
            readable.append((index, task, task_text(task, view.text_key)))
        except TaskError as exc:
            lines.append((index, None, str(exc), 0, 0))
    predictions = _DEPLOYMENT.predict(_PROJECT, [text for _, _, text in readable])
    for (index, task, _), prediction in zip(readable, predictions, strict=True):
        lines.append(_line(index, task, prediction))
    return sorted(lines)


# -- the driver -----------------------------------------------------------------------------------


def _chunks(tasks: Iterable[Any], size: int = CHUNK) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for index, task in enumerate(tasks):
        chunk.append((index, task))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pooled(
    job: BatchJob, server: str, chunks: Iterator[list[tuple[int, Any]]], scratch: str | None
) -> Iterator[list[Line]]:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        job.workers,
        multiprocessing.get_context(method),
        _init_worker,
        (os.getpid(), str(job.build), server, job.project, job.visual, scratch),
    )
    try:
        pending: deque[Future[list[Line]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_chunk, chunk))
            if len(pending) >= 2 * job.workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as exc:
        raise UserError(
            "a preannotate worker process died (out of memory, or killed)",
            "run again with fewer --workers, or split the task file",
        ) from exc
    except BaseException:
        # interrupted, or the run failed: what the workers are still doing is not wanted, and
        # shutdown() would wait for every chunk in flight (minutes of OCR)
        for process in list(pool._processes.values()):
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_process(
    job: BatchJob, server: str, chunks: Iterator[list[tuple[int, Any]]], scratch: str | None
) -> Iterator[list[Line]]:
    _init(str(job.build), server, job.project, job.visual)
    before = tempfile.tempdir
    if scratch is not None:
        tempfile.tempdir = scratch  # pytesseract's files: see _scratch
    try:
        for chunk in chunks:
            yield _chunk(chunk)
    finally:
        tempfile.tempdir = before


class TaskWriter:
    """JSON array or JSONL, to a temporary file renamed into place on success (or to stdout)."""

    def __init__(self, out: Path | None, stdout: IO[str]) -> None:
        self.array = out is not None and out.suffix.lower() == ".json"
        self.out, self.count, self.tmp = out, 0, None
        if out is None:
            self.stream = stdout
        else:
            try:  # the mode open(out, "w") would leave: the user's file, not private state
                fd, self.tmp = replacement(out, public=True)
            except OSError as exc:
                raise _unwritable(out, exc) from None
            self.stream = os.fdopen(fd, "w", encoding="utf-8")
        if self.array:
            self.stream.write("[")

    def write(self, line: str) -> None:
        try:
            if self.array:
                self.stream.write(",\n" if self.count else "\n")
                self.stream.write(line)
            else:
                self.stream.write(line + "\n")
        except OSError as exc:  # a full disk, a file-size limit: the user's to fix, not a crash
            raise self._failed(exc) from None
        self.count += 1

    def commit(self) -> None:
        try:
            if self.array:
                self.stream.write("\n]\n")
            self.stream.flush()
            if self.tmp is not None:
                self.stream.close()
        except OSError as exc:
            raise self._failed(exc) from None
        if self.out is not None and self.tmp is not None:
            try:
                self.tmp.replace(self.out)
            except OSError as exc:
                raise _unwritable(self.out, exc) from None

    def abort(self) -> None:
        if self.tmp is not None:
            try:
                self.stream.close()  # flushes what is buffered: on a full disk, that fails too
            except OSError:
                pass
            finally:
                self.tmp.unlink(missing_ok=True)

    def _failed(self, exc: OSError) -> Exception:
        return exc if self.out is None else _unwritable(self.out, exc)


def _unwritable(out: Path, exc: OSError) -> UserError:
    return UserError(
        f"cannot write {out}: {exc.strerror or exc}",
        "--out must be a file in a folder you can write, on a filesystem with free space",
    )


def _progress(stderr: IO[str], enabled: bool) -> Callable[[BatchReport, bool], None]:
    last = [0.0]
    began = time.monotonic()

    def show(report: BatchReport, final: bool) -> None:
        now = time.monotonic()
        if not enabled or (not final and now - last[0] < 0.5):
            return
        last[0] = now
        rate = report.tasks / max(now - began, 1e-9)
        end = "\n" if final else ""
        stderr.write(f"\rpreannotate: {report.tasks:,} tasks, {report.skipped:,} skipped, {rate:,.0f}/s{end}")
        stderr.flush()

    return show


def _spark(job: BatchJob, stdout: IO[str], stderr: IO[str]) -> BatchReport:
    try:
        module = importlib.import_module("alabctl.runtime.spark")
    except ImportError as exc:
        raise UserError(
            "--engine spark is not available in this alabctl",
            "run with --engine local (the default), or install an alabctl with the Spark engine",
        ) from exc
    result: BatchReport = module.preannotate_spark(job, stdout, stderr)
    return result


def _checked(job: BatchJob) -> tuple[str, ProjectView]:
    """Load the build once in the main process so a broken one fails before any output is written;
    the deployment is released on return (workers load their own)."""
    server = server_of(job.build, job.project)
    deployment = load_deployment(job.build, server)
    try:
        return server, deployment.view(job.project)
    finally:
        deployment.close()


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a CI runner) ends the run as Ctrl-C does: the workers are
    stopped and the temporary output removed, where the default action would leave them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_batch(job: BatchJob, stdout: IO[str], stderr: IO[str] | None = None) -> BatchReport:
    """Pre-annotate ``job.tasks``; the report counts tasks, skipped ones (with reasons) and results."""
    with _terminate_as_interrupt():
        return _run_batch(job, stdout, stderr or sys.stderr)


def _run_batch(job: BatchJob, stdout: IO[str], err: IO[str]) -> BatchReport:
    if job.engine == "spark":
        return _spark(job, stdout, err)
    if job.engine != "local":
        raise UserError(f"unknown engine {job.engine!r}", "use --engine local or --engine spark")
    server, view = _checked(job)
    report = BatchReport(model_version=view.model_version)
    began = time.perf_counter()
    show = _progress(err, job.progress)
    chunks = _chunks(read_tasks(job.tasks), VISUAL_CHUNK if view.visual else CHUNK)
    # a JVM (engine sparknlp) belongs to one process: forked workers cannot share it
    workers = 1 if load_build(job.build).pipeline(server).engine == "sparknlp" else job.workers
    with _scratch(view.visual) as scratch:
        run = _in_process if workers <= 1 else _pooled
        return _write(job, run(job, server, chunks, scratch), report, stdout, show, began)


def _write(
    job: BatchJob,
    results: Iterator[list[Line]],
    report: BatchReport,
    stdout: IO[str],
    show: Callable[[BatchReport, bool], None],
    began: float,
) -> BatchReport:
    writer = TaskWriter(job.out, stdout)
    try:
        for lines in results:
            for index, dumped, reason, count, dropped in lines:
                report.tasks += 1
                if dumped is None:
                    report.skip(index, reason or "unreadable")
                    continue
                writer.write(dumped)
                report.written += 1
                report.results += count
                report.dropped += dropped
            show(report, False)
        writer.commit()
    except BaseException:
        writer.abort()
        close = getattr(results, "close", None)
        if close is not None:
            close()  # the workers stop now, before their scratch folder goes
        raise
    report.seconds = time.perf_counter() - began
    show(report, True)
    return report
