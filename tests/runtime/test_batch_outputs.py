"""``preannotate --out``: the file gets the mode open() would give it (the umask applied)."""

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
