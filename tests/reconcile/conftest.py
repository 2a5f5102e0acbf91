"""Fixtures for the reconciler: a tmp home, a rule-only repository, the real CLI in a subprocess,
and a guard that stops every server a test started (by recorded pid, and any process serving a
build from the tmp home)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alabctl.reconcile.process import alive, start_time
from alabctl.reconcile.recover import server_processes
from alabctl.reconcile.state import State

HEIGHT = """\
apiVersion: alabctl/v1
kind: Rule
metadata: {name: height}
spec:
  entity: Height
  regex: "[0-7]'((0?[0-9])|(1(0|1)))"
  contextLength: 50
"""

WEIGHT = """\
apiVersion: alabctl/v1
kind: Rule
metadata: {name: weight}
spec:
  entity: Weight
  regex: "[0-9]{2,3} ?kg"
"""

PROJECTS = """\
apiVersion: alabctl/v1
kind: Server
metadata: {name: alpha}
spec: {engine: native}
---
apiVersion: alabctl/v1
kind: Server
metadata: {name: beta}
spec: {engine: native}
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: heights}
spec:
  server: alpha
  ner:
    labels: [{value: Note}]
    rules: [height]
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: weights}
spec:
  server: beta
  ner:
    labels: [{value: Note}]
    rules: [weight]
"""


@dataclass
class Cli:
    """The real ``alabctl`` in a subprocess, with the tmp home."""

    home: Path
    cwd: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "ALABCTL_HOME": str(self.home), **extra}

    def run(self, *args: str, check: int | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "alabctl", *args],
            cwd=self.cwd,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check is not None:
            assert done.returncode == check, done.stdout + done.stderr
        return done

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "alabctl", *args],
            cwd=self.cwd,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def state(self) -> State:
        return State(self.home / "alabctl.db")


def stop_everything(home: Path) -> None:
    """Stop every server recorded in ``home`` and any process serving a build from it."""
    with contextlib.suppress(Exception):
        subprocess.run(
            [sys.executable, "-m", "alabctl", "down", "--lock-timeout", "5s"],
            env={**os.environ, "ALABCTL_HOME": str(home)},
            capture_output=True,
            timeout=60,
        )
    pids: set[int] = set(server_processes(home))
    if (home / "alabctl.db").exists():
        with contextlib.suppress(Exception):
            pids.update(d.pid for d in State(home / "alabctl.db").deployments().values() if d.pid)
    for pid in pids:
        started = start_time(pid)
        if alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "home"
    where.mkdir()
    try:
        yield where
    finally:
        stop_everything(where)


@pytest.fixture
def rule_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "height.yaml").write_text(HEIGHT)
    (root / "rules" / "weight.yaml").write_text(WEIGHT)
    (root / "projects.yaml").write_text(PROJECTS)
    return root


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> Cli:
    return Cli(home, tmp_path)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


Editor = Callable[[Path, str, str], None]
