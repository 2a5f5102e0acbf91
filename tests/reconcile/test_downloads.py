"""Downloads in plan/apply against a real hub on loopback: bytes in the plan, downloads before
deploys, no download done twice, and drift (deleted or corrupted files) noticed and repaired."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assets.hubserver import HubServer, embeddings_zip, publish, serving, spark_model_zip
from tests.reconcile.conftest import Cli

MANIFESTS = """\
apiVersion: alabctl/v1
kind: Hub
metadata: {{name: default}}
spec: {{url: "{url}", sparkNlpVersion: "5.5.1", sparkVersion: "3.5"}}
---
apiVersion: alabctl/v1
kind: Model
metadata: {{name: ner_dl}}
spec:
  task: ner
  labels: [PER, LOC]
  embeddings: glove_100d
---
apiVersion: alabctl/v1
kind: Embeddings
metadata: {{name: glove_100d}}
spec: {{type: word}}
---
apiVersion: alabctl/v1
kind: Project
metadata: {{name: news}}
spec:
  ner:
    labels: [{{value: Note}}]
    models: [{{model: ner_dl, labels: [PER], rename: {{PER: Person}}}}]
"""


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    with serving(tmp_path / "hub") as server:
        publish(server.state.root, "public/models", "ner_dl", spark_model_zip(), storageRef="glove_100d")
        publish(server.state.root, "public/models", "glove_100d", embeddings_zip())
        yield server


def _asset_dir(home: Path, name: str) -> Path:
    found = [p for p in (home / "cache").iterdir() if p.name.startswith(name + "_")]
    assert len(found) == 1
    return found[0]


def test_downloads_before_deploys_and_drift_is_repaired(cli: Cli, hub: HubServer, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "all.yaml").write_text(MANIFESTS.format(url=hub.url))
    cli.run("lock", "-f", str(repo), check=0)
    plan = cli.run("plan", "-f", str(repo), check=2)
    model = next(p for p in (hub.state.root / "public/models").iterdir() if p.name.startswith("ner_dl"))
    assert (
        f"download   model/ner_dl ({model.stat().st_size} B): not installed; needed by server news"
        in plan.stdout
    )
    assert (
        "download   embeddings/glove_100d (594 B): not installed; a dependency of model `ner_dl`"
        in plan.stdout
    )
    assert "deploy     server/news: new server [after Embeddings/glove_100d, Model/ner_dl]" in plan.stdout

    done = cli.run("apply", "-f", str(repo))
    lines = done.stdout.splitlines()
    first_server = next(i for i, line in enumerate(lines) if line.startswith("server/"))
    assert any(line.startswith("model/ner_dl created") for line in lines[:first_server])
    assert any(line.startswith("embeddings/glove_100d created") for line in lines[:first_server])
    gets = len(hub.state.gets(".zip"))
    assert gets == 2

    # the server needs Spark NLP, which this machine may lack: then it fails, the downloads stay
    plan = cli.run("plan", "-f", str(repo))
    assert "download" not in plan.stdout
    if os.environ.get("ALABCTL_SPARK_JARS"):  # with Spark NLP, the test model is no Spark NLP folder
        log = (cli.home / "logs" / "news.log").read_text()
        assert "Spark NLP cannot load" in log and "alabctl hub redownload" in log, log[-2000:]
        assert "crash report" not in log and "Traceback" not in log

    glove = _asset_dir(cli.home, "glove_100d")
    shutil.rmtree(glove)
    plan = cli.run("plan", "-f", str(repo), check=2)
    assert "redownload embeddings/glove_100d" in plan.stdout and "drift: files missing" in plan.stdout
    cli.run("apply", "-f", str(repo))
    assert glove.is_dir() and len(hub.state.gets(".zip")) == gets + 1

    weights = _asset_dir(cli.home, "ner_dl") / "fields" / "weights" / "part-00000"
    weights.write_bytes(b"tampered")
    plan = cli.run("plan", "-f", str(repo), check=2)
    assert "redownload model/ner_dl" in plan.stdout and "checksum mismatch" in plan.stdout
    cli.run("apply", "-f", str(repo))
    assert weights.read_bytes() == b"weights" * 100
    assert "redownload" not in cli.run("plan", "-f", str(repo)).stdout


def test_unfetchable_model_is_reported_with_where_it_was_looked_for(
    cli: Cli, hub: HubServer, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "all.yaml").write_text(MANIFESTS.format(url=hub.url))
    plan = cli.run("plan", "-f", str(repo), check=2)
    assert (
        f"missing    model/ner_dl: model 'ner_dl' is not installed and the lock file does not pin it; "
        f"it comes from the hub folder {hub.url}/public/models" in plan.stdout
    )
    done = cli.run("apply", "-f", str(repo), check=1)
    assert "server/news failed: needs Embeddings/glove_100d, Model/ner_dl" in done.stdout
    assert not (cli.home / "deploy").exists()


def test_apply_killed_after_a_download_does_not_download_it_again(
    cli: Cli, hub: HubServer, tmp_path: Path
) -> None:
    import os
    import signal
    import time

    from alabctl.assets.store import Status, Store

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "all.yaml").write_text(MANIFESTS.format(url=hub.url))
    cli.run("lock", "-f", str(repo), check=0)
    child = cli.start("apply", "-f", str(repo), ALABCTL_PAUSE_AT="download")
    marker = cli.home / "paused-download"
    deadline = time.monotonic() + 60
    try:
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
    ready = {r.key for r in Store(cli.home / "alabctl.db").rows() if r.status is Status.READY}
    assert ready, "one download finished before the kill"
    fetched = {p for m, p, _ in hub.state.requests if m == "GET" and p.endswith(".zip")}
    cli.run("apply", "-f", str(repo))
    again = [p for m, p, _ in hub.state.requests if m == "GET" and p.endswith(".zip")]
    for key in ready:
        assert sum(1 for p in again if key in p) == 1, f"{key} was downloaded again"
    assert set(again) >= fetched
    assert "download" not in cli.run("plan", "-f", str(repo)).stdout
