"""``preannotate --engine spark --master spark://...`` on a real standalone cluster.

A master and a worker run on 127.0.0.1 (their own JVMs, stopped by pid); the driver is a separate
``alabctl preannotate`` process, so the models reach the executors the way they would on any
cluster: through the asset store path and the jars the engine passes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alabctl.assets.home import Home
from tests.sparknlp.cluster import standalone
from tests.sparknlp.test_serve import TEXTS, check, preannotate

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def cluster(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The master's URL and the cluster's folder (``spark`` first: it skips the module, with its
    reason, where Spark cannot run)."""
    folder = tmp_path_factory.mktemp("cluster")
    with standalone(folder, cores=2, memory="2g") as url:
        yield url, folder


def test_preannotate_on_a_standalone_cluster_predicts_what_spark_nlp_predicts(
    spark: Any, built: tuple[Path, Home, dict[str, Any]], cluster: tuple[str, Path], tmp_path: Path
) -> None:
    build, home, _ = built
    url, folder = cluster
    texts = [*TEXTS, "Olga Silva left Rome for Madrid ."] * 4
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"id": i, "data": {"text": t}}) + "\n" for i, t in enumerate(texts)))
    out = tmp_path / "cluster.jsonl"
    done = preannotate(home, build, tasks, out, "--engine", "spark", "--master", url)
    assert done.returncode == 0, done.stderr[-3000:]
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [t["id"] for t in written] == list(range(len(texts)))
    for task in written:
        (prediction,) = task["predictions"]
        check(spark, built, task["data"]["text"], prediction)
    # the annotation ran in an executor the worker started for this application
    (app,) = (folder / "work").glob("app-*")
    assert "Running task" in "".join(p.read_text(errors="replace") for p in app.glob("*/stderr"))
