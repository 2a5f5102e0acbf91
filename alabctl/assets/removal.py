"""``alabctl delete``: remove an installed asset, refused while anything still needs it.

Three things can need an asset: a server the reconciler recorded as using it (the store's
``servers`` table), another installed asset (a model needs the embeddings it was trained with), and
a server of the manifests the user names (what its compiled pipeline loads). ``force`` removes it
anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alabctl.assets.home import Home
from alabctl.assets.pull import remove_tree
from alabctl.assets.store import AssetRow, Store
from alabctl.compile.pipeline import compile_pipeline
from alabctl.spec.errors import UserError
from alabctl.spec.lock import AssetType
from alabctl.spec.repository import Repository


@dataclass(frozen=True)
class Users:
    """Who needs an asset."""

    servers: tuple[str, ...] = ()
    """Servers the reconciler recorded as using it."""
    assets: tuple[str, ...] = ()
    """Installed assets that depend on it (``model NAME``)."""
    manifests: tuple[str, ...] = ()
    """Servers of the given manifests whose pipeline loads it."""

    def __bool__(self) -> bool:
        return bool(self.servers or self.assets or self.manifests)

    def describe(self) -> str:
        parts = []
        if self.servers:
            parts.append(f"the server(s) {', '.join(self.servers)}")
        if self.assets:
            parts.append(f"the installed {', '.join(self.assets)}")
        if self.manifests:
            parts.append(f"the server(s) {', '.join(self.manifests)} of the manifests")
        return " and ".join(parts)


def loaded_by(repo: Repository, row: AssetRow) -> list[str]:
    """The servers of ``repo`` whose compiled pipeline loads ``row`` (by name, or as a storageRef)."""
    found = []
    for server in repo.server_names():
        for stage in compile_pipeline(server, repo)["stages"]:
            source = stage.get("pretrained") or {}
            if source.get("name") == row.name or (
                row.type is AssetType.EMBEDDINGS and stage.get("storageRef") == row.name
            ):
                found.append(server)
                break
    return found


def dependents(store: Store, row: AssetRow) -> list[str]:
    """Installed assets that need ``row``: the models trained with these embeddings."""
    if row.type is not AssetType.EMBEDDINGS:
        return []
    return [
        f"{other.type.value} {other.name}"
        for other in store.rows()
        if other.storage_ref == row.name and (other.type, other.name) != (row.type, row.name)
    ]


def users(store: Store, row: AssetRow, repo: Repository | None = None) -> Users:
    """Everything that still needs ``row``."""
    return Users(
        servers=tuple(store.servers_using(row.name)),
        assets=tuple(dependents(store, row)),
        manifests=tuple(loaded_by(repo, row)) if repo is not None else (),
    )


def find(store: Store, name: str, type_: AssetType) -> AssetRow:
    """The installed asset, or a user error that says how to list what is installed."""
    row = store.get(name, type_)
    if row is None:
        plural = "models" if type_ is AssetType.MODEL else "embeddings"
        raise UserError(f"no {type_.value} named '{name}' in the store", f"see 'alabctl get {plural}'")
    return row


def delete(
    home: Home,
    store: Store,
    name: str,
    type_: AssetType,
    *,
    repo: Repository | None = None,
    force: bool = False,
) -> tuple[AssetRow, Path]:
    """Remove an installed asset and its folder; refused (naming who needs it) unless ``force``."""
    row = find(store, name, type_)
    needed = users(store, row, repo)
    if needed and not force:
        raise UserError(
            f"'{row.name}' is used by {needed.describe()}; nothing was deleted",
            "remove it from those projects, delete the dependent assets first, or pass --force",
        )
    folder = home.asset_dir(row.key)
    remove_tree(folder)
    store.delete(row.name, row.type)
    return row, folder
