"""A license or token pasted into a manifest is never echoed: not in messages, not in source excerpts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alabctl.cli.main import main
from alabctl.compile.checks.license import Problem, read_material
from alabctl.reconcile.labelstudio.desired import read_token
from alabctl.spec.errors import UserError
from alabctl.spec.kinds import LabelStudioManifest, LicenseManifest
from alabctl.spec.secrets import in_secret_document, masked, quoted, shown, shown_path, typed_by_hand

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6ImhlYWx0aGNhcmU6aW5mZXJlbmNlIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
TOKEN = "f3a9c2b7d1e84a6b9c0d2e4f6a8b0c1d2e3f4a5b"  # a Label Studio legacy token: 40 hex digits

PASTED = f"""apiVersion: alabctl/v1
kind: LabelStudio
metadata: {{name: main}}
spec:
  url: http://localhost:8080
  token: {TOKEN}
---
apiVersion: alabctl/v1
kind: License
metadata: {{name: jsl}}
spec:
  fromEnv: {JWT}
---
apiVersion: alabctl/v1
kind: License
metadata: {{name: jsl2}}
spec:
  fromEnv: JSL_LICENSE
  SPARK_NLP_LICENSE: {JWT}
---
apiVersion: alabctl/v1
kind: License
metadata: {{name: jsl3}}
spec: "{JWT}"
---
apiVersion: alabctl/v1
kind: LabelStudio
metadata: {{name: other}}
spec:
  url: http://localhost:8080
  token: {{fromEnv: "{TOKEN} "}}
"""


@pytest.mark.parametrize(
    ("value", "by_hand"),
    [
        ("JSL_LICENSE", True),
        ("JSL-LICENSE", True),
        ("~/licenses/spark_nlp_for_healthcare.json", True),
        ("/home/me/work/alabctl-manifests/licenses/jsl.json", True),
        (JWT, False),
        (TOKEN, False),
        ("my license", False),
        ('{"SPARK_NLP_LICENSE": "x"}', False),
    ],
)
def test_what_could_be_typed_by_hand_is_told_from_a_secret(value: str, by_hand: bool) -> None:
    assert typed_by_hand(value) is by_hand
    assert (quoted(value) == f"'{value}'") is by_hand
    assert (shown(value) == value) is by_hand


def test_an_excerpt_line_keeps_its_shape_and_loses_its_secret() -> None:
    assert masked(f"  token: {TOKEN}") == "  token: ***"
    assert masked(f'spec: "{JWT}"') == 'spec: "***"'
    assert (
        masked("  url: https://labelstudio.example.org:8080/")
        == "  url: https://labelstudio.example.org:8080/"
    )


def test_the_documents_that_may_hold_secrets_are_found_by_their_kind() -> None:
    lines = PASTED.splitlines()
    assert in_secret_document(lines, 6) and in_secret_document(lines, 12) and in_secret_document(lines, 24)
    rule = ["apiVersion: alabctl/v1", "kind: Rule", "metadata: {name: r}", "spec:", f"  regex: {TOKEN}"]
    assert not in_secret_document([*lines[:7], "---", *rule], 13)
    assert in_secret_document([*lines[:7], "---", *rule], 6)


@pytest.mark.parametrize("output", ["text", "json", "github", "junit", "sarif"])
def test_validate_reports_every_pasted_secret_without_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    (tmp_path / "secrets.yaml").write_text(PASTED)
    code = main(["validate", "-f", str(tmp_path / "secrets.yaml"), "-o", output, "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 1 and out.count("ALB10") >= 5  # ALB102, ALB104, ALB106: all five reported
    if output == "json":  # each mistake is reported where it is
        assert [d["line"] for d in json.loads(out)["diagnostics"]] == [6, 12, 19, 24, 31]
    assert TOKEN not in out + err and JWT not in out + err
    assert "signature" not in out + err  # nor a piece of the JWT


def test_a_license_variable_named_by_a_pasted_secret_is_not_echoed(tmp_path: Path) -> None:
    manifest = LicenseManifest.model_validate(
        {
            "apiVersion": "alabctl/v1",
            "kind": "License",
            "metadata": {"name": "jsl"},
            "spec": {"fromEnv": "A" + TOKEN},
        }
    )
    problem = read_material(manifest, tmp_path, {})
    assert isinstance(problem, Problem) and "not shown" in problem.summary
    assert TOKEN not in problem.summary + problem.detail
    by_name = LicenseManifest.model_validate(
        {
            "apiVersion": "alabctl/v1",
            "kind": "License",
            "metadata": {"name": "jsl"},
            "spec": {"fromEnv": "JSL_LICENSE"},
        }
    )
    named = read_material(by_name, tmp_path, {})
    assert isinstance(named, Problem) and "environment variable JSL_LICENSE" in named.summary


def test_a_token_variable_named_by_a_pasted_token_is_not_echoed(tmp_path: Path) -> None:
    manifest = LabelStudioManifest.model_validate(
        {
            "apiVersion": "alabctl/v1",
            "kind": "LabelStudio",
            "metadata": {"name": "main"},
            "spec": {"url": "http://localhost:8080", "token": {"fromEnv": "A" + TOKEN}},
        }
    )
    with pytest.raises(UserError) as err:
        read_token(manifest, tmp_path, {})
    assert "not shown" in err.value.message and TOKEN not in err.value.message + err.value.hint


def test_a_path_is_shown_even_with_long_names_and_a_pasted_secret_is_not() -> None:
    long_named = "/srv/annotationlabprojectsforclinicalnotes/token.txt"
    assert shown_path(long_named, long_named) == long_named
    assert shown_path("~/lic.json", "/home/me/lic.json") == "/home/me/lic.json"
    for pasted in (JWT, TOKEN, '{"SPARK_NLP_LICENSE": "x"}'):
        assert "not shown" in shown_path(pasted, f"/repo/{pasted}")


def test_a_license_file_named_by_a_pasted_license_is_not_echoed(tmp_path: Path) -> None:
    manifest = LicenseManifest.model_validate(
        {
            "apiVersion": "alabctl/v1",
            "kind": "License",
            "metadata": {"name": "jsl"},
            "spec": {"fromFile": JWT},
        }
    )
    problem = read_material(manifest, tmp_path, {})
    assert isinstance(problem, Problem) and "does not exist" in problem.summary
    assert JWT not in problem.summary + problem.detail
