"""The reconciler's tables: ports assigned once and kept, transactions, schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from alabctl.assets.store import Store
from alabctl.reconcile.state import Deployment, State
from alabctl.spec.errors import PermanentError, UserError
from tests.reconcile.conftest import Cli


def test_port_is_assigned_once_and_kept(tmp_path: Path) -> None:
    state = State(tmp_path / "alabctl.db")
    assert state.assign_port("a", None, 9001) == 9001
    assert state.assign_port("a", None, 9555) == 9001  # kept
    assert state.assign_port("b", None, 9002) == 9002
    assert state.assign_port("a", 8000, 9555) == 8000  # the manifest's port wins
    assert State(tmp_path / "alabctl.db").ports() == {"a": 8000, "b": 9002}


def test_records_round_trip_and_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    state = State(tmp_path / "alabctl.db")
    record = Deployment(
        "a", "127.0.0.1", 9001, pid=5, inputs={"Rule/x": "1"}, projects=("p",), intent={"action": "start"}
    )
    state.put(record)
    assert state.deployment("a") == State(tmp_path / "alabctl.db").deployment("a")
    got = state.deployment("a")
    assert got is not None and got.inputs == {"Rule/x": "1"} and got.intent == {"action": "start"}
    before = state.digest()
    with pytest.raises(RuntimeError), state.transaction() as db:
        db.execute("DELETE FROM deployments")
        raise RuntimeError("crash")
    assert state.digest() == before and state.deployment("a") is not None


def test_store_and_state_share_the_database(tmp_path: Path) -> None:
    path = tmp_path / "alabctl.db"
    State(path)
    store = Store(path)
    store.set_server_assets("a", ["ner"])
    assert store.servers_using("ner") == ["a"]


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "alabctl.db"
    State(path)
    db = sqlite3.connect(path)
    db.execute("UPDATE reconcile_meta SET value = '9' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(PermanentError, match="schema version 9"):
        State(path)


def test_a_damaged_state_database_is_a_user_error_saying_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "alabctl.db"
    path.write_text("not a database, overwritten by hand\n" * 100)
    with pytest.raises(UserError, match="the state database is damaged") as caught:
        State(path)
    assert f"mv {path} {path}.damaged" in caught.value.hint


def test_a_state_database_sqlite_can_not_open_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "alabctl.db"
    path.mkdir()  # e.g. a folder where the file should be
    with pytest.raises(UserError, match=f"can not read or write the state database {path}"):
        State(path)


def test_cli_commands_on_a_damaged_state_exit_1_without_a_traceback(
    cli: Cli, rule_repo: Path, tmp_path: Path
) -> None:
    cli.home.mkdir(exist_ok=True)
    (cli.home / "alabctl.db").write_bytes(b"\x00garbage" * 512)
    for args in (["status"], ["plan", "-f", str(rule_repo)], ["apply", "-f", str(rule_repo)], ["down"]):
        done = cli.run(*args, TMPDIR=str(tmp_path))
        assert done.returncode == 1, (args, done.stderr)
        assert "the state database is damaged" in done.stderr, done.stderr
        assert "internal error" not in done.stderr
    assert not list(tmp_path.glob("alabctl-crash-*"))


def test_a_home_that_is_a_file_is_a_user_error_for_every_command(
    cli: Cli, rule_repo: Path, tmp_path: Path
) -> None:
    home = tmp_path / "a-file"
    home.write_text("")
    with pytest.raises(UserError, match="can not make the state database"):
        State(home / "alabctl.db")
    for args in (["status"], ["wait", "--timeout", "1s"], ["plan", "-f", str(rule_repo)], ["down"]):
        done = cli.run(*args, "--home", str(home), TMPDIR=str(tmp_path))
        assert done.returncode == 1, (args, done.stderr)
        assert "internal error" not in done.stderr and "--home" in done.stderr, done.stderr
