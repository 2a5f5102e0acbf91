"""A saved Spark ML model's ``metadata/part-00000``: its class, uid and embeddings storageRef."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from alabctl.spec.errors import PermanentError

_PRODUCERS = ("Embeddings", "SentenceEncoder")


@dataclass(frozen=True)
class SparkMeta:
    """What the model folder says about itself."""

    class_name: str
    uid: str
    storage_ref: str | None
    """``paramMap.storageRef``, else ``defaultParamMap.storageRef`` (upstream's default is the uid)."""
    explicit_ref: bool
    """Whether ``storageRef`` was set explicitly (``paramMap``) rather than defaulted."""

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


def parse_spark_meta(text: str, where: str) -> SparkMeta:
    """Parse the first line of ``metadata/part-00000``."""
    try:
        data = json.loads(text.strip().splitlines()[0])
    except (ValueError, IndexError):
        raise PermanentError(f"{where} is not Spark ML metadata (one JSON line)") from None
    if not isinstance(data, dict) or not isinstance(data.get("class"), str):
        raise PermanentError(f"{where} has no 'class': not a Spark ML model")
    params = data.get("paramMap") if isinstance(data.get("paramMap"), dict) else {}
    defaults = data.get("defaultParamMap") if isinstance(data.get("defaultParamMap"), dict) else {}
    assert isinstance(params, dict) and isinstance(defaults, dict)
    explicit = params.get("storageRef")
    ref = explicit if isinstance(explicit, str) and explicit else defaults.get("storageRef")
    return SparkMeta(
        class_name=data["class"],
        uid=str(data.get("uid") or ""),
        storage_ref=ref if isinstance(ref, str) and ref else None,
        explicit_ref=isinstance(explicit, str) and bool(explicit),
    )


def read_spark_meta(folder: Path) -> SparkMeta:
    """Read ``<folder>/metadata/part-00000``."""
    path = folder / "metadata" / "part-00000"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise PermanentError(
            f"{folder} is not a Spark NLP model folder: metadata/part-00000 is missing",
            "save the model with model.write().save(path) and upload that folder or a zip of it",
        ) from None
    return parse_spark_meta(text, str(path))
