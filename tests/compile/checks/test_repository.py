"""A complete, valid repository: every check runs and none of them finds an error."""

from __future__ import annotations

import json

from tests.compile.checks.conftest import HEAD, Repo, license_json, lock_entry, model_doc

FUTURE = 1893456000  # 2030-01-01


def _full(repo: Repo) -> None:
    repo.write(
        "hub.yaml",
        HEAD
        + 'kind: Hub\nmetadata: {name: default}\nspec:\n  sparkNlpVersion: "5.5.3"\n  sparkVersion: "3.5"\n',
    )
    repo.write(
        "servers.yaml",
        HEAD
        + "kind: Server\nmetadata: {name: clinical}\nspec: {maxModels: 5, embeddingsPolicy: strict, engine: auto}\n",
    )
    repo.write(
        "license.yaml",
        HEAD
        + "kind: License\nmetadata: {name: jsl}\nspec:\n  fromEnv: JSL_LICENSE\n  scopes: [healthcare:inference]\n",
    )
    repo.write(
        "rules/height.yaml",
        HEAD + 'kind: Rule\nmetadata: {name: height}\nspec:\n  entity: Height\n  regex: "[0-9]+cm"\n',
    )
    clinical = "clinical/models"
    docs = [
        model_doc(
            "ner_posology",
            labels=["DRUG", "DOSAGE", "FREQUENCY"],
            embeddings="embeddings_clinical",
            repository=clinical,
        ),
        model_doc(
            "assertion_jsl",
            task="assertion",
            labels=["present", "absent"],
            embeddings="embeddings_clinical",
            repository=clinical,
        ),
        model_doc(
            "posology_re",
            task="relation",
            labels=["dosage_of"],
            embeddings="embeddings_clinical",
            repository=clinical,
        ),
        HEAD
        + "kind: Embeddings\nmetadata: {name: embeddings_clinical}\nspec:\n  source: {hub: {repository: clinical/models}}\n",
        HEAD
        + "kind: Model\nmetadata: {name: my_classifier}\nspec:\n  task: classification\n  source: {path: uploads/my_classifier}\n"
        "  labels: [urgent, routine]\n",
    ]
    repo.write("models.yaml", "---\n".join(docs))
    repo.write(
        "uploads/my_classifier/metadata/part-00000",
        json.dumps(
            {
                "class": "com.johnsnowlabs.nlp.annotators.classifier.dl.ClassifierDLModel",
                "uid": "ClassifierDLModel_abc",
                "paramMap": {"storageRef": "embeddings_clinical"},
                "defaultParamMap": {},
            }
        ),
    )
    lock = "version: 1\nassets:\n"
    for name in ("ner_posology", "assertion_jsl", "posology_re"):
        lock += lock_entry(name, repository=clinical, lib="5.5.0", edition="healthcare")
    lock += lock_entry(
        "embeddings_clinical",
        type="embeddings",
        repository=clinical,
        lib="2.4.0",
        spark="2.4",
        edition="healthcare",
    )
    repo.write("alabctl.lock", lock)
    repo.write(
        "projects/posology.yaml",
        HEAD
        + """
kind: Project
metadata: {name: posology}
spec:
  server: clinical
  license: jsl
  ner:
    labels: [{value: Frequency}]
    models:
      - model: ner_posology
        labels: [DRUG, DOSAGE]
        rename: {DRUG: Drug}
    rules: [height]
  assertion:
    models: [{model: assertion_jsl}]
  classification:
    - name: priority
      choices: [urgent, routine]
      model: my_classifier
  relations:
    labels:
      - {value: dosage_of, allowed: ["DOSAGE>Drug"]}
    models: [{model: posology_re}]
""".lstrip("\n"),
    )


def test_a_valid_repository_has_no_diagnostics(repo: Repo) -> None:
    _full(repo)
    env = {
        "JSL_LICENSE": license_json({"exp": FUTURE, "scope": ["healthcare:inference", "healthcare:training"]})
    }
    assert repo.check(env=env) == []


def test_the_same_repository_without_its_license_secret_fails_only_on_the_license(repo: Repo) -> None:
    _full(repo)
    assert [d.code for d in repo.check(env={})] == ["ALB311"]
