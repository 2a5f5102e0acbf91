"""Spark NLP's Version.parse / isCompatible / toString (table tests), and the version checks on a repository."""

from __future__ import annotations

import pytest

from alabctl.compile.sparknlp.versions import (
    format_version,
    is_compatible,
    is_supported_pair,
    parse,
    parse_version,
)
from tests.compile.checks.conftest import HEAD, Repo, at, lock_entry, model_doc, only


@pytest.mark.parametrize(
    ("current", "found", "ok"),
    [
        # research/sparknlp.md §1.4
        ("5.5.1", "5.5", True),
        ("5.5.1", "5.4.2", True),
        ("5.5.1", "4.4.0", True),
        ("5.5.1", "5.5.2", False),
        ("5.5.1", "6.0", False),
        ("3.5.1", "3.0", True),
        ("3.5.1", "2.4", True),
        ("3.5.1", "3.5.2", False),
        ("3.5", "3.5.0", False),
        # Version.scala's own examples
        ("1.2.3", "1.2", True),
        ("1.2", "1.2.3", False),
        # the first unequal part decides
        ("5.0.0", "4.9.9", True),
        ("4.9.9", "5.0.0", False),
        ("5.5.1", "5.5.1", True),
    ],
)
def test_is_compatible(current: str, found: str, ok: bool) -> None:
    assert is_compatible(parse(current), parse(found)) is ok


def test_is_compatible_without_a_found_version() -> None:
    assert is_compatible(parse("5.5.1"), None) is True


def test_is_compatible_without_a_current_version() -> None:
    assert is_compatible(None, parse("5.5.1")) is True
    assert is_compatible(None, None) is True


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("3.5.1", (3, 5, 1)),
        ("5.0.0-rc1", (5, 0, 0)),
        ("3.4.1.2", (3, 4, 1)),
        ("5.5.3.1", (5, 5, 3)),
        ("3.5", (3, 5)),
        ("3.3.0-SNAPSHOT", (3, 3, 0)),
        ("4.4.0-beta", (4, 4, 0)),
        ("3.x", (3,)),
        ("x.1", ()),
        ("", ()),
    ],
)
def test_parse(text: str, parts: tuple[int, ...]) -> None:
    assert parse(text) == parts
    assert parse_version(text) == (parts or None)


def test_parse_version_of_nothing() -> None:
    assert parse_version(None) is None
    assert parse_version(" 3.5 ") == (3, 5)


def test_format() -> None:
    assert format_version((4, 4, 0)) == "4.4.0"
    assert format_version(None) == ""
    assert format_version(()) == ""


@pytest.mark.parametrize(
    ("nlp", "spark", "ok"),
    [
        ("5.5.3", "3.5", True),
        ("5.0.0", "3.5", False),
        ("4.4.0", "3.3", True),
        ("6.1.3", "4.0", False),
        ("9.0", "3.5", None),
    ],
)
def test_supported_pairs(nlp: str, spark: str, ok: bool | None) -> None:
    assert is_supported_pair(parse(nlp), parse(spark)) is ok


HUB = (
    HEAD + 'kind: Hub\nmetadata: {name: default}\nspec:\n  sparkNlpVersion: "5.5.3"\n  sparkVersion: "3.5"\n'
)


def test_locked_asset_newer_than_the_hub_is_an_error_at_its_manifest(repo: Repo) -> None:
    repo.write("hub.yaml", HUB)
    repo.write("model.yaml", model_doc("ner_dl", labels=["PER"]))
    repo.write("alabctl.lock", "version: 1\nassets:\n" + lock_entry("ner_dl", lib="6.0.0", spark="3.0"))
    diagnostics = repo.check()
    assert len(diagnostics) == 1
    found = only(diagnostics, "ALB350")
    assert at(found) == (repo.file("model.yaml"), 6, 17)
    assert "Spark NLP 6.0.0" in found.summary


def test_locked_asset_for_a_more_specific_spark_is_an_error(repo: Repo) -> None:
    repo.write("hub.yaml", HUB)
    repo.write("model.yaml", model_doc("ner_dl", labels=["PER"]))
    repo.write("alabctl.lock", "version: 1\nassets:\n" + lock_entry("ner_dl", lib="4.4.0", spark="3.5.1"))
    assert "Spark 3.5.1" in only(repo.check(), "ALB350").summary


def test_incompatible_asset_without_a_manifest_is_located_at_the_binding(repo: Repo) -> None:
    repo.write("hub.yaml", HUB)
    repo.write(
        "project.yaml",
        HEAD + "kind: Project\nmetadata: {name: p}\nspec:\n  ner:\n    models: [{model: ner_dl}]\n",
    )
    repo.write("alabctl.lock", "version: 1\nassets:\n" + lock_entry("ner_dl", lib="5.5.4"))
    found = only(repo.check(), "ALB350")
    assert at(found) == (repo.file("project.yaml"), 6, 22)


def test_unsupported_pair_warns_at_the_hub(repo: Repo) -> None:
    repo.write("hub.yaml", HUB.replace('"5.5.3"', '"4.4.0"'))
    (found,) = repo.check()
    assert found.code == "ALB351" and not found.is_error
    assert at(found) == (repo.file("hub.yaml"), 6, 17)


def test_unlocked_hub_model_warns_once(repo: Repo) -> None:
    repo.write("model.yaml", model_doc("ner_dl", labels=["PER"]))
    for name in ("p", "q"):
        repo.write(
            f"{name}.yaml",
            HEAD
            + f"kind: Project\nmetadata: {{name: {name}}}\nspec:\n  ner:\n    models: [{{model: ner_dl}}]\n",
        )
    (found,) = repo.check()
    assert found.code == "ALB402" and not found.is_error
    assert at(found) == (repo.file("model.yaml"), 6, 17)


def test_unlocked_embeddings_warn_only_when_a_model_uses_them(repo: Repo) -> None:
    repo.write(
        "emb.yaml", HEAD + "kind: Embeddings\nmetadata: {name: bert_base_cased}\nspec: {dimension: 768}\n"
    )
    assert repo.check() == []
    repo.write("model.yaml", model_doc("ner_bert", labels=["PER"], embeddings="bert_base_cased"))
    repo.write("alabctl.lock", "version: 1\nassets:\n" + lock_entry("ner_bert"))
    (found,) = repo.check()
    assert found.code == "ALB402" and "'bert_base_cased'" in found.summary
