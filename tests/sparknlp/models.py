"""Real Spark NLP models for the tests, trained once and kept in the CI cache folder.

From the data in ``data/`` (see ``data/make_data.py``): ``WordEmbeddings`` from ``vectors.txt``
(storageRef ``alab_test_100d``); ``NerDLApproach`` on ``train.conll`` (PER, LOC, ORG; the jar's
``blstm_10_100_128_120`` graph fits 100-d vectors and up to 10 tags); ``ClassifierDLApproach`` on
``SentenceEmbeddings`` (average) of ``classes.csv``. Each is saved in Spark NLP's format and
zipped as a hub archive. The folder is keyed by a digest of the data, this file and the versions,
so a later run with the same inputs trains nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
SPARK_NLP_VERSION = "5.5.3"
EMBEDDINGS = "alab_test_100d"
NER = "ner_alab_test"
CLASSIFIER = "classifier_alab_test"
NER_LABELS = ("LOC", "ORG", "PER")
CLASSES = ("business", "sports")
DIMENSION = 100


def ci_cache() -> Path:
    """The folder later runs reuse (models, jars)."""
    return Path(os.environ.get("ALABCTL_CI_CACHE") or Path.home() / ".cache" / "alabctl-ci")


def digest() -> str:
    """What the trained models depend on: the data, this file and the Spark NLP version."""
    h = hashlib.sha256(SPARK_NLP_VERSION.encode())
    for path in sorted([*DATA.iterdir(), Path(__file__)]):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class TrainedModels:
    """Saved model folders."""

    root: Path

    @property
    def embeddings(self) -> Path:
        return self.root / EMBEDDINGS

    @property
    def ner(self) -> Path:
        return self.root / NER

    @property
    def classifier(self) -> Path:
        return self.root / CLASSIFIER


def _train(spark: Any, out: Path) -> None:
    from pyspark.ml import Pipeline
    from sparknlp.annotator import (
        ClassifierDLApproach,
        NerDLApproach,
        SentenceEmbeddings,
        Tokenizer,
        WordEmbeddings,
        WordEmbeddingsModel,
    )
    from sparknlp.base import DocumentAssembler
    from sparknlp.common import ReadAs
    from sparknlp.training import CoNLL

    train = CoNLL().readDataset(spark, str(DATA / "train.conll"))
    vectors = (
        WordEmbeddings()
        .setStoragePath(str(DATA / "vectors.txt"), ReadAs.TEXT)
        .setDimension(DIMENSION)
        .setStorageRef(EMBEDDINGS)
        .setInputCols(["sentence", "token"])
        .setOutputCol("embeddings")
    )
    vectors.fit(train).write().overwrite().save(str(out / EMBEDDINGS))
    embeddings = WordEmbeddingsModel.load(str(out / EMBEDDINGS))
    ner = (
        NerDLApproach()
        .setInputCols(["sentence", "token", "embeddings"])
        .setOutputCol("ner")
        .setLabelColumn("label")
        .setMaxEpochs(5)
        .setLr(0.01)
        .setBatchSize(16)
        .setRandomSeed(0)
        .setIncludeConfidence(True)
        .setEnableOutputLogs(False)
        .setVerbose(0)
    )
    ner.fit(embeddings.transform(train)).write().overwrite().save(str(out / NER))

    with (DATA / "classes.csv").open(encoding="utf-8") as handle:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(handle)]
    frame = spark.createDataFrame(rows).toDF("text", "label")
    features = Pipeline(
        stages=[
            DocumentAssembler().setInputCol("text").setOutputCol("document"),
            Tokenizer().setInputCols(["document"]).setOutputCol("token"),
            WordEmbeddingsModel.load(str(out / EMBEDDINGS)).setInputCols(["document", "token"]),
            SentenceEmbeddings()
            .setInputCols(["document", "embeddings"])
            .setOutputCol("sentence_embeddings")
            .setPoolingStrategy("AVERAGE"),
        ]
    ).fit(frame)
    classifier = (
        ClassifierDLApproach()
        .setInputCols(["sentence_embeddings"])
        .setOutputCol("class")
        .setLabelColumn("label")
        .setMaxEpochs(10)
        .setLr(0.01)
        .setBatchSize(16)
        .setRandomSeed(0)
        .setEnableOutputLogs(False)
    )
    classifier.fit(features.transform(frame)).write().overwrite().save(str(out / CLASSIFIER))


def trained_models(spark: Any) -> TrainedModels:
    """The models for this data, trained now only when the cache has none for its digest."""
    root = ci_cache() / "sparknlp-models" / digest()
    if (root / ".complete").is_file():
        return TrainedModels(root)
    tmp = root.with_name(root.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _train(spark, tmp)
    (tmp / ".complete").write_text(digest())
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return TrainedModels(root)


def zip_folder(folder: Path) -> bytes:
    """A hub archive: the saved model's files at the top of the zip, as Spark NLP's hub has them."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.endswith(".crc"):
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def storage_ref(folder: Path) -> str:
    """The storageRef a saved model's Spark metadata records."""
    line = (folder / "metadata" / "part-00000").read_text().splitlines()[0]
    meta = json.loads(line)
    return str(meta["paramMap"].get("storageRef") or meta["defaultParamMap"]["storageRef"])
