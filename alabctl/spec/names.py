"""The fixed words of the manifest language: the apiVersion, the kinds, the lock file's name.

Kept apart from the pydantic models so that code which only needs the words (finding manifests,
replaying a cached result, reading the asset store's rows) does not load pydantic.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

API_VERSION = "alabctl/v1"
API_GROUP = "alabctl/"


class Kind(StrEnum):
    """The kinds of manifest."""

    PROJECT = "Project"
    """An annotation project."""
    RULE = "Rule"
    """A regex or dictionary rule."""
    MODEL = "Model"
    """A model that pre-annotates."""
    EMBEDDINGS = "Embeddings"
    """Embeddings models are trained with."""
    SERVER = "Server"
    """A pre-annotation server."""
    LICENSE = "License"
    """Where licensed material is read from."""
    HUB = "Hub"
    """The Models Hub and target versions."""
    LABEL_STUDIO = "LabelStudio"
    """A Label Studio that projects are applied to."""


class AssetType(StrEnum):
    """What a hub asset is."""

    MODEL = "model"
    """A model that predicts (NER, assertion, classification, relation)."""
    EMBEDDINGS = "embeddings"
    """Word or sentence embeddings models consume."""


KIND_NAMES = frozenset(Kind)
"""Every kind, as written in a manifest."""


class Edition(StrEnum):
    """The Spark NLP library edition an asset belongs to, and so the license it needs."""

    OPENSOURCE = "opensource"
    """Spark NLP, no license."""
    HEALTHCARE = "healthcare"
    """Spark NLP for Healthcare."""
    FINANCE = "finance"
    """Finance NLP."""
    LEGAL = "legal"
    """Legal NLP."""
    VISUAL = "visual"
    """Visual NLP (OCR)."""

    @property
    def licensed(self) -> bool:
        return self is not Edition.OPENSOURCE


EDITION_REPOSITORIES = {
    Edition.OPENSOURCE: ("public/models",),
    Edition.HEALTHCARE: ("clinical/models",),
    Edition.FINANCE: ("finance/models",),
    Edition.LEGAL: ("legal/models",),
    Edition.VISUAL: ("clinical/ocr",),
}
"""The hub folders that hold each edition's assets (``hub search --edition`` looks there)."""


def edition_of(repository: str) -> Edition:
    """The edition a hub folder holds (SPEC §2.3)."""
    head, _, tail = repository.lstrip("@").partition("/")
    if tail == "ocr" or head in ("ocr", "visual"):
        return Edition.VISUAL
    return {
        "clinical": Edition.HEALTHCARE,
        "healthcare": Edition.HEALTHCARE,
        "finance": Edition.FINANCE,
        "legal": Edition.LEGAL,
    }.get(head, Edition.OPENSOURCE)


PUBLIC_HUB_URL = "https://s3.amazonaws.com/auxdata.johnsnowlabs.com"
"""John Snow Labs' Models Hub (a Hub manifest's default ``url``)."""
PUBLIC_REPOSITORY = "public/models"
"""The hub folder of the open-source models."""
DEFAULT_SPARK_NLP_VERSION = "5.5.3"
"""The Spark NLP version assets must fit when no Hub manifest says."""
DEFAULT_SPARK_VERSION = "3.5"
"""The Spark version assets must fit when no Hub manifest says."""

DEFAULT_LOCKFILE = "alabctl.lock"
"""The lock file's name, read from the working directory unless ``--lockfile`` names another."""


def url_problem(url: str) -> str | None:
    """What makes ``url`` unusable as a hub (``None``: nothing): hubs are read over http(s)."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return "is not a URL (it has spaces or control characters)"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return (
            "is not an http:// or https:// URL" if parts.scheme else "is not a URL (no http:// or https://)"
        )
    if not parts.hostname:
        return "has no host"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    return None
