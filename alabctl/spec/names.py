"""The fixed words of the manifest language: the apiVersion, the kinds, the lock file's name.

Kept apart from the pydantic models so that code which only needs the words (finding manifests,
replaying a cached result, reading the asset store's rows) does not load pydantic.
"""

from __future__ import annotations

from enum import StrEnum

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

DEFAULT_LOCKFILE = "alabctl.lock"
"""The lock file's name, read from the working directory unless ``--lockfile`` names another."""
