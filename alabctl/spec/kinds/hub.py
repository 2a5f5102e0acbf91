"""``kind: Hub`` (SPEC §2.5): the Models Hub to resolve assets from, and the versions to target."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from alabctl.spec.kinds.common import Manifest, Strict, Version

PUBLIC_HUB_URL = "https://s3.amazonaws.com/auxdata.johnsnowlabs.com"


class HubSpec(Strict):
    """A hub in Spark NLP's own layout, and the Spark NLP / Spark versions assets must fit."""

    url: str = PUBLIC_HUB_URL
    spark_nlp_version: Version = "5.5.3"
    spark_version: Version = "3.5"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://", "file://")):
            raise PydanticCustomError(
                "invalid_url", "'{value}' is not an http(s):// or file:// URL", {"value": value}
            )
        return value.rstrip("/")


class HubManifest(Manifest):
    kind: Literal["Hub"]
    spec: HubSpec = Field(default_factory=HubSpec)
