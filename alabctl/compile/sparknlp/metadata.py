"""Read a saved Spark NLP model's ``metadata/part-00000`` without Spark (research/sparknlp.md §2).

A saved model is a folder (or a ``.zip`` of one) written by Spark ML's ``DefaultParamsWriter``; its
``metadata/part-00000`` is one line of JSON with the class, uid and params. The storageRef is
``paramMap.storageRef``, then ``defaultParamMap.storageRef`` (whose default is the uid). Zips are read
in place, never extracted. Pure reading: nothing is written, nothing is imported from Spark. The
validator's embeddings check and the asset store (``alabctl.assets``: pull, upload) both read models
through this module.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alabctl.spec.readfile import FileKind, FileReadError, read_bytes

METADATA = "metadata/part-00000"
MAX_METADATA_BYTES = 4 * 1024 * 1024
_PRODUCERS = ("Embeddings", "SentenceEncoder")


class MetadataError(ValueError):
    """The model's metadata is missing or is not what Spark ML writes."""


@dataclass(frozen=True)
class SparkMetadata:
    """What a model's metadata says about it."""

    class_name: str
    uid: str | None
    storage_ref: str | None
    spark_version: str | None
    params: Mapping[str, Any] = field(default_factory=dict)
    """``defaultParamMap`` overlaid with ``paramMap``."""

    @property
    def short_class(self) -> str:
        """The class name without its package."""
        return self.class_name.rsplit(".", 1)[-1]

    @property
    def is_embeddings(self) -> bool:
        """Whether the model produces embeddings (its storageRef names its own vectors)."""
        return any(p in self.short_class for p in _PRODUCERS)

    @property
    def needs(self) -> str | None:
        """The embeddings a consumer model needs, or ``None`` (producers, or a ref that is the uid)."""
        if self.is_embeddings or not self.storage_ref or self.storage_ref == self.uid:
            return None
        return self.storage_ref


def parse_metadata(text: str) -> SparkMetadata:
    """The metadata from the text of ``part-00000`` (the first non-empty line is the JSON record)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise MetadataError(f"{METADATA} is not JSON (line 1, column {exc.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("class"), str):
        raise MetadataError(f"{METADATA} has no 'class': it was not written by Spark ML")
    explicit = data.get("paramMap")
    defaults = data.get("defaultParamMap")
    params: dict[str, Any] = {}
    for block in (defaults, explicit):
        if isinstance(block, dict):
            params.update(block)
    ref = _string(explicit, "storageRef") or _string(defaults, "storageRef")
    uid = data.get("uid")
    spark = data.get("sparkVersion")
    return SparkMetadata(
        class_name=data["class"],
        uid=uid if isinstance(uid, str) else None,
        storage_ref=ref,
        spark_version=spark if isinstance(spark, str) else None,
        params=params,
    )


def _string(block: object, key: str) -> str | None:
    if isinstance(block, dict):
        value = block.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def read_metadata(path: Path) -> SparkMetadata:
    """The metadata of the model folder or ``.zip`` at ``path``."""
    if path.is_dir():
        return parse_metadata(_read_folder(path))
    if path.is_file() and zipfile.is_zipfile(path):
        return parse_metadata(_read_zip(path))
    if path.exists():
        raise MetadataError("not a model folder or a .zip of one")
    raise MetadataError("does not exist")


def _read_folder(path: Path) -> str:
    target = path / METADATA
    if not target.is_file():
        raise MetadataError(f"has no {METADATA}: is it a saved Spark NLP model?")
    try:
        raw = read_bytes(target, FileKind.METADATA, limit=MAX_METADATA_BYTES)
    except FileReadError as exc:
        raise MetadataError(f"{METADATA}: {exc.reason}") from None
    return raw.decode("utf-8", errors="replace")


def metadata_member(names: list[str]) -> str | None:
    """The zip entry holding the model's own metadata: ``metadata/part-00000`` at the top or one folder down."""
    candidates = [
        n
        for n in names
        if n == METADATA or (n.endswith("/" + METADATA) and n.count("/") == METADATA.count("/") + 1)
    ]
    return min(candidates, key=lambda n: (n.count("/"), n)) if candidates else None


def _read_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            member = metadata_member(archive.namelist())
            if member is None:
                raise MetadataError(f"the zip has no {METADATA}: is it a saved Spark NLP model?")
            if archive.getinfo(member).file_size > MAX_METADATA_BYTES:
                raise MetadataError(f"{METADATA} is larger than {MAX_METADATA_BYTES} bytes")
            with archive.open(member) as handle:
                return handle.read(MAX_METADATA_BYTES + 1).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, OSError) as exc:
        raise MetadataError(f"the zip cannot be read ({type(exc).__name__})") from None
