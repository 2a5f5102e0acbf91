"""``kind: Model`` and ``kind: Embeddings`` (SPEC §2.3): what pre-annotates, and its vectors."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from alabctl.spec.kinds.common import Manifest, Name, NonEmpty, RelPath, Strict
from alabctl.spec.names import PUBLIC_REPOSITORY as PUBLIC_REPOSITORY  # re-exported

_REPOSITORY = re.compile(r"^@?[a-z0-9_.-]+(/[a-z0-9_.-]+)*$")


class Task(StrEnum):
    """What a model predicts."""

    NER = "ner"
    """Named entities: labelled chunks."""
    ASSERTION = "assertion"
    """The status of NER chunks (present, absent, ...)."""
    CLASSIFICATION = "classification"
    """One or more classes for the whole document."""
    RELATION = "relation"
    """Relations between NER chunks."""


class EmbeddingsType(StrEnum):
    """What an embeddings asset produces."""

    WORD = "word"
    """One vector per token."""
    SENTENCE = "sentence"
    """One vector per sentence or document."""


class HubSource(Strict):
    """A Models Hub asset: its name, language and repository folder."""

    name: NonEmpty | None = Field(default=None, description="default: the manifest's metadata.name")
    language: NonEmpty = "en"
    repository: NonEmpty = PUBLIC_REPOSITORY

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not _REPOSITORY.match(value) or ".." in value.split("/"):
            raise PydanticCustomError(
                "invalid_repository",
                "'{value}' is not a hub folder like 'public/models' or 'clinical/models'",
                {"value": value},
            )
        return value


class ModelSource(Strict):
    """Where an asset comes from: the hub, a folder or zip in the repository, or a URL."""

    hub: HubSource | None = None
    path: RelPath | None = None
    url: NonEmpty | None = None
    sha256: NonEmpty | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _exactly_one(self) -> ModelSource:
        given = [k for k in ("hub", "path", "url") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "one_of",
                "give exactly one of 'hub', 'path' or 'url' as the source (got {given})",
                {"given": ", ".join(given) or "none"},
            )
        if self.url is not None:
            if not self.url.startswith("https://") and not self.url.startswith("http://"):
                raise PydanticCustomError("invalid_url", "'url' must be an http(s) URL")
            if self.sha256 is None:
                raise PydanticCustomError(
                    "missing_sha256", "a 'url' source needs 'sha256' so the download can be verified"
                )
        return self


def _default_source() -> ModelSource:
    return ModelSource(hub=HubSource())


class ModelSpec(Strict):
    """A model that pre-annotates."""

    task: Task
    source: ModelSource = Field(default_factory=_default_source)
    labels: list[NonEmpty] | None = Field(
        default=None,
        description="the labels it predicts; required unless the lock or hub index provides them",
    )
    embeddings: Name | None = Field(
        default=None, description="the embeddings storageRef; read from the model's metadata when omitted"
    )
    language: NonEmpty = "en"


class EmbeddingsSpec(Strict):
    """Word or sentence embeddings that models were trained with."""

    source: ModelSource = Field(default_factory=_default_source)
    type: EmbeddingsType = EmbeddingsType.WORD
    dimension: int | None = Field(default=None, gt=0)
    language: NonEmpty = "en"


class ModelManifest(Manifest):
    kind: Literal["Model"]
    spec: ModelSpec


class EmbeddingsManifest(Manifest):
    kind: Literal["Embeddings"]
    spec: EmbeddingsSpec = Field(default_factory=EmbeddingsSpec)
