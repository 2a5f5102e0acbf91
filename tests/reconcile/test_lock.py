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
