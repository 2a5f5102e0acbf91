"""Where the asset store lives: ``--home`` > ``$ALABCTL_HOME`` > ``~/.alabctl``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alabctl.assets.names import inside

HOME_ENV = "ALABCTL_HOME"


@dataclass(frozen=True)
class Home:
    """The store's folders and files."""

    root: Path

    @property
    def cache(self) -> Path:
        """Installed assets in Spark NLP's layout: ``cache/<key>/``."""
        return self.root / "cache"

    @property
    def tmp(self) -> Path:
        """Downloads in progress and unzips not yet moved into place (same filesystem as ``cache``)."""
        return self.root / "tmp"

    @property
    def locks(self) -> Path:
        """One lock file per asset key, so two processes never install the same asset at once."""
        return self.root / "locks"

    @property
    def hub_cache(self) -> Path:
        """Fetched ``metadata.json`` files, kept for an hour."""
        return self.root / "hub"

    @property
    def db(self) -> Path:
        """The SQLite inventory shared with the reconciler."""
        return self.root / "alabctl.db"

    def asset_dir(self, key: str) -> Path:
        """Where the asset with this cache key is (or will be) installed; refused if it leaves ``cache``."""
        return inside(self.cache, key)

    def part_file(self, file_name: str) -> Path:
        """Where the download of the archive ``file_name`` is kept until it is complete."""
        return inside(self.tmp, f"{file_name}.part")

    def lock_file(self, key: str) -> Path:
        """The lock file of one cache key."""
        return inside(self.locks, f"{key}.lock")

    def ensure(self) -> Home:
        """Create the folders; returns ``self``."""
        for path in (self.cache, self.tmp, self.locks, self.hub_cache):
            path.mkdir(parents=True, exist_ok=True)
        return self


def resolve_home(flag: Path | str | None = None, env: Mapping[str, str] | None = None) -> Home:
    """The store location from the ``--home`` flag, the environment, or the default."""
    env = os.environ if env is None else env
    if flag:
        return Home(Path(flag).expanduser())
    if env.get(HOME_ENV):
        return Home(Path(env[HOME_ENV]).expanduser())
    return Home(Path.home() / ".alabctl")
