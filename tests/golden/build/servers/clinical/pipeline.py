#!/usr/bin/env python3
"""A pre-annotation server's Spark NLP pipeline, compiled by alabctl from pipeline.json: do not edit.

Usage: python pipeline.py TASKS.jsonl

Each line of TASKS.jsonl is a JSON string, or an object with "text" (or Label Studio's "data.text").
Prints one JSON object per line: the annotations of each output column.

Offline: Spark NLP comes from the jar(s) named by $SPARK_NLP_JAR (and $SPARK_NLP_JSL_JAR for
licensed stages), never from Maven; every pretrained stage is loaded from $ALABCTL_HOME/cache/<key>.
"""

from __future__ import annotations

import json
import os
import sys

from pyspark.ml import Pipeline
from pyspark.sql import SparkSession
from sparknlp.annotator import (
    DependencyParserModel,
    PerceptronModel,
    SentenceDetector,
    Tokenizer,
    WordEmbeddingsModel,
)
from sparknlp.base import (
    DocumentAssembler,
    LightPipeline,
)
from sparknlp_jsl.annotator import (
    AssertionDLModel,
    ChunkMergeApproach,
    ContextualParserApproach,
    MedicalNerModel,
    NerConverterInternal,
    RelationExtractionModel,
)

SERVER = 'clinical'
SPARK_NLP_VERSION = '5.5.3'
SPARK_VERSION = '3.5'
OUTPUT_COLUMNS = ['assertion_assertion_jsl', 'ner_chunk_ner_posology', 'relations_posology_re', 'rule_gender', 'rule_height']
JAR_VARIABLES = ['SPARK_NLP_JAR', 'SPARK_NLP_JSL_JAR']
HOME = os.environ.get("ALABCTL_HOME") or os.path.join(os.path.expanduser("~"), ".alabctl")
CACHE = os.path.join(HOME, "cache")
BUILD = os.environ.get("ALABCTL_BUILD") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)


def cached(key, name):
    """The folder of a pinned asset in the cache; it is never downloaded from here."""
    if key is None:
        raise SystemExit(f"{name} is not pinned in alabctl.lock: run 'alabctl lock' and compile again")
    path = os.path.join(CACHE, key)
    if not os.path.isdir(path):
        raise SystemExit(
            f"{name} is not installed at {path}: run 'alabctl hub pull {name}' "
            "(with --repository FOLDER and -f the License's manifests for a licensed folder)"
        )
    return path


def in_build(relative):
    """A compiled artifact (rule JSON, dictionary) by its path relative to the build folder."""
    return os.path.join(BUILD, *relative.split("/"))


def start_spark():
    """A Spark session built offline, with the settings of sparknlp.start() and a local jar."""
    missing = [name for name in JAR_VARIABLES if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} to the Spark NLP jar(s) for Spark NLP {SPARK_NLP_VERSION}")
    builder = SparkSession.builder.appName(f"alabctl {SERVER}").master(os.environ.get("SPARK_MASTER", "local[*]"))
    settings = (
        ("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "16G")),
        ("spark.serializer", "org.apache.spark.serializer.KryoSerializer"),
        ("spark.kryoserializer.buffer.max", "2000M"),
        ("spark.driver.maxResultSize", "0"),
        ("spark.jars", ",".join(os.environ[name] for name in JAR_VARIABLES)),
        ("spark.jsl.settings.pretrained.cache_folder", CACHE),
    )
    for key, value in settings:
        builder = builder.config(key, value)
    return builder.getOrCreate()


def build_pipeline():
    """The stages of pipeline.json, in order."""
    stage_0 = DocumentAssembler()
    stage_0.setInputCol('text')
    stage_0.setOutputCol('document')
    stage_0.setCleanupMode('disabled')
    stage_1 = SentenceDetector()
    stage_1.setInputCols(['document'])
    stage_1.setOutputCol('sentence')
    stage_2 = Tokenizer()
    stage_2.setInputCols(['sentence'])
    stage_2.setOutputCol('token')
    stage_3 = WordEmbeddingsModel.load(cached(None, 'embeddings_clinical'))
    stage_3.setInputCols(['sentence', 'token'])
    stage_3.setOutputCol('embeddings_embeddings_clinical')
    stage_4 = PerceptronModel.load(cached(None, 'pos_clinical'))
    stage_4.setInputCols(['sentence', 'token'])
    stage_4.setOutputCol('pos_tags')
    stage_5 = DependencyParserModel.load(cached(None, 'dependency_conllu'))
    stage_5.setInputCols(['sentence', 'pos_tags', 'token'])
    stage_5.setOutputCol('dependencies')
    stage_6 = MedicalNerModel.load(cached(None, 'ner_posology'))
    stage_6.setInputCols(['sentence', 'token', 'embeddings_embeddings_clinical'])
    stage_6.setOutputCol('ner_ner_posology')
    stage_6.setIncludeConfidence(True)
    stage_7 = NerConverterInternal()
    stage_7.setInputCols(['sentence', 'token', 'ner_ner_posology'])
    stage_7.setOutputCol('ner_chunk_ner_posology')
    stage_7.setWhiteList(['DOSAGE', 'DRUG', 'FREQUENCY', 'ROUTE'])
    stage_8 = ContextualParserApproach()
    stage_8.setInputCols(['sentence', 'token'])
    stage_8.setOutputCol('rule_gender')
    stage_8.setCaseSensitive(False)
    stage_8.setDictionary(in_build('rules/gender.csv'), options={'delimiter': ',', 'orientation': 'horizontal'})
    stage_8.setJsonPath(in_build('rules/gender.json'))
    stage_8.setPrefixAndSuffixMatch(False)
    stage_9 = ContextualParserApproach()
    stage_9.setInputCols(['sentence', 'token'])
    stage_9.setOutputCol('rule_height')
    stage_9.setCaseSensitive(True)
    stage_9.setJsonPath(in_build('rules/height.json'))
    stage_9.setPrefixAndSuffixMatch(False)
    stage_10 = ChunkMergeApproach()
    stage_10.setInputCols(['ner_chunk_ner_posology', 'rule_gender', 'rule_height'])
    stage_10.setOutputCol('ner_chunk_merged')
    stage_11 = AssertionDLModel.load(cached(None, 'assertion_jsl'))
    stage_11.setInputCols(['sentence', 'ner_chunk_merged', 'embeddings_embeddings_clinical'])
    stage_11.setOutputCol('assertion_assertion_jsl')
    stage_12 = RelationExtractionModel.load(cached(None, 'posology_re'))
    stage_12.setInputCols(['embeddings_embeddings_clinical', 'pos_tags', 'ner_chunk_ner_posology', 'dependencies'])
    stage_12.setOutputCol('relations_posology_re')
    return Pipeline(
        stages=[
            stage_0,
            stage_1,
            stage_2,
            stage_3,
            stage_4,
            stage_5,
            stage_6,
            stage_7,
            stage_8,
            stage_9,
            stage_10,
            stage_11,
            stage_12,
        ]
    )


def fit(spark):
    """Fit on an empty frame: every stage is pretrained or a rule."""
    return build_pipeline().fit(spark.createDataFrame([[""]]).toDF("text"))


def read_texts(path):
    """The texts of a JSONL file."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            item = json.loads(line)
            if isinstance(item, str):
                yield item
            else:
                yield item.get("data", item).get("text", "")


def as_json(annotation):
    """A Spark NLP annotation as plain JSON (end is inclusive, as in Spark NLP)."""
    return {
        "annotatorType": annotation.annotatorType,
        "begin": annotation.begin,
        "end": annotation.end,
        "result": annotation.result,
        "metadata": dict(sorted(annotation.metadata.items())),
    }


def main(argv):
    if len(argv) != 2:
        print("usage: python pipeline.py TASKS.jsonl", file=sys.stderr)
        return 2
    light = LightPipeline(fit(start_spark()))
    for text in read_texts(argv[1]):
        annotated = light.fullAnnotate(text)[0]
        columns = {column: [as_json(a) for a in annotated.get(column, [])] for column in OUTPUT_COLUMNS}
        print(json.dumps(columns, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
