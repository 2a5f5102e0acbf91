"""Fixtures for the ``spark`` tests: one Spark session for the whole run, real models, a real hub.

The tests are skipped, with the reason, only when this machine lacks Java or the Spark NLP jars
(``scripts/fetch-sparknlp-jars`` fetches them; ``.ci/run`` does it before the tests).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alabctl.assets.home import Home
from tests.assets.hubserver import HubServer
from tests.sparknlp.models import (
    SPARK_NLP_VERSION,
    TrainedModels,
    ci_cache,
    trained_models,
)
from tests.sparknlp.published import publish_trained
from tests.sparknlp.repo import SERVER, manifests, pull_lock_compile

JARS_ENV = "ALABCTL_SPARK_JARS"


def jars_folder() -> Path | None:
    """``$ALABCTL_SPARK_JARS``, else the folder ``scripts/fetch-sparknlp-jars`` fills by default."""
    given = os.environ.get(JARS_ENV)
    if given:
        return Path(given)
    default = ci_cache() / "sparknlp-jars" / SPARK_NLP_VERSION
    return default if (default / ".complete").is_file() else None


def missing() -> str | None:
    """Why the Spark tests cannot run here, or ``None``."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java on PATH (the sparknlp engine needs a JVM)"
    folder = jars_folder()
    if folder is None or not folder.is_dir() or not any(folder.glob("spark-nlp_*.jar")):
        return "no Spark NLP jars: run scripts/fetch-sparknlp-jars (set ALABCTL_SPARK_JARS to its folder)"
    try:
        import pyspark  # noqa: F401
        import sparknlp  # noqa: F401
    except ImportError as exc:
        return f"pyspark / spark-nlp not installed ({exc})"
    return None


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The run's one Spark session (the engine's own: the same JVM serves every test)."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    from alabctl.runtime.sparknlp.session import SessionOptions, spark_session, stop_session

    folder = jars_folder()
    assert folder is not None
    old = os.environ.get(JARS_ENV)
    os.environ[JARS_ENV] = str(folder)
    try:
        yield spark_session(tmp_path_factory.mktemp("spark-home"), SessionOptions(master="local[2]"))
    finally:
        stop_session()
        if old is None:
            os.environ.pop(JARS_ENV, None)
        else:
            os.environ[JARS_ENV] = old


@pytest.fixture(scope="session")
def trained(spark: Any) -> TrainedModels:
    """The test-built embeddings, NER model and classifier (cached across runs)."""
    return trained_models(spark)


@pytest.fixture(scope="session")
def sparknlp_hub(trained: TrainedModels, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """A Models Hub on 127.0.0.1 serving the three models as Spark NLP hub archives."""
    root = tmp_path_factory.mktemp("sparknlp-hub")
    publish_trained(root, trained)
    server = HubServer(root)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def built(
    sparknlp_hub: HubServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Home, dict[str, Any]]:
    """A repository using the test models, pulled, locked and compiled once for the run."""
    repo = tmp_path_factory.mktemp("repo")
    for name, text in manifests(sparknlp_hub.url).items():
        (repo / name).write_text(text, encoding="utf-8")
    home = tmp_path_factory.mktemp("home")
    build = pull_lock_compile(repo, home)
    pipeline = json.loads((build / "servers" / SERVER / "pipeline.json").read_text())
    return build, Home(home), pipeline
