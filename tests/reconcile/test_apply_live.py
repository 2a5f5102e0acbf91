"""plan / apply / get servers / down on real server processes (``alabctl serve``) in a tmp home."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ruamel.yaml import YAML

from alabctl.reconcile.health import request
from alabctl.reconcile.process import alive
from alabctl.reconcile.recover import server_processes
from tests.reconcile.conftest import HEIGHT, Cli, edit


def _servers(cli: Cli) -> dict[str, dict]:
    return {s["name"]: s for s in cli.json("get", "servers")}


def _db_dump(path: Path) -> list[str]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "apply.lock" and not path.name.startswith("alabctl.db"):
            h.update(path.as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def test_apply_deploys_detached_servers_and_a_second_apply_does_nothing(cli: Cli, rule_repo: Path) -> None:
    plan = cli.run("plan", "-f", str(rule_repo), check=2)
    assert "deploy     server/alpha: new server" in plan.stdout
    done = cli.run("apply", "-f", str(rule_repo), check=0)
    assert "server/alpha created: http://127.0.0.1:" in done.stdout
    assert "server/beta created" in done.stdout
    servers = _servers(cli)
    assert {s["health"] for s in servers.values()} == {"Healthy"}
    # the servers outlived the command that started them, each in its own session
    for server in servers.values():
        assert alive(server["pid"], None)
        host, port = server["url"].removeprefix("http://").split(":")
        status, body = request(host, int(port), "GET", "/health")
        assert status == 200 and body["server"] == server["name"]
    # a text through the running server
    host, port = servers["alpha"]["url"].removeprefix("http://").split(":")
    status, body = request(
        host, int(port), "POST", "/predict", {"tasks": [{"data": {"text": "He is 5'11 tall."}}]}
    )
    assert status == 200 and len(body["results"]) == 1
    # nothing changed: nothing to do, nothing written
    db = cli.home / "alabctl.db"
    before = (_tree_digest(cli.home), _db_dump(db))
    cli.run("plan", "-f", str(rule_repo), check=0)
    again = cli.run("apply", "-f", str(rule_repo), check=0)
    assert "nothing to do" in again.stdout
    assert "server/alpha unchanged" in again.stdout
    after = (_tree_digest(cli.home), _db_dump(db))
    assert after == before
    assert {s["pid"] for s in _servers(cli).values()} == {s["pid"] for s in servers.values()}


def test_rule_edit_hot_reloads_exactly_the_affected_server(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)
    alpha_url = before["alpha"]["url"]
    host, port = alpha_url.removeprefix("http://").split(":")
    dropped: list[str] = []
    answered = [0]
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                status, _ = request(
                    host, int(port), "POST", "/predict", {"tasks": [{"data": {"text": "6'1"}}]}
                )
                if status != 200:
                    dropped.append(str(status))
                answered[0] += 1
            except OSError as exc:
                dropped.append(str(exc))

    edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLength: 40")
    plan = cli.run("plan", "-f", str(rule_repo), check=2)
    assert "redeploy   server/alpha: because rule `height` changed" in plan.stdout
    assert "server/beta" not in plan.stdout
    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        time.sleep(0.2)
        done = cli.run("apply", "-f", str(rule_repo), check=0)
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    assert "server/alpha configured" in done.stdout
    assert "server/beta unchanged" in done.stdout
    after = _servers(cli)
    assert after["alpha"]["url"] == alpha_url and after["alpha"]["pid"] == before["alpha"]["pid"]
    assert after["alpha"]["modelVersion"] != before["alpha"]["modelVersion"]
    assert after["beta"] == {**before["beta"], "uptime": after["beta"]["uptime"]}
    assert answered[0] > 0 and dropped == []


def test_failed_redeploy_keeps_the_last_good_build_and_reports_degraded(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)["alpha"]
    edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLength: 30")
    plan = json.loads(cli.run("plan", "-f", str(rule_repo), "-o", "json").stdout)
    digest = next(s["digest"] for s in plan["steps"] if s["name"] == "alpha")
    # the copy the server would load is broken (as a bad disk or a bad build would leave it)
    broken = cli.home / "deploy" / "alpha" / digest
    (broken / "servers" / "alpha").mkdir(parents=True)
    (broken / "servers" / "alpha" / "pipeline.json").write_text("{not json")
    done = cli.run("apply", "-f", str(rule_repo), check=1)
    assert "server/alpha failed: reload failed" in done.stdout
    assert "still serving the last good build" in done.stdout
    after = _servers(cli)["alpha"]
    assert after["health"] == "Degraded" and after["pid"] == before["pid"]
    assert after["modelVersion"] == before["modelVersion"]
    host, port = after["url"].removeprefix("http://").split(":")
    status, _ = request(host, int(port), "POST", "/predict", {"tasks": [{"data": {"text": "5'5"}}]})
    assert status == 200
    # the next apply tries again (and succeeds once the copy is good)
    import shutil

    shutil.rmtree(broken)
    cli.run("apply", "-f", str(rule_repo), check=0)
    assert _servers(cli)["alpha"]["health"] == "Healthy"


def test_killed_server_is_drift_that_apply_repairs_on_the_same_port(cli: Cli, rule_repo: Path) -> None:
    import os
    import signal

    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)["beta"]
    os.kill(before["pid"], signal.SIGKILL)
    time.sleep(0.2)
    status = _servers(cli)["beta"]
    assert status["health"] == "Missing"
    plan = cli.run("plan", "-f", str(rule_repo), check=2)
    assert f"restart    server/beta: drift: process gone (pid {before['pid']})" in plan.stdout
    cli.run("apply", "-f", str(rule_repo), check=0)
    after = _servers(cli)["beta"]
    assert after["health"] == "Healthy" and after["url"] == before["url"] and after["pid"] != before["pid"]


def test_unhealthy_server_is_restarted(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)["alpha"]
    host, port = before["url"].removeprefix("http://").split(":")
    token = (cli.home / "admin-token").read_text().strip()
    status, _ = request(host, int(port), "POST", "/admin/reload", {"build": str(cli.home / "nowhere")}, token)
    assert status != 200
    assert _servers(cli)["alpha"]["health"] == "Degraded"
    plan = cli.run("plan", "-f", str(rule_repo), check=2)
    assert "restart    server/alpha: drift: unhealthy (Degraded" in plan.stdout
    cli.run("apply", "-f", str(rule_repo), check=0)
    after = _servers(cli)["alpha"]
    assert after["health"] == "Healthy" and after["url"] == before["url"]


def test_invalid_repository_changes_nothing(cli: Cli, rule_repo: Path) -> None:
    edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLenght: 50")
    plan = cli.run("plan", "-f", str(rule_repo), check=1)
    assert "error[ALB104]: unknown field 'contextLenght'" in plan.stdout
    done = cli.run("apply", "-f", str(rule_repo), check=1)
    assert "height.yaml:" in done.stdout and "nothing done" in done.stderr
    assert not (cli.home / "deploy").exists()
    assert server_processes(cli.home) == {}


def test_down_stops_servers_keeps_ports_and_logs_stay(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)
    cli.run("wait", "--for", "healthy", "alpha", "--timeout", "10s", check=0)
    assert "alabctl serve" in cli.run("logs", "alpha", check=0).stdout
    lines = cli.run("logs", "alpha", check=0).stdout.splitlines()
    assert cli.run("logs", "alpha", "--tail", "1", check=0).stdout.splitlines() == lines[-1:]
    assert cli.run("logs", "alpha", "--tail", "0", check=0).stdout == ""
    negative = cli.run("logs", "alpha", "--tail", "-2", check=2)
    assert "--tail -2: give a number of lines, 0 or more" in negative.stderr
    down = cli.run("down", "beta", check=0)
    assert down.stdout == "server/beta stopped\n"
    assert not alive(before["beta"]["pid"], None)
    assert _servers(cli)["alpha"]["health"] == "Healthy"
    # stopped on purpose: shown as Stopped (not Missing) and left out of wait, until the next apply
    assert _servers(cli)["beta"]["health"] == "Stopped"
    assert "beta   Stopped" in cli.run("status", check=0).stdout
    listed = YAML(typ="safe").load(cli.run("get", "servers", "-o", "yaml", check=0).stdout)
    assert {s["name"]: s["health"] for s in listed} == {"alpha": "Healthy", "beta": "Stopped"}
    assert listed == YAML(typ="safe").load(cli.run("status", "-o", "yaml", check=0).stdout)
    assert "server/alpha Healthy" in cli.run("wait", "--for", "healthy", "--timeout", "2s", check=0).stdout
    wait = cli.run("wait", "--for", "healthy", "beta", "--timeout", "2s", check=1)
    assert "server 'beta' was stopped with 'alabctl down'" in wait.stderr
    assert "server/beta unchanged: already stopped" in cli.run("down", "beta", check=0).stdout
    plan = cli.run("plan", "-f", str(rule_repo), check=2)
    assert "deploy     server/beta: stopped with 'alabctl down'" in plan.stdout
    cli.run("down", check=0)
    assert server_processes(cli.home) == {}
    assert "no servers to wait for" in cli.run("wait", "--timeout", "1s", check=0).stderr
    cli.run("apply", "-f", str(rule_repo), check=0)
    assert {n: s["url"] for n, s in _servers(cli).items()} == {n: s["url"] for n, s in before.items()}
    assert {s["health"] for s in _servers(cli).values()} == {"Healthy"}
    # a server whose process died is Missing, not Stopped, and wait names it
    os.kill(_servers(cli)["beta"]["pid"], signal.SIGKILL)
    wait = cli.run("wait", "--for", "healthy", "--timeout", "1s", check=1)
    assert "beta (Missing" in wait.stderr


def test_saved_plan_is_applied_exactly_or_refused_when_stale(cli: Cli, rule_repo: Path) -> None:
    out = cli.cwd / "plan.json"
    cli.run("plan", "-f", str(rule_repo), "--out", str(out), check=2)
    cli.run("apply", str(out), check=0)
    assert set(_servers(cli)) == {"alpha", "beta"}
    edit(rule_repo / "rules" / "weight.yaml", "kg", "kgs")
    cli.run("plan", "-f", str(rule_repo), "--out", str(out), check=2)
    cli.run("down", "alpha", check=0)
    stale = cli.run("apply", str(out), check=1)
    assert "is stale: the state changed since the plan was made" in stale.stderr
    cli.run("plan", "-f", str(rule_repo), "--out", str(out), check=2)
    edit(rule_repo / "rules" / "weight.yaml", "kgs", "kilos")
    stale = cli.run("apply", str(out), check=1)
    assert "the manifests (or the lock file) changed since the plan was made" in stale.stderr


TEMPLATE = """\
{%- for s in sites %}
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: t-{{ s }}}
spec:
  server: alpha
  ner:
    labels: [{value: Note}]
    rules: [height]
{% endfor %}
"""


def test_saved_plan_keeps_template_values_and_absolute_paths(
    cli: Cli, rule_repo: Path, tmp_path: Path
) -> None:
    (rule_repo / "projects.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Server\nmetadata: {name: alpha}\nspec: {engine: native}\n"
    )
    (rule_repo / "t.yaml.j2").write_text(TEMPLATE)
    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "sites.yaml").write_text("sites: [x]\n")
    in_repo = Cli(cli.home, rule_repo)
    plan = in_repo.run(
        "plan",
        "-f",
        ".",
        "--values",
        "../values/sites.yaml",
        "--set",
        "sites=[a,b]",
        "--out",
        "p.json",
        check=2,
    )
    assert "deploy     server/alpha: new server" in plan.stdout
    saved = json.loads((rule_repo / "p.json").read_text())
    assert saved["schemaVersion"] == 2
    assert saved["inputs"]["paths"] == [str(rule_repo.resolve())]
    assert saved["inputs"]["root"] == str(rule_repo.resolve())
    assert saved["inputs"]["lockfile"] == str((rule_repo / "alabctl.lock").resolve())
    assert saved["inputs"]["values"] == {"sites": ["a", "b"]}
    # options that would change the inputs are refused: the plan fixes them
    for extra in (
        ["--set", "sites=[a,b]"],
        ["-f", "."],
        ["--values", "x.yaml"],
        ["--root", "."],
        ["--prune"],
    ):
        refused = in_repo.run("apply", "p.json", *extra, check=2)
        assert f"{extra[0]}: the saved plan p.json fixes its inputs" in refused.stderr
    # applied from another folder, it reads exactly the same inputs (not the folder it runs in)
    (tmp_path / "junk.yaml").write_text("kind: Nonsense\n")
    done = cli.run("apply", str(rule_repo / "p.json"), check=0)
    assert "server/alpha created" in done.stdout
    assert _servers(cli)["alpha"]["projects"] == ["t-a", "t-b"]
    # a plan of stdin can not be read again: refused when saving it
    piped = subprocess.run(
        [sys.executable, "-m", "alabctl", "plan", "-f", "-", "--out", "q.json"],
        input=HEIGHT,
        cwd=tmp_path,
        env=cli.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 1 and "made from stdin" in piped.stderr  # plan: 2 means "changes"
    assert not (tmp_path / "q.json").exists()


def test_invalid_manifests_show_their_diagnostics_in_status_and_get(cli: Cli, rule_repo: Path) -> None:
    edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLenght: 50")
    for command in (["status"], ["get", "servers"], ["get", "projects"]):
        done = cli.run(*command, "-f", str(rule_repo), check=1)
        assert "height.yaml:7:3: error[ALB104]: unknown field 'contextLenght'" in done.stdout, command
        assert "the manifests are not valid, fix the errors above" in done.stderr
        assert "run 'alabctl validate'" not in done.stdout + done.stderr
        as_json = json.loads(cli.run(*command, "-f", str(rule_repo), "-o", "json", check=1).stdout)
        assert as_json["valid"] is False and "ALB104" in {d["code"] for d in as_json["diagnostics"]}
    # get projects reads manifests: like plan and apply, it needs -f (it does not walk the folder)
    bare = cli.run("get", "projects", check=2)
    assert "get projects needs -f PATH" in bare.stderr


def test_prune_is_opt_in(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    text = (rule_repo / "projects.yaml").read_text()
    (rule_repo / "projects.yaml").write_text(
        text.split("---\napiVersion: alabctl/v1\nkind: Project\nmetadata: {name: weights}")[0].replace(
            "---\napiVersion: alabctl/v1\nkind: Server\nmetadata: {name: beta}\nspec: {engine: native}\n", ""
        )
    )
    plan = cli.run("plan", "-f", str(rule_repo), check=0)
    assert "orphan     server/beta" in plan.stdout
    cli.run("apply", "-f", str(rule_repo), check=0)
    assert _servers(cli)["beta"]["health"] == "Healthy"
    pruned = cli.run("apply", "-f", str(rule_repo), "--prune", check=0)
    assert "server/beta pruned" in pruned.stdout
    assert set(_servers(cli)) == {"alpha"}


def test_a_replaced_admin_token_restarts_the_server_on_the_new_build(cli: Cli, rule_repo: Path) -> None:
    """A server keeps the token it read at start; once the token file is deleted (a new one is made)
    its reloads are refused with 401: apply restarts it on the same port instead of failing forever."""
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)["alpha"]
    (cli.home / "admin-token").unlink()
    edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLength: 30")
    done = cli.run("apply", "-f", str(rule_repo))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "server/alpha configured" in done.stdout
    after = _servers(cli)["alpha"]
    assert after["health"] == "Healthy" and after["url"] == before["url"]
    assert after["pid"] != before["pid"] and after["modelVersion"] != before["modelVersion"]
    assert cli.run("plan", "-f", str(rule_repo)).returncode == 0  # converged
