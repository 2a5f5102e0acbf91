"""Apply a plan (I/O through two small interfaces: a ``Fetcher`` for assets, the ``Deployer`` for
servers). Downloads first (the 2 x disk rule over the whole batch, in parallel), then servers in
parallel, each once the assets it needs are in. A failure fails its resource and the servers that
need it; the rest still converge. One ``Outcome`` per resource."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from alabctl.compile.desired import AssetPin, DesiredState
from alabctl.reconcile.deploy import Deployer, DeployError, copy_build, os_reason, prune_builds
from alabctl.reconcile.hooks import pause
from alabctl.reconcile.plan import Plan, Step
from alabctl.reconcile.state import State
from alabctl.reconcile.vocab import Action, Result
from alabctl.spec.errors import AlabctlError


@dataclass(frozen=True)
class Outcome:
    """What applying did to one resource."""

    kind: str
    name: str
    result: Result
    message: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "result": self.result.value, "message": self.message}


class Fetcher(Protocol):
    """Installs hub assets into the store."""

    def check_space(self, steps: list[Step]) -> None:
        """Refuse (raise) unless the disk holds 2 x the whole batch."""

    def fetch(self, step: Step, pin: AssetPin) -> str:
        """Install one asset (again, for a redownload); returns a line about it."""


Report = Callable[[Outcome], None]


def _download_all(
    plan: Plan, desired: DesiredState, fetcher: Fetcher, home: Path, report: Report
) -> dict[str, Outcome]:
    steps = [s for s in plan.steps if s.action in (Action.DOWNLOAD, Action.REDOWNLOAD)]
    if not steps:
        return {}
    try:
        fetcher.check_space(steps)
    except AlabctlError as exc:
        out = {s.ref: Outcome(s.kind, s.name, Result.FAILED, exc.message) for s in steps}
        for o in out.values():
            report(o)
        return out

    def one(step: Step) -> Outcome:
        pin = desired.pins.get(step.ref)
        if pin is None:
            return Outcome(step.kind, step.name, Result.FAILED, "the lock file does not pin it")
        try:
            line = fetcher.fetch(step, pin)
        except AlabctlError as exc:
            return Outcome(step.kind, step.name, Result.FAILED, exc.message)
        result = Result.CREATED if step.action is Action.DOWNLOAD else Result.CONFIGURED
        outcome = Outcome(step.kind, step.name, result, line)
        report(outcome)
        pause("download", home)
        return outcome

    with ThreadPoolExecutor(max_workers=min(4, len(steps))) as pool:
        outcomes = list(pool.map(one, steps))
    for outcome in outcomes:
        if outcome.result is Result.FAILED:
            report(outcome)
    return {o.ref: o for o in outcomes}


def _server(step: Step, desired: DesiredState, files: Mapping[str, bytes], deployer: Deployer) -> Outcome:
    record = deployer.state.deployment(step.name)
    if step.action in (Action.PRUNE, Action.STOP):
        if record is not None:
            deployer.stop(record)
            if step.action is Action.PRUNE:
                deployer.state.forget(step.name)
        return Outcome(
            "Server",
            step.name,
            Result.PRUNED if step.action is Action.PRUNE else Result.STOPPED,
            step.reason,
        )
    server = desired.servers[step.name]
    build = copy_build(deployer.layout, server, files)
    try:
        if step.action is Action.REDEPLOY and record is not None:
            done = deployer.reload(server, build, record)
        else:
            done = deployer.start(server, build, record)
    except DeployError as exc:
        return Outcome("Server", step.name, Result.FAILED, str(exc))
    prune_builds(deployer.layout, server.name, {server.digest})
    result = (
        Result.CREATED
        if record is None or (record.digest is None and step.action is Action.DEPLOY)
        else Result.CONFIGURED
    )
    return Outcome("Server", step.name, result, f"{done.url} ({step.reason})")


def execute(
    plan: Plan,
    desired: DesiredState,
    files: Mapping[str, bytes],
    *,
    fetcher: Fetcher,
    deployer: Deployer,
    set_server_assets: Callable[[str, list[str]], None],
    report: Report,
    workers: int = 8,
) -> list[Outcome]:
    """Run the plan's steps; returns one outcome per resource the plan touched."""
    downloads = _download_all(plan, desired, fetcher, deployer.layout.home, report)
    missing = {m.ref: m for m in plan.missing}
    servers = [s for s in plan.steps if s.kind == "Server"]

    def one(step: Step) -> Outcome:
        blocked = [
            r
            for r in (desired.servers[step.name].assets if step.name in desired.servers else ())
            if r in missing or (r in downloads and downloads[r].result is Result.FAILED)
        ]
        if blocked:
            why = "; ".join(missing[r].reason if r in missing else f"{r}: download failed" for r in blocked)
            outcome = Outcome("Server", step.name, Result.FAILED, f"needs {', '.join(blocked)}: {why}")
        else:
            try:
                outcome = _server(step, desired, files, deployer)
            except AlabctlError as exc:
                outcome = Outcome("Server", step.name, Result.FAILED, exc.message)
            except OSError as exc:  # its build copy could not be written (a full or read-only disk)
                outcome = Outcome("Server", step.name, Result.FAILED, os_reason(exc))
            if outcome.result is not Result.FAILED:
                assets = list(desired.servers[step.name].assets) if step.name in desired.servers else []
                set_server_assets(step.name, [a.split("/", 1)[1] for a in assets])
        report(outcome)
        return outcome

    outcomes = list(downloads.values())
    if servers:
        pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(servers))))
        try:
            outcomes.extend(pool.map(one, servers))
        except BaseException:  # Ctrl-C: servers not started yet are not; those starting stop waiting
            deployer.cancelled.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    return outcomes


def unchanged(plan: Plan) -> list[Outcome]:
    """An ``unchanged`` outcome for every server already right."""
    return [Outcome("Server", name, Result.UNCHANGED) for name in plan.unchanged]


__all__ = ["Outcome", "State", "execute", "unchanged"]
