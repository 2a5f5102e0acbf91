"""Before serving: every pretrained stage is the asset the lock pinned, installed, of the right kind.

For each stage with a ``pretrained`` source, ``pipeline.json`` names the cache key compile took
from ``alabctl.lock`` and the storageRef it checked. The folder ``$ALABCTL_HOME/cache/<key>`` must
exist, its Spark metadata must name that class and that storageRef, and the store's inventory row
for the key (when there is one) must be ready and agree. Nothing here touches the network or Spark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alabctl.assets.home import Home
from alabctl.assets.store import AssetRow, Status, Store
from alabctl.compile.sparknlp.metadata import MetadataError, read_metadata
from alabctl.spec.errors import UserError

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
RELOCK = "run 'alabctl lock' (or 'alabctl apply'), then compile again"


@dataclass(frozen=True)
class PinnedStage:
    """A pretrained stage, checked: where to load it from."""

    name: str
    cls: str
    key: str
    path: Path
    storage_ref: str | None


def _key(stage: Mapping[str, Any]) -> str:
    source = stage["pretrained"]
    key = source.get("key")
    where = f"stage '{stage.get('name')}' ({stage.get('class')}, {source.get('name')})"
    if not key:
        raise UserError(f"{where}: not pinned in alabctl.lock, so there is nothing to load offline", RELOCK)
    if not isinstance(key, str) or not _SAFE_KEY.match(key) or ".." in key:
        raise UserError(f"{where}: cache key {key!r} is not a Spark NLP cache key", RELOCK)
    return key


def _inventory(home: Home) -> dict[str, AssetRow]:
    if not home.db.is_file():
        return {}
    return {row.key: row for row in Store(home.db).rows()}


def _check_row(where: str, stage: Mapping[str, Any], row: AssetRow | None) -> None:
    if row is None:
        return
    if row.status is not Status.READY:
        raise UserError(
            f"{where}: the store lists it as {row.status}", f"run 'alabctl hub pull {row.name}' again"
        )
    ref = stage.get("storageRef")
    if ref and row.storage_ref and row.storage_ref != ref:
        raise UserError(
            f"{where}: the store records storageRef '{row.storage_ref}', the pipeline expects '{ref}'", RELOCK
        )


def check_stage(stage: Mapping[str, Any], home: Home, rows: Mapping[str, AssetRow]) -> PinnedStage:
    """One pretrained stage checked against its installed folder and the inventory."""
    key = _key(stage)
    cls = str(stage.get("class"))
    where = f"stage '{stage.get('name')}' ({cls}, key {key})"
    path = home.asset_dir(key)
    if not path.is_dir():
        name = stage["pretrained"].get("name")
        raise UserError(
            f"{where}: not installed in {home.cache}",
            f"run 'alabctl hub pull {name}' (or 'alabctl apply') with the same --home / ALABCTL_HOME",
        )
    try:
        meta = read_metadata(path)
    except MetadataError as exc:
        raise UserError(f"{where}: {path} {exc}", f"run 'alabctl hub redownload {key}'") from exc
    if meta.short_class != cls:
        raise UserError(
            f"{where}: the installed model is a {meta.short_class}, the pipeline expects a {cls}", RELOCK
        )
    ref = stage.get("storageRef")
    if ref and meta.storage_ref != ref:
        raise UserError(
            f"{where}: the installed model has storageRef '{meta.storage_ref}', the pipeline expects '{ref}'",
            RELOCK,
        )
    _check_row(where, stage, rows.get(key))
    return PinnedStage(str(stage.get("name")), cls, key, path, ref)


def check_pinned(stages: Iterable[Mapping[str, Any]], home: Home) -> dict[str, PinnedStage]:
    """Every pretrained stage checked, by stage name; the first problem is a UserError."""
    pretrained = [s for s in stages if s.get("pretrained")]
    rows = _inventory(home) if pretrained else {}
    return {str(s.get("name")): check_stage(s, home, rows) for s in pretrained}
