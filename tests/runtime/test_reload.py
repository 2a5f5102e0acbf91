"""Hot reload of a running server: no request dropped, a failed reload keeps the old build serving."""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.runtime.conftest import Server, compile_examples, http

TASK = {"tasks": [{"data": {"text": "A 5'11 male and a woman of 5'4."}}]}


def _edited_build(tmp_path: Path) -> Path:
    """The examples with the height rule's regex changed: quickstart's predictions can change."""
    src = tmp_path / "examples-edited"
    shutil.copytree(EXAMPLES, src)
    rule = src / "rules" / "height.yaml"
    rule.write_text(rule.read_text().replace("[0-7]'", "[0-8]'"))
    return compile_examples(tmp_path / "build-edited", src)


def _hammer(server: Server, stop: threading.Event, outcomes: list[tuple[int, float, str]]) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        try:
            reply = http(server.url + "/predict", TASK, timeout=10)
            ok = reply.status == 200 and len(reply.body["results"]) == 1
            outcomes.append((200 if ok else reply.status, time.perf_counter() - began, ""))
        except OSError as exc:
            outcomes.append((0, time.perf_counter() - began, str(exc)))


def test_reload_under_load_drops_no_request(
    start_server: Callable[..., Server], build: Path, tmp_path: Path
) -> None:
    edited = _edited_build(tmp_path)
    server = start_server("quickstart", "--build", str(build))
    before = server.get("/health").body["model_version"]["quickstart"]
    stop, outcomes = threading.Event(), []  # type: ignore[var-annotated]
    workers = [threading.Thread(target=_hammer, args=(server, stop, outcomes)) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.3)
        for target in (edited, build, edited):
            assert server.reload(target).status == 200
            time.sleep(0.2)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    failures = [o for o in outcomes if o[0] != 200]
    assert len(outcomes) > 50 and failures == []
    after = server.get("/health").body
    assert after["health"] == "Healthy"
    assert after["model_version"]["quickstart"] != before
    assert 'alabctl_reloads_total{result="ok"} 3' in server.get("/metrics").body


def test_a_failed_reload_keeps_the_old_build_and_reports_degraded(
    start_server: Callable[..., Server], build: Path, tmp_path: Path
) -> None:
    served = tmp_path / "served"
    shutil.copytree(build, served)
    server = start_server("quickstart", "--build", str(served))
    good = server.get("/health").body
    (served / "servers" / "quickstart" / "pipeline.json").write_text("{ not json")
    failed = server.reload()
    assert failed.status == 422
    assert failed.body["health"] == "Degraded" and "pipeline.json: corrupt" in failed.body["reason"]
    health = server.get("/health").body
    assert health["health"] == "Degraded" and health["build"] == good["build"]
    reply = server.post("/predict", TASK)
    assert (
        reply.status == 200
        and reply.body["results"][0]["model_version"] == good["model_version"]["quickstart"]
    )
    assert server.reload(tmp_path / "no-such-build").status == 422
    shutil.rmtree(served)
    shutil.copytree(build, served)
    assert server.reload().status == 200
    assert server.get("/health").body["health"] == "Healthy"


def test_a_build_without_the_server_is_refused(
    start_server: Callable[..., Server], build: Path, tmp_path: Path
) -> None:
    server = start_server("triage", "--build", str(build))
    other = tmp_path / "other"
    shutil.copytree(build, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["resources"] = [r for r in manifest["resources"] if r["name"] != "triage"]
    (other / "manifest.json").write_text(json.dumps(manifest))
    failed = server.reload(other)
    assert failed.status == 422 and "no server 'triage'" in failed.body["reason"]
    assert server.post("/p/triage-north/predict", TASK).status == 200


def test_sighup_reloads_the_build_folder(
    start_server: Callable[..., Server], build: Path, tmp_path: Path
) -> None:
    served = tmp_path / "served"
    shutil.copytree(build, served)
    server = start_server("quickstart", "--build", str(served))
    before = server.get("/health").body["model_version"]["quickstart"]
    edited = _edited_build(tmp_path)
    shutil.rmtree(served)
    shutil.copytree(edited, served)
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.get("/health").body["model_version"]["quickstart"] != before:
            break
        time.sleep(0.05)
    assert server.get("/health").body["model_version"]["quickstart"] != before
    assert server.process.poll() is None
