"""Types shared by every kind: names, relative paths, versions, the metadata block."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

NAME_PATTERN = r"^[a-z0-9]([a-z0-9_.-]{0,61}[a-z0-9])?$"
_NAME = re.compile(NAME_PATTERN)
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,2}$")
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h)$")
_COLOR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-zA-Z]+|rgba?\([0-9., ]+\))$")


class Strict(BaseModel):
    """Frozen, camelCase on the wire, and no unknown fields (no silent typos)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=False,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_enum_values=False,
        defer_build=True,  # a kind's validator is built when first used: one-file runs build one
    )


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise PydanticCustomError(
            "invalid_name",
            "'{value}' is not a valid name: use 1-63 lowercase letters, digits, '_', '.' or '-', "
            "starting and ending with a letter or digit",
            {"value": value},
        )
    return value


def _check_version(value: str) -> str:
    if not _VERSION.match(value):
        raise PydanticCustomError(
            "invalid_version", "'{value}' is not a version like '5.5.3' or '3.5'", {"value": value}
        )
    return value


def _check_duration(value: str) -> str:
    if not _DURATION.match(value):
        raise PydanticCustomError(
            "invalid_duration", "'{value}' is not a duration like '90s', '30m' or '2h'", {"value": value}
        )
    return value


def _check_color(value: str) -> str:
    if not _COLOR.match(value):
        raise PydanticCustomError(
            "invalid_color", "'{value}' is not a color: use '#rrggbb' or a CSS color name", {"value": value}
        )
    return value


def _check_relpath(value: str) -> str:
    if not value or value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", value) or "\x00" in value:
        raise PydanticCustomError(
            "invalid_path",
            "'{value}' must be a path relative to this manifest's file, inside the repository",
            {"value": value},
        )
    return value


Name = Annotated[str, AfterValidator(_check_name), Field(json_schema_extra={"pattern": NAME_PATTERN})]
Version = Annotated[
    str, AfterValidator(_check_version), Field(json_schema_extra={"pattern": _VERSION.pattern})
]
Duration = Annotated[
    str, AfterValidator(_check_duration), Field(json_schema_extra={"pattern": _DURATION.pattern})
]
Color = Annotated[str, AfterValidator(_check_color)]
RelPath = Annotated[str, AfterValidator(_check_relpath)]
NonEmpty = Annotated[str, Field(min_length=1)]


class Metadata(Strict):
    """Who a manifest is: its name (unique per kind), labels for selection, free annotations."""

    name: Name
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class Manifest(Strict):
    """The envelope every document shares; each kind's manifest narrows ``spec`` (plain subclasses:
    pydantic generics cost start-up). Each kind's class lives in its own module, so a run creates
    only the classes of the kinds it reads (see :mod:`alabctl.spec.kinds.manifest`)."""

    api_version: Literal["alabctl/v1"]
    metadata: Metadata
    spec: BaseModel

    @property
    def name(self) -> str:
        return self.metadata.name
