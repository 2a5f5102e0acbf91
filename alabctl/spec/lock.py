"""``alabctl.lock``: every hub asset pinned (SPEC §5).

The lock is read by ``validate`` and ``compile`` (which never touch the network) and written by
``alabctl lock`` and ``apply``. Writing is deterministic: assets sorted, keys in a fixed order, so
resolving again with nothing new on the hub changes no byte.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alabctl.files import write_atomic
from alabctl.spec.diagnostics import Diagnostic, Severity, format_path
from alabctl.spec.names import DEFAULT_LOCKFILE as DEFAULT_LOCKFILE  # re-exported
from alabctl.spec.names import EDITION_REPOSITORIES as EDITION_REPOSITORIES  # re-exported
from alabctl.spec.names import AssetType as AssetType  # re-exported: defined apart from pydantic
from alabctl.spec.names import Edition as Edition  # re-exported: defined apart from pydantic
from alabctl.spec.names import edition_of as edition_of  # re-exported
from alabctl.spec.readfile import FileKind, FileReadError, read_text
from alabctl.spec.yamlsrc import parse_yaml

LOCK_VERSION = 1


KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,254}$"
"""A cache key is one plain file name in the store (``alabctl.assets.names`` checks the same shape)."""


class LockedAsset(BaseModel):
    """One pinned hub asset."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @field_validator("key")
    @classmethod
    def _no_parent(cls, value: str) -> str:
        if ".." in value:
            raise ValueError("a cache key cannot contain '..'")
        return value

    name: str
    type: AssetType
    language: str
    repository: str
    key: str = Field(
        description="Spark NLP's cache key: <name>_<lang>_<libv>_<sparkv>_<epochms>",
        pattern=KEY_PATTERN,
    )
    lib_version: str = Field(alias="libVersion")
    spark_version: str = Field(alias="sparkVersion")
    url: str
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = None
    checksum: str | None = None
    edition: Edition = Edition.OPENSOURCE
    task: str | None = None
    storage_ref: str | None = Field(default=None, alias="storageRef")
    labels: list[str] | None = None
    dependencies: list[str] = Field(default_factory=list)


class LockFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    version: Literal[1] = 1
    assets: list[LockedAsset] = Field(default_factory=list)

    def find(self, name: str, type: AssetType | None = None) -> LockedAsset | None:
        for asset in self.assets:
            if asset.name == name and (type is None or asset.type is type):
                return asset
        return None

    def sorted(self) -> LockFile:
        order = sorted(self.assets, key=lambda a: (a.type.value, a.name, a.language, a.repository, a.key))
        return LockFile(version=LOCK_VERSION, assets=order)


_FIELD_ORDER = [
    "name",
    "type",
    "language",
    "repository",
    "key",
    "libVersion",
    "sparkVersion",
    "url",
    "size",
    "sha256",
    "checksum",
    "edition",
    "task",
    "storageRef",
    "labels",
    "dependencies",
]


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    plain_ok = (
        text
        and text[0] not in "!&*-?{}[]|>'\"%@`#,: "
        and ": " not in text
        and " #" not in text
        and not any(c in text for c in ",[]{}")
        and not text.endswith((":", " "))
        and parse_yaml(f"v: {text}\n", "<lock>").documents[0].data == {"v": text}
    )
    return text if plain_ok else json.dumps(text, ensure_ascii=False)


def dump_lock(lock: LockFile) -> str:
    """The lock as YAML, byte-identical for equal locks."""
    lines = [f"version: {LOCK_VERSION}", "assets:" if lock.assets else "assets: []"]
    for asset in lock.sorted().assets:
        data = asset.model_dump(by_alias=True, mode="json")
        first = True
        for key in _FIELD_ORDER:
            value = data.get(key)
            if value is None or (key == "dependencies" and not value):
                continue
            if isinstance(value, list):
                rendered = "[" + ", ".join(_scalar(v) for v in value) + "]"
            else:
                rendered = _scalar(value)
            lines.append(f"{'  - ' if first else '    '}{key}: {rendered}")
            first = False
    return "\n".join(lines) + "\n"


def read_lock(path: Path, display: str | None = None) -> tuple[LockFile | None, list[Diagnostic]]:
    """The lock file at ``path`` (``None`` when there is none), with located problems."""
    display = display or str(path)
    if not os.path.lexists(path):
        return None, []
    try:
        text = read_text(path, FileKind.MANIFEST)
    except FileReadError as exc:
        return None, [
            Diagnostic(
                "ALB401", Severity.ERROR, f"cannot read the lock file: {exc.reason}", exc.hint, display, 1, 1
            )
        ]
    parsed = parse_yaml(text, display)
    if parsed.diagnostics:
        return None, parsed.diagnostics
    if not parsed.documents or not isinstance(parsed.documents[0].data, dict):
        return None, [
            Diagnostic(
                "ALB401",
                Severity.ERROR,
                "the lock file is not a mapping",
                "regenerate it with 'alabctl lock'",
                display,
                1,
                1,
            )
        ]
    doc = parsed.documents[0]
    try:
        return LockFile.model_validate(doc.data), []
    except ValidationError as exc:
        out = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            pos = doc.source_map.locate(loc)
            out.append(
                Diagnostic(
                    "ALB401",
                    Severity.ERROR,
                    f"invalid lock file at {format_path(loc)}: {error['msg']}",
                    "regenerate it with 'alabctl lock'",
                    display,
                    pos.line,
                    pos.column,
                    loc,
                )
            )
        return None, out


def write_lock(path: Path, lock: LockFile) -> bool:
    """Write atomically; returns False (and writes nothing) when the bytes would not change."""
    text = dump_lock(lock)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    write_atomic(path, text, public=True)  # committed and shared, like any source file: as open() makes it
    return True
