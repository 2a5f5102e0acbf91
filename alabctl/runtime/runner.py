"""Running a server in the foreground: bind the port, serve with uvicorn, reload on SIGHUP.

The socket is bound before uvicorn starts, so a port in use is a clear error (exit 1), and port 0
(the Server manifest leaves the port to be assigned) picks a free one, printed on start.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys
from collections.abc import Callable

import uvicorn

from alabctl.runtime.heap import settle_heap
from alabctl.runtime.server import ServerState, create_app
from alabctl.runtime.watchdog import StoppableServer
from alabctl.spec.errors import UserError


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; a UserError when the address is taken or not ours."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY only then
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}", _bind_hint(exc, host)) from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _bind_hint(exc: OSError, host: str) -> str:
    """What to do about a failed bind, by its cause."""
    if isinstance(exc, socket.gaierror):
        return f"'{host}' is not an address of this machine: give an IP address, e.g. --host 127.0.0.1"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this machine: use 127.0.0.1 (this machine only), "
            "0.0.0.0 (every interface) or one of its own addresses (--host)"
        )
    if exc.errno == errno.EACCES:
        return "ports below 1024 need privileges: pick one from 1024 up (--port), or 0 for a free one"
    return "another process holds the port: stop it, or pass --port (0 picks a free one)"


def _on_sighup(state: ServerState, log: Callable[[str], None]) -> None:
    async def reload() -> None:
        try:
            await asyncio.to_thread(state.slot.reload, None)
            state.metrics.reloaded(True)
            log(f"reloaded: build {state.slot.current.server_hash[:12]}")
        except Exception:
            state.metrics.reloaded(False)
            log(f"reload failed, still serving the previous build: {state.slot.reason}")

    asyncio.get_running_loop().create_task(reload())


def run_server(state: ServerState, host: str, port: int, log: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; SIGHUP reloads the build."""
    say = log or (lambda line: print(f"alabctl serve: {line}", file=sys.stderr, flush=True))
    sock = bind(host, port)
    settle_heap()
    actual = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(state),
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=10,
    )
    server = StoppableServer(config, state.budget)  # SIGTERM also ends the rules running on the loop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, _on_sighup, state, say)
        deployment = state.slot.current
        say(
            f"server '{deployment.server}' on http://{host}:{actual} "
            f"(build {deployment.server_hash[:12]}, projects {', '.join(sorted(deployment.views))})"
        )
        await server.serve(sockets=[sock])

    # uvicorn drains the requests in flight on SIGTERM, then raises the signal again once its own
    # handler is gone: with the default action the process would die there, skipping every
    # ``finally`` (``serve -f`` would leave its temporary builds behind). Stop as on Ctrl-C instead.
    previous = signal.signal(signal.SIGTERM, _stopped)
    state.budget.install()
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(main())
    except _Stop:
        say("stopped (SIGTERM)")
    finally:
        signal.signal(signal.SIGTERM, previous)
        state.budget.uninstall()
        sock.close()


class _Stop(Exception):
    """SIGTERM arrived after uvicorn's graceful shutdown."""


def _stopped(signum: int, frame: object) -> None:
    raise _Stop


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (a quarter less CPU per request), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
