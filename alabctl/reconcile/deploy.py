"""Server deployments on this machine: each server's build copied under
``$ALABCTL_HOME/deploy/<server>/<digest>/``, its process started detached (``alabctl serve``),
hot-reloaded through its admin endpoint, and stopped. Every action records its intent first."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from alabctl.compile.desired import DesiredServer
from alabctl.files import create_once
from alabctl.reconcile import process
from alabctl.reconcile.health import Probe, probe, request
from alabctl.reconcile.hooks import pause
from alabctl.reconcile.state import Deployment, State, now
from alabctl.reconcile.vocab import Health

KEEP_BUILDS = 2
"""Build copies kept per server: the one serving and the one before."""


@dataclass(frozen=True)
class Layout:
    """Where deployments live in the home."""

    home: Path

    def builds(self, server: str) -> Path:
        return self.home / "deploy" / server

    def build(self, server: str, digest: str) -> Path:
        return self.builds(server) / digest

    def log(self, server: str) -> Path:
        return self.home / "logs" / f"{server}.log"

    @property
    def token_file(self) -> Path:
        return self.home / "admin-token"


class DeployError(Exception):
    """A server could not be brought to its desired build (the message says why)."""


def os_reason(exc: OSError) -> str:
    """An OS error as a user reads it: the file, then what went wrong (``logs: Not a directory``)."""
    return f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)


def copy_build(layout: Layout, server: DesiredServer, files: Mapping[str, bytes]) -> Path:
    """The server's part of the build under ``deploy/<server>/<digest>/``, written beside it and
    renamed into place (kept as is when it is already there)."""
    target = layout.build(server.name, server.digest)
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".new-", dir=target.parent))
    try:
        for rel in server.files:
            if rel in files:
                path = staging / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(files[rel])
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def prune_builds(layout: Layout, server: str, keep: set[str]) -> None:
    """Remove old build copies, keeping ``keep`` and the newest others up to ``KEEP_BUILDS``."""
    root = layout.builds(server)
    if not root.is_dir():
        return
    others = sorted((p for p in root.iterdir() if p.name not in keep), key=lambda p: p.stat().st_mtime)
    for path in others[: max(0, len(others) - max(0, KEEP_BUILDS - len(keep)))]:
        shutil.rmtree(path, ignore_errors=True)


def free_port(host: str) -> int:
    """A port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def in_use(host: str, port: int) -> bool:
    """Whether another program listens on ``host:port`` now (binding it as a server would)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE  # other failures are the server's to report
    return False


def admin_token(layout: Layout) -> str:
    """The admin token servers accept: created once (32 random bytes in hex, 0600) as ``alabctl
    serve`` creates it, written beside and linked into place so no one reads it half written."""
    path = layout.token_file
    create_once(path, secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def wait_healthy(
    host: str,
    port: int,
    pid: int | None,
    started: str | None,
    timeout: float,
    cancelled: threading.Event | None = None,
) -> Probe:
    """Poll ``/health`` until process ``pid`` says Healthy or Degraded, it dies, ``timeout`` passes
    or ``cancelled`` is set. An answer from another process on the port (one that held it first)
    is not the server's."""
    deadline = time.monotonic() + timeout
    last = Probe(False, Health.PROGRESSING, "starting")
    while time.monotonic() < deadline:
        if cancelled is not None and cancelled.is_set():
            return Probe(False, Health.PROGRESSING, "interrupted while starting (Ctrl-C)")
        process.reap()
        if pid is not None and not process.alive(pid, started):
            return Probe(False, Health.MISSING, "the process exited while starting")
        last = probe(host, port, timeout=1.0)
        if last.answered and pid is not None and last.pid not in (None, pid):
            last = Probe(
                False, Health.PROGRESSING, f"another process (pid {last.pid}) answers on {host}:{port}"
            )
        elif last.answered and last.health in (Health.HEALTHY, Health.DEGRADED):
            return last
        time.sleep(0.05)
    return Probe(False, Health.PROGRESSING, f"not healthy after {timeout:.0f}s ({last.reason})")


def log_size(layout: Layout, server: str) -> int:
    """How long a server's log is now (0 when there is none): where the next start's lines begin."""
    try:
        return layout.log(server).stat().st_size
    except OSError:
        return 0


def log_tail(layout: Layout, server: str, lines: int = 5, since: int = 0) -> str:
    """The last lines of a server's log written after byte ``since``, for an error message."""
    try:
        with layout.log(server).open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(tail)


class Deployer:
    """Start, reload and stop servers, recording each step in the state."""

    def __init__(self, layout: Layout, state: State, timeout: float = 60.0) -> None:
        self.layout = layout
        self.state = state
        self.timeout = timeout
        self.cancelled = threading.Event()
        """Set on Ctrl-C: servers still starting stop waiting, and are stopped and recorded so."""

    def _free_port(self, host: str) -> int:
        """A free port no other server has been assigned."""
        taken = set(self.state.ports().values())
        for _ in range(50):
            port = free_port(host)
            if port not in taken:
                return port
        raise DeployError(f"no free port on {host} that another server does not hold")

    def stop(self, record: Deployment, *, on_purpose: bool = False) -> Deployment:
        """Stop a server's process; its record keeps the port and forgets the process and build.

        ``on_purpose`` (``alabctl down``): the record says Stopped, so ``status`` and ``wait`` do
        not take it for a server that died; the next apply starts it again.
        """
        self.state.put(replace(record, intent={"action": "stop"}))
        if record.pid is not None:
            process.stop(record.pid, record.pid_start)
        health = Health.STOPPED.value if on_purpose else None
        stopped = replace(
            record, pid=None, pid_start=None, digest=None, health=health, intent=None, started=None
        )
        self.state.put(stopped)
        return stopped

    def start(self, server: DesiredServer, build: Path, record: Deployment | None) -> Deployment:
        """(Re)start a server on its port with ``build``; returns its record once healthy.

        A port another program (or another server) holds fails it before anything is stopped: a
        server that runs keeps running on its old address."""
        serving = (
            record is not None and record.pid is not None and process.alive(record.pid, record.pid_start)
        )
        # the manifest's port is claimed even when taken: a server whose port was picked for it
        # gives it up and gets another at its next start ('alabctl down' it, as the error says)
        port = self.state.assign_port(server.name, server.port, self._free_port(server.host))
        mine = serving and record is not None and record.port == port  # freed when it is stopped
        if not mine and in_use(server.host, port):
            self._port_taken(server, port, record, serving)
        if serving and record is not None:
            record = self.stop(record)
        base = record or Deployment(server.name, server.host, port)
        intent = {"action": "start", "digest": server.digest, "dir": str(build), "build": server.build}
        pending = replace(base, host=server.host, port=port, pid=None, pid_start=None, intent=intent)
        self.state.put(pending)
        pause("spawn", self.layout.home)
        argv = process.serve_argv(server.name, build, server.host, port)
        env = dict(os.environ, ALABCTL_HOME=str(self.layout.home))
        env.pop("ALABCTL_PAUSE_AT", None)
        logged = log_size(self.layout, server.name)
        try:
            admin_token(self.layout)
            pid, started = process.spawn(argv, self.layout.log(server.name), env)
        except OSError as exc:  # nothing started: the intent is settled here, not left to recovery
            why = f"could not start it: {os_reason(exc)}"
            self.state.put(replace(pending, health=Health.MISSING.value, last_error=why, intent=None))
            raise DeployError(why) from None
        pause("spawned", self.layout.home)
        running = replace(pending, pid=pid, pid_start=started, started=now())
        self.state.put(running)
        pause("recorded", self.layout.home)
        seen = wait_healthy(server.host, port, pid, started, self.timeout, self.cancelled)
        if seen.health is not Health.HEALTHY:
            process.stop(pid, started, grace=5)
            why = seen.reason or seen.health.value
            tail = log_tail(self.layout, server.name, since=logged)
            failed = replace(
                running,
                pid=None,
                pid_start=None,
                digest=None,
                health=Health.MISSING.value,
                last_error=f"{why}{': ' + tail if tail else ''}",
                intent=None,
            )
            self.state.put(failed)
            raise DeployError(f"did not become healthy: {failed.last_error}")
        return self._serving(running, server, build)

    def _port_taken(self, server: DesiredServer, port: int, record: Deployment | None, serving: bool) -> None:
        """Fail a server whose port is held by something else, saying by what and what to do."""
        holder = next(
            (
                d.server
                for d in self.state.deployments().values()
                if d.server != server.name and d.port == port and process.alive(d.pid, d.pid_start)
            ),
            None,
        )
        if holder is not None:
            why = f"port {port} on {server.host} is held by server '{holder}' of this home"
            fix = f"give one of them another port (spec.port), or run 'alabctl down {holder}' and apply again"
        else:
            why = f"port {port} on {server.host} is in use by another program"
            free = "another free port" if server.port else "a free port"
            fix = f"stop that program, or give Server '{server.name}' {free} (spec.port)"
        base = record or Deployment(server.name, server.host, port)
        if serving:  # it keeps serving on its old address
            self.state.put(replace(base, last_error=why))
        else:
            missing = Health.MISSING.value
            self.state.put(
                replace(
                    base, host=server.host, port=port, pid=None, digest=None, health=missing, last_error=why
                )
            )
        raise DeployError(f"{why}: {fix}")

    def _serving(self, record: Deployment, server: DesiredServer, build: Path) -> Deployment:
        done = replace(
            record,
            digest=server.digest,
            build=server.build,
            dir=str(build),
            inputs=dict(server.inputs),
            projects=server.projects,
            assets=server.assets,
            health=Health.HEALTHY.value,
            last_error=None,
            intent=None,
        )
        self.state.put(done)
        return done

    def reload(self, server: DesiredServer, build: Path, record: Deployment) -> Deployment:
        """Hot-reload a running server onto ``build``; on failure it keeps serving the old one and
        is recorded Degraded with the reason."""
        intent = {"action": "reload", "digest": server.digest, "dir": str(build), "build": server.build}
        self.state.put(replace(record, intent=intent))
        pause("reload", self.layout.home)
        token = admin_token(self.layout)
        try:
            status, body = request(
                record.host,
                record.port,
                "POST",
                "/admin/reload",
                {"build": str(build)},
                token,
                timeout=self.timeout,
            )
        except OSError as exc:
            status, body = 0, f"no answer: {exc}"
        if status == 401:
            # it was started with another admin token (the token file was deleted or replaced since):
            # it is ours (its pid is recorded), so restart it on the new build rather than fail forever
            return self.start(server, build, replace(record, intent=None))
        seen = probe(record.host, record.port, timeout=2.0)
        ok = status == 200 and seen.health is Health.HEALTHY and seen.build in (None, server.build)
        if not ok:
            answer = (body.get("reason") or body.get("error")) if isinstance(body, dict) else body
            reason = seen.reason or str(answer)
            why = f"reload failed (HTTP {status}): {reason}; still serving the last good build"
            self.state.put(replace(record, health=Health.DEGRADED.value, last_error=why, intent=None))
            raise DeployError(why)
        return self._serving(record, server, build)


def recorded_server(record: Deployment) -> DesiredServer:
    """The server as it was last deployed (to restart it on its last good build)."""
    return DesiredServer(
        name=record.server,
        digest=record.digest or "",
        build=record.build or "",
        projects=record.projects,
        assets=record.assets,
        files=(),
        host=record.host,
        port=record.port,
        inputs=dict(record.inputs),
    )
