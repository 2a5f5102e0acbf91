"""Render a pipeline spec as a runnable Spark NLP script (SPEC §4 ``build/servers/<server>/pipeline.py``).

Steps: ``_context`` turns the spec into template values, checking that every class is one of
:data:`~alabctl.compile.sparknlp.annotators.ANNOTATORS` and every setter name an identifier; then the
packaged ``templates/pipeline.py.j2`` renders in a sandboxed Jinja2 environment with strict undefined
variables. Every value from the spec reaches the script only through the ``py`` filter, which
writes a Python literal (``repr`` of JSON data), so a rule path or a name can never become code.
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from alabctl.compile.sparknlp.annotators import ANNOTATORS, OPEN_BASE, Annotator

TEMPLATE = "pipeline.py.j2"
_PARAM = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_ALWAYS_IMPORTED = {OPEN_BASE: {"LightPipeline"}}


class RenderError(ValueError):
    """The spec cannot be rendered safely (an unknown class, a param that is not an identifier)."""


def _plain(value: Any) -> Any:
    """JSON data with sorted mappings; anything else is refused."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RenderError(f"{value!r} has no Python literal")
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise RenderError("mapping keys must be strings")
        return {k: _plain(value[k]) for k in sorted(value)}
    raise RenderError(f"a value of type {type(value).__name__} cannot be rendered")


def py_literal(value: Any) -> str:
    """A Python literal for JSON data: the only way a spec value enters the script."""
    return repr(_plain(value))


def setter(param: str) -> str:
    """Spark ML's setter for a param: ``whiteList`` -> ``setWhiteList``."""
    if not _PARAM.match(param):
        raise RenderError(f"'{param}' is not a param name")
    return "set" + param[0].upper() + param[1:]


def _row(stage: dict[str, Any]) -> Annotator:
    row = ANNOTATORS.get(str(stage.get("class")))
    if row is None:
        raise RenderError(f"stage '{stage.get('name')}': unknown annotator class {stage.get('class')!r}")
    return row


def _calls(stage: dict[str, Any], row: Annotator) -> list[dict[str, Any]]:
    if row.single_input:
        inputs = stage["inputCols"]
        calls = [{"method": "setInputCol", "value": inputs[0] if len(inputs) == 1 else inputs}]
    else:
        calls = [{"method": "setInputCols", "value": stage["inputCols"]}]
    calls.append({"method": "setOutputCol", "value": stage["outputCol"]})
    for param, value in sorted(stage.get("params", {}).items()):
        if param == "dictionary" and isinstance(value, dict):
            calls.append(
                {"method": "setDictionary", "value": value["path"], "path": True, "options": value["options"]}
            )
        else:
            calls.append({"method": setter(param), "value": value, "path": param in row.path_params})
    return [{"method": call["method"], "args": _arguments(call)} for call in calls]


def _arguments(call: dict[str, Any]) -> str:
    """A setter call's argument list; every value goes through :func:`py_literal`."""
    value = py_literal(call["value"])
    text = f"in_build({value})" if call.get("path") else value
    options = call.get("options")
    return text if options is None else f"{text}, options={py_literal(options)}"


def _stage(index: int, stage: dict[str, Any]) -> dict[str, Any]:
    row = _row(stage)
    source = stage.get("pretrained")
    return {
        "var": f"stage_{index}",
        "cls": row.cls,
        "key_given": source is not None,
        "key": source.get("key") if source else None,
        "asset": source.get("name") if source else None,
        "calls": _calls(stage, row),
    }


def _imports(stages: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    modules: dict[str, set[str]] = {k: set(v) for k, v in _ALWAYS_IMPORTED.items()}
    for stage in stages:
        row = _row(stage)
        modules.setdefault(row.module, set()).add(row.cls)
    return [(module, sorted(names)) for module, names in sorted(modules.items())]


def _context(spec: dict[str, Any]) -> dict[str, Any]:
    stages = list(spec.get("stages", []))
    licensed = any(_row(s).licensed for s in stages)
    return {
        "server": spec["server"],
        "spark_nlp_version": spec["sparkNlpVersion"],
        "spark_version": spec["sparkVersion"],
        "output_columns": sorted({o["column"] for o in spec.get("outputs", [])}),
        "jar_variables": ["SPARK_NLP_JAR", "SPARK_NLP_JSL_JAR"] if licensed else ["SPARK_NLP_JAR"],
        "imports": _imports(stages),
        "stages": [_stage(i, s) for i, s in enumerate(stages)],
    }


@cache
def _template() -> Template:
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["py"] = py_literal
    text = resources.files("alabctl.compile").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    return env.from_string(text)


def render_pipeline_script(spec: dict[str, Any]) -> str:
    """The pipeline spec as a runnable Spark NLP script; equal specs give identical text."""
    return _template().render(_context(spec))
