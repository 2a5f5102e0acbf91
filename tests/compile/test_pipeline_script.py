"""The rendered pipeline script: valid Python, deterministic, injection-proof, and (with the
``spark-nlp`` package installed) every class and setter it uses exists in Spark NLP."""

from __future__ import annotations

import ast
import copy
import importlib
from pathlib import Path
from typing import Any

import pytest

from alabctl.compile.render import RenderError, py_literal, render_pipeline_script
from alabctl.compile.sparknlp.annotators import ANNOTATORS, LICENSED_ANNOTATOR
from tests.compile.test_pipeline import CASES, compile_case


def _tree(script: str) -> ast.Module:
    compile(script, "pipeline.py", "exec")
    return ast.parse(script)


def _imports(tree: ast.Module) -> dict[str, str]:
    """Imported name -> module, for ``from sparknlp... import X``."""
    return {
        alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sparknlp")
        for alias in node.names
    }


def _instances(tree: ast.Module, classes: set[str]) -> dict[str, str]:
    """Variable -> class for ``v = Class()`` and ``v = Class.load(...)``."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr == "load":
            func = func.value
        if isinstance(func, ast.Name) and func.id in classes:
            target = node.targets[0]
            assert isinstance(target, ast.Name)
            found[target.id] = func.id
    return found


def _setter_calls(tree: ast.Module, instances: dict[str, str]) -> list[tuple[str, str]]:
    """(class, method) for every ``v.setX(...)`` on a stage instance."""
    return [
        (instances[node.func.value.id], node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in instances
    ]


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, Any], str]:
    spec = compile_case(tmp_path, request.param)
    return spec, render_pipeline_script(spec)


def test_script_compiles_and_mirrors_the_stages(case: tuple[dict[str, Any], str]) -> None:
    spec, script = case
    tree = _tree(script)
    instances = _instances(tree, set(_imports(tree)) & set(ANNOTATORS))
    assert list(instances.values()) == [s["class"] for s in spec["stages"]]
    calls = _setter_calls(tree, instances)
    assert sum(1 for _, m in calls if m == "setOutputCol") == len(spec["stages"])
    assert script.startswith("#!/usr/bin/env python3\n")
    assert 'if __name__ == "__main__":' in script


def test_script_is_deterministic(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "clinical")
    assert render_pipeline_script(spec) == render_pipeline_script(copy.deepcopy(spec))


def test_script_loads_pretrained_from_the_cache_only(tmp_path: Path) -> None:
    script = render_pipeline_script(compile_case(tmp_path, "dosage"))
    assert "pretrained(" not in script
    assert "spark.jars.packages" not in script
    assert "MedicalNerModel.load(cached('ner_posology_en_5.5.3_3.0_1700000000000', 'ner_posology'))" in script
    assert "PerceptronModel.load(cached(None, 'pos_clinical'))" in script
    assert '("spark.jsl.settings.pretrained.cache_folder", CACHE)' in script
    assert "JAR_VARIABLES = ['SPARK_NLP_JAR', 'SPARK_NLP_JSL_JAR']" in script


def test_open_source_script_needs_no_licensed_jar(tmp_path: Path) -> None:
    script = render_pipeline_script(compile_case(tmp_path, "emotions"))
    assert "sparknlp_jsl" not in script
    assert "JAR_VARIABLES = ['SPARK_NLP_JAR']" in script


def test_rule_paths_are_relative_to_the_build_folder(tmp_path: Path) -> None:
    script = render_pipeline_script(compile_case(tmp_path, "clinical"))
    assert "setJsonPath(in_build('rules/height.json'))" in script
    assert (
        "setDictionary(in_build('rules/gender.csv'), options={'delimiter': ',', 'orientation': 'horizontal'})"
        in script
    )


def test_values_cannot_inject_code(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "measures")
    evil = "x'); import os; os.system('boom') #\n\"\"\""
    spec["server"] = evil
    rule = spec["stages"][-1]
    rule["params"]["jsonPath"] = evil
    rule["outputCol"] = rule["name"] = evil
    tree = _tree(render_pipeline_script(spec))
    imported = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    assert imported == {"json", "os", "sys"}
    constants = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert constants.count(evil) >= 3


def test_unknown_class_or_param_is_refused(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "measures")
    bad_class = copy.deepcopy(spec)
    bad_class["stages"][0]["class"] = "os.system"
    with pytest.raises(RenderError, match="unknown annotator class"):
        render_pipeline_script(bad_class)
    bad_param = copy.deepcopy(spec)
    bad_param["stages"][0]["params"] = {"x(1); import os": 1}
    with pytest.raises(RenderError, match="not a param name"):
        render_pipeline_script(bad_param)


def test_py_literal_sorts_mappings_and_refuses_objects() -> None:
    assert py_literal({"b": [1, True, None], "a": "q'\""}) == "{'a': 'q\\'\"', 'b': [1, True, None]}"
    with pytest.raises(RenderError):
        py_literal(object())
    with pytest.raises(RenderError):
        py_literal(float("nan"))


# -- against the installed Spark NLP --------------------------------------------------------------


def test_classes_and_setters_exist_in_spark_nlp(case: tuple[dict[str, Any], str]) -> None:
    pytest.importorskip("sparknlp", reason="needs the spark-nlp package (pip install spark-nlp pyspark)")
    _, script = case
    tree = _tree(script)
    imports = _imports(tree)
    for name, module in imports.items():
        if module.startswith("sparknlp_jsl"):
            assert name in ANNOTATORS and ANNOTATORS[name].module == LICENSED_ANNOTATOR
            continue
        assert hasattr(importlib.import_module(module), name), f"{module}.{name} does not exist"
    instances = _instances(tree, set(imports))
    checked = 0
    for cls, method in _setter_calls(tree, instances):
        if imports[cls].startswith("sparknlp_jsl"):
            assert not ANNOTATORS[cls].module.startswith("sparknlp.")
            continue
        assert hasattr(getattr(importlib.import_module(imports[cls]), cls), method), f"{cls}.{method}"
        checked += 1
    assert checked >= 6
