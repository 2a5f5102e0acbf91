"""The test-built models as Spark NLP hub archives, for the tests' hub server and ``bench/spark.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.assets.hubserver import publish
from tests.sparknlp.models import CLASSES, CLASSIFIER, EMBEDDINGS, NER, NER_LABELS, TrainedModels, zip_folder

HUB_TIME_MS = 1_764_000_000_000
LIB, SPARK = [5, 5, 3], [3, 5]


def publish_trained(root: Path, trained: TrainedModels) -> None:
    """Publish the embeddings, the NER model and the classifier under ``root`` (a hub's folder)."""
    common: dict[str, Any] = {"lang": "en", "lib": LIB, "spark": SPARK, "time_ms": HUB_TIME_MS}
    publish(
        root,
        "public/models",
        EMBEDDINGS,
        zip_folder(trained.embeddings),
        annotator="WordEmbeddingsModel",
        storageRef=EMBEDDINGS,
        **common,
    )
    publish(
        root,
        "public/models",
        NER,
        zip_folder(trained.ner),
        annotator="NerDLModel",
        storageRef=EMBEDDINGS,
        labels=list(NER_LABELS),
        task="ner",
        **common,
    )
    publish(
        root,
        "public/models",
        CLASSIFIER,
        zip_folder(trained.classifier),
        annotator="ClassifierDLModel",
        storageRef=EMBEDDINGS,
        labels=list(CLASSES),
        task="classification",
        **common,
    )
