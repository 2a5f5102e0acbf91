"""``alabctl validate`` end to end: exit codes and every output format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from alabctl.cli.main import main

BAD = """apiVersion: alabctl/v1
kind: Rule
metadata: {name: height}
spec:
  entity: Height
  regx: "[0-7]'"
"""
GOOD = BAD.replace("regx", "regex")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_codes(make_repo, capsys, monkeypatch) -> None:
    root = make_repo({"good.yaml": GOOD, "bad/bad.yaml": BAD})
    monkeypatch.chdir(root)
    assert run(capsys, "validate", "-f", "good.yaml")[0] == 0
    assert run(capsys, "validate", "-f", "bad")[0] == 1
    assert run(capsys, "validate", "-f", "missing.yaml")[0] == 2
    assert run(capsys, "validate")[0] == 2  # -f is required
    assert run(capsys, "validate", "-f", "good.yaml", "-o", "xml")[0] == 2


def test_a_lockfile_named_on_purpose_must_exist(make_repo, capsys, monkeypatch) -> None:
    root = make_repo({"good.yaml": GOOD, "locks/.keep": ""})
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "validate", "-f", "good.yaml", "--lockfile", "nope.lock")
    assert (code, out) == (2, "") and "--lockfile nope.lock: no such file" in err
    code, _, err = run(capsys, "validate", "-f", "good.yaml", "--lockfile", "locks")
    assert code == 2 and "--lockfile locks: is a folder" in err
    code, _, err = run(capsys, "compile", "-f", "good.yaml", "--out", "build", "--lockfile", "nope.lock")
    assert code == 2 and "no such file" in err and not (root / "build").exists()


def test_text_output_has_location_excerpt_caret_and_fix(make_repo, capsys, monkeypatch) -> None:
    monkeypatch.chdir(make_repo({"rules/height.yaml": BAD}))
    code, out, _ = run(capsys, "validate", "-f", "rules/")
    assert code == 1
    assert "rules/height.yaml:6:3: error[ALB104]: unknown field 'regx'" in out
    assert "6 |   regx:" in out
    assert "  |   ^" in out
    assert "= did you mean 'regex'?" in out
    assert out.rstrip().endswith("invalid: 1 error in 1 file, 0 manifests")


def test_json_output_matches_the_spec(make_repo, capsys, monkeypatch) -> None:
    monkeypatch.chdir(make_repo({"rules/height.yaml": BAD}))
    code, out, _ = run(capsys, "validate", "-f", "rules/height.yaml", "-o", "json")
    assert code == 1
    assert json.loads(out) == {
        "valid": False,
        "diagnostics": [
            {
                "severity": "error",
                "code": "ALB104",
                "summary": "unknown field 'regx'",
                "detail": "did you mean 'regex'?",
                "file": "rules/height.yaml",
                "line": 6,
                "column": 3,
                "path": ["spec", "regx"],
            }
        ],
        "summary": {"errors": 1, "warnings": 0, "files": 1, "manifests": 0},
    }


def test_github_output_caps_annotations_and_fills_the_step_summary(
    make_repo, capsys, monkeypatch, tmp_path
) -> None:
    files = {f"r{i}.yaml": BAD.replace("height", f"h{i}") for i in range(12)}
    monkeypatch.chdir(make_repo(files))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run(capsys, "validate", "-f", ".", "-o", "github")
    assert code == 1
    annotations = [line for line in out.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 10
    assert annotations[0].startswith("::error file=r0.yaml,line=6,col=3,title=ALB104")
    assert "2 more diagnostic(s)" in out
    table = summary.read_text()
    assert table.count("ALB104") == 12


def test_junit_output_parses(make_repo, capsys, monkeypatch) -> None:
    junitparser = pytest.importorskip("junitparser", reason="junitparser is a test dependency")
    monkeypatch.chdir(make_repo({"a.yaml": BAD, "b.yaml": GOOD.replace("height", "other")}))
    code, out, _ = run(capsys, "validate", "-f", ".", "-o", "junit")
    assert code == 1
    xml = junitparser.JUnitXml.fromstring(out.encode())
    cases = {case.name: case for suite in xml for case in suite}
    assert set(cases) == {"a.yaml", "b.yaml"}
    assert not cases["b.yaml"].result
    [failure] = cases["a.yaml"].result
    assert failure.type == "ALB104"
    assert etree.fromstring(out.encode()).tag == "testsuites"


def test_sarif_output_is_sarif_2_1_0(make_repo, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(make_repo({"a.yaml": BAD}))
    code, out, _ = run(capsys, "validate", "-f", ".", "-o", "sarif")
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "ALB104"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (6, 3)
    sarif_pydantic = pytest.importorskip("sarif_pydantic", reason="sarif-pydantic is a test dependency")
    parsed = sarif_pydantic.Sarif.model_validate(log)
    assert parsed.runs[0].results[0].rule_id == "ALB104"
    sarif_loader = pytest.importorskip("sarif.loader", reason="sarif-tools is a test dependency")
    path = tmp_path / "out.sarif"
    path.write_text(out)
    assert sarif_loader.load_sarif_file(str(path)).get_result_count() == 1


def test_python_dash_m_and_console_script(make_repo) -> None:
    root = make_repo({"a.yaml": GOOD})
    proc = subprocess.run(
        [sys.executable, "-m", "alabctl", "validate", "-f", "a.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "valid: 1 file, 1 manifest" in proc.stdout


def test_no_traceback_on_bad_values_file(make_repo, capsys, monkeypatch) -> None:
    monkeypatch.chdir(make_repo({"a.yaml": GOOD}))
    code, _, err = run(capsys, "validate", "-f", "a.yaml", "--values", "nope.yaml")
    assert code == 2
    assert "Traceback" not in err
    assert "nope.yaml" in err


def test_schema_command_prints_json_schema(capsys) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "ProjectManifest" in schema["$defs"]
    code, out, _ = run(capsys, "schema", "Rule")
    assert json.loads(out)["properties"]["kind"]["const"] == "Rule"
    assert run(capsys, "schema", "Rulez")[0] == 2


def test_schema_accepts_the_examples_and_rejects_a_typo(capsys) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with check-jsonschema")
    from alabctl.spec.yamlsrc import parse_yaml

    run(capsys, "schema")
    schema = json.loads(run(capsys, "schema")[1])
    validator = jsonschema.Draft202012Validator(schema)
    examples = Path(__file__).resolve().parents[2] / "examples"
    count = 0
    for path in sorted(examples.rglob("*.yaml")):
        if "invalid" in path.parts:
            continue
        for doc in parse_yaml(path.read_text(), str(path)).documents:
            validator.validate(doc.data)
            count += 1
    assert count > 10
    bad = parse_yaml(BAD, "bad.yaml").documents[0].data
    assert not validator.is_valid(bad)


def test_an_apiversion_close_to_alabctls_is_a_did_you_mean_warning(make_repo, capsys, monkeypatch) -> None:
    root = make_repo(
        {
            "typo.yaml": GOOD.replace("alabctl/v1", "alabctI/v1"),
            "k8s.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
        }
    )
    monkeypatch.chdir(root)
    code, out, _ = run(capsys, "validate", "-f", ".", "-o", "json")
    report = json.loads(out)
    [warning] = report["diagnostics"]
    assert code == 0 and (warning["code"], warning["severity"], warning["file"]) == (
        "ALB108",
        "warning",
        "typo.yaml",
    )
    assert "did you mean 'alabctl/v1'?" in warning["detail"] and warning["line"] == 1
    assert report["summary"] == {"errors": 0, "warnings": 1, "files": 2, "manifests": 0}


def test_an_unknown_argument_points_at_the_commands_own_help(capsys) -> None:
    code, _, err = run(capsys, "schema", "Project", "Rule")
    assert code == 2 and "unrecognized arguments: Rule" in err and "see 'alabctl schema --help'" in err
    code, _, err = run(capsys, "--bogus")
    assert code == 2 and "see 'alabctl --help'" in err


def test_counts_read_as_english() -> None:
    from alabctl.spec.diagnostics import counted

    assert [counted(1, "project"), counted(2, "rule"), counted(1200, "task")] == [
        "1 project",
        "2 rules",
        "1,200 tasks",
    ]
    assert counted(0, "entry", "entries") == "0 entries"


def test_plan_and_diff_usage_errors_exit_1_because_2_means_changes(capsys) -> None:
    for command in ("plan", "diff"):
        code, _, err = run(capsys, command, "-f", "nope.yaml")
        assert code == 1 and "nope.yaml: no such file or directory" in err
    assert run(capsys, "validate", "-f", "nope.yaml")[0] == 2
