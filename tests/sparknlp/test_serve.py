"""``alabctl serve`` and ``alabctl preannotate`` with ``engine: sparknlp``, as real processes.

Each process starts its own JVM from the same jars; the Label Studio results it returns are checked
against the test models called directly through Spark NLP's API in the test's own session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from alabctl.assets.home import Home
from tests.runtime.conftest import Server, free_port, http, stop
from tests.runtime.lscheck import ls_errors
from tests.sparknlp.reference import reference
from tests.sparknlp.repo import PROJECT, SERVER

pytestmark = pytest.mark.spark

TEXTS = [
    "😀 Anna Novak visited Oslo and joined Acme Bank in 2024 .",
    "\U0001d400\U0001d401 Peter Chen met Li Tanaka at Globex Labs in Paris today .",
    "The striker scored a goal in the final match of the season .",
]
RENAME = {"PER": "Person", "LOC": "Place", "ORG": "ORG"}
JVM_START = 240.0


def _env(home: Home) -> dict[str, str]:
    return {
        **os.environ,
        "ALABCTL_HOME": str(home.root),
        "ALABCTL_SPARK_DRIVER_MEMORY": "1g",
        "NO_COLOR": "1",
    }


def preannotate(
    home: Home, build: Path, tasks: Path, out: Path, *more: str
) -> subprocess.CompletedProcess[str]:
    """``alabctl preannotate --project PROJECT`` of ``tasks`` into ``out`` as its own process."""
    args = ["--project", PROJECT, "--build", str(build), "--tasks", str(tasks), "--out", str(out), *more]
    return subprocess.run(
        [sys.executable, "-m", "alabctl", "preannotate", *args],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=600,
    )


def expected(spark: Any, home: Home, pipeline: dict[str, Any], text: str) -> tuple[set[Any], str]:
    """What Spark NLP itself finds in ``text``: NER regions as Label Studio counts them, and the class."""
    direct = reference(spark, home, pipeline).fullAnnotate(text)[0]
    units = text.encode("utf-16-le")
    regions = set()
    for a in direct["chunks"]:
        start = len(units[: 2 * a.begin].decode("utf-16-le"))
        end = len(units[: 2 * (a.end + 1)].decode("utf-16-le"))
        regions.add((start, end, a.result, RENAME[a.metadata["entity"]]))
    return regions, direct["class"][0].result


def check(
    spark: Any, built: tuple[Path, Home, dict[str, Any]], text: str, prediction: dict[str, Any]
) -> None:
    build, home, pipeline = built
    assert ls_errors(build, PROJECT, prediction) == []
    results = prediction["result"]
    ner = {
        (r["value"]["start"], r["value"]["end"], r["value"]["text"], r["value"]["labels"][0])
        for r in results
        if r["type"] == "labels" and r["value"]["labels"][0] != "Year"
    }
    regions, label = expected(spark, home, pipeline, text)
    assert ner == regions
    assert regions or "striker" in text  # the sports sentence names no entity
    for start, end, chunk, _ in ner:
        assert text[start:end] == chunk
    choices = [r["value"]["choices"] for r in results if r["type"] == "choices"]
    assert choices == [[label]]


@pytest.fixture
def sparknlp_server(built: tuple[Path, Home, dict[str, Any]], tmp_path: Path) -> Any:
    """The server as its own process, its temporary folder (``TMPDIR``) at ``tmp_path / "tmp"``."""
    build, home, _ = built
    port = free_port()
    (tmp_path / "tmp").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "alabctl", "serve", SERVER, "--build", str(build), "--port", str(port)],
        env={**_env(home), "TMPDIR": str(tmp_path / "tmp")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Server(process, port, home.root)
    try:
        began = time.monotonic()
        while time.monotonic() - began < JVM_START:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"server exited with {process.returncode}: {err[-3000:]}")
            try:
                if http(server.url + "/health", timeout=2).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("the sparknlp server did not become healthy")
        yield server
    finally:
        stop(process)


def test_serve_predicts_what_spark_nlp_predicts(
    spark: Any, built: tuple[Path, Home, dict[str, Any]], sparknlp_server: Server
) -> None:
    health = sparknlp_server.get("/health").body
    assert health["server"] == SERVER
    reply = sparknlp_server.post(
        "/predict", {"tasks": [{"id": i, "data": {"text": t}} for i, t in enumerate(TEXTS)]}
    )
    assert reply.status == 200, reply.body
    predictions = reply.body["results"]
    assert len(predictions) == len(TEXTS)
    for text, prediction in zip(TEXTS, predictions, strict=True):
        check(spark, built, text, prediction)
    years = [r["value"] for r in predictions[0]["result"] if r["value"].get("labels") == ["Year"]]
    at = TEXTS[0].index("2024")  # code points: the emoji counts once
    assert years == [{"start": at, "end": at + 4, "text": "2024", "labels": ["Year"]}]


def test_the_server_leaves_no_scratch_files(sparknlp_server: Server, tmp_path: Path) -> None:
    # the JVM's scratch files (Spark's block manager, the native libraries it unpacks, Spark NLP's
    # TensorFlow variables) go to the session's own folder under TMPDIR, removed when it stops
    reply = sparknlp_server.post("/predict", {"tasks": [{"id": 1, "data": {"text": TEXTS[0]}}]})
    assert reply.status == 200, reply.body
    [scratch] = (tmp_path / "tmp").glob("alabctl-spark-*")
    assert list((scratch / "local").glob("blockmgr-*")), "Spark's local folder is the session's"
    assert list(scratch.glob("*.so")), "and so is Java's temporary folder"
    stop(sparknlp_server.process)
    assert sparknlp_server.process.returncode == 0
    assert list((tmp_path / "tmp").iterdir()) == []


def test_preannotate_writes_what_spark_nlp_predicts(
    spark: Any, built: tuple[Path, Home, dict[str, Any]], tmp_path: Path
) -> None:
    build, home, _ = built
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"id": i, "data": {"text": t}}) + "\n" for i, t in enumerate(TEXTS)))
    out = tmp_path / "out.jsonl"
    done = preannotate(home, build, tasks, out)
    assert done.returncode == 0, done.stderr[-3000:]
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [t["id"] for t in written] == [0, 1, 2]
    for task in written:
        (prediction,) = task["predictions"]
        check(spark, built, task["data"]["text"], prediction)


def test_preannotate_on_spark_predicts_what_spark_nlp_predicts(
    spark: Any, built: tuple[Path, Home, dict[str, Any]], tmp_path: Path
) -> None:
    """``--engine spark --master local[2]``: a DataFrame, read back partition by partition, in input order."""
    build, home, _ = built
    texts = [*TEXTS, "Olga Silva left Rome for Madrid .", "Shares fell as the market opened ."] * 3
    tasks = tmp_path / "tasks.json"
    rows = [{"id": i, "data": {"text": t}} for i, t in enumerate(texts)]
    tasks.write_text(json.dumps([*rows[:2], {"id": "bad", "data": {"body": "no text"}}, *rows[2:]]))
    out = tmp_path / "spark.jsonl"
    done = preannotate(home, build, tasks, out, "--engine", "spark", "--master", "local[2]")
    assert done.returncode == 1, done.stderr[-3000:]  # 1: a task was skipped, the others written
    assert "skipped task 2" in done.stderr
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [t["id"] for t in written] == [r["id"] for r in rows]
    for task in written:
        (prediction,) = task["predictions"]
        check(spark, built, task["data"]["text"], prediction)
