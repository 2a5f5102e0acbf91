"""``kind: License`` (SPEC §2.5): where licensed material is read from. Never the material itself."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator, model_validator
from pydantic_core import PydanticCustomError

from alabctl.spec.kinds.common import Manifest, NonEmpty, Strict
from alabctl.spec.secrets import quoted

SCOPE_PATTERN = r"^(healthcare|finance|legal|ocr|visual):(inference|training)$"
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LicenseSpec(Strict):
    """A John Snow Labs license, read from an environment variable or a file.

    With both, the variable wins when it is set and the file is the fallback (a CI secret in the
    variable, a developer's copy in the file).
    """

    from_env: NonEmpty | None = None
    from_file: NonEmpty | None = None
    scopes: list[str] = []

    @field_validator("from_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV.match(value):
            raise PydanticCustomError(
                "invalid_env",
                "{value} is not an environment variable name (letters, digits and '_', e.g. JSL_LICENSE)",
                {"value": quoted(value)},
            )
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, scopes: list[str]) -> list[str]:
        for scope in scopes:
            if not re.match(SCOPE_PATTERN, scope):
                raise PydanticCustomError(
                    "invalid_scope",
                    "'{value}' is not a scope: use '<healthcare|finance|legal|ocr|visual>:<inference|training>'",
                    {"value": scope},
                )
        return scopes

    @model_validator(mode="after")
    def _one_place(self) -> LicenseSpec:
        if self.from_env is None and self.from_file is None:
            raise PydanticCustomError(
                "one_of", "name where the license is: 'fromEnv', 'fromFile' or both (never inline)"
            )
        return self


class LicenseManifest(Manifest):
    kind: Literal["License"]
    spec: LicenseSpec
