"""One Spark session (one JVM) per process, started from local jars with Spark NLP's settings.

``sparknlp.start()`` always adds a Maven coordinate (``spark.jars.packages``), which downloads at
run time; this builds the session itself from the jars :mod:`.jars` finds instead, with the same
serializer settings. The first call starts the JVM; later calls return the same session.

The driver's scratch files (Java's temporary folder, where Spark NLP unpacks each TensorFlow model's
variables and leaves a folder behind; Spark's and Hadoop's local folders on a local master) go to
one folder of the session's own, removed when the session stops or the process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alabctl.runtime.sparknlp.jars import FETCH_HINT, find_jars, has_sparknlp
from alabctl.spec.errors import UserError

DRIVER_MEMORY_ENV = "ALABCTL_SPARK_DRIVER_MEMORY"
CONF_ENV = "ALABCTL_SPARK_CONF"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
"""The driver JVM's log4j2 settings: errors only, so Spark's start-up notes stay off the terminal."""
"""More Spark conf as whitespace-separated ``key=value`` pairs (cluster settings, executor memory)."""

_lock = threading.Lock()
_session: Any = None
_pid = 0
_scratch: Path | None = None
_scratch_pid = 0


@dataclass(frozen=True)
class SessionOptions:
    """How to start Spark; the defaults suit one server process or a test run."""

    master: str = "local[*]"
    app_name: str = "alabctl"
    driver_memory: str = "2g"
    extra: tuple[tuple[str, str], ...] = ()
    """More Spark conf pairs (``--conf``-style)."""


_defaults: SessionOptions | None = None


def set_default_options(options: SessionOptions) -> None:
    """The options the process's session starts with when a caller gives none (``--master``)."""
    global _defaults
    _defaults = options


def spark_conf(
    jars: list[str], options: SessionOptions, cache_folder: Path, scratch: Path | None = None
) -> dict[str, str]:
    """The Spark conf for a Spark NLP session on local jars (pure); the driver's scratch files go
    under ``scratch`` when given (the user's own ``spark.driver.extraJavaOptions`` come after ours)."""
    conf = {
        "spark.app.name": options.app_name,
        "spark.master": options.master,
        "spark.jars": ",".join(jars),
        "spark.driver.memory": os.environ.get(DRIVER_MEMORY_ENV, options.driver_memory),
        "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
        "spark.kryoserializer.buffer.max": "1000M",
        "spark.driver.maxResultSize": "0",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.jsl.settings.pretrained.cache_folder": str(cache_folder),
    }
    local = options.master.startswith("local")
    if local:
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    user = {**dict(options.extra), **env_conf(os.environ.get(CONF_ENV, ""))}
    java = [f"-Dlog4j2.configurationFile={LOG_CONFIG}"]
    if scratch is not None:
        java.append(f"-Djava.io.tmpdir={scratch}")
        conf["spark.hadoop.hadoop.tmp.dir"] = str(scratch / "hadoop")
        if local:  # a cluster's executors keep the folders their worker gives them
            conf["spark.local.dir"] = str(scratch / "local")
    java.append(user.pop("spark.driver.extraJavaOptions", ""))  # last: a -D of the user's wins
    conf["spark.driver.extraJavaOptions"] = " ".join(filter(None, java))
    conf.update(user)
    return conf


def env_conf(text: str) -> dict[str, str]:
    """``ALABCTL_SPARK_CONF``'s pairs; a word without ``=`` is a UserError."""
    out: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if not sep or not key.startswith("spark."):
            raise UserError(
                f"{CONF_ENV}: {word!r} is not a Spark setting",
                "write whitespace-separated key=value pairs, e.g. spark.executor.memory=4g",
            )
        out[key] = value
    return out


def _start(conf: dict[str, str]) -> Any:
    # TensorFlow's C++ logging (device placement, graph loading) goes to the JVM's stderr.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UserError(
            f"the sparknlp engine needs pyspark and spark-nlp ({exc})", "pip install 'alabctl[spark]'"
        ) from exc
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the gateway's own error: no Java, bad conf
        raise UserError(
            f"cannot start Spark: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}",
            "the sparknlp engine needs Java 8, 11 or 17 on PATH (or JAVA_HOME) and the Spark NLP jars",
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_session(home_root: Path, options: SessionOptions | None = None) -> Any:
    """The process's Spark session, started on first use from the jars this machine has."""
    global _session, _pid
    with _lock:
        if _session is not None and _pid != os.getpid():
            raise UserError(
                "the sparknlp engine's JVM belongs to the process that started it, not to a forked worker",
                "run Spark NLP pipelines with one worker (--workers 1), or use --engine spark for batches",
            )
        if _session is not None and _session.sparkContext._jsc is not None:
            return _session
        jars = find_jars(home_root)
        if not has_sparknlp(jars):
            raise UserError("the jars found hold no spark-nlp jar", FETCH_HINT)
        scratch = _new_scratch()
        conf = spark_conf(jars, options or _defaults or SessionOptions(), home_root / "cache", scratch)
        _session = _start(conf)
        _pid = os.getpid()
        return _session


def _new_scratch() -> Path:
    """The session's scratch folder, removed when the session stops or the process exits."""
    global _scratch, _scratch_pid
    _remove_scratch()
    _scratch, _scratch_pid = Path(tempfile.mkdtemp(prefix="alabctl-spark-")), os.getpid()
    return _scratch


def _remove_scratch(owner: int | None = None) -> None:
    """Remove the scratch folder; at exit (``owner``), only in the process that made it: a forked
    child exiting leaves its parent's."""
    global _scratch
    if _scratch is not None and (owner is None or owner == _scratch_pid):
        shutil.rmtree(_scratch, ignore_errors=True)
        _scratch = None


atexit.register(lambda: _remove_scratch(os.getpid()))


def stop_session() -> None:
    """Stop the process's Spark session and its JVM, if one was started, and remove its scratch folder."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None
        _remove_scratch()
