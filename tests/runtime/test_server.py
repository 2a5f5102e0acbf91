"""``alabctl serve`` as a real process: Label Studio's ML-backend protocol, bad input, several servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.runtime.conftest import Server, http
from tests.runtime.lscheck import ls_errors

NOTE = "Patient is a 5'11 male, she said; height 6'0 and a woman."


def _task(text: str) -> dict[str, object]:
    return {"id": 1, "data": {"text": text}}


def test_health_and_setup_follow_the_protocol(start_server: Callable[..., Server], build: Path) -> None:
    server = start_server("quickstart", "--build", str(build))
    health = server.get("/health").body
    assert health["status"] == "UP" and health["health"] == "Healthy" and health["reason"] is None
    assert health["server"] == "quickstart" and health["pid"] == server.process.pid
    assert health["build"] == next(
        r["sha256"]
        for r in json.loads((build / "manifest.json").read_text())["resources"]
        if r["kind"] == "Server" and r["name"] == "quickstart"
    )
    version = health["model_version"]["quickstart"]
    setup = server.post("/setup", {"project": "2.17", "schema": "<View/>", "access_token": "x"})
    assert setup.status == 200 and setup.body == {"model_version": version}
    assert server.get("/").status == 200
    hook = server.post("/webhook", {"action": "TASKS_CREATED", "project": {"id": 2}})
    assert hook.status == 200 and hook.body["status"] == "ok"


def test_predict_rule_only_projects_pass_label_studios_check(
    start_server: Callable[..., Server], build: Path
) -> None:
    quick = start_server("quickstart", "--build", str(build))
    reply = quick.post("/predict", {"tasks": [_task(NOTE), _task("nothing here"), _task(NOTE)]})
    assert reply.status == 200
    results = reply.body["results"]
    assert len(results) == 3
    assert results[0] == results[2]
    assert results[1]["result"] == []
    labels = {r["value"]["labels"][0] for r in results[0]["result"]}
    assert {"Height", "Gender"} <= labels
    for result in results[0]["result"]:
        value = result["value"]
        assert NOTE[value["start"] : value["end"]] == value["text"]
    assert ls_errors(build, "quickstart", results[0]) == []
    assert results[0]["model_version"] == quick.get("/health").body["model_version"]["quickstart"]


def test_a_project_is_chosen_by_url_prefix_or_label_config(
    start_server: Callable[..., Server], build: Path
) -> None:
    triage = start_server("triage", "--build", str(build))
    versions = triage.get("/health").body["model_version"]
    by_prefix = triage.post("/p/triage-south/predict", {"tasks": [_task("height 5'4 today")]})
    assert by_prefix.status == 200
    assert by_prefix.body["results"][0]["model_version"] == versions["triage-south"]
    assert by_prefix.body["results"][0]["result"][0]["value"]["labels"] == ["Height"]
    assert ls_errors(build, "triage-south", by_prefix.body["results"][0]) == []
    config = (build / "projects" / "triage-north" / "config.xml").read_text()
    by_config = triage.post(
        "/predict", {"tasks": [_task("5'4")], "label_config": "  " + config.replace("\n", " ")}
    )
    assert by_config.body["results"][0]["model_version"] == versions["triage-north"]
    ambiguous = triage.post("/predict", {"tasks": [_task("5'4")]})
    assert ambiguous.status == 400 and "/p/<project>" in ambiguous.body["hint"]
    unknown = triage.post("/p/nope/predict", {"tasks": [_task("5'4")]})
    assert unknown.status == 404 and "triage-north" in unknown.body["error"]
    setup = triage.post("/p/triage-north/setup", {"schema": config})
    assert setup.body == {"model_version": versions["triage-north"]}


def test_bad_input_gets_a_clear_4xx_and_the_server_keeps_serving(
    start_server: Callable[..., Server], build: Path
) -> None:
    server = start_server("quickstart", "--build", str(build), "--max-tasks", "5", "--max-body", "20000")
    cases = {
        "malformed JSON": (server.post("/predict", raw=b'{"tasks": [}'), 400, "malformed JSON"),
        "not an object": (server.post("/predict", [1, 2]), 400, "expected an object"),
        "deeply nested": (server.post("/predict", raw=b"[" * 5000 + b"]" * 5000), 400, "nested too deeply"),
        "tasks not a list": (server.post("/predict", {"tasks": {"a": 1}}), 400, "JSON array"),
        "missing data key": (
            server.post("/predict", {"tasks": [_task("x"), {"data": {"body": "x"}}]}),
            400,
            "task 1: no 'text'",
        ),
        "text not a string": (
            server.post("/predict", {"tasks": [{"data": {"text": 42}}]}),
            400,
            "not a string",
        ),
        "binary body": (server.post("/predict", raw=b"\xff\xfe\x00binary"), 400, "not UTF-8"),
        "binary text": (server.post("/predict", {"tasks": [_task("a\x00b")]}), 400, "binary"),
        "too many tasks": (server.post("/predict", {"tasks": [_task("x")] * 6}), 413, "at most 5"),
        "body too big": (server.post("/predict", {"tasks": [_task("x" * 30000)]}), 413, "over 20,000 bytes"),
        "number too long": (
            server.post("/predict", raw=b'{"tasks": [{"data": {"text": "a", "n": ' + b"1" * 5000 + b"}}]}"),
            400,
            "number too long",
        ),
    }
    for name, (reply, status, words) in cases.items():
        assert reply.status == status, name
        assert words in reply.body["error"], (name, reply.body)
    fine = server.post("/predict", {"tasks": [_task(NOTE)]})
    assert fine.status == 200 and fine.body["results"][0]["result"]
    metrics = server.get("/metrics").body
    assert 'alabctl_requests_total{route="predict",code="400"} 9' in metrics
    for path, status, says in [
        ("/nope", 404, "no route GET /nope"),
        ("/predict", 405, "not allowed for GET"),
    ]:
        reply = server.get(path)
        assert (reply.status, reply.body["status"]) == (status, status) and says in reply.body["error"]
        assert "POST /predict" in reply.body["hint"]
    assert 'alabctl_requests_total{route="predict",code="413"} 2' in metrics
    assert "alabctl_request_seconds_bucket" in metrics
    assert 'alabctl_predictions_total{project="quickstart"}' in metrics


def test_the_admin_endpoint_needs_the_token(start_server: Callable[..., Server], build: Path) -> None:
    server = start_server("quickstart", "--build", str(build))
    assert (server.home / "admin-token").stat().st_mode & 0o777 == 0o600
    assert server.post("/admin/reload", {}).status == 401
    assert server.post("/admin/reload", {}, headers={"Authorization": "Bearer wrong"}).status == 401
    assert server.reload().status == 200


def test_several_servers_run_at_once(start_server: Callable[..., Server], build: Path) -> None:
    quick = start_server("quickstart", "--build", str(build))
    triage = start_server("triage", "--build", str(build))
    assert quick.port != triage.port
    assert quick.get("/health").body["server"] == "quickstart"
    assert triage.get("/health").body["server"] == "triage"
    assert http(quick.url + "/predict", {"tasks": [_task(NOTE)]}).status == 200
    assert http(triage.url + "/p/triage-north/predict", {"tasks": [_task(NOTE)]}).status == 200


def test_serve_compiles_first_with_f_and_sighup_compiles_again(
    start_server: Callable[..., Server], tmp_path: Path
) -> None:
    import shutil
    import signal
    import time

    from tests.conftest import EXAMPLES

    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    server = start_server("quickstart", "-f", str(repo), "--skip-license-check")
    before = server.get("/health").body["model_version"]["quickstart"]
    assert server.post("/predict", {"tasks": [_task(NOTE)]}).body["results"][0]["result"]
    rule = repo / "rules" / "height.yaml"
    rule.write_text(rule.read_text().replace("[0-7]'", "[0-8]'"))
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and server.get("/health").body["model_version"]["quickstart"] == before:
        time.sleep(0.1)
    assert server.get("/health").body["model_version"]["quickstart"] != before
    rule.write_text("kind: Rule\nnot: [valid")
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and server.get("/health").body["health"] == "Healthy":
        time.sleep(0.1)
    health = server.get("/health").body
    assert health["health"] == "Degraded" and "manifests are invalid" in health["reason"]
    assert server.post("/predict", {"tasks": [_task(NOTE)]}).status == 200
    # the builds it compiled into its temporary folder go with it when it is stopped with SIGTERM
    from tests.runtime.conftest import stop

    assert list((tmp_path / "server-tmp").iterdir())
    stop(server.process)
    assert server.process.returncode == 0
    assert not list((tmp_path / "server-tmp").iterdir())


def test_start_up_errors_are_clear_and_exit_1(build: Path, tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys

    env = {**os.environ, "ALABCTL_HOME": str(tmp_path / "home")}

    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "alabctl", "serve", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = serve("quickstart", "--build", str(build), "--port", port)
    assert busy.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "another process holds the port" in busy.stderr
    foreign = serve("quickstart", "--build", str(build), "--host", "192.0.2.1", "--port", "0")  # TEST-NET-1
    assert foreign.returncode == 1 and "192.0.2.1 is not an address of this machine" in foreign.stderr
    missing = serve("nope", "--build", str(build), "--port", "0")
    assert missing.returncode == 1 and "no server 'nope'" in missing.stderr
    no_build = serve("quickstart", "--build", str(tmp_path / "none"))
    assert no_build.returncode == 1 and "no such build folder" in no_build.stderr
    both = serve("quickstart")
    assert both.returncode == 2 and "exactly one of --build DIR and -f REPO" in both.stderr
    for flag in ("--max-tasks", "--max-body"):  # a cap below 1 would refuse every request
        capped = serve("quickstart", "--build", str(build), "--port", "0", flag, "0")
        assert capped.returncode == 2 and f"{flag} 0: every request would be refused" in capped.stderr
    clinical = serve("clinical", "--build", str(build), "--port", "0")
    assert clinical.returncode == 1 and "(MedicalNerModel): licensed" in clinical.stderr
    assert "Spark NLP for Healthcare" in clinical.stderr
    assert "Traceback" not in busy.stderr + missing.stderr + no_build.stderr + clinical.stderr
