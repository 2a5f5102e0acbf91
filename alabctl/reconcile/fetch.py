"""The real ``Fetcher``: hub assets installed with the asset store's puller, pinned by the lock's
cache key, then fingerprinted so the next plan notices missing or changed files."""

from __future__ import annotations

from pathlib import Path

from alabctl.assets.download import check_space, disk_free, human
from alabctl.assets.home import Home
from alabctl.assets.hub import HubClient
from alabctl.assets.pull import Planned, Puller, PullOptions
from alabctl.assets.store import Store
from alabctl.compile.desired import AssetPin
from alabctl.reconcile import integrity
from alabctl.reconcile.plan import Step
from alabctl.reconcile.state import Integrity, State
from alabctl.reconcile.vocab import Action
from alabctl.spec.errors import PermanentError
from alabctl.spec.lock import AssetType


class HubFetcher:
    """Downloads pinned assets from one hub into one store."""

    def __init__(
        self, home: Home, client: HubClient, state: State, options: PullOptions | None = None
    ) -> None:
        self.home = home
        self.state = state
        self.options = options or PullOptions()
        self.puller = Puller(home, client, Store(home.db), self.options)

    def check_space(self, steps: list[Step]) -> None:
        needed = sum(s.bytes or 0 for s in steps)
        if needed:
            what = ", ".join(s.name for s in steps)
            check_space(needed, self.options.free_space(self.home.root), what)

    def _planned(self, step: Step, pin: AssetPin) -> Planned:
        records = self.puller.client.index(pin.repository)
        for record in records:
            if record.key == pin.key:
                kind = AssetType.EMBEDDINGS if pin.type == "Embeddings" else AssetType.MODEL
                force = step.action is Action.REDOWNLOAD
                return Planned(
                    record, kind, self.puller.client.asset_url(record), record.size or pin.size, force
                )
        raise PermanentError(
            f"{pin.type.lower()} '{pin.name}': the hub folder {pin.repository} has no version {pin.key} "
            f"(looked in {self.puller.client.folder_url(pin.repository)})",
            "lock again ('alabctl lock -f REPO') to pin a version the hub has",
        )

    def fetch(self, step: Step, pin: AssetPin) -> str:
        planned = self._planned(step, pin)
        installed = self.puller.install(planned)
        record(self.state, pin.name, installed.path, installed.row.key)
        return f"{pin.key} ({human(installed.row.size)}) in {installed.path}"


def record(state: State, name: str, path: Path, key: str) -> None:
    """Remember the files of an installed asset, to notice later drift."""
    state.put_integrity(Integrity(key, name, integrity.fingerprint(path), integrity.content_digest(path)))


__all__ = ["HubFetcher", "disk_free", "record"]
