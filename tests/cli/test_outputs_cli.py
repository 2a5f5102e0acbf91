"""Output paths of every command that writes one, run as real processes with a known umask.

A FILE output (``rules export --out``, ``plan --out``, ``lock --lockfile``) that is a folder, is
not a regular file, is in a folder that does not exist or is an input is a usage error (exit 2)
before any work; a FOLDER output (``compile --out``, ``rules import --out``) that is a file is too.
What alabctl writes for the user gets the mode ``open``/``mkdir`` gives (umask applied); private
state (the cache, its key, hub indexes in the store) stays 0600.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assets.hubserver import HubServer, embeddings_zip, publish, serving, spark_model_zip
from tests.conftest import EXAMPLES

RULE = (
    "apiVersion: alabctl/v1\nkind: Rule\nmetadata: {name: height}\n"
    'spec: {entity: Height, regex: "[0-7]\'[0-9]{1,2}"}\n'
)
MODEL = "apiVersion: alabctl/v1\nkind: Model\nmetadata: {name: ner_dl}\nspec: {task: ner, embeddings: glove_100d}\n"


def cli(*argv: str, cwd: Path, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    """``alabctl`` as a real process started with ``umask``."""
    return subprocess.run(
        [sys.executable, "-m", "alabctl", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
        preexec_fn=lambda: os.umask(umask),
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``tmp/repo`` with one Rule manifest, ``tmp/repo/outdir`` empty; the tests run in ``tmp/repo``."""
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "height.yaml").write_text(RULE)
    (root / "outdir").mkdir()
    return root


# ---------------------------------------------------------------- FILE outputs: refused before any work

FOLDER_LIKE = [
    (".", "'.' is a folder, not a file"),
    ("outdir", "'outdir' is a folder, not a file"),
    ("outdir/", "'outdir/' is a folder (it ends with /); give a file path"),
    ("/dev/null", "'/dev/null' is not a regular file"),
    ("nowhere/x.out", "'nowhere/x.out': the folder 'nowhere' does not exist"),
    ("rules/height.yaml/x.out", "'rules/height.yaml' is not a folder"),
]


@pytest.mark.parametrize(("out", "says"), FOLDER_LIKE)
def test_rules_export_out_is_checked_first(repo: Path, out: str, says: str) -> None:
    (repo / "rules" / "broken.yaml").write_text("kind: [\n")  # loading would fail (exit 1) if it ran
    before = listing(repo)
    done = cli("rules", "export", "-f", "rules", "--out", out, cwd=repo)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "internal error" not in done.stderr and "broken.yaml" not in done.stderr
    assert listing(repo) == before


def test_rules_export_refuses_to_replace_a_manifest_it_reads(repo: Path) -> None:
    done = cli(
        "rules", "export", "-f", "rules/height.yaml", "--out", "./rules/../rules/height.yaml", cwd=repo
    )
    assert done.returncode == 2
    assert "is the same file as -f 'rules/height.yaml'" in done.stderr
    assert (repo / "rules" / "height.yaml").read_text() == RULE


@pytest.mark.parametrize(("out", "says"), FOLDER_LIKE)
def test_plan_out_is_checked_first(repo: Path, tmp_path: Path, out: str, says: str) -> None:
    (repo / "rules" / "broken.yaml").write_text("kind: [\n")  # invalid: plan would exit 1 if it ran
    before = listing(repo)
    done = cli("plan", "-f", "rules", "--out", out, "--home", str(tmp_path / "home"), cwd=repo)
    assert done.returncode == 1, done.stderr  # plan's usage errors exit 1: its 2 means "changes"
    assert done.stderr.startswith("alabctl: error: ") and says in done.stderr
    assert "internal error" not in done.stderr and "broken.yaml" not in done.stderr
    assert listing(repo) == before


@pytest.mark.parametrize(("out", "says"), FOLDER_LIKE)
def test_lock_lockfile_is_checked_before_the_hub_is_asked(
    repo: Path, tmp_path: Path, out: str, says: str
) -> None:
    (repo / "m.yaml").write_text(MODEL)
    before = listing(repo)
    # port 9 (discard) has no hub: a check made after asking would fail with a connection error
    argv = [
        "lock",
        "-f",
        ".",
        "--lockfile",
        out,
        "--hub",
        "http://127.0.0.1:9",
        "--home",
        str(tmp_path / "h"),
    ]
    done = cli(*argv, cwd=repo)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "internal error" not in done.stderr
    assert listing(repo) == before


# ---------------------------------------------------------------- FOLDER outputs that are files


def test_compile_and_rules_import_refuse_a_file_as_out_folder(repo: Path) -> None:
    (repo / "rules" / "broken.yaml").write_text("kind: [\n")
    done = cli("compile", "-f", "rules", "--out", "rules/height.yaml", cwd=repo)
    assert done.returncode == 2, done.stderr
    assert "--out 'rules/height.yaml' exists and is not a folder" in done.stderr
    assert "e.g. --out build/" in done.stderr and "broken.yaml" not in done.stderr
    exported = repo / "export.zip"
    with zipfile.ZipFile(exported, "w") as archive:
        archive.writestr("height.json", json.dumps({"name": "Height", "entity": "Height", "regex": "x"}))
    done = cli("rules", "import", "export.zip", "--out", "rules/height.yaml", cwd=repo)
    assert done.returncode == 2, done.stderr
    assert "--out 'rules/height.yaml' exists and is not a folder" in done.stderr
    assert (repo / "rules" / "height.yaml").read_text() == RULE


# ---------------------------------------------------------------- modes: what open() and mkdir give


@pytest.mark.parametrize(
    ("umask", "file_mode", "folder_mode"), [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)]
)
def test_compile_build_folder_gets_the_umask_and_the_cache_stays_private(
    tmp_path: Path, umask: int, file_mode: int, folder_mode: int
) -> None:
    done = cli(
        "compile", "-f", str(EXAMPLES), "--out", "build", "--skip-license-check", cwd=tmp_path, umask=umask
    )
    assert done.returncode == 0, done.stderr
    build = tmp_path / "build"
    folders = [build, *(p for p in build.rglob("*") if p.is_dir())]
    files = [p for p in build.rglob("*") if p.is_file()]
    assert len(folders) > 3 and len(files) > 10
    assert {p.relative_to(tmp_path).as_posix(): mode(p) for p in folders} == {
        p.relative_to(tmp_path).as_posix(): folder_mode for p in folders
    }
    assert {mode(p) for p in files} == {file_mode}
    # a rebuild into the same folder (files hard-linked from the previous build) keeps them so
    done = cli(
        "compile",
        "-f",
        str(EXAMPLES),
        "--out",
        "build",
        "--skip-license-check",
        "--no-cache",
        cwd=tmp_path,
        umask=umask,
    )
    assert done.returncode == 0, done.stderr
    assert mode(build) == folder_mode and {mode(p) for p in build.rglob("*") if p.is_file()} == {file_mode}
    # private state: the signed cache entries and the key that signs them
    cache = Path(os.environ["ALABCTL_CACHE_DIR"])
    key = Path(os.environ["XDG_CONFIG_HOME"]) / "alabctl" / "cache.key"
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries, "the compile wrote cache entries"
    assert {p.relative_to(cache).as_posix(): mode(p) for p in entries} == {
        p.relative_to(cache).as_posix(): 0o600 for p in entries
    }
    assert mode(key) == 0o600


@pytest.mark.parametrize(
    ("umask", "file_mode", "folder_mode"), [(0o022, 0o644, 0o755), (0o007, 0o660, 0o770)]
)
def test_rules_import_and_export_get_the_umask(
    tmp_path: Path, umask: int, file_mode: int, folder_mode: int
) -> None:
    source = tmp_path / "alab.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("gender.json", json.dumps({"entity": "Gender", "ruleScope": "sentence"}))
        archive.writestr("gender.csv", "male,man\nfemale,woman\n")
        archive.writestr("height.json", json.dumps({"name": "Height", "entity": "Height", "regex": "[0-7]'"}))
    done = cli("rules", "import", "alab.zip", "--out", "rules", cwd=tmp_path, umask=umask)
    assert done.returncode == 0, done.stderr
    rules = tmp_path / "rules"
    written = {p.relative_to(rules).as_posix(): mode(p) for p in rules.rglob("*")}
    assert written == {
        "dictionaries": folder_mode,
        "dictionaries/gender.csv": file_mode,
        "gender.yaml": file_mode,
        "height.yaml": file_mode,
    }
    assert mode(rules) == folder_mode
    # an existing manifest written 0600 (as an older alabctl did) gets the umask's mode when replaced
    (rules / "height.yaml").chmod(0o600)
    done = cli("rules", "import", "alab.zip", "--out", "rules", "--force", cwd=tmp_path, umask=umask)
    assert done.returncode == 0, done.stderr
    assert mode(rules / "height.yaml") == file_mode
    done = cli("rules", "export", "-f", "rules", "--out", "rules.zip", cwd=tmp_path, umask=umask)
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "rules.zip") == file_mode
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "no temporary left"


def test_plan_out_gets_the_umask(tmp_path: Path, repo: Path) -> None:
    done = cli(
        "plan", "-f", "rules", "--out", "plan.json", "--home", str(tmp_path / "home"), cwd=repo, umask=0o027
    )
    assert done.returncode in (0, 2), done.stderr
    assert json.loads((repo / "plan.json").read_text())
    assert mode(repo / "plan.json") == 0o640


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    with serving(tmp_path / "hub") as server:
        root = server.state.root
        publish(root, "public/models", "ner_dl", spark_model_zip(), labels=["PER"], task="ner")
        publish(root, "public/models", "glove_100d", embeddings_zip(), annotator="WordEmbeddingsModel")
        yield server


@pytest.mark.parametrize(("umask", "file_mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_the_lock_file_gets_the_umask_and_the_hub_cache_stays_private(
    hub: HubServer, tmp_path: Path, repo: Path, umask: int, file_mode: int
) -> None:
    (repo / "m.yaml").write_text(MODEL)
    home = tmp_path / "home"
    done = cli("lock", "-f", ".", "--hub", hub.url, "--home", str(home), cwd=repo, umask=umask)
    assert done.returncode == 0, done.stderr
    assert mode(repo / "alabctl.lock") == file_mode
    private = [p for p in home.rglob("*.jsonl") if p.is_file()]
    assert private, "the hub index was cached in the store"
    assert {mode(p) for p in private} == {0o600}
