"""The JSON Schema of the manifests, generated from the pydantic models.

Editors (yaml-language-server) use it to complete and check manifests as they are typed; other
validators (check-jsonschema) can use it too, though they see only the shape of one document, not
references between documents.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from alabctl.spec.diagnostics import hint
from alabctl.spec.kinds.manifest import KINDS, AnyManifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def manifest_schema(kind: str | None = None) -> dict[str, Any]:
    """All kinds as one discriminated schema, or the schema of one kind."""
    if kind is None:
        schema = TypeAdapter(AnyManifest).json_schema(by_alias=True, mode="validation")
        title = "alabctl manifest"
    else:
        model = KINDS.get(kind) or {k.lower(): v for k, v in KINDS.items()}.get(kind.lower())
        if model is None:
            raise KeyError(f"unknown kind '{kind}': {hint(kind, KINDS, 'kind')}")
        schema = model.model_json_schema(by_alias=True, mode="validation")
        title = f"alabctl {model.__name__.removesuffix('Manifest')}"
    return {"$schema": SCHEMA_DIALECT, "title": title, **{k: v for k, v in schema.items() if k != "title"}}
