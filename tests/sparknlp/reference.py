"""The test models called directly through Spark NLP's own API: what the engine's answers are checked against."""

from __future__ import annotations

from typing import Any

from alabctl.assets.home import Home


def stage(pipeline: dict[str, Any], cls: str) -> dict[str, Any]:
    return next(s for s in pipeline["stages"] if s["class"] == cls)


_BUILT: dict[tuple[int, str], Any] = {}


def reference(spark: Any, home: Home, pipeline: dict[str, Any]) -> Any:
    """The same models called directly through Spark NLP's API (no alabctl code); built once per store."""
    key = (id(spark), str(home.root))
    if key not in _BUILT:
        _BUILT[key] = _reference(spark, home, pipeline)
    return _BUILT[key]


def _reference(spark: Any, home: Home, pipeline: dict[str, Any]) -> Any:
    from pyspark.ml import Pipeline
    from sparknlp.annotator import (
        ClassifierDLModel,
        NerConverter,
        NerDLModel,
        SentenceDetector,
        SentenceEmbeddings,
        Tokenizer,
        WordEmbeddingsModel,
    )
    from sparknlp.base import DocumentAssembler, LightPipeline

    def key(cls: str) -> str:
        return str(home.asset_dir(stage(pipeline, cls)["pretrained"]["key"]))

    stages = [
        DocumentAssembler().setInputCol("text").setOutputCol("document"),
        SentenceDetector().setInputCols(["document"]).setOutputCol("sentence"),
        Tokenizer().setInputCols(["sentence"]).setOutputCol("token"),
        WordEmbeddingsModel.load(key("WordEmbeddingsModel"))
        .setInputCols(["sentence", "token"])
        .setOutputCol("emb"),
        NerDLModel.load(key("NerDLModel")).setInputCols(["sentence", "token", "emb"]).setOutputCol("ner"),
        NerConverter().setInputCols(["sentence", "token", "ner"]).setOutputCol("chunks"),
        SentenceEmbeddings()
        .setInputCols(["sentence", "emb"])
        .setOutputCol("sent")
        .setPoolingStrategy("AVERAGE"),
        ClassifierDLModel.load(key("ClassifierDLModel")).setInputCols(["sent"]).setOutputCol("class"),
    ]
    model = Pipeline(stages=stages).fit(spark.createDataFrame([[""]]).toDF("text"))
    return LightPipeline(model)
