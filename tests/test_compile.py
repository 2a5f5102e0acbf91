"""``alabctl compile`` on the bundled examples: pinned outputs, determinism, safe writes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alabctl.api import Inputs, compile, write_tree
from alabctl.cli.main import main
from alabctl.compile.checks.xmlcheck import check_label_config
from alabctl.outdir import MARKER
from alabctl.spec.errors import UserError
from tests.conftest import GOLDEN, REPO

ENV = {"HOME": "/nonexistent"}  # the examples' License falls back to examples/licenses/demo-license.json


def build_examples(out: Path):
    return compile(Inputs(["examples/"], cwd=REPO, lockfile=REPO / "examples" / "alabctl.lock"), out, env=ENV)


def test_every_example_artifact_is_pinned(tmp_path, monkeypatch, request) -> None:
    monkeypatch.chdir(REPO)
    report = build_examples(tmp_path / "build")
    assert report.validation.valid
    assert report.build is not None
    files = report.build.files
    golden_dir = GOLDEN / "build"
    if request.config.getoption("--update-goldens"):
        shutil.rmtree(golden_dir, ignore_errors=True)
        write_tree(golden_dir, files)
        (golden_dir / MARKER).unlink()
    pinned = {
        p.relative_to(golden_dir).as_posix(): p.read_bytes() for p in golden_dir.rglob("*") if p.is_file()
    }
    assert sorted(pinned) == sorted(files), "run pytest --update-goldens and review the diff"
    for path, data in files.items():
        assert data == pinned[path], f"{path} differs from tests/golden/build/{path}"


def test_compile_twice_gives_identical_bytes_and_writes_nothing_the_second_time(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(REPO)
    out = tmp_path / "build"
    first = build_examples(out)
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    second = build_examples(out)
    assert first.build is not None and second.build is not None
    assert first.build.files == second.build.files
    assert second.written == [] and second.removed == []
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()} == snapshot


def test_outputs_are_what_spec_4_lists(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    report = build_examples(tmp_path / "build")
    assert report.build is not None
    files = report.build.files
    assert "projects/posology/config.xml" in files
    assert "servers/clinical/pipeline.json" in files and "servers/clinical/pipeline.py" in files
    assert "rules/gender.json" in files and "rules/gender.csv" in files
    for path, data in files.items():
        if path.endswith("config.xml"):
            assert check_label_config(data) == [], path
    manifest = json.loads(files["manifest.json"])
    assert manifest["schemaVersion"] == 1
    by_id = {f"{r['kind']}/{r['name']}": r for r in manifest["resources"]}
    assert by_id["Project/posology"]["dependsOn"] == ["Server/clinical"]
    assert {
        "Model/ner_posology",
        "Model/assertion_jsl",
        "Model/posology_re",
        "Rule/height",
        "Embeddings/embeddings_clinical",
    } <= set(by_id["Server/clinical"]["dependsOn"])
    assert by_id["Rule/gender"]["artifacts"]["rules/gender.csv"]
    rule = json.loads(files["rules/height.json"])
    assert rule["completeMatchRegex"] == "false"
    assert rule["regex"] == "[0-7]'(1[01]|0?[0-9])"


def test_a_rule_change_changes_only_the_servers_that_use_it(tmp_path, make_repo) -> None:
    head = "apiVersion: alabctl/v1\n"
    files = {
        "a.yaml": head + "kind: Project\nmetadata: {name: a}\nspec: {ner: {rules: [r1]}}\n",
        "b.yaml": head + "kind: Project\nmetadata: {name: b}\nspec: {ner: {rules: [r2]}}\n",
        "r1.yaml": head + "kind: Rule\nmetadata: {name: r1}\nspec: {entity: X, regex: 'a+'}\n",
        "r2.yaml": head + "kind: Rule\nmetadata: {name: r2}\nspec: {entity: Y, regex: 'b+'}\n",
    }
    root = make_repo(files)
    before = compile(Inputs(["."], cwd=root), tmp_path / "one", env={}).build
    (root / "r1.yaml").write_text(files["r1.yaml"].replace("'a+'", "'a{2,}'"))
    after = compile(Inputs(["."], cwd=root), tmp_path / "two", env={}).build
    assert before is not None and after is not None
    old = {f"{r['kind']}/{r['name']}": r["sha256"] for r in before.manifest["resources"]}
    new = {f"{r['kind']}/{r['name']}": r["sha256"] for r in after.manifest["resources"]}
    assert old.keys() == new.keys()
    assert {k for k in new if new[k] != old[k]} == {"Rule/r1", "Server/a"}


def test_invalid_manifests_write_nothing(tmp_path, make_repo) -> None:
    root = make_repo(
        {"a.yaml": "apiVersion: alabctl/v1\nkind: Rule\nmetadata: {name: r}\nspec: {entity: X}\n"}
    )
    report = compile(Inputs(["."], cwd=root), tmp_path / "out", env={})
    assert not report.validation.valid
    assert not (tmp_path / "out").exists()


def test_out_must_be_a_build_folder(tmp_path) -> None:
    precious = tmp_path / "src"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    with pytest.raises(UserError):
        write_tree(precious, {"manifest.json": b"{}"})
    assert (precious / "keep.txt").read_text() == "mine"


def test_write_tree_replaces_stale_files(tmp_path) -> None:
    out = tmp_path / "b"
    write_tree(out, {"manifest.json": b"1", "old/x.txt": b"x"})
    written, unchanged, removed = write_tree(out, {"manifest.json": b"1", "new/y.txt": b"y"})
    assert (written, unchanged, removed) == (["new/y.txt"], ["manifest.json"], ["old/x.txt"])
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".alabctl-build",
        "manifest.json",
        "new/y.txt",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["b"], "no staging folders are left behind"


def test_compile_cli(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("JSL_LICENSE", raising=False)
    out = tmp_path / "build"
    assert main(["compile", "-f", "examples/", "--out", str(out)]) == 0
    assert "compiled 7 projects, 5 servers, 4 rules" in capsys.readouterr().out
    assert main(["compile", "-f", "examples/", "--out", str(out)]) == 0
    assert "(no changes)" in capsys.readouterr().out
    assert main(["compile", "-f", "examples/invalid/", "--out", str(tmp_path / "bad")]) == 1
    assert not (tmp_path / "bad").exists()


def test_the_executable_ends_only_after_the_whole_build_and_its_report(tmp_path: Path) -> None:
    """``compile`` ends without the interpreter's teardown: the build and the report must be complete."""
    out = tmp_path / "build"
    env = {**os.environ, "HOME": str(tmp_path), "ALABCTL_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("JSL_LICENSE", None)
    done = subprocess.run(
        [sys.executable, "-m", "alabctl", "compile", "-f", "examples/", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "compiled 7 projects, 5 servers, 4 rules" in done.stdout
    pinned = build_examples(tmp_path / "in-process")
    assert pinned.build is not None
    for rel, data in pinned.build.files.items():
        assert (out / rel).read_bytes() == data, rel


def test_compiled_outputs_only_mention_commands_that_exist() -> None:
    from alabctl.cli.main import COMMANDS

    mentioned: set[str] = set()
    for path in (GOLDEN / "build").rglob("*"):
        if path.is_file():
            mentioned.update(re.findall(r"'alabctl ([a-z-]+)", path.read_text(encoding="utf-8")))
    assert mentioned and mentioned <= set(COMMANDS), mentioned - set(COMMANDS)


@pytest.mark.parametrize("cache", [False, True])
def test_each_labeling_config_is_built_once(tmp_path: Path, monkeypatch, cache: bool) -> None:
    import alabctl.compile.build
    import alabctl.compile.verify
    from alabctl.compile.labelconfig import compile_label_config

    built: list[str] = []

    def counting(project, repo):
        built.append(project.name)
        return compile_label_config(project, repo)

    monkeypatch.setattr(alabctl.compile.build, "compile_label_config", counting)
    monkeypatch.setattr(alabctl.compile.verify, "compile_label_config", counting)
    report = compile(Inputs([str(REPO / "examples")], cache=cache), tmp_path / "out")
    assert report.build is not None
    projects = sorted(p for p in report.build.files if p.endswith("config.xml"))
    assert len(projects) > 3 and sorted(built) == sorted(set(built)) and len(built) == len(projects)
