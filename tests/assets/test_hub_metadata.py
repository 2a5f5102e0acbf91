"""Parsing metadata.json lines: Spark NLP's fields, our optional extras, keys and file names."""

from __future__ import annotations

import json

import pytest

from alabctl.assets.metadata import parse_index, parse_time
from alabctl.spec.errors import PermanentError
from alabctl.spec.lock import Edition

SPARK_LINE = (
    '{"name":"ner_dl","language":"en","libVersion":{"parts":[4,4,0]},"sparkVersion":{"parts":[3,0]},'
    '"readyToUse":true,"time":"2023-04-12T10:00:00.000Z","isZipped":true,"category":"ml","checksum":"",'
    '"annotator":"NerDLModel"}'
)


def test_time_with_and_without_millis() -> None:
    assert parse_time("2023-04-12T10:00:00.123Z") == 1681293600123
    assert parse_time("2023-04-12T10:00:00Z") == 1681293600000
    assert parse_time("2023-04-12 10:00:00.5") == 1681293600500
    assert parse_time("2023-04-12T12:00:00+02:00") == 1681293600000
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_spark_nlp_record_without_extras() -> None:
    [record] = parse_index("\n" + SPARK_LINE + "\n\n", "public/models")
    assert record.key == "ner_dl_en_4.4.0_3.0_1681293600000"
    assert record.file_name == record.key + ".zip"
    assert record.labels is None and record.storage_ref is None and record.size is None
    assert record.dependencies == ()
    assert record.effective_edition is Edition.OPENSOURCE
    assert not record.is_embeddings


def test_extras_and_edition_from_folder() -> None:
    data = json.loads(SPARK_LINE) | {
        "labels": ["PER", "LOC"],
        "storageRef": "glove_100d",
        "size": 1234,
        "dependencies": ["glove_100d"],
        "task": "ner",
        "time": "2023-04-12T10:00:00Z",
    }
    [record] = parse_index(json.dumps(data), "clinical/models")
    assert record.labels == ("PER", "LOC")
    assert record.size == 1234
    assert record.effective_edition is Edition.HEALTHCARE
    assert record.time_ms == 1681293600000


def test_missing_parts_give_empty_key_parts() -> None:
    [record] = parse_index(
        '{"name":"x","language":"en","readyToUse":true,"time":"2020-01-01T00:00:00Z"}', "public/models"
    )
    assert record.key == "x_en___1577836800000"
    assert not record.zipped


def test_the_key_is_the_bare_name_without_language_and_versions() -> None:
    [record] = parse_index('{"name":"x","readyToUse":true,"time":"2020-01-01T00:00:00Z"}', "public/models")
    assert record.key == "x"  # ResourceMetadata.key in Spark NLP 5.5.3


def test_bad_line_is_a_located_error() -> None:
    with pytest.raises(PermanentError, match=r"metadata.json:2: invalid hub index record"):
        parse_index(SPARK_LINE + "\n{not json}\n", "public/models")
