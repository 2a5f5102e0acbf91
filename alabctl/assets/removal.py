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
        """Who, e.g. ``the server clinical and the installed model ner_dl``."""
        parts = []
        if self.servers:
            parts.append(_the("server", self.servers))
        if self.assets:
            parts.append(f"the installed {', '.join(self.assets)}")
        if self.manifests:
            parts.append(f"{_the('server', self.manifests)} of the manifests")
        return " and ".join(parts)

    def advice(self) -> str:
        """What to do before deleting: one step for each kind of user, or ``--force``."""
        steps = []
        if self.servers:
            downs = ", ".join(f"'alabctl down {s}'" for s in self.servers)
            steps.append(f"stop {_the('server', self.servers)} ({downs})")
        if self.assets:
            deletes = ", ".join(f"'alabctl delete {a}'" for a in self.assets)
            steps.append(
                f"delete the {', '.join(self.assets)} that need{'s' if len(self.assets) == 1 else ''} it ({deletes})"
            )
        if self.manifests:
            verb = "loads" if len(self.manifests) == 1 else "load"
            steps.append(f"change the manifests so {_the('server', self.manifests)} no longer {verb} it")
        return "first " + " and ".join(steps) + "; or pass --force to delete it anyway"


def _the(noun: str, names: tuple[str, ...]) -> str:
    """``the server a`` or ``the servers a, b``."""
    return f"the {noun}{'' if len(names) == 1 else 's'} {', '.join(names)}"


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


def find(store: Store, name: str, type_: AssetType, command: str = "describe") -> AssetRow:
    """The installed asset, or a user error: the ``alabctl COMMAND`` of the other type when the name
    is installed as that, else how to list what is installed."""
    row = store.get(name, type_)
    if row is not None:
        return row
    other = AssetType.EMBEDDINGS if type_ is AssetType.MODEL else AssetType.MODEL
    if store.get(name, other) is not None:
        raise UserError(
            f"no {type_.value} named '{name}' in the store: '{name}' is installed as {other.value}",
            f"use 'alabctl {command} {other.value} {name}'",
        )
    plural = "models" if type_ is AssetType.MODEL else "embeddings"
    raise UserError(f"no {type_.value} named '{name}' in the store", f"see 'alabctl get {plural}'")


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
    row = find(store, name, type_, "delete")
    needed = users(store, row, repo)
    if needed and not force:
        raise UserError(
            f"the {row.type.value} '{row.name}' {'are' if row.type is AssetType.EMBEDDINGS else 'is'} "
            f"needed by {needed.describe()}; nothing was deleted",
            needed.advice(),
        )
    folder = home.asset_dir(row.key)
    remove_tree(folder)
    store.delete(row.name, row.type)
    return row, folder
