"""License checks: presence, material, expiry, scope; and no license material in any diagnostic."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from alabctl.compile.checks.license import claim_scopes, decode_token
from tests.compile.checks.conftest import (
    HEAD,
    NOW,
    Repo,
    at,
    license_json,
    make_jwt,
    model_doc,
    only,
    write_models,
)

FUTURE = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
PAST = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
SECRET = "S3CR3T-do-not-print-9f8e7d"

PROJECT = """
kind: Project
metadata: {name: posology}
spec:
  license: jsl
  ner:
    models:
      - model: ner_posology
""".lstrip("\n")

LICENSE = """
kind: License
metadata: {name: jsl}
spec:
  fromEnv: JSL_LICENSE
  scopes: [healthcare:inference]
""".lstrip("\n")


def _healthcare(repo: Repo, *, license: bool = True, content: str = "text") -> None:
    write_models(
        repo, (model_doc("ner_posology", labels=["DRUG"], repository="clinical/models"), "clinical/models")
    )
    project = PROJECT if license else PROJECT.replace("  license: jsl\n", "")
    if content != "text":
        project = project.replace("spec:\n", f"spec:\n  content: {content}\n")
    repo.write("project.yaml", HEAD + project)
    repo.write("license.yaml", HEAD + LICENSE)


def _env(payload: dict[str, object], **extra: str) -> dict[str, str]:
    return {"JSL_LICENSE": license_json(payload, **extra)}


def test_healthcare_model_without_a_license_is_one_error_at_the_project_spec(repo: Repo) -> None:
    _healthcare(repo, license=False)
    diagnostics = repo.check()
    assert len(diagnostics) == 1
    found = only(diagnostics, "ALB310")
    assert at(found) == (repo.file("project.yaml"), 5, 3)
    assert "model 'ner_posology' (healthcare)" in found.detail


def test_expired_license_is_one_error_at_the_license(repo: Repo) -> None:
    _healthcare(repo)
    diagnostics = repo.check(env=_env({"exp": PAST, "scope": ["healthcare:inference"]}))
    assert len(diagnostics) == 1
    found = only(diagnostics, "ALB313")
    assert at(found) == (repo.file("license.yaml"), 5, 12)
    assert "2024-01-01" in found.summary and "'posology'" in found.detail


def test_valid_license_passes(repo: Repo) -> None:
    _healthcare(repo)
    assert repo.check(env=_env({"exp": FUTURE, "scope": ["healthcare:inference"]})) == []


def test_expiry_is_judged_by_the_clock_passed_in(repo: Repo) -> None:
    _healthcare(repo)
    env = _env({"exp": FUTURE, "scope": ["healthcare:inference"]})
    assert only(repo.check(env=env, now=datetime(2031, 1, 1, tzinfo=UTC)), "ALB313")


def test_unset_environment_variable(repo: Repo) -> None:
    _healthcare(repo)
    found = only(repo.check(env={}), "ALB311")
    assert "JSL_LICENSE" in found.summary and "--skip-license-check" in found.detail


@pytest.mark.parametrize(
    ("material", "words"),
    [
        ("not json at all", "is not JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"SPARK_NLP_LICENSE": "abc.def"}', "not a JWT"),
        ('{"AWS_ACCESS_KEY_ID": "x"}', "has none of the fields"),
    ],
)
def test_malformed_material(repo: Repo, material: str, words: str) -> None:
    _healthcare(repo)
    found = only(repo.check(env={"JSL_LICENSE": material}), "ALB312")
    assert words in found.summary
    assert "not verified" in found.detail


def test_missing_scope_is_reported_at_the_project_license(repo: Repo) -> None:
    _healthcare(repo)
    found = only(repo.check(env=_env({"exp": FUTURE, "scope": ["finance:inference"]})), "ALB314")
    assert at(found) == (repo.file("project.yaml"), 5, 12)
    assert "healthcare:inference" in found.detail and "finance:inference" in found.detail


def test_scopes_in_annotation_lab_spelling_and_platform_names() -> None:
    assert claim_scopes({"scope": ["Healthcare: Inference", "OCR: Inference"]}) == {
        "healthcare:inference",
        "ocr:inference",
    }
    assert claim_scopes({"platform": {"name": "healthcare"}}) == {
        "healthcare:inference",
        "healthcare:training",
    }
    assert claim_scopes({"exp": 1}) is None


def test_manifest_scopes_are_used_when_the_token_says_nothing(repo: Repo) -> None:
    _healthcare(repo)
    assert repo.check(env=_env({"exp": FUTURE})) == []
    (repo.root / "license.yaml").write_text(HEAD + LICENSE.replace("healthcare:inference", "legal:inference"))
    assert only(repo.check(env=_env({"exp": FUTURE})), "ALB314")


def test_declared_scope_the_license_does_not_grant_warns(repo: Repo) -> None:
    _healthcare(repo)
    (repo.root / "license.yaml").write_text(
        HEAD + LICENSE.replace("[healthcare:inference]", "[healthcare:inference, ocr:inference]")
    )
    (found,) = repo.check(env=_env({"exp": FUTURE, "scope": ["healthcare:inference"]}))
    assert found.code == "ALB315" and not found.is_error


def test_license_file_with_home_from_env(repo: Repo) -> None:
    _healthcare(repo)
    home = repo.root / "home"
    home.mkdir()
    (home / "license.json").write_text(license_json({"exp": FUTURE, "scope": ["healthcare:inference"]}))
    (repo.root / "license.yaml").write_text(
        HEAD + LICENSE.replace("fromEnv: JSL_LICENSE", "fromFile: ~/license.json")
    )
    assert repo.check(env={"HOME": str(home)}) == []
    found = only(repo.check(env={"HOME": str(repo.root / "nowhere")}), "ALB311")
    assert "does not exist" in found.summary


def _rules(repo: Repo, engine: str, with_model: bool) -> None:
    repo.write(
        "rule.yaml",
        HEAD + 'kind: Rule\nmetadata: {name: height}\nspec:\n  entity: Height\n  regex: "[0-9]+cm"\n',
    )
    repo.write("server.yaml", HEAD + f"kind: Server\nmetadata: {{name: s}}\nspec: {{engine: {engine}}}\n")
    write_models(repo, (model_doc("ner_dl", labels=["PER"]), "public/models"))
    models = "    models: [{model: ner_dl}]\n" if with_model else ""
    repo.write(
        "project.yaml",
        HEAD
        + f"kind: Project\nmetadata: {{name: p}}\nspec:\n  server: s\n  ner:\n    rules: [height]\n{models}",
    )


@pytest.mark.parametrize(
    ("engine", "with_model", "needs"),
    [("auto", False, False), ("native", True, False), ("auto", True, True), ("sparknlp", False, True)],
)
def test_rules_need_a_license_only_in_a_spark_nlp_pipeline(
    repo: Repo, engine: str, with_model: bool, needs: bool
) -> None:
    _rules(repo, engine, with_model)
    codes = [d.code for d in repo.check()]
    assert codes == (["ALB310"] if needs else [])


def test_visual_ner_needs_an_ocr_scope(repo: Repo) -> None:
    _healthcare(repo, content="image")
    only_nlp = _env({"exp": FUTURE, "scope": ["healthcare:inference"]})
    found = only(repo.check(env=only_nlp), "ALB314")
    assert "Visual NER" in found.detail
    both = {
        "JSL_LICENSE": json.dumps(
            {
                "SPARK_NLP_LICENSE": make_jwt({"exp": FUTURE, "scope": ["healthcare:inference"]}),
                "SPARK_OCR_LICENSE": make_jwt({"exp": FUTURE, "scope": ["ocr:inference"]}),
            }
        )
    }
    assert repo.check(env=both) == []


def test_decode_token_reads_the_payload_only() -> None:
    assert decode_token(make_jwt({"exp": 5})) == {"exp": 5}
    assert decode_token("a.b") is None
    assert decode_token("!!.??.sig") is None


def test_license_material_never_appears_in_a_diagnostic(repo: Repo) -> None:
    _healthcare(repo, content="pdf")
    (repo.root / "license.yaml").write_text(
        HEAD + LICENSE.replace("[healthcare:inference]", "[healthcare:inference, legal:inference]")
    )
    planted = {"exp": PAST, "scope": ["finance:inference", SECRET], "secret": SECRET, "sub": SECRET}
    token = make_jwt(planted)
    materials = [
        json.dumps({"SPARK_NLP_LICENSE": token, "SECRET": SECRET, "AWS_SECRET_ACCESS_KEY": SECRET}),
        json.dumps({"SPARK_NLP_LICENSE": SECRET, "SPARK_OCR_LICENSE": SECRET + ".x.y"}),
        json.dumps({"license": token, "AWS_SECRET_ACCESS_KEY": SECRET}),
        SECRET,
        "{" + SECRET,
        json.dumps({"exp": SECRET}),
        json.dumps({"SPARK_NLP_LICENSE": make_jwt({"exp": SECRET})}),
        json.dumps({"SPARK_NLP_LICENSE": make_jwt({"exp": 10**30, "sub": SECRET})}),
    ]
    seen_codes: set[str] = set()
    for material in materials:
        diagnostics = repo.check(env={"JSL_LICENSE": material})
        assert diagnostics
        for d in diagnostics:
            seen_codes.add(d.code)
            for text in (d.summary, d.detail):
                assert SECRET not in text
                assert token not in text and token.split(".")[1] not in text
    assert {"ALB312", "ALB313", "ALB314", "ALB315"} <= seen_codes
    assert NOW  # the clock used
