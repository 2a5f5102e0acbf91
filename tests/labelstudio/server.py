"""One real Label Studio server for a test session: its venv, start on a free port, stop by pid.

The venv is made by ``.ci/labelstudio-venv`` (outside the clone, reused by later runs) so Label
Studio's pins never meet alabctl's. Settings follow the research notes: no analytics, no update
check, no Sentry, legacy API tokens on, SSRF guards off for loopback (it must reach our servers),
and Label Studio's own prediction validation on.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
USER = "admin@alabctl.test"
PASSWORD = "alabctl-test-pass-1"  # a throwaway account on a loopback-only server
TOKEN = "alabctl0test0token0123456789"
START_TIMEOUT = 240.0


@dataclass(frozen=True)
class RunningLabelStudio:
    url: str
    token: str
    pid: int
    log: Path


def make_venv() -> Path | str:
    """The venv holding ``label-studio``, or why it cannot be made."""
    given = os.environ.get("ALABCTL_LS_VENV")
    if given and (Path(given) / "bin" / "label-studio").exists():
        return Path(given)
    try:
        done = subprocess.run(
            [str(REPO / ".ci" / "labelstudio-venv")], capture_output=True, text=True, timeout=1200
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot make Label Studio's venv: {exc}"
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"cannot make Label Studio's venv (.ci/labelstudio-venv failed: {tail})"
    return Path(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    return {
        **keep,
        "HOME": str(data),
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "ML_BLOCK_LOCAL_IP": "false",
        "SSRF_PROTECTION_ENABLED": "false",
        "fflag_feat_utc_210_prediction_validation_15082025": "true",
        "LABEL_STUDIO_USERNAME": USER,
        "LABEL_STUDIO_PASSWORD": PASSWORD,
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "ML_TIMEOUT_HEALTH": "5",
        "ML_CONNECTION_TIMEOUT": "5",
    }


PR_SET_PDEATHSIG = 1


def _die_with_pytest() -> None:
    """In the child, before exec (Linux): the kernel sends SIGTERM when the test run that started
    Label Studio ends, so a run killed before its fixtures' teardown leaves no server behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(venv: Path, data: Path) -> RunningLabelStudio:
    """Start Label Studio on 127.0.0.1 and wait until ``/health`` answers; stop it if it never does."""
    port = free_port()
    log = data / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(venv / "bin" / "label-studio"),
                "start",
                "--no-browser",
                "--internal-host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data),
                "--enable-legacy-api-token",
            ],
            cwd=data,
            env=server_env(data),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_pytest if os.name == "posix" else None,
        )
    running = RunningLabelStudio(f"http://127.0.0.1:{port}", TOKEN, proc.pid, log)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"Label Studio exited with {proc.returncode}: see {log}")
            try:
                if requests.get(f"{running.url}/health", timeout=2).ok:
                    return running
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Label Studio did not answer /health in {START_TIMEOUT:.0f} s: see {log}")
    except BaseException:
        stop(running)
        raise


def stop(running: RunningLabelStudio) -> None:
    """Stop the server's process group (its id is the pid it was started with) and wait for it."""
    try:
        os.killpg(running.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(running.pid, 0)
        except ProcessLookupError:
            return
        _reap(running.pid)
        time.sleep(0.2)
    os.killpg(running.pid, signal.SIGKILL)
    _reap(running.pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
