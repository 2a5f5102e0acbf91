"""The chain on real models: hub pull -> lock -> compile -> the sparknlp engine, checked against Spark NLP's own API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alabctl.assets.home import Home
from alabctl.runtime.build import load_build
from alabctl.runtime.engine import Category, Chunk, Engine
from alabctl.runtime.sparknlp import load_engine
from alabctl.runtime.sparknlp.engine import SparkNlpEngine
from alabctl.spec.errors import UserError
from tests.sparknlp.models import CLASSIFIER, EMBEDDINGS, NER
from tests.sparknlp.reference import reference
from tests.sparknlp.reference import stage as _stage
from tests.sparknlp.repo import SERVER

pytestmark = pytest.mark.spark

TEXTS = [
    "😀 Anna Novak visited Oslo and joined Acme Bank .",
    "\U0001d400\U0001d401\U0001d402 🇫🇷 Peter Chen met Li Tanaka at Globex Labs in Paris today .",
    "The striker scored a goal in the final match of the season .",
    "Investors bought shares after the merger and the stock rose .",
    "",
    "/etc/passwd",
]


@pytest.fixture(scope="module")
def engine(built: tuple[Path, Home, dict[str, Any]]) -> Iterator[Engine]:
    """The engine as the runtime's factory loads it: Spark NLP stages and the native rules beside them."""
    build, home, _ = built
    opened = load_build(build)
    loaded = load_engine(opened, opened.pipeline(SERVER), home)
    try:
        yield loaded
    finally:
        loaded.close()


def spark_only(pipeline: dict[str, Any]) -> dict[str, Any]:
    """A copy without the rules (so SparkNlpEngine can be built without a rules engine)."""
    copy = json.loads(json.dumps(pipeline))
    copy["stages"] = [s for s in copy["stages"] if s["class"] != "ContextualParserApproach"]
    copy["outputs"] = [o for o in copy["outputs"] if o["kind"] != "rule"]
    return copy


def test_compiled_pipeline_pins_the_pulled_models(built: tuple[Path, Home, dict[str, Any]]) -> None:
    _, home, pipeline = built
    assert pipeline["engine"] == "sparknlp"
    for cls in ("WordEmbeddingsModel", "NerDLModel", "ClassifierDLModel"):
        stage = _stage(pipeline, cls)
        assert stage["storageRef"] == EMBEDDINGS
        assert (home.asset_dir(stage["pretrained"]["key"]) / "metadata" / "part-00000").is_file()
    assert _stage(pipeline, "NerDLModel")["pretrained"]["name"] == NER
    assert _stage(pipeline, "ClassifierDLModel")["pretrained"]["name"] == CLASSIFIER


def test_ner_chunks_equal_spark_nlp_called_directly(
    spark: Any, engine: Engine, built: tuple[Path, Home, dict[str, Any]]
) -> None:
    _, home, pipeline = built
    direct = reference(spark, home, pipeline)
    ner_column = next(o["column"] for o in pipeline["outputs"] if o["kind"] == "ner")
    results = engine.predict(TEXTS)
    assert len(results) == len(TEXTS)
    found_any = 0
    for text, findings in zip(TEXTS, results, strict=True):
        chunks = findings[ner_column]
        assert all(isinstance(c, Chunk) for c in chunks)
        expected = direct.fullAnnotate(text)[0]["chunks"] if text.strip() and "/" not in text else []
        assert [(c.text, c.label, round(c.score, 4)) for c in chunks] == [
            (a.result, a.metadata["entity"], round(float(a.metadata["confidence"]), 4)) for a in expected
        ]
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text  # code points, end exclusive
            assert chunk.source == NER
        found_any += len(chunks)
    # the astral characters before the entities: the JVM counts them twice, we count them once
    first = {c.text: (c.start, c.label) for c in results[0][ner_column]}
    assert first["Anna Novak"] == (2, "PER") and first["Oslo"][1] == "LOC" and first["Acme Bank"][1] == "ORG"
    assert found_any >= 6


def test_classification_equals_spark_nlp_called_directly(
    spark: Any, engine: Engine, built: tuple[Path, Home, dict[str, Any]]
) -> None:
    _, home, pipeline = built
    direct = reference(spark, home, pipeline)
    column = next(o["column"] for o in pipeline["outputs"] if o["kind"] == "classification")
    for text, findings in zip(TEXTS[2:4], engine.predict(TEXTS[2:4]), strict=True):
        (category,) = findings[column]
        assert isinstance(category, Category)
        (annotation,) = direct.fullAnnotate(text)[0]["class"]
        assert category.label == annotation.result
        assert category.score == pytest.approx(float(annotation.metadata[annotation.result]), abs=1e-4)
    assert [f[column][0].label for f in engine.predict(TEXTS[2:4])] == ["sports", "business"]


def test_rules_run_natively_beside_the_spark_nlp_stages(
    engine: Engine, built: tuple[Path, Home, dict[str, Any]]
) -> None:
    _, _, pipeline = built
    columns = {o["kind"]: o["column"] for o in pipeline["outputs"]}
    (found,) = engine.predict(["😀 Anna Novak visited Oslo in 2024 ."])
    (year,) = found[columns["rule"]]
    assert isinstance(year, Chunk) and (year.text, year.label, year.start) == ("2024", "Year", 29)
    assert "Anna Novak" in [c.text for c in found[columns["ner"]] if isinstance(c, Chunk)]


def test_rules_without_the_rules_engine_are_refused(built: tuple[Path, Home, dict[str, Any]]) -> None:
    _, home, pipeline = built
    with pytest.raises(UserError, match="native rules engine"):
        SparkNlpEngine(pipeline, home)


def test_a_model_missing_from_the_store_is_a_clear_error(
    built: tuple[Path, Home, dict[str, Any]], tmp_path: Path
) -> None:
    _, _, pipeline = built
    with pytest.raises(UserError, match="not installed") as info:
        SparkNlpEngine(spark_only(pipeline), Home(tmp_path / "empty"))
    assert "hub pull" in info.value.hint


def test_a_storage_ref_other_than_the_lock_is_refused(
    built: tuple[Path, Home, dict[str, Any]], tmp_path: Path
) -> None:
    _, home, pipeline = built
    changed = spark_only(pipeline)
    _stage(changed, "NerDLModel")["storageRef"] = "glove_100d"
    with pytest.raises(UserError, match="storageRef 'alab_test_100d', the pipeline expects 'glove_100d'"):
        SparkNlpEngine(changed, home)


def test_a_class_other_than_the_lock_is_refused(built: tuple[Path, Home, dict[str, Any]]) -> None:
    _, home, pipeline = built
    changed = spark_only(pipeline)
    clf = _stage(changed, "ClassifierDLModel")
    clf["pretrained"]["key"] = _stage(changed, "NerDLModel")["pretrained"]["key"]
    with pytest.raises(UserError, match="is a NerDLModel, the pipeline expects a ClassifierDLModel"):
        SparkNlpEngine(changed, home)


LICENSED = ["MedicalNerModel", "AssertionDLModel", "RelationExtractionModel", "ChunkMergeApproach"]


@pytest.mark.parametrize("cls", LICENSED)
def test_licensed_stages_need_spark_nlp_for_healthcare(
    cls: str, built: tuple[Path, Home, dict[str, Any]]
) -> None:
    """Spark NLP for Healthcare cannot be had here: the engine refuses the stage with that reason."""
    _, home, pipeline = built
    changed = json.loads(json.dumps(pipeline))
    changed["stages"].append(
        {"name": "x", "class": cls, "module": "sparknlp_jsl.annotator", "licensed": True}
    )
    with pytest.raises(UserError, match="licensed") as info:
        SparkNlpEngine(changed, home)
    assert "Spark NLP for Healthcare" in info.value.hint


def test_licensed_models_run(built: tuple[Path, Home, dict[str, Any]]) -> None:
    pytest.skip(
        "MedicalNerModel, AssertionDLModel, RelationExtractionModel, ContextualParserApproach and "
        "ChunkMergeApproach need Spark NLP for Healthcare (licensed jar), which cannot be had here"
    )
