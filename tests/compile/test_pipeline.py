"""Pipeline spec: stage order, classes, columns, storageRef wiring, outputs, and the type check."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from alabctl.compile.pipeline import UNPINNED_NOTE, UPLOADED_NOTE, check_pipeline, compile_pipeline
from alabctl.compile.sparknlp.annotators import ANNOTATORS
from alabctl.spec.diagnostics import Severity
from alabctl.spec.lock import AssetType, LockedAsset, LockFile, write_lock
from alabctl.spec.repository import Repository
from alabctl.spec.validate import load_repository

HUB = """
apiVersion: alabctl/v1
kind: Hub
metadata: {name: default}
spec: {sparkNlpVersion: "5.5.3", sparkVersion: "3.5"}
---
apiVersion: alabctl/v1
kind: License
metadata: {name: jsl}
spec: {fromEnv: JSL_LICENSE, scopes: ["healthcare:inference"]}
"""

CLINICAL = """
apiVersion: alabctl/v1
kind: Server
metadata: {name: clinical}
spec: {embeddingsPolicy: lenient}
---
apiVersion: alabctl/v1
kind: Embeddings
metadata: {name: embeddings_clinical}
spec: {source: {hub: {repository: clinical/models}}, type: word, dimension: 200}
---
apiVersion: alabctl/v1
kind: Model
metadata: {name: ner_posology}
spec:
  task: ner
  source: {hub: {repository: clinical/models}}
  labels: [DRUG, DOSAGE, FREQUENCY]
  embeddings: embeddings_clinical
---
apiVersion: alabctl/v1
kind: Model
metadata: {name: ner_dl}
spec: {task: ner, labels: [PER, LOC, ORG, MISC], embeddings: glove_100d}
---
apiVersion: alabctl/v1
kind: Model
metadata: {name: assertion_jsl}
spec:
  task: assertion
  source: {hub: {repository: clinical/models}}
  labels: [present, absent]
  embeddings: embeddings_clinical
---
apiVersion: alabctl/v1
kind: Rule
metadata: {name: height}
spec: {entity: Height, regex: "[0-9]+ ?cm", prefixAndSuffixMatch: true}
---
apiVersion: alabctl/v1
kind: Rule
metadata: {name: gender}
spec:
  entity: Gender
  caseSensitive: false
  dictionary: {entries: {female: [woman, lady]}}
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: posology}
spec:
  server: clinical
  license: jsl
  ner:
    models:
      - {model: ner_posology, labels: [DRUG, DOSAGE], rename: {DRUG: Drug}}
    rules: [height, gender]
  assertion:
    models: [{model: assertion_jsl}]
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: people}
spec:
  server: clinical
  ner:
    models: [{model: ner_dl, labels: [PER]}]
"""

RELATIONS = """
apiVersion: alabctl/v1
kind: Model
metadata: {name: ner_posology}
spec:
  task: ner
  source: {hub: {repository: clinical/models}}
  labels: [DRUG, DOSAGE]
  embeddings: embeddings_clinical
---
apiVersion: alabctl/v1
kind: Model
metadata: {name: posology_re}
spec:
  task: relation
  source: {hub: {repository: clinical/models}}
  labels: [DOSAGE-DRUG]
  embeddings: embeddings_clinical
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: dosage}
spec:
  license: jsl
  ner:
    models: [{model: ner_posology}]
  relations:
    labels: [{value: dosage_of, allowed: ["DOSAGE>DRUG"]}]
    models: [{model: posology_re, rename: {DOSAGE-DRUG: dosage_of}}]
"""

CLASSIFICATION = """
apiVersion: alabctl/v1
kind: Model
metadata: {name: classifierdl_use_emotion}
spec: {task: classification, labels: [joy, sadness, fear], embeddings: tfhub_use}
---
apiVersion: alabctl/v1
kind: Embeddings
metadata: {name: tfhub_use}
spec: {type: sentence, dimension: 512}
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: emotions}
spec:
  classification:
    - {name: emotion, choices: [joy, sadness], model: classifierdl_use_emotion}
"""

RULES_ONLY = """
apiVersion: alabctl/v1
kind: Rule
metadata: {name: height}
spec: {entity: Height, regex: "[0-9]+ ?cm"}
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: measures}
spec:
  ner:
    labels: [{value: Weight}]
    rules: [height]
"""

VISUAL = """
apiVersion: alabctl/v1
kind: Model
metadata: {name: ner_dl}
spec: {task: ner, labels: [PER, LOC]}
---
apiVersion: alabctl/v1
kind: Project
metadata: {name: scans}
spec:
  content: image
  ner:
    models: [{model: ner_dl}]
"""


def _asset(name: str, type_: AssetType, repository: str = "public/models") -> LockedAsset:
    key = f"{name}_en_5.5.3_3.0_1700000000000"
    return LockedAsset.model_validate(
        {
            "name": name,
            "type": type_,
            "language": "en",
            "repository": repository,
            "key": key,
            "libVersion": "5.5.3",
            "sparkVersion": "3.0",
            "url": f"https://hub.test/{repository}/{key}.zip",
        }
    )


LOCKED = [
    _asset("ner_posology", AssetType.MODEL, "clinical/models"),
    _asset("ner_dl", AssetType.MODEL),
    _asset("assertion_jsl", AssetType.MODEL, "clinical/models"),
    _asset("posology_re", AssetType.MODEL, "clinical/models"),
    _asset("dependency_conllu", AssetType.MODEL),
    _asset("classifierdl_use_emotion", AssetType.MODEL),
    _asset("embeddings_clinical", AssetType.EMBEDDINGS, "clinical/models"),
    _asset("glove_100d", AssetType.EMBEDDINGS),
    _asset("tfhub_use", AssetType.EMBEDDINGS),
]
"""Everything pinned except ``pos_clinical``, so one stage shows the unpinned form."""

CASES = {"clinical": CLINICAL, "dosage": RELATIONS, "emotions": CLASSIFICATION, "measures": RULES_ONLY}


def build_repo(root: Path, manifests: str, lock: list[LockedAsset] | None = None) -> Repository:
    """A validated repository from one YAML text, with the given assets locked."""
    (root / "manifests.yaml").write_text(HUB + "---\n" + manifests, encoding="utf-8")
    write_lock(root / "alabctl.lock", LockFile(assets=LOCKED if lock is None else lock))
    result = load_repository([str(root)], cwd=root, lockfile=root / "alabctl.lock")
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors == [], errors
    return result.repository


def compile_case(root: Path, server: str) -> dict[str, Any]:
    return compile_pipeline(server, build_repo(root, CASES[server]))


def _stage(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in spec["stages"] if s["name"] == name)


def _output(spec: dict[str, Any], project: str, kind: str) -> dict[str, Any]:
    return next(o for o in spec["outputs"] if o["project"] == project and o["kind"] == kind)


# -- NER + assertion + rules, two storageRefs under lenient -------------------------------------


def test_clinical_stage_order_and_classes(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "clinical")
    assert [(s["name"], s["class"]) for s in spec["stages"]] == [
        ("document", "DocumentAssembler"),
        ("sentence", "SentenceDetector"),
        ("token", "Tokenizer"),
        ("embeddings_embeddings_clinical", "WordEmbeddingsModel"),
        ("embeddings_glove_100d", "WordEmbeddingsModel"),
        ("ner_ner_dl", "NerDLModel"),
        ("ner_chunk_ner_dl", "NerConverter"),
        ("ner_ner_posology", "MedicalNerModel"),
        ("ner_chunk_ner_posology", "NerConverterInternal"),
        ("rule_gender", "ContextualParserApproach"),
        ("rule_height", "ContextualParserApproach"),
        ("ner_chunk_merged", "ChunkMergeApproach"),
        ("assertion_assertion_jsl", "AssertionDLModel"),
    ]
    assert spec["engine"] == "sparknlp"
    assert spec["licensed"] is True
    assert (spec["sparkNlpVersion"], spec["sparkVersion"]) == ("5.5.3", "3.5")
    assert spec["projects"] == ["people", "posology"]
    assert check_pipeline(spec) == []


def test_clinical_storage_ref_wiring(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "clinical")
    clinical = _stage(spec, "embeddings_embeddings_clinical")
    glove = _stage(spec, "embeddings_glove_100d")
    assert (clinical["storageRef"], glove["storageRef"]) == ("embeddings_clinical", "glove_100d")
    assert clinical["pretrained"] == {
        "name": "embeddings_clinical",
        "language": "en",
        "repository": "clinical/models",
        "key": "embeddings_clinical_en_5.5.3_3.0_1700000000000",
    }
    assert _stage(spec, "ner_ner_posology")["inputCols"] == [
        "sentence",
        "token",
        "embeddings_embeddings_clinical",
    ]
    assert _stage(spec, "ner_ner_dl")["inputCols"] == ["sentence", "token", "embeddings_glove_100d"]
    assertion = _stage(spec, "assertion_assertion_jsl")
    assert assertion["inputCols"] == ["sentence", "ner_chunk_merged", "embeddings_embeddings_clinical"]
    assert assertion["storageRef"] == "embeddings_clinical"


def test_clinical_params_and_pins(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "clinical")
    assert _stage(spec, "document")["params"] == {"cleanupMode": "disabled"}
    assert _stage(spec, "ner_chunk_ner_posology")["params"] == {"whiteList": ["DOSAGE", "DRUG"]}
    assert _stage(spec, "ner_chunk_ner_dl")["params"] == {"whiteList": ["PER"]}
    ner = _stage(spec, "ner_ner_posology")
    assert ner["licensed"] is True and ner["module"] == "sparknlp_jsl.annotator"
    assert ner["pretrained"]["key"] == "ner_posology_en_5.5.3_3.0_1700000000000"
    assert _stage(spec, "rule_height")["params"] == {
        "jsonPath": "rules/height.json",
        "caseSensitive": True,
        "prefixAndSuffixMatch": True,
    }
    assert _stage(spec, "rule_gender")["params"] == {
        "jsonPath": "rules/gender.json",
        "caseSensitive": False,
        "prefixAndSuffixMatch": False,
        "dictionary": {
            "path": "rules/gender.csv",
            "options": {"delimiter": ",", "orientation": "horizontal"},
        },
    }
    merge = _stage(spec, "ner_chunk_merged")
    assert merge["inputCols"] == ["ner_chunk_ner_posology", "rule_gender", "rule_height"]


def test_clinical_outputs_map_to_project_labels(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "clinical")
    ner = _output(spec, "posology", "ner")
    assert ner == {
        "project": "posology",
        "predictor": "ner_posology",
        "column": "ner_chunk_ner_posology",
        "kind": "ner",
        "labelKey": "entity",
        "scoreKey": "confidence",
        "labels": {"DRUG": "Drug", "DOSAGE": "DOSAGE"},
        "fromName": "label",
        "toName": "text",
        "type": "labels",
    }
    rules = [o for o in spec["outputs"] if o["kind"] == "rule"]
    assert [(o["column"], o["labelKey"], o["labels"]) for o in rules] == [
        ("rule_gender", "field", {"Gender": "Gender"}),
        ("rule_height", "field", {"Height": "Height"}),
    ]
    assertion = _output(spec, "posology", "assertion")
    assert assertion["labels"] == {"present": "present", "absent": "absent"}
    assert (assertion["labelKey"], assertion["chunkColumn"]) == ("result", "ner_chunk_merged")
    assert _output(spec, "people", "ner")["labels"] == {"PER": "PER"}


# -- relations ----------------------------------------------------------------------------------


def test_relation_stages_pos_and_dependency(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "dosage")
    assert [s["class"] for s in spec["stages"]] == [
        "DocumentAssembler",
        "SentenceDetector",
        "Tokenizer",
        "WordEmbeddingsModel",
        "PerceptronModel",
        "DependencyParserModel",
        "MedicalNerModel",
        "NerConverterInternal",
        "RelationExtractionModel",
    ]
    pos, dep = _stage(spec, "pos_tags"), _stage(spec, "dependencies")
    assert pos["pretrained"] == {
        "name": "pos_clinical",
        "language": "en",
        "repository": "clinical/models",
        "key": None,
        "note": UNPINNED_NOTE,
    }
    assert dep["pretrained"]["key"] == "dependency_conllu_en_5.5.3_3.0_1700000000000"
    assert dep["inputCols"] == ["sentence", "pos_tags", "token"]
    relation = _stage(spec, "relations_posology_re")
    assert relation["inputCols"] == [
        "embeddings_embeddings_clinical",
        "pos_tags",
        "ner_chunk_ner_posology",
        "dependencies",
    ]
    out = _output(spec, "dosage", "relation")
    assert (out["type"], out["labels"], out["chunkColumn"]) == (
        "relation",
        {"DOSAGE-DRUG": "dosage_of"},
        "ner_chunk_ner_posology",
    )
    assert check_pipeline(spec) == []


# -- classification -----------------------------------------------------------------------------


def test_classification_stages_and_choices(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "emotions")
    assert [(s["name"], s["class"], s["inputCols"]) for s in spec["stages"][3:]] == [
        ("sentence_embeddings_tfhub_use", "UniversalSentenceEncoder", ["document"]),
        ("class_classifierdl_use_emotion", "ClassifierDLModel", ["sentence_embeddings_tfhub_use"]),
    ]
    assert spec["licensed"] is False
    out = _output(spec, "emotions", "classification")
    assert (out["fromName"], out["toName"], out["type"]) == ("emotion", "text", "choices")
    assert out["labels"] == {"joy": "joy", "sadness": "sadness"}
    assert check_pipeline(spec) == []


def test_classifier_on_word_embeddings_averages_them(tmp_path: Path) -> None:
    manifests = CLASSIFICATION.replace("embeddings: tfhub_use", "embeddings: glove_100d").replace(
        "metadata: {name: tfhub_use}\nspec: {type: sentence",
        "metadata: {name: glove_100d}\nspec: {type: word",
    )
    spec = compile_pipeline("emotions", build_repo(tmp_path, manifests))
    assert [(s["class"], s["inputCols"]) for s in spec["stages"][3:]] == [
        ("WordEmbeddingsModel", ["sentence", "token"]),
        ("SentenceEmbeddings", ["sentence", "embeddings_glove_100d"]),
        ("ClassifierDLModel", ["sentence_embeddings_glove_100d"]),
    ]
    assert _stage(spec, "sentence_embeddings_glove_100d")["storageRef"] == "glove_100d"
    assert check_pipeline(spec) == []


# -- rules only, visual, empty -------------------------------------------------------------------


def test_rules_only_server_runs_native(tmp_path: Path) -> None:
    spec = compile_case(tmp_path, "measures")
    assert spec["engine"] == "native"
    assert [s["class"] for s in spec["stages"]] == [
        "DocumentAssembler",
        "SentenceDetector",
        "Tokenizer",
        "ContextualParserApproach",
    ]
    assert [o["column"] for o in spec["outputs"]] == ["rule_height"]
    assert check_pipeline(spec) == []


def test_explicit_engine_is_kept(tmp_path: Path) -> None:
    manifests = (
        RULES_ONLY
        + "---\napiVersion: alabctl/v1\nkind: Server\nmetadata: {name: measures}\nspec: {engine: sparknlp}\n"
    )
    assert compile_pipeline("measures", build_repo(tmp_path, manifests))["engine"] == "sparknlp"


def test_visual_project_targets_the_image(tmp_path: Path) -> None:
    spec = compile_pipeline("scans", build_repo(tmp_path, VISUAL))
    out = _output(spec, "scans", "ner")
    assert (out["fromName"], out["toName"], out["type"]) == ("label", "image", "rectanglelabels")


def test_server_without_predictors_has_no_stages(tmp_path: Path) -> None:
    manifests = "apiVersion: alabctl/v1\nkind: Project\nmetadata: {name: manual}\nspec: {ner: {labels: [{value: A}]}}\n"
    spec = compile_pipeline("manual", build_repo(tmp_path, manifests))
    assert (spec["stages"], spec["outputs"], spec["engine"]) == ([], [], "native")


def test_unlocked_model_has_null_key(tmp_path: Path) -> None:
    spec = compile_pipeline("emotions", build_repo(tmp_path, CLASSIFICATION, lock=[]))
    source = _stage(spec, "class_classifierdl_use_emotion")["pretrained"]
    assert (source["key"], source["note"]) == (None, UNPINNED_NOTE)


# -- determinism and purity ----------------------------------------------------------------------


@pytest.mark.parametrize("server", sorted(CASES))
def test_compile_is_deterministic_and_json(tmp_path: Path, server: str) -> None:
    repo = build_repo(tmp_path, CASES[server])
    first = json.dumps(compile_pipeline(server, repo), sort_keys=True)
    assert first == json.dumps(compile_pipeline(server, repo), sort_keys=True)


@pytest.mark.parametrize("server", sorted(CASES))
def test_every_class_is_in_the_table_and_names_unique(tmp_path: Path, server: str) -> None:
    spec = compile_case(tmp_path, server)
    assert all(s["class"] in ANNOTATORS for s in spec["stages"])
    names = [s["outputCol"] for s in spec["stages"]]
    assert len(names) == len(set(names))


def test_column_names_stay_unique_when_sanitised_names_collide(tmp_path: Path) -> None:
    manifests = "\n---\n".join(
        f"apiVersion: alabctl/v1\nkind: Rule\nmetadata: {{name: {n}}}\nspec: {{entity: E{i}, regex: 'x{i}'}}"
        for i, n in enumerate(["a.b", "a_b", "a-b"])
    )
    manifests += "\n---\napiVersion: alabctl/v1\nkind: Project\nmetadata: {name: p}\nspec: {ner: {rules: [a.b, a_b, a-b]}}\n"
    spec = compile_pipeline("p", build_repo(tmp_path, manifests))
    assert [s["name"] for s in spec["stages"][3:]] == ["rule_a_b", "rule_a_b_2", "rule_a_b_3"]
    assert check_pipeline(spec) == []


# -- check_pipeline on hand-broken specs ---------------------------------------------------------


@pytest.fixture
def clinical(tmp_path: Path) -> dict[str, Any]:
    return compile_case(tmp_path, "clinical")


def test_check_missing_input_column(clinical: dict[str, Any]) -> None:
    broken = copy.deepcopy(clinical)
    _stage(broken, "ner_ner_dl")["inputCols"] = ["sentence", "token", "embeddings"]
    problems = check_pipeline(broken)
    assert any("input column 'embeddings' is not the output of an earlier stage" in p for p in problems)


def test_check_input_from_a_later_stage(clinical: dict[str, Any]) -> None:
    broken = copy.deepcopy(clinical)
    _stage(broken, "token")["inputCols"] = ["ner_chunk_ner_dl"]
    assert any(
        "'ner_chunk_ner_dl' is not the output of an earlier stage" in p for p in check_pipeline(broken)
    )


def test_check_wrong_input_type(clinical: dict[str, Any]) -> None:
    broken = copy.deepcopy(clinical)
    _stage(broken, "ner_ner_dl")["inputCols"] = ["sentence", "token", "sentence"]
    problems = check_pipeline(broken)
    assert any("no input column of type word_embeddings" in p for p in problems)
    broken = copy.deepcopy(clinical)
    _stage(broken, "ner_chunk_ner_dl")["inputCols"] = ["sentence", "token", "embeddings_glove_100d"]
    assert any("has type word_embeddings, expected one of" in p for p in check_pipeline(broken))


def test_check_duplicate_output(clinical: dict[str, Any]) -> None:
    broken = copy.deepcopy(clinical)
    stage = _stage(broken, "ner_chunk_ner_dl")
    stage["name"] = stage["outputCol"] = "token"
    assert any("output column 'token' is not unique" in p for p in check_pipeline(broken))


def test_check_storage_ref_mismatch(clinical: dict[str, Any]) -> None:
    broken = copy.deepcopy(clinical)
    _stage(broken, "ner_ner_dl")["inputCols"] = ["sentence", "token", "embeddings_embeddings_clinical"]
    problems = check_pipeline(broken)
    assert problems == [
        "stage 5 'ner_ner_dl' (NerDLModel): needs embeddings with storageRef 'glove_100d' "
        "but 'embeddings_embeddings_clinical' has storageRef 'embeddings_clinical'"
    ]


def test_check_unknown_class_and_wrong_output_type(clinical: dict[str, Any]) -> None:
    broken = copy.deepcopy(clinical)
    _stage(broken, "token")["class"] = "Tokeniser"
    _stage(broken, "sentence")["outputType"] = "token"
    problems = check_pipeline(broken)
    assert any("unknown annotator class 'Tokeniser'" in p for p in problems)
    assert any("output type is document, not token" in p for p in problems)


def test_check_document_assembler_reads_text(clinical: dict[str, Any]) -> None:
    broken = copy.deepcopy(clinical)
    _stage(broken, "document")["inputCols"] = ["body"]
    assert any("reads the raw 'text' column" in p for p in check_pipeline(broken))


def test_uploaded_model_is_not_a_hub_pin(tmp_path: Path) -> None:
    (tmp_path / "models" / "my_ner").mkdir(parents=True)
    manifests = VISUAL.replace(
        "metadata: {name: ner_dl}\nspec: {task: ner,",
        "metadata: {name: ner_dl}\nspec: {source: {path: models/my_ner}, task: ner,",
    )
    manifests = manifests.replace("content: image", "content: text")
    spec = compile_pipeline("scans", build_repo(tmp_path, manifests))
    source = _stage(spec, "ner_ner_dl")["pretrained"]
    assert (source["repository"], source["key"], source["note"]) == (None, None, UPLOADED_NOTE)
