"""Labels a model predicts, task fit, NER sources, relation pairs, renames and languages."""

from __future__ import annotations

from tests.compile.checks.conftest import HEAD, Repo, at, model_doc, only, write_models


def _models(repo: Repo) -> None:
    write_models(
        repo,
        (model_doc("ner_posology", labels=["DRUG", "DOSAGE", "FREQUENCY"]), "public/models"),
        (model_doc("assertion_dl", task="assertion", labels=["present", "absent"]), "public/models"),
        (model_doc("posology_re", task="relation", labels=["dosage_of"]), "public/models"),
        (model_doc("ner_unknown", labels=None), "public/models"),
        (model_doc("ner_de", labels=["PER"], language="de"), "public/models"),
    )


def _project(repo: Repo, body: str) -> None:
    repo.write("project.yaml", HEAD + "kind: Project\nmetadata: {name: p}\nspec:\n" + body.lstrip("\n"))


def test_label_the_model_does_not_predict_is_one_error_at_the_label(repo: Repo) -> None:
    _models(repo)
    _project(
        repo,
        """
  ner:
    models:
      - model: ner_posology
        labels: [DRUG, DOSGE]
""",
    )
    diagnostics = repo.check()
    assert len(diagnostics) == 1
    found = only(diagnostics, "ALB320")
    assert at(found) == (repo.file("project.yaml"), 8, 24)
    assert "'DOSGE'" in found.summary
    assert "did you mean 'DOSAGE'?" in found.detail


def test_rename_key_the_model_does_not_predict(repo: Repo) -> None:
    _models(repo)
    _project(repo, "  ner:\n    models:\n      - model: ner_posology\n        rename: {DRUGS: Drug}\n")
    found = only(repo.check(), "ALB320")
    assert at(found) == (repo.file("project.yaml"), 8, 18)


def test_assertion_block_with_no_ner_source_is_one_error(repo: Repo) -> None:
    _models(repo)
    _project(
        repo,
        """
  assertion:
    models: [{model: assertion_dl}]
""",
    )
    diagnostics = repo.check()
    assert len(diagnostics) == 1
    found = only(diagnostics, "ALB321")
    assert at(found) == (repo.file("project.yaml"), 6, 22)
    assert "'assertion_dl'" in found.summary


def test_assertion_with_a_ner_model_is_fine(repo: Repo) -> None:
    _models(repo)
    _project(
        repo,
        """
  ner:
    models: [{model: ner_posology}]
  assertion:
    models: [{model: assertion_dl}]
""",
    )
    assert repo.check() == []


def test_model_of_the_wrong_task(repo: Repo) -> None:
    _models(repo)
    _project(
        repo,
        "  ner:\n    models: [{model: ner_posology}]\n  relations:\n    models: [{model: assertion_dl}]\n",
    )
    found = only(repo.check(), "ALB322")
    assert at(found) == (repo.file("project.yaml"), 8, 22)
    assert "assertion.models" in found.detail


def test_classification_block_needs_a_classification_model(repo: Repo) -> None:
    _models(repo)
    _project(repo, "  classification:\n    - name: kind\n      choices: [a, b]\n      model: ner_posology\n")
    found = only(repo.check(), "ALB322")
    assert "ner model" in found.summary


def test_relation_pairs_name_ner_labels_after_rename(repo: Repo) -> None:
    _models(repo)
    _project(
        repo,
        """
  ner:
    models:
      - model: ner_posology
        rename: {DRUG: Drug}
  relations:
    labels:
      - {value: dosage_of, allowed: ["DOSAGE>Drug", "DOSAGE>DRUG"]}
    models: [{model: posology_re}]
""",
    )
    found = only(repo.check(), "ALB323")
    assert found.path == ("spec", "relations", "labels", 0, "allowed", 1)
    assert "'DRUG' is not a NER label" in found.summary
    assert "did you mean 'Drug'?" in found.detail


def test_rename_targets_that_collide(repo: Repo) -> None:
    _models(repo)
    _project(repo, "  ner:\n    models:\n      - model: ner_unknown\n        rename: {A: X, B: X}\n")
    codes = sorted(d.code for d in repo.check())
    assert codes == ["ALB324", "ALB325"]


def test_unknown_model_labels_warn(repo: Repo) -> None:
    _models(repo)
    _project(repo, "  ner:\n    models: [{model: ner_unknown}]\n")
    (found,) = repo.check()
    assert found.code == "ALB325" and not found.is_error


def test_models_of_different_languages_warn(repo: Repo) -> None:
    _models(repo)
    _project(repo, "  ner:\n    models: [{model: ner_posology}, {model: ner_de}]\n")
    (found,) = repo.check()
    assert found.code == "ALB327" and not found.is_error
    assert "'de'" in found.summary
