"""Version choice as Spark NLP 5.5.3 makes it: ready, both versions, exact name, compatible
language/lib/spark; then the highest Spark version, the highest Spark NLP version, the newest upload."""

from __future__ import annotations

import pytest

from alabctl.assets.metadata import HubRecord, parse_index
from alabctl.assets.resolve import Request, Shortfall, resolve, search, why_none
from alabctl.compile.sparknlp.versions import parse_version, to_float
from tests.assets.hubserver import index_line

RECORDS: list[HubRecord] = parse_index(
    "\n".join(
        [
            index_line("ner_dl", "en", [4, 4, 0], [3, 0], "2023-01-01T00:00:00Z"),
            index_line("ner_dl", "en", [5, 0, 0], [3, 4], "2023-06-01T00:00:00Z"),
            index_line("ner_dl", "en", [4, 2, 0], [3, 0], "2023-08-01T00:00:00Z"),  # old lib, newest upload
            index_line("ner_dl", "en", [5, 5, 2], [3, 0], "2024-01-01T00:00:00Z"),  # lib too new
            index_line(
                "ner_dl", "en", [5, 1, 0], [3, 5, 2], "2024-02-01T00:00:00Z"
            ),  # spark too specific/new
            index_line("ner_dl", "en", [5, 1, 0], [3, 0], "2024-03-01T00:00:00Z", ready=False),  # not ready
            index_line("ner_dl", "de", [5, 1, 0], [3, 0], "2024-04-01T00:00:00Z"),  # other language
            index_line("ner_dl_bert", "en", [5, 1, 0], [3, 0], "2024-05-01T00:00:00Z"),  # other name
        ]
    ),
    "public/models",
)


@pytest.mark.parametrize(
    ("lib", "spark", "chosen"),
    [
        # the highest Spark version wins first: 5.0.0/3.4 over the newer upload 4.2.0/3.0
        ("5.5.1", "3.5.1", ((5, 0, 0), (3, 4), 1685577600000)),
        # same Spark 3.0: the higher Spark NLP version wins over the newer upload (4.4.0 over 4.2.0)
        ("4.4.1", "3.3.0", ((4, 4, 0), (3, 0), 1672531200000)),
        ("4.3.0", "3.3.0", ((4, 2, 0), (3, 0), 1690848000000)),  # 4.4.0 is too new for 4.3.0
        ("4.1.0", "3.3.0", None),
    ],
)
def test_spark_then_library_version_then_upload_time(lib: str, spark: str, chosen: object) -> None:
    found = resolve(RECORDS, Request("ner_dl", "en", parse_version(lib), parse_version(spark)))
    assert (found.lib_version, found.spark_version, found.time_ms) == chosen if found else chosen is None


def test_same_versions_the_newest_upload_wins() -> None:
    records = parse_index(
        "\n".join(
            index_line("m", "en", [5, 1, 0], [3, 0], when)
            for when in ("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-01-01T00:00:00Z")
        ),
        "public/models",
    )
    found = resolve(records, Request("m", "en", (5, 5, 3), (3, 5)))
    assert found is not None and found.time_ms == 1709251200000


def test_records_without_both_versions_are_dropped() -> None:
    lines = [
        '{"name": "m", "language": "en", "readyToUse": true, "time": "2025-01-01T00:00:00Z"}',
        '{"name": "m", "language": "en", "libVersion": {"parts": [5]}, "readyToUse": true, "time": "2025-01-01T00:00:00Z"}',
        index_line("m", "en", [3, 0, 0], [2, 4], "2020-01-01T00:00:00Z"),
    ]
    found = resolve(parse_index("\n".join(lines), "public/models"), Request("m", "en", None, None))
    assert found is not None and found.lib_version == (3, 0, 0)


def test_versions_order_as_spark_nlps_floats() -> None:
    # Version.toFloat: 5.5.3 is 5.53, so 5.10.0 (5.1) orders below 5.5.3; 4.4.10 and 4.4.1 are equal
    assert to_float((5, 5, 3)) > to_float((5, 10, 0))
    assert to_float((4, 4, 10)) == to_float((4, 4, 1))
    records = parse_index(
        "\n".join(
            [
                index_line("m", "en", [5, 5, 3], [3, 0], "2024-01-01T00:00:00Z"),
                index_line("m", "en", [5, 10, 0], [3, 0], "2024-06-01T00:00:00Z"),
            ]
        ),
        "public/models",
    )
    found = resolve(records, Request("m", "en", (6, 0, 0), (3, 5)))
    assert found is not None and found.lib_version == (5, 5, 3)


def test_language_and_name_are_exact() -> None:
    found = resolve(RECORDS, Request("ner_dl", "de", parse_version("5.5.1"), parse_version("3.5.1")))
    assert found is not None and found.language == "de"
    any_lang = resolve(RECORDS, Request("ner_dl", None, parse_version("5.5.1"), parse_version("3.5.1")))
    assert any_lang is not None and (any_lang.language, any_lang.lib_version) == (
        "en",
        (5, 0, 0),
    )  # Spark 3.4 first
    assert resolve(RECORDS, Request("NER_DL", "en", None, None)) is None
    assert resolve(RECORDS, Request("ner_d", "en", None, None)) is None


def test_search_groups_versions_and_filters() -> None:
    hits = search(RECORDS, "ner", language="en")
    assert [h.newest.name for h in hits] == ["ner_dl", "ner_dl_bert"]
    assert hits[0].versions == ("4.2.0", "4.4.0", "5.0.0", "5.1.0", "5.5.2")
    compatible = search(RECORDS, "ner_dl", language="en", compatible=(parse_version("5.0.0"), (3, 4)))
    assert compatible[0].versions == ("4.2.0", "4.4.0", "5.0.0")


_NOT_READY = index_line("m", "fr", [5, 1, 0], [3, 0], "2024-03-01T00:00:00Z", ready=False)
_NO_VERSIONS = '{"name": "m", "language": "fr", "readyToUse": true, "time": "2025-01-01T00:00:00Z"}'


@pytest.mark.parametrize(
    ("records", "request_", "kind", "reason"),
    [
        (RECORDS, Request("ner_x"), Shortfall.NAME, "public/models has nothing named 'ner_x'"),
        (RECORDS, Request("ner_dl", "fr"), Shortfall.LANGUAGE, "public/models has ner_dl only in de, en"),
        (
            parse_index(_NOT_READY, "public/models"),
            Request("m", "fr"),
            Shortfall.NOT_READY,
            "no build of m (fr) in public/models is ready to use (readyToUse)",
        ),
        (
            parse_index(_NO_VERSIONS, "public/models"),
            Request("m", "fr"),
            Shortfall.NO_VERSIONS,
            "the builds of m (fr) in public/models lack a libVersion or a sparkVersion",
        ),
        (
            RECORDS,
            Request("ner_dl", "en", (4, 1, 0), (3, 3, 0)),
            Shortfall.VERSIONS,
            "public/models has ner_dl (en) only for Spark NLP 5.1.0 / Spark 3.5.2, "
            "Spark NLP 5.0.0 / Spark 3.4, Spark NLP 5.5.2 / Spark 3.0, Spark NLP 4.4.0 / Spark 3.0 and 1 more; "
            "none fits Spark NLP 4.1.0 / Spark 3.3.0, the versions in use",
        ),
        (
            RECORDS,
            Request("ner_dl", None, (3, 0), (3, 0)),
            Shortfall.VERSIONS,
            "public/models has ner_dl (any language) only for ",
        ),
    ],
    ids=["name", "language", "not-ready", "no-versions", "versions", "versions-any-language"],
)
def test_why_none_names_what_the_folder_has_and_what_did_not_fit(
    records: list[HubRecord], request_: Request, kind: Shortfall, reason: str
) -> None:
    assert resolve(records, request_) is None
    miss = why_none(records, request_, "public/models")
    assert miss.kind is kind
    assert miss.reason.startswith(reason)


def test_why_none_lists_the_languages_the_name_has() -> None:
    miss = why_none(RECORDS, Request("ner_dl", "fr"), "public/models")
    assert miss.languages == ("de", "en")
