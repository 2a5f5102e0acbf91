"""``kind: Hub`` (SPEC §2.5): the Models Hub to resolve assets from, and the versions to target."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from alabctl.spec.kinds.common import Manifest, Strict, Version
from alabctl.spec.names import DEFAULT_SPARK_NLP_VERSION, DEFAULT_SPARK_VERSION, url_problem
from alabctl.spec.names import PUBLIC_HUB_URL as PUBLIC_HUB_URL  # re-exported: defined apart from pydantic


class HubSpec(Strict):
    """A hub in Spark NLP's own layout, and the Spark NLP / Spark versions assets must fit."""

    url: str = PUBLIC_HUB_URL
    spark_nlp_version: Version = DEFAULT_SPARK_NLP_VERSION
    spark_version: Version = DEFAULT_SPARK_VERSION

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if problem := url_problem(value):  # what the hub commands would refuse, refused here first
            raise PydanticCustomError(
                "invalid_url",
                "'{value}' {problem}: a hub is read over http(s), e.g. https://hub.example.org",
                {"value": value, "problem": problem},
            )
        return value.rstrip("/")


class HubManifest(Manifest):
    kind: Literal["Hub"]
    spec: HubSpec = Field(default_factory=HubSpec)
