"""Version choice: ready, exact name, compatible language/lib/spark, newest upload wins."""

from __future__ import annotations

from alabctl.assets.metadata import HubRecord, parse_index
from alabctl.assets.resolve import Request, resolve, search
from alabctl.compile.versions import parse_version
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


def test_newest_compatible_upload_wins() -> None:
    found = resolve(RECORDS, Request("ner_dl", "en", parse_version("5.5.1"), parse_version("3.5.1")))
    assert found is not None
    assert (found.lib_version, found.time_ms) == ((4, 2, 0), 1690848000000)


def test_older_runtime_gets_older_build() -> None:
    found = resolve(RECORDS, Request("ner_dl", "en", parse_version("4.4.1"), parse_version("3.3.0")))
    assert found is not None and found.lib_version == (4, 2, 0)
    found = resolve(RECORDS, Request("ner_dl", "en", parse_version("4.3.0"), parse_version("3.3.0")))
    assert found is not None and found.lib_version == (4, 2, 0)
    assert resolve(RECORDS, Request("ner_dl", "en", parse_version("4.1.0"), parse_version("3.3.0"))) is None


def test_language_and_name_are_exact() -> None:
    found = resolve(RECORDS, Request("ner_dl", "de", parse_version("5.5.1"), parse_version("3.5.1")))
    assert found is not None and found.language == "de"
    any_lang = resolve(RECORDS, Request("ner_dl", None, parse_version("5.5.1"), parse_version("3.5.1")))
    assert any_lang is not None and any_lang.language == "de"
    assert resolve(RECORDS, Request("NER_DL", "en", None, None)) is None
    assert resolve(RECORDS, Request("ner_d", "en", None, None)) is None


def test_search_groups_versions_and_filters() -> None:
    hits = search(RECORDS, "ner", language="en")
    assert [h.newest.name for h in hits] == ["ner_dl", "ner_dl_bert"]
    assert hits[0].versions == ("4.2.0", "4.4.0", "5.0.0", "5.1.0", "5.5.2")
    compatible = search(RECORDS, "ner_dl", language="en", compatible=(parse_version("5.0.0"), (3, 4)))
    assert compatible[0].versions == ("4.2.0", "4.4.0", "5.0.0")
