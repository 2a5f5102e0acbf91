"""``alabctl watch`` on real servers: an edit redeploys, a broken edit changes nothing that runs,
a killed server comes back, SIGTERM leaves the servers running (``--down-on-exit`` stops them)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alabctl.reconcile.process import alive
from alabctl.reconcile.recover import server_processes
from alabctl.reconcile.watch import Changes, Watched, ignored
from tests.reconcile.conftest import HEIGHT, Cli, edit


class Log:
    """The watch's JSON lines, read on a thread."""

    def __init__(self, child: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        assert child.stdout is not None
        stdout = child.stdout
        threading.Thread(
            target=lambda: [self.lines.put(json.loads(line)) for line in stdout], daemon=True
        ).start()

    def until(self, match: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                entry = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(entry)
            if match(entry):
                return entry
        raise AssertionError(f"no matching log line; saw {self.seen}")

    def deployed(self, names: set[str]) -> None:
        left = set(names)
        while left:
            entry = self.until(lambda e: e["event"] == "apply" and e["result"] == "created")
            left.discard(entry["name"])


def _servers(cli: Cli) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in cli.json("get", "servers")}


def _version_changes(cli: Cli, server: str, old: object, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _servers(cli)[server]
        if now["modelVersion"] != old and now["health"] == "Healthy":
            return now
        time.sleep(0.1)
    raise AssertionError(f"{server} kept model_version {old}")


def test_watch_reconciles_edits_heals_and_exits_cleanly(cli: Cli, rule_repo: Path) -> None:
    child = cli.start("watch", "-f", str(rule_repo), "-o", "json", "--interval", "0.5s")
    try:
        log = Log(child)
        log.deployed({"alpha", "beta"})
        before = _servers(cli)
        # an edit redeploys the server that uses the rule
        edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLength: 42")
        after = _version_changes(cli, "alpha", before["alpha"]["modelVersion"])
        assert after["pid"] == before["alpha"]["pid"]
        assert _servers(cli)["beta"]["modelVersion"] == before["beta"]["modelVersion"]
        # a broken edit is reported and changes nothing that runs
        edit(rule_repo / "rules" / "height.yaml", "contextLength: 42", "contextLenght: 42")
        invalid = log.until(lambda e: e["event"] == "invalid")
        assert "ALB104" in {d["code"] for d in invalid["diagnostics"]}
        assert _servers(cli)["alpha"]["modelVersion"] == after["modelVersion"]
        assert _servers(cli)["alpha"]["health"] == "Healthy"
        # a killed server is restarted
        os.kill(before["beta"]["pid"], signal.SIGKILL)
        log.until(lambda e: e["event"] == "drift" and "beta" in e["servers"])
        log.until(lambda e: e["event"] == "apply" and e["name"] == "beta" and e["result"] == "configured")
        healed = _servers(cli)["beta"]
        assert healed["health"] == "Healthy" and healed["url"] == before["beta"]["url"]
        # SIGTERM: clean exit, servers keep running
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 0
        assert log.until(lambda e: e["event"] == "stop", timeout=5)
        assert alive(_servers(cli)["alpha"]["pid"], None)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_down_on_exit_stops_the_servers(cli: Cli, rule_repo: Path) -> None:
    child = cli.start("watch", "-f", str(rule_repo), "-o", "json", "--down-on-exit")
    try:
        log = Log(child)
        log.deployed({"alpha", "beta"})
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=60) == 0
        assert server_processes(cli.home) == {}
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_watched_folder_deleted_and_made_anew_is_watched_again(cli: Cli, rule_repo: Path) -> None:
    """``rm -rf repo`` and a fresh copy: the OS stopped watching the deleted folder, so watch looks
    at the new one itself and reconciles it; its edits are seen from then on."""
    child = cli.start("watch", "-f", str(rule_repo), "-o", "json", "--interval", "0.3s")
    try:
        log = Log(child)
        log.deployed({"alpha", "beta"})
        before = _servers(cli)["alpha"]["modelVersion"]
        copy = rule_repo.with_name("copy")
        shutil.copytree(rule_repo, copy)
        shutil.rmtree(rule_repo)
        log.until(lambda e: e["event"] == "error" and "no such file or directory" in e["message"])
        copy.rename(rule_repo)
        log.until(lambda e: e["event"] == "change" and e["paths"] == [str(rule_repo)])
        log.until(lambda e: e["event"] == "synced")
        edit(rule_repo / "rules" / "height.yaml", "contextLength: 50", "contextLength: 42")
        _version_changes(cli, "alpha", before)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)


def test_a_burst_of_events_is_one_change() -> None:
    changes = Changes()
    stop = threading.Event()

    def burst() -> None:
        for i in range(5):
            changes.add(f"/repo/rules/r{i}.yaml")
            time.sleep(0.02)
        changes.add("/repo/.git/index")
        changes.add("/repo/rules/.r1.yaml.swp")

    threading.Thread(target=burst).start()
    assert changes.wait(5)
    paths = changes.drain(0.2, 2.0, stop)
    assert paths == {f"/repo/rules/r{i}.yaml" for i in range(5)}
    assert ignored("/repo/x.yaml~") and not ignored("/repo/rules/x.yaml")


def test_a_missing_path_is_a_usage_error_at_once(cli: Cli, tmp_path: Path) -> None:
    started = time.monotonic()
    done = cli.run("watch", "-f", "nope/")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("alabctl: error: nope/: no such file or directory")
    assert "{" not in done.stdout + done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 30
    assert cli.run("watch", "-f", "-").returncode == 2
    busy = cli.run("watch", "-f", str(tmp_path), "--interval", "0s")  # would spin a core
    assert busy.returncode == 2 and "--interval 0s is too short" in busy.stderr


def test_only_changes_to_inputs_trigger_a_reconcile(cli: Cli, tmp_path: Path) -> None:
    repo = tmp_path / "norepo"
    (repo / "rules" / "dictionaries").mkdir(parents=True)
    (repo / "rules" / "gender.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Rule\nmetadata: {name: gender}\nspec:\n  entity: Gender\n"
        "  dictionary: {file: dictionaries/gender.csv, orientation: horizontal}\n"
    )
    (repo / "rules" / "dictionaries" / "gender.csv").write_text("female,woman,she\n")
    (repo / "rules" / "height.yaml").write_text(HEIGHT)
    child = cli.start("watch", "-f", str(repo), "-o", "json", "--debounce", "100ms")
    try:
        log = Log(child)
        log.until(lambda e: e["event"] == "synced" and e["reason"] == "start")
        # sed -i writes sedXXXXXX beside the file and renames it over the file: only the file counts
        subprocess.run(
            ["sed", "-i", "s/contextLength: 50/contextLength: 40/", "height.yaml"],
            cwd=repo / "rules",
            check=True,
        )
        change = log.until(lambda e: e["event"] == "change")
        assert change["paths"] == [str((repo / "rules" / "height.yaml").resolve())]
        log.until(lambda e: e["event"] == "synced" and e["reason"] == "change")
        # files that are no input change nothing; a dictionary a rule reads does
        (repo / "notes.txt").write_text("not a manifest")
        (repo / "rules" / "height.yaml.swp").write_text("swap")
        (repo / "rules" / "sedAb12Cd").write_text("a temporary file")
        time.sleep(1.0)
        (repo / "rules" / "dictionaries" / "gender.csv").write_text("female,woman,she,her\n")
        change = log.until(lambda e: e["event"] == "change")
        assert change["paths"] == [str((repo / "rules" / "dictionaries" / "gender.csv").resolve())]
        assert len([e for e in log.seen if e["event"] == "change"]) == 2, log.seen
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def test_what_is_watched() -> None:
    root = Path("/repo")
    watched = Watched([root, Path("/elsewhere/one.yaml")], Path("/repo/alabctl.lock"))
    watched.read(["/repo/rules/dictionaries/gender.csv", "/repo/models/my_ner"])
    wanted = [
        "/repo/projects.yaml",
        "/repo/rules/height.yml",
        "/repo/templates/sites.yaml.j2",
        "/repo/.alabctlignore",
        "/repo/rules/.alabctlignore",
        "/repo/alabctl.lock",
        "/repo/rules/dictionaries/gender.csv",
        "/repo/models/my_ner/metadata/part-00000",
        "/elsewhere/one.yaml",
    ]
    unwanted = [
        "/repo/notes.txt",
        "/repo/rules/sedAb12Cd",
        "/repo/rules/sedx9Z0qP",
        "/repo/rules/4913",
        "/repo/rules/height.yaml~",
        "/repo/rules/.height.yaml.swp",
        "/repo/rules/#height.yaml#",
        "/repo/rules/height.yaml.tmp",
        "/repo/.git/config.yaml",
        "/repo/.venv/lib/site.yaml",
        "/repo/rules/dictionaries/other.csv",
        "/elsewhere/two.yaml",
        "/elsewhere/alabctl.lock",
    ]
    assert [p for p in wanted if not watched.wants(p)] == []
    assert [p for p in unwanted if watched.wants(p)] == []
    # a repository inside a hidden folder is still watched
    assert Watched([Path("/home/u/.cache/repo")]).wants("/home/u/.cache/repo/a.yaml")


def test_each_folder_is_watched_once(tmp_path: Path) -> None:
    repo, other = tmp_path / "repo", tmp_path / "other"
    (repo / "rules").mkdir(parents=True)
    other.mkdir()
    (repo / "rules" / "a.yaml").write_text("")
    (other / "b.yaml").write_text("")
    watched = Watched(
        [repo, repo / "rules", repo / "rules" / "a.yaml", other / "b.yaml"], tmp_path / "alabctl.lock"
    )
    # -f folders recursively; a -f file's folder and the lock file's folder alone; nothing twice
    assert watched.folders() == [(tmp_path, False), (other, False), (repo, True)]


def test_a_user_error_in_a_reconcile_or_the_drift_check_is_logged_and_watch_goes_on(tmp_path: Path) -> None:
    """e.g. another command holding the apply lock past the wait, or a state database that can
    not be read for now: the watch logs it and carries on (a failed reconcile backs off)."""
    from alabctl.reconcile.watch import WatchOptions, watch
    from alabctl.spec.errors import UserError

    stop = threading.Event()
    logged: list[dict[str, Any]] = []
    calls = {"reconcile": 0, "drifted": 0}

    def reconcile(reason: str) -> bool:
        calls["reconcile"] += 1
        if calls["reconcile"] <= 2:
            raise UserError("another apply holds apply.lock (pid 1)", "wait for it")
        stop.set()
        return True

    def drifted() -> list[str]:
        calls["drifted"] += 1
        if calls["drifted"] == 1:
            raise UserError("the state database is damaged", "restore it")
        return ["alpha"]

    options = WatchOptions(interval=0.05, backoff=0.05)
    watch(
        Watched([tmp_path]),
        reconcile=reconcile,
        drifted=drifted,
        log=logged.append,
        stop=stop,
        options=options,
    )
    errors = [e for e in logged if e["event"] == "error"]
    assert [e["message"] for e in errors] == [
        "another apply holds apply.lock (pid 1)",
        "the state database is damaged",
        "another apply holds apply.lock (pid 1)",
    ]
    assert any(e["event"] == "backoff" for e in logged) and logged[-1]["event"] == "stop"
    assert calls["reconcile"] == 3


def test_each_deleted_watched_folder_is_noticed_when_it_is_back(tmp_path: Path) -> None:
    from alabctl.reconcile.watch import _Observers

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    observers = _Observers(Watched([a, b]), Changes())
    try:
        shutil.rmtree(a)
        shutil.rmtree(b)
        assert observers.renewed() == []  # gone: nothing to watch yet
        a.mkdir()
        assert observers.renewed() == [str(a)]
        assert observers.renewed() == []
        b.mkdir()  # still looked at while a was watched again without it
        assert observers.renewed() == [str(b)]
        shutil.rmtree(a)  # gone and back between two looks (the new folder may reuse the inode)
        a.mkdir()
        deadline = time.monotonic() + 10
        while not (renewed := observers.renewed()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert renewed == [str(a)]
    finally:
        observers.stop()
