"""Embeddings: one storageRef per strict server; declared refs agree with the model's own metadata."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from alabctl.compile.sparknlp.metadata import MetadataError, metadata_member, parse_metadata, read_metadata
from tests.compile.checks.conftest import HEAD, Repo, at, lock_entry, model_doc, only, write_models

PROJECT = """
kind: Project
metadata: {name: notes}
spec:
  server: clinical
  ner:
    models:
      - model: ner_a
      - model: ner_b
      - model: ner_c
""".lstrip("\n")


def _mixed(repo: Repo, policy: str) -> None:
    write_models(
        repo,
        (model_doc("ner_a", labels=["A"], embeddings="glove_100d"), "public/models"),
        (model_doc("ner_b", labels=["B"], embeddings="bert_base_cased"), "public/models"),
        (model_doc("ner_c", labels=["C"], embeddings="glove_100d"), "public/models"),
        extra_lock=lock_entry("bert_base_cased", type="embeddings"),
    )
    repo.write(
        "server.yaml",
        HEAD + f"kind: Server\nmetadata: {{name: clinical}}\nspec: {{embeddingsPolicy: {policy}}}\n",
    )
    repo.write("project.yaml", HEAD + PROJECT)


def test_mixed_embeddings_under_strict_is_one_error_at_the_odd_model(repo: Repo) -> None:
    _mixed(repo, "strict")
    diagnostics = repo.check()
    assert len(diagnostics) == 1
    found = only(diagnostics, "ALB301")
    assert at(found) == (repo.file("project.yaml"), 9, 16)  # ner_b, the one off the majority
    assert "'ner_a' uses 'glove_100d'" in found.detail
    assert "'ner_b' uses 'bert_base_cased'" in found.detail
    assert "lenient" in found.detail


def test_mixed_embeddings_under_lenient_is_fine(repo: Repo) -> None:
    _mixed(repo, "lenient")
    assert repo.check() == []


def _metadata(ref: str | None, *, default_ref: str | None = None, cls: str = "NerDLModel") -> str:
    record: dict[str, object] = {
        "class": f"com.johnsnowlabs.nlp.annotators.ner.dl.{cls}",
        "timestamp": 1600000000000,
        "sparkVersion": "3.3.0",
        "uid": f"{cls}_1a2b3c",
        "paramMap": {"outputCol": "ner"} | ({"storageRef": ref} if ref else {}),
        "defaultParamMap": {"storageRef": default_ref or f"{cls}_1a2b3c"},
    }
    return json.dumps(record) + "\n"


def _uploaded(repo: Repo, ref: str, declared: str | None) -> None:
    repo.write("models/my_ner/metadata/part-00000", _metadata(ref))
    repo.write(
        "model.yaml",
        HEAD
        + "kind: Model\nmetadata: {name: my_ner}\nspec:\n  task: ner\n  source: {path: models/my_ner}\n"
        + "  labels: [X]\n"
        + (f"  embeddings: {declared}\n" if declared else ""),
    )


def test_declared_embeddings_must_match_the_model_metadata(repo: Repo) -> None:
    _uploaded(repo, "embeddings_clinical", "glove_100d")
    found = only(repo.check(), "ALB303")
    assert at(found) == (repo.file("model.yaml"), 8, 15)
    assert "'embeddings_clinical'" in found.summary


def test_metadata_ref_counts_on_a_strict_server(repo: Repo) -> None:
    _uploaded(repo, "embeddings_clinical", None)
    write_models(repo, (model_doc("ner_b", labels=["B"], embeddings="glove_100d"), "public/models"))
    repo.write(
        "project.yaml",
        HEAD
        + "kind: Project\nmetadata: {name: p}\nspec:\n  ner:\n    models:\n      - model: my_ner\n      - model: ner_b\n",
    )
    found = only(repo.check(), "ALB301")
    assert "'my_ner' uses 'embeddings_clinical'" in found.detail


def test_unknown_embeddings_on_a_strict_server_warn(repo: Repo) -> None:
    write_models(
        repo,
        (model_doc("ner_a", labels=["A"], embeddings=None), "public/models"),
        (model_doc("ner_b", labels=["B"]), "public/models"),
    )
    repo.write(
        "project.yaml",
        HEAD
        + "kind: Project\nmetadata: {name: p}\nspec:\n  ner:\n    models:\n      - model: ner_a\n      - model: ner_b\n",
    )
    (found,) = repo.check()
    assert found.code == "ALB302" and not found.is_error
    assert "embeddings:" in found.detail


def test_parse_metadata_prefers_param_map_then_default() -> None:
    assert parse_metadata(_metadata("glove_100d")).storage_ref == "glove_100d"
    meta = parse_metadata(_metadata(None, default_ref="embeddings_clinical"))
    assert meta.storage_ref == "embeddings_clinical"
    assert meta.short_class == "NerDLModel" and meta.uid == "NerDLModel_1a2b3c"


def test_parse_metadata_rejects_what_spark_did_not_write() -> None:
    with pytest.raises(MetadataError):
        parse_metadata("not json")
    with pytest.raises(MetadataError):
        parse_metadata('{"uid": "x"}')


def test_read_metadata_from_a_zip_without_extracting(tmp_path: Path) -> None:
    archive = tmp_path / "ner.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("ner_x/metadata/part-00000", _metadata("glove_100d"))
        out.writestr("ner_x/stages/0_x/metadata/part-00000", _metadata("other"))
    assert read_metadata(archive).storage_ref == "glove_100d"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ner.zip"]


def test_metadata_member_picks_the_model_own_entry() -> None:
    assert metadata_member(["metadata/part-00000", "a/metadata/part-00000"]) == "metadata/part-00000"
    assert metadata_member(["x/stages/1/metadata/part-00000"]) is None
