"""``kind: LabelStudio`` (SPEC §8): a running Label Studio that projects are applied to.

Like a License, the API token is never in the manifest: it is read from an environment variable
or a file, and never printed.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from alabctl.spec.kinds.common import Manifest, Name, NonEmpty, RelPath, Strict
from alabctl.spec.secrets import quoted

_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def _check_url(value: str | None) -> str | None:
    if value is not None and not _URL.match(value):
        raise PydanticCustomError(
            "invalid_url", "'{value}' is not an http(s) URL like 'http://localhost:8080'", {"value": value}
        )
    return value.rstrip("/") if value is not None else None


class TokenSource(Strict):
    """Where the API token is read: an environment variable, a file, or both (the variable wins)."""

    from_env: NonEmpty | None = None
    from_file: NonEmpty | None = None

    @field_validator("from_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV.match(value):
            raise PydanticCustomError(
                "invalid_env",
                "{value} is not an environment variable name (letters, digits and '_', e.g. LABEL_STUDIO_API_KEY)",
                {"value": quoted(value)},
            )
        return value

    @model_validator(mode="after")
    def _one_place(self) -> TokenSource:
        if self.from_env is None and self.from_file is None:
            raise PydanticCustomError(
                "one_of", "name where the token is: 'fromEnv', 'fromFile' or both (never inline)"
            )
        return self


class LabelStudioSpec(Strict):
    """A Label Studio instance: where it is, how to authenticate, how it reaches the servers."""

    url: NonEmpty = Field(description="e.g. http://localhost:8080")
    token: TokenSource
    ml_backend_url: NonEmpty | None = Field(
        default=None,
        description="how Label Studio reaches the pre-annotation servers (e.g. http://alabctl:9000), "
        "when not at the servers' own URLs; each project is served under <url>/p/<project>",
    )
    tls_verify: bool = True

    @field_validator("url", "ml_backend_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return _check_url(value)


class ProjectLabelStudio(Strict):
    """A Project's place in Label Studio: which instance, its title and description, its tasks."""

    instance: Name
    title: str | None = Field(
        default=None, min_length=3, max_length=50, description="3-50 characters; default: the project's name"
    )
    description: str | None = Field(default=None, description="default: the project's description")
    tasks: list[RelPath] = Field(
        default=[], description="task files or globs in the repository: JSON, JSONL or CSV"
    )


class LabelStudioManifest(Manifest):
    kind: Literal["LabelStudio"]
    spec: LabelStudioSpec
