"""One apply at a time: a second one refuses, naming the holder's pid, or waits with --lock-timeout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alabctl.reconcile.lock import apply_lock
from alabctl.spec.errors import UserError
from tests.reconcile.conftest import Cli

HOLD = (
    "import sys, time; from pathlib import Path; from alabctl.reconcile.lock import apply_lock\n"
    "with apply_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
)


def _holder(home: Path, seconds: float) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_second_apply_refuses_naming_the_holder(tmp_path: Path) -> None:
    child = _holder(tmp_path, 30)
    try:
        with pytest.raises(UserError) as caught, apply_lock(tmp_path):
            pass
        assert f"pid {child.pid}" in caught.value.message
    finally:
        child.kill()
        child.wait()
    with apply_lock(tmp_path):  # free again once the holder is gone (even killed)
        assert (tmp_path / "apply.lock").read_text() == str(os.getpid())


def test_second_apply_waits_with_a_timeout(tmp_path: Path) -> None:
    child = _holder(tmp_path, 0.5)
    try:
        start = time.monotonic()
        with apply_lock(tmp_path, timeout=10):
            waited = time.monotonic() - start
        assert 0.2 < waited < 10
    finally:
        child.kill()
        child.wait()


def test_cli_apply_refuses_while_another_holds_the_lock(home: Path, rule_repo: Path) -> None:
    child = _holder(home, 30)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "alabctl", "apply", "-f", str(rule_repo)],
            env={**os.environ, "ALABCTL_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert f"another apply holds {home / 'apply.lock'} (pid {child.pid})" in done.stderr
        assert not (home / "deploy").exists()
    finally:
        child.kill()
        child.wait()


def test_a_lock_file_that_refuses_the_pid_is_still_a_lock(tmp_path: Path) -> None:
    """A full disk refuses the holder's pid (``/dev/full`` answers every write with ENOSPC): the
    lock is still taken and released, so ``down`` can stop servers on a full disk."""
    (tmp_path / "apply.lock").symlink_to("/dev/full")
    for _ in range(2):
        with apply_lock(tmp_path):
            taken = True
    assert taken


def test_a_home_that_can_not_hold_the_lock_is_a_user_error(tmp_path: Path, cli: Cli) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("")
    with pytest.raises(UserError, match="can not open the lock file") as caught, apply_lock(home):
        pass
    assert "--home" in caught.value.hint
    done = cli.run("down", "--home", str(home))
    assert done.returncode == 1, done.stderr
    assert "can not open the lock file" in done.stderr and "internal error" not in done.stderr
