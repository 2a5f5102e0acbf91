"""``kind: Server`` (SPEC §2.4): a pre-annotation server that hosts one or more projects."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from alabctl.spec.kinds.common import Duration, Manifest, NonEmpty, Strict

MAX_MODELS = 5
"""Annotation Lab's limit of distinct models per pre-annotation server."""


class EmbeddingsPolicy(StrEnum):
    """Whether the models of one server may use different embeddings."""

    STRICT = "strict"
    """One embeddings storageRef per server (Annotation Lab before 4.2)."""
    LENIENT = "lenient"
    """Models may mix embeddings (Annotation Lab 4.2 and later)."""


class Engine(StrEnum):
    """What runs the pipeline."""

    AUTO = "auto"
    """native when the server has only rules, sparknlp otherwise."""
    NATIVE = "native"
    """Rules in-process, no JVM and no license."""
    SPARKNLP = "sparknlp"
    """The compiled Spark NLP pipeline."""


class ServerSpec(Strict):
    """A pre-annotation server."""

    max_models: int = Field(default=MAX_MODELS, ge=1, le=MAX_MODELS)
    embeddings_policy: EmbeddingsPolicy = EmbeddingsPolicy.STRICT
    host: NonEmpty = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535, description="default: assigned once and kept")
    engine: Engine = Engine.AUTO
    workers: int = Field(default=2, ge=1, le=64)
    idle_timeout: Duration = "30m"


class ServerManifest(Manifest):
    kind: Literal["Server"]
    spec: ServerSpec = Field(default_factory=ServerSpec)
