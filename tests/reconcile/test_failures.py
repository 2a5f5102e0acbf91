"""What an operator sees when a server can not start or has died: the cause, and what to do."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from alabctl.reconcile.process import alive
from alabctl.reconcile.recover import server_processes
from tests.reconcile.conftest import Cli, edit


def _servers(cli: Cli) -> dict[str, dict]:
    return {s["name"]: s for s in cli.json("get", "servers")}


def test_a_port_taken_by_another_program_is_named_with_the_fix(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)["alpha"]
    port = int(before["url"].rsplit(":", 1)[1])
    cli.run("down", "alpha", check=0)
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", port))
        other.listen()
        done = cli.run("apply", "-f", str(rule_repo), check=1)
        assert (
            f"server/alpha failed: port {port} on 127.0.0.1 is in use by another program: stop that "
            "program, or give Server 'alpha' a free port (spec.port)"
        ) in done.stdout
        status = _servers(cli)["alpha"]
        assert status["health"] == "Missing"
        assert status["lastError"] == f"port {port} on 127.0.0.1 is in use by another program"
    cli.run("apply", "-f", str(rule_repo), check=0)  # freed: the same port again
    assert _servers(cli)["alpha"]["url"] == before["url"]


def test_a_port_held_by_another_server_names_it_and_the_running_one_keeps_serving(
    cli: Cli, rule_repo: Path
) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)
    port = int(before["beta"]["url"].rsplit(":", 1)[1])  # picked free for beta
    edit(
        rule_repo / "projects.yaml",
        "metadata: {name: alpha}\nspec: {engine: native}",
        f"metadata: {{name: alpha}}\nspec: {{engine: native, port: {port}}}",
    )
    done = cli.run("apply", "-f", str(rule_repo), check=1)
    assert (
        f"server/alpha failed: port {port} on 127.0.0.1 is held by server 'beta' of this home: give one "
        "of them another port (spec.port), or run 'alabctl down beta' and apply again"
    ) in done.stdout
    now = _servers(cli)
    assert now["alpha"]["health"] == "Healthy" and now["alpha"]["pid"] == before["alpha"]["pid"]
    assert "beta" not in cli.state().ports()  # the manifest's port is alpha's: beta gets another
    assert now["alpha"]["url"] == before["alpha"]["url"] and now["beta"]["pid"] == before["beta"]["pid"]
    cli.run("down", "beta", check=0)  # the fix the message gives
    cli.run("apply", "-f", str(rule_repo), check=0)
    after = _servers(cli)
    assert (
        after["alpha"]["url"] == f"http://127.0.0.1:{port}" and after["beta"]["url"] != after["alpha"]["url"]
    )
    assert {s["health"] for s in after.values()} == {"Healthy"}


def test_a_failed_start_quotes_this_start_s_log_lines_only(cli: Cli, rule_repo: Path) -> None:
    log = cli.home / "logs" / "alpha.log"
    log.parent.mkdir(parents=True)
    log.write_text("alabctl: error: an OLD failure from last week\n")
    plan = cli.json("plan", "-f", str(rule_repo))
    digest = next(s["digest"] for s in plan["steps"] if s["name"] == "alpha")
    broken = cli.home / "deploy" / "alpha" / digest / "servers" / "alpha"
    broken.mkdir(parents=True)
    (broken / "pipeline.json").write_text("{not json")
    done = cli.run("apply", "-f", str(rule_repo), check=1)
    line = next(x for x in done.stdout.splitlines() if x.startswith("server/alpha failed"))
    assert "manifest.json: missing" in line and "OLD failure" not in line


def test_a_dead_server_says_so_in_status_and_wait(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    pid = _servers(cli)["beta"]["pid"]
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    expected = f"its process (pid {pid}) is gone; 'alabctl apply -f REPO' restarts it"
    assert _servers(cli)["beta"]["lastError"] == expected
    waited = cli.run("wait", "--for", "healthy", "--timeout", "0.2s", check=1)
    assert f"beta (Missing: {expected})" in waited.stderr


def test_a_home_that_refuses_writes_fails_the_servers_not_the_command(cli: Cli, rule_repo: Path) -> None:
    """What a full or read-only disk does to the build copies and the logs, made with files where
    alabctl needs folders: each server fails with the path and the reason, no intent is left."""
    cli.home.mkdir(exist_ok=True)
    (cli.home / "logs").write_text("")
    done = cli.run("apply", "-f", str(rule_repo), check=1)
    assert "internal error" not in done.stderr
    assert f"server/alpha failed: could not start it: {cli.home / 'logs'}" in done.stdout
    assert {s["health"] for s in _servers(cli).values()} == {"Missing"}
    assert all(d.intent is None for d in cli.state().deployments().values())
    (cli.home / "logs").unlink()
    shutil.rmtree(cli.home / "deploy")
    (cli.home / "deploy").write_text("")
    done = cli.run("apply", "-f", str(rule_repo), check=1)
    assert "internal error" not in done.stderr
    assert f"server/beta failed: {cli.home / 'deploy'}" in done.stdout
    (cli.home / "deploy").unlink()
    cli.run("apply", "-f", str(rule_repo), check=0)


SLOW_START = """\
import time
from pathlib import Path

if b"serve" in Path("/proc/self/cmdline").read_bytes().split(b"\\0"):
    time.sleep(60)  # a server slow to start (a big model loading)
"""


def test_ctrl_c_during_a_slow_start_stops_at_once_and_leaves_no_half_done_state(
    cli: Cli, rule_repo: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_START)
    env = cli.env(PYTHONPATH=str(site))
    child = subprocess.Popen(
        [sys.executable, "-m", "alabctl", "apply", "-f", str(rule_repo), "--timeout", "120s"],
        cwd=cli.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while len(server_processes(cli.home)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        starting = dict(server_processes(cli.home))
        assert len(starting) == 2
        time.sleep(0.3)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20)  # not the 60 s the servers take to start
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    lines = out.splitlines()
    assert lines and all(": did not become healthy: interrupted while starting (Ctrl-C)" in x for x in lines)
    assert not any(alive(pid, None) for pid in starting)
    records = cli.state().deployments()
    assert all(r.intent is None and r.pid is None for r in records.values())
    assert {s["health"] for s in _servers(cli).values()} == {"Missing"}
    cli.run("apply", "-f", str(rule_repo), check=0)  # and a new apply converges


def test_the_admin_token_is_made_once_whole_and_as_serve_makes_it(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from alabctl.reconcile.deploy import Layout, admin_token

    layout = Layout(tmp_path)
    with ThreadPoolExecutor(8) as pool:  # servers deploy in parallel: none may read it half written
        tokens = set(pool.map(lambda _: admin_token(layout), range(64)))
    assert len(tokens) == 1
    token = tokens.pop()
    assert len(token) == 64 and int(token, 16) >= 0  # 32 random bytes in hex (docs/runtime.md)
    assert (tmp_path / "admin-token").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["admin-token"]


def test_a_server_that_does_not_answer_because_it_is_stopped_is_restarted_without_the_grace(
    cli: Cli, rule_repo: Path
) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)["beta"]
    os.kill(before["pid"], signal.SIGSTOP)  # as Ctrl-Z would: it holds its port and answers nothing
    try:
        assert _servers(cli)["beta"]["health"] == "Unknown"
        began = time.monotonic()
        done = cli.run("apply", "-f", str(rule_repo), check=0)
        took = time.monotonic() - began
    finally:
        if alive(before["pid"], None):
            os.kill(before["pid"], signal.SIGCONT)
    assert "server/beta configured" in done.stdout and "drift: unhealthy (Unknown" in done.stdout
    assert took < 8, took  # SIGTERM is handled at once, not SIGKILL after the 10 s grace
    after = _servers(cli)["beta"]
    assert after["health"] == "Healthy" and after["url"] == before["url"] and not alive(before["pid"], None)


def test_status_with_manifests_shows_sync_and_why_a_declared_server_is_missing(
    cli: Cli, rule_repo: Path
) -> None:
    def rows() -> dict[str, dict]:
        return {s["name"]: s for s in cli.json("status", "-f", str(rule_repo))}

    never = rows()
    assert {s["health"] for s in never.values()} == {"Missing"}
    assert {s["sync"] for s in never.values()} == {"OutOfSync"}
    assert never["alpha"]["lastError"].startswith("never deployed: 'alabctl plan -f REPO' says")
    cli.run("apply", "-f", str(rule_repo), check=0)
    assert {s["sync"] for s in rows().values()} == {"Synced"}
    edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLength: 31")
    assert {n: s["sync"] for n, s in rows().items()} == {"alpha": "OutOfSync", "beta": "Synced"}


def test_a_server_moved_to_another_host_on_its_own_port_is_restarted(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = _servers(cli)["alpha"]
    port = int(before["url"].rsplit(":", 1)[1])
    spec = f'spec: {{engine: native, host: "0.0.0.0", port: {port}}}'
    edit(
        rule_repo / "projects.yaml",
        "metadata: {name: alpha}\nspec: {engine: native}",
        f"metadata: {{name: alpha}}\n{spec}",
    )
    done = cli.run("apply", "-f", str(rule_repo))
    assert done.returncode == 0, done.stdout  # its own old process held the port, not another program
    after = _servers(cli)["alpha"]
    assert after["url"] == f"http://0.0.0.0:{port}" and after["health"] == "Healthy"


def test_two_servers_on_one_port_are_never_both_taken_for_healthy(cli: Cli, rule_repo: Path) -> None:
    """Both declare the same port, under two names of one address (validate compares hosts as
    written, ALB208): the one that binds second exits; the answer of the first on the port must not
    pass for its own health (it did: both were 'created' on one port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    projects = rule_repo / "projects.yaml"
    text = projects.read_text()
    text = text.replace(
        "metadata: {name: alpha}\nspec: {engine: native}",
        f"metadata: {{name: alpha}}\nspec: {{engine: native, port: {port}}}",
    )
    text = text.replace(
        "metadata: {name: beta}\nspec: {engine: native}",
        f"metadata: {{name: beta}}\nspec: {{engine: native, host: localhost, port: {port}}}",
    )
    projects.write_text(text)
    done = cli.run("apply", "-f", str(rule_repo), check=1)
    lines = done.stdout.splitlines()
    assert len([x for x in lines if " created: " in x]) == 1, done.stdout
    failed = next(x for x in lines if " failed: " in x)
    assert f"127.0.0.1:{port}" in failed or f"localhost:{port}" in failed, failed
    servers = _servers(cli)
    assert sorted(s["health"] for s in servers.values()) == ["Healthy", "Missing"]


def test_a_dead_server_whose_build_copy_is_gone_is_a_failed_repair_not_silence(
    cli: Cli, rule_repo: Path
) -> None:
    """watch repairs from the last good build while the manifests are broken: without it, the
    repair fails saying so (it was skipped silently, and watch logged the drift again every 2 s)."""
    from alabctl import api

    cli.run("apply", "-f", str(rule_repo), check=0)
    alpha = _servers(cli)["alpha"]
    os.kill(alpha["pid"], signal.SIGKILL)
    time.sleep(0.2)
    shutil.rmtree(cli.home / "deploy" / "alpha")
    outcomes = api.heal(home=cli.home, timeout=10, lock_timeout=5)
    assert [(o.name, o.result.value) for o in outcomes] == [("alpha", "failed")]
    assert "its last good build" in outcomes[0].message and "is gone" in outcomes[0].message
