"""Kill -9 of ``apply`` at named points, then apply again: it converges, without restarting a
server that is already right, with no orphan process and no half-recorded state."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from alabctl.reconcile.recover import server_processes
from tests.reconcile.conftest import Cli, edit


def _apply_killed_at(cli: Cli, repo: Path, point: str) -> None:
    child = cli.start("apply", "-f", str(repo), ALABCTL_PAUSE_AT=point)
    marker = cli.home / f"paused-{point}"
    deadline = time.monotonic() + 60
    try:
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, f"apply never reached {point}"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
    marker.unlink()


def _check_converged(cli: Cli) -> dict[str, dict]:
    servers = {s["name"]: s for s in cli.json("get", "servers")}
    assert {s["health"] for s in servers.values()} == {"Healthy"}
    records = cli.state().deployments()
    assert all(r.intent is None for r in records.values())
    # exactly one process per server, the recorded one: no orphans
    running = server_processes(cli.home)
    assert sorted(running) == sorted(r.pid for r in records.values() if r.pid)
    return servers


@pytest.mark.parametrize("point", ["spawn", "spawned", "recorded"])
def test_killed_during_a_deploy(cli: Cli, rule_repo: Path, point: str) -> None:
    _apply_killed_at(cli, rule_repo, point)
    # until an apply finishes it, status says what was under way and what to do
    halted = {s["name"]: s for s in cli.json("get", "servers")}
    assert any(
        s["lastError"] == "an apply is doing 'start' on it (if none runs, it was interrupted: the next "
        "'alabctl apply -f REPO' finishes it)"
        for s in halted.values()
    ), halted
    again = cli.run("apply", "-f", str(rule_repo), check=0)
    servers = _check_converged(cli)
    assert set(servers) == {"alpha", "beta"}
    if point in ("spawned", "recorded"):
        # a process the killed apply started and that came up right is kept, not restarted
        assert "finished an interrupted start" in again.stdout
    cli.run("apply", "-f", str(rule_repo), check=0)
    assert {s["pid"] for s in cli.json("get", "servers")} == {s["pid"] for s in servers.values()}


def test_killed_during_a_reload(cli: Cli, rule_repo: Path) -> None:
    cli.run("apply", "-f", str(rule_repo), check=0)
    before = {s["name"]: s for s in cli.json("get", "servers")}
    edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLength: 45")
    _apply_killed_at(cli, rule_repo, "reload")
    plan = json.loads(cli.run("plan", "-f", str(rule_repo), "-o", "json").stdout)
    assert [s["name"] for s in plan["steps"]] == ["alpha"]
    cli.run("apply", "-f", str(rule_repo), check=0)
    after = _check_converged(cli)
    assert after["alpha"]["pid"] == before["alpha"]["pid"]  # reloaded in place
    assert after["alpha"]["modelVersion"] != before["alpha"]["modelVersion"]
    assert after["beta"]["pid"] == before["beta"]["pid"]
