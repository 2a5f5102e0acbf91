"""Plain documents -> typed manifests, with pydantic's errors turned into located diagnostics.

pydantic sees only values and reports a path (``loc``); the loader kept the node tree, so each
error becomes a diagnostic at the YAML node at fault: the key for an unknown field, the parent
mapping for a missing one, the value for everything else.
"""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from alabctl.spec.diagnostics import Diagnostic, Path, Severity, format_path, hint
from alabctl.spec.kinds.manifest import KINDS
from alabctl.spec.loader import Origin, RawDocument

if typing.TYPE_CHECKING:
    from alabctl.spec.kinds.manifest import AnyManifest

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_CONFLICTS = {"one_of", "regex_case", "missing_sha256"}


class Resource(NamedTuple):
    """A validated manifest and where it came from."""

    manifest: AnyManifest
    origin: Origin

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def name(self) -> str:
        return self.manifest.metadata.name


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """The part of pydantic's ``loc`` that names nodes of the document (drops union/validator tags)."""
    path: list[int | str] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and not path_has_tag(part):
            path.append(part)  # a missing or unknown key: keep it, it is the last part
            node = None
    return tuple(path)


def path_has_tag(part: str) -> bool:
    return "[" in part or part.startswith("function-")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, dict, tuple, set):
        found: list[type[BaseModel]] = []
        for arg in get_args(annotation):
            found.extend(_models_in(arg))
        return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _field_annotation(model: type[BaseModel], alias: str) -> Any:
    for name, info in model.model_fields.items():
        if (info.alias or name) == alias:
            return info.annotation
    return None


def _models_at(root: type[BaseModel], path: Path) -> list[type[BaseModel]]:
    models = [root]
    for part in path:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for model in models:
            annotation = _field_annotation(model, part)
            if annotation is not None:
                nxt.extend(_models_in(annotation))
        if not nxt:
            return models  # dict keys (rename: {A: B}): stay on the model that owns the dict
        models = nxt
    return models


def _known_fields(root: type[BaseModel], parent: Path) -> list[str]:
    names: list[str] = []
    for model in _models_at(root, parent):
        names.extend(info.alias or name for name, info in model.model_fields.items())
    return names


def _enum_values(root: type[BaseModel], path: Path) -> list[str]:
    parent_models = _models_at(root, path[:-1])
    for model in parent_models:
        annotation = _field_annotation(model, str(path[-1])) if path else None
        for arg in [annotation, *get_args(annotation)]:
            if isinstance(arg, type) and issubclass(arg, Enum):
                return [str(m.value) for m in arg]
    return []


def _field_label(path: Path) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


def _error_to_diagnostic(
    error: ErrorDetails, data: Any, origin: Origin, model: type[BaseModel]
) -> Diagnostic:
    kind = error["type"]
    path = _data_path(data, tuple(error["loc"]))
    value = error.get("input")
    field = _field_label(path)
    message = error["msg"]
    if kind == "missing":
        parent = path[:-1]
        where = format_path(parent)
        top = f"'{where}'" if parent else "the top level"
        return _at(
            origin, "ALB101", f"missing required field '{field}'", f"add '{field}' under {top}", path, parent
        )
    if kind == "extra_forbidden":
        known = _known_fields(model, path[:-1])
        return origin.diagnostic(
            "ALB104", f"unknown field '{field}'", hint(field, known, "field"), path, key=True
        )
    if kind in ("literal_error", "enum"):
        allowed = _enum_values(model, path)
        if not allowed and "expected" in (error.get("ctx") or {}):
            allowed = [
                a.strip().strip("'") for a in str(error["ctx"]["expected"]).replace(" or ", ",").split(",")
            ]
        shown = ", ".join(f"'{a}'" for a in allowed)
        best = hint(str(value), allowed) if isinstance(value, str) else ""
        detail = f"use one of {shown}" + (f"; {best}" if best.startswith("did you mean") else "")
        return origin.diagnostic("ALB103", f"'{value}' is not allowed for '{field}'", detail, path)
    if kind == "invalid_name":
        return origin.diagnostic("ALB105", f"invalid name '{value}'", message, path)
    if kind in _TYPE_WORDS:
        want = _TYPE_WORDS[kind]
        detail = f"'{field}' takes {want}"
        if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
            detail += '; put the value in quotes, e.g. "3.10" (unquoted it is read as a number)'
        return origin.diagnostic(
            "ALB102", f"'{field}' should be {want}, not {_describe(value)}", detail, path
        )
    if kind in _CONFLICTS:
        return _at(origin, "ALB109", message, "", path, path)
    return origin.diagnostic("ALB106", f"invalid value for '{field}'", message, path)


def _at(origin: Origin, code: str, summary: str, detail: str, path: Path, where: Path) -> Diagnostic:
    pos = origin.locate(where, key=True)  # the parent's key line ("spec:") when it has one
    return Diagnostic(code, Severity.ERROR, summary, detail, origin.file, pos.line, pos.column, path)


def to_resource(document: RawDocument) -> tuple[Resource | None, list[Diagnostic]]:
    """Validate one document against its kind's model."""
    data = document.data
    origin = document.origin
    kind = data.get("kind")
    if kind is None:
        return None, [
            _at(
                origin,
                "ALB101",
                "missing required field 'kind'",
                f"add 'kind:' with one of {', '.join(KINDS)}",
                ("kind",),
                (),
            )
        ]
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return None, [
            origin.diagnostic("ALB107", f"unknown kind '{kind}'", hint(str(kind), KINDS, "kind"), ("kind",))
        ]
    try:
        manifest = model.model_validate(data)
    except ValidationError as exc:
        diagnostics = [_error_to_diagnostic(e, data, origin, model) for e in exc.errors(include_url=False)]
        return None, diagnostics
    return Resource(typing.cast("AnyManifest", manifest), origin), []


class Typed(NamedTuple):
    """Documents after the schema: the valid ones, the problems, and what the invalid ones named."""

    resources: list[Resource]
    diagnostics: list[Diagnostic]
    broken: list[tuple[str, str]]
    """``(kind, name)`` of each document that names itself but failed its kind's schema: a
    reference to it is not "to nothing", and the document's own errors say what to fix."""


def to_resources(documents: list[RawDocument]) -> Typed:
    resources: list[Resource] = []
    diagnostics: list[Diagnostic] = []
    broken: list[tuple[str, str]] = []
    for document in documents:
        resource, problems = to_resource(document)
        diagnostics.extend(problems)
        if resource is not None:
            resources.append(resource)
        elif (named := _named(document.data)) is not None:
            broken.append(named)
    return Typed(resources, diagnostics, broken)


def _named(data: dict[str, Any]) -> tuple[str, str] | None:
    kind, metadata = data.get("kind"), data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if isinstance(kind, str) and kind in KINDS and isinstance(name, str):
        return kind, name
    return None
