"""``preannotate --out``: a bad path is a usage error before any work; the file gets the umask's mode."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

NOTES = [{"data": {"text": "A 5'11 male."}}, {"data": {"text": "She is 5'4."}}]


def _run(*args: str, cwd: Path, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    """``alabctl preannotate`` as a real process started with ``umask``."""
    return subprocess.run(
        [sys.executable, "-m", "alabctl", "preannotate", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=cwd,
        timeout=120,
        preexec_fn=lambda: os.umask(umask),
        check=False,
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with ``notes.jsonl`` (two tasks) and an empty folder ``outdir``."""
    (tmp_path / "notes.jsonl").write_text("".join(json.dumps(task) + "\n" for task in NOTES))
    (tmp_path / "outdir").mkdir()
    return tmp_path


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    ("out", "says"),
    [
        (".", "--out '.' is a folder, not a file"),
        ("..", "--out '..' is a folder, not a file"),
        ("outdir", "--out 'outdir' is a folder, not a file"),
        ("outdir/", "'outdir/' is a folder (it ends with /); give a file path"),
        ("new/", "'new/' is a folder (it ends with /); give a file path"),
        ("/dev/null", "--out '/dev/null' is not a regular file"),
        (
            "missing/deeper/x.json",
            "--out 'missing/deeper/x.json': the folder 'missing/deeper' does not exist",
        ),
        ("notes.jsonl/x.json", "'notes.jsonl' is not a folder"),
        ("notes.jsonl", "--out 'notes.jsonl' is the same file as --tasks 'notes.jsonl'"),
        ("./outdir/../notes.jsonl", "is the same file as --tasks 'notes.jsonl'"),
    ],
)
def test_a_bad_out_is_a_usage_error_before_any_work(work: Path, out: str, says: str) -> None:
    before = _listing(work)
    tasks = (work / "notes.jsonl").read_bytes()
    # the build does not exist: a check made after loading it would report that instead
    done = _run(
        "--project", "quickstart", "--build", "no-build/", "--tasks", "notes.jsonl", "--out", out, cwd=work
    )
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "internal error" not in done.stderr and "no-build" not in done.stderr
    assert _listing(work) == before, "nothing created, no temporary file left"
    assert (work / "notes.jsonl").read_bytes() == tasks
    assert Path("/dev/null").is_char_device()


def test_the_folder_error_names_a_file_to_use_instead(work: Path, build: Path) -> None:
    done = _run(
        "--project", "quickstart", "--build", str(build), "--tasks", "notes.jsonl", "--out", ".", cwd=work
    )
    assert done.returncode == 2
    assert "e.g. --out notes.pre.json" in done.stderr
    assert "pre-annotated" not in done.stderr


def test_a_missing_parent_is_not_created(tmp_path: Path, work: Path, build: Path) -> None:
    out = tmp_path / "nowhere" / "x.json"
    done = _run(
        "--project",
        "quickstart",
        "--build",
        str(build),
        "--tasks",
        "notes.jsonl",
        "--out",
        str(out),
        cwd=work,
    )
    assert done.returncode == 2
    assert f"create it first (mkdir -p {out.parent})" in done.stderr
    assert not out.parent.exists()


def test_the_tasks_file_through_a_link_is_refused(work: Path, build: Path) -> None:
    (work / "linked.jsonl").symlink_to(work / "notes.jsonl")
    os.link(work / "notes.jsonl", work / "hard.jsonl")
    tasks = (work / "notes.jsonl").read_bytes()
    for out in ("linked.jsonl", "hard.jsonl", str(work / "notes.jsonl")):
        done = _run(
            "--project", "quickstart", "--build", str(build), "--tasks", "notes.jsonl", "--out", out, cwd=work
        )
        assert done.returncode == 2 and "is the same file as --tasks" in done.stderr, (out, done.stderr)
    assert (work / "notes.jsonl").read_bytes() == tasks
    assert (work / "linked.jsonl").is_symlink()


def test_the_same_file_as_a_manifest_named_with_f_is_refused(work: Path) -> None:
    manifest = work / "project.yaml"
    manifest.write_text("apiVersion: alabctl/v1\n")
    done = _run(
        "--project", "p", "-f", "project.yaml", "--tasks", "notes.jsonl", "--out", "./project.yaml", cwd=work
    )
    assert done.returncode == 2 and "is the same file as -f" in done.stderr
    assert manifest.read_text() == "apiVersion: alabctl/v1\n"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_out_gets_the_mode_open_would_give(work: Path, build: Path, umask: int, mode: int) -> None:
    for name in ("new.json", "new.jsonl"):
        done = _run(
            "--project", "quickstart", "--build", str(build), "--tasks", "notes.jsonl", "--out", name,
            cwd=work, umask=umask,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE((work / name).stat().st_mode) == mode
    assert len(json.loads((work / "new.json").read_text())) == 2
    # replacing an existing file: the new file's mode, as a rename gives (not the old file's)
    (work / "new.json").chmod(0o600)
    done = _run(
        "--project",
        "quickstart",
        "--build",
        str(build),
        "--tasks",
        "notes.jsonl",
        "--out",
        "new.json",
        cwd=work,
        umask=umask,
    )
    assert done.returncode == 0
    assert stat.S_IMODE((work / "new.json").stat().st_mode) == mode
    assert sorted(p.name for p in work.iterdir()) == ["new.json", "new.jsonl", "notes.jsonl", "outdir"]
