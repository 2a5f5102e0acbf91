"""Finish what a killed apply left: intents recorded but not completed, and server processes
started from this home that no record owns (orphans). Runs under the apply lock, before observe."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

from alabctl.reconcile import process
from alabctl.reconcile.deploy import wait_healthy
from alabctl.reconcile.state import Deployment, State, now
from alabctl.reconcile.vocab import Health


def server_processes(home: Path) -> dict[int, tuple[str, Path]]:
    """Every ``alabctl serve`` process serving a build under ``<home>/deploy/``: pid -> (server, dir)."""
    root = str(home / "deploy") + "/"
    found: dict[int, tuple[str, Path]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            args = [a.decode(errors="replace") for a in argv]
            if "serve" not in args or "--build" not in args:
                continue
            build = args[args.index("--build") + 1]
            if build.startswith(root):
                found[int(entry.name)] = (args[args.index("serve") + 1], Path(build))
    return found


def _finish(state: State, record: Deployment, pid: int, build: Path, timeout: float) -> None:
    """A process started by the interrupted apply: keep it if it becomes healthy on the intended
    build, else stop it."""
    intent = record.intent or {}
    started = process.start_time(pid)
    seen = wait_healthy(record.host, record.port, pid, started, timeout)
    if (
        seen.health is Health.HEALTHY
        and str(build) == intent.get("dir")
        and seen.build in (None, intent.get("build"))
    ):
        state.put(
            replace(
                record,
                pid=pid,
                pid_start=started,
                digest=intent.get("digest"),
                build=intent.get("build"),
                dir=str(build),
                health=Health.HEALTHY.value,
                intent=None,
                started=record.started or now(),
            )
        )
        return
    process.stop(pid, started, grace=5)
    state.put(replace(record, pid=None, pid_start=None, digest=None, intent=None))


def recover(home: Path, state: State, timeout: float = 30.0) -> list[str]:
    """Resolve interrupted intents and stop orphans; returns one line per thing done."""
    records = state.deployments()
    if not any(r.intent for r in records.values()) and not _orphans(home, records):
        return []
    done: list[str] = []
    running = server_processes(home)
    for record in records.values():
        if not record.intent:
            continue
        action = record.intent.get("action")
        mine = [pid for pid, (name, _) in running.items() if name == record.server]
        if action == "start" and mine:
            pid = record.pid if record.pid in mine else mine[0]
            _finish(state, record, pid, running[pid][1], timeout)
            done.append(f"server/{record.server}: finished an interrupted start")
        elif action == "reload" and record.pid is not None and process.alive(record.pid, record.pid_start):
            # whether the reload happened is what /health says; the next plan redeploys if not
            state.put(replace(record, intent=None))
            done.append(f"server/{record.server}: cleared an interrupted reload")
        else:
            if record.pid is not None:
                process.stop(record.pid, record.pid_start)
            state.put(replace(record, pid=None, pid_start=None, digest=None, intent=None))
            done.append(f"server/{record.server}: cleaned up an interrupted {action}")
    for pid, (name, _) in _orphans(home, state.deployments()).items():
        process.stop(pid, process.start_time(pid), grace=5)
        done.append(f"server/{name}: stopped an orphan process (pid {pid})")
    return done


def _orphans(home: Path, records: dict[str, Deployment]) -> dict[int, tuple[str, Path]]:
    owned = {r.pid for r in records.values() if r.pid is not None}
    return {pid: v for pid, v in server_processes(home).items() if pid not in owned}
