"""A Spark standalone cluster on 127.0.0.1: one master and one worker, stopped by pid.

Used by the cluster test and by ``bench/spark.py --cluster``. The daemons are the installed
pyspark's own (``bin/spark-class``), so nothing beyond ``pip install 'alabctl[spark]'`` and Java
is needed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.runtime.conftest import free_port, stop


class ClusterError(RuntimeError):
    """A daemon did not come up; the message holds the end of its log."""


def spark_class() -> Path:
    """``bin/spark-class`` of the installed pyspark (it runs Spark's master and worker daemons)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent / "bin" / "spark-class"


def _wait_log(log: Path, needle: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise ClusterError(f"{log.name}: no {needle!r}:\n{log.read_text(errors='replace')[-2000:]}")


@contextlib.contextmanager
def standalone(tmp: Path, cores: int = 2, memory: str = "2g", timeout: float = 120.0) -> Iterator[str]:
    """A Spark standalone master and one worker on 127.0.0.1; yields the master URL.

    Both daemons write their logs under ``tmp`` and are stopped by pid on the way out, whatever
    happens in between. Their scratch files, and those of the executors the worker starts (Spark
    NLP's TensorFlow variables among them), go under ``tmp`` too, not into the machine's ``/tmp``.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "java-tmp").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_class().parent.parent),
        "SPARK_LOCAL_DIRS": str(tmp / "local"),
        "_JAVA_OPTIONS": f"-Djava.io.tmpdir={tmp / 'java-tmp'}",  # every JVM started from here
    }
    port = free_port()
    master_log, worker_log = tmp / "master.log", tmp / "worker.log"
    started: list[subprocess.Popen[bytes]] = []
    try:
        with master_log.open("wb") as log:
            cmd = [str(spark_class()), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"]
            cmd += ["--port", str(port), "--webui-port", str(free_port())]
            started.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
        _wait_log(master_log, "New state: ALIVE", started[-1], timeout)
        url = f"spark://127.0.0.1:{port}"
        with worker_log.open("wb") as log:
            cmd = [str(spark_class()), "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1"]
            cmd += ["--cores", str(cores), "--memory", memory, "--webui-port", str(free_port())]
            cmd += ["--work-dir", str(tmp / "work"), url]
            started.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
        _wait_log(worker_log, "Successfully registered with master", started[-1], timeout)
        yield url
    finally:
        for process in reversed(started):
            stop(process)
