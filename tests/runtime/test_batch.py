"""``alabctl preannotate``: task files in every accepted shape, order, bad tasks, workers, outputs."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.runtime.lscheck import ls_errors

NOTES = ["A 5'11 male.", "nothing", "She is a woman of 5'4.", "6'0 boy"]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "alabctl", "preannotate", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("project", ["quickstart", "triage-north", "triage-south"])
def test_rule_only_projects_preannotate_end_to_end(build: Path, tmp_path: Path, project: str) -> None:
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps([{"id": i, "data": {"text": t}} for i, t in enumerate(NOTES)]))
    out = tmp_path / "out.json"
    done = _run("--project", project, "--build", str(build), "--tasks", str(tasks), "--out", str(out))
    assert done.returncode == 0, done.stderr
    written = json.loads(out.read_text())
    assert [t["id"] for t in written] == [0, 1, 2, 3]
    for task in written:
        (prediction,) = task["predictions"]
        assert set(prediction) == {"model_version", "score", "result"}
        assert ls_errors(build, project, prediction) == []
        for result in prediction["result"]:
            value = result["value"]
            assert task["data"]["text"][value["start"] : value["end"]] == value["text"]
    heights = [r for r in written[0]["predictions"][0]["result"] if r["value"]["labels"] == ["Height"]]
    assert heights and written[1]["predictions"][0]["result"] == []
    assert "pre-annotated 4 of 4 tasks" in done.stderr


def test_jsonl_and_exports_keep_the_task_and_add_a_prediction(build: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "export.jsonl"
    lines = [
        {
            "id": 7,
            "data": {"text": NOTES[0]},
            "annotations": [{"result": []}],
            "predictions": [{"result": [], "model_version": "old"}],
        },
        {"text": NOTES[2], "title": "an Annotation Lab import"},
        {"id": 9, "data": {"text": NOTES[3]}, "completions": [{"result": []}]},
    ]
    tasks.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    done = _run(
        "--project",
        "quickstart",
        "--build",
        str(build),
        "--tasks",
        str(tasks),
        "--out",
        str(tmp_path / "o.jsonl"),
    )
    assert done.returncode == 0, done.stderr
    out = _jsonl(tmp_path / "o.jsonl")
    assert out[0]["annotations"] == [{"result": []}]
    assert (
        next(p["model_version"] for p in out[0]["predictions"]) == "old" and len(out[0]["predictions"]) == 2
    )
    assert out[1]["data"] == {"text": NOTES[2], "title": "an Annotation Lab import"}
    assert out[2]["completions"] == [{"result": []}] and out[2]["predictions"][0]["result"]


def test_a_bad_task_is_reported_with_its_index_and_skipped(build: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        "\n".join(
            [
                json.dumps({"data": {"text": NOTES[0]}}),
                "{not json",
                json.dumps({"data": {"body": "x"}}),
                "[1]",
                json.dumps({"data": {"text": 5}}),
                json.dumps({"data": {"text": NOTES[2]}}),
            ]
        )
    )
    done = _run("--project", "quickstart", "--build", str(build), "--tasks", str(tasks))
    assert done.returncode == 1
    assert [t["data"]["text"] for t in map(json.loads, done.stdout.splitlines())] == [NOTES[0], NOTES[2]]
    for words in (
        "task 1: line 2 is not JSON",
        "task 2: no 'text' in the task's data",
        "task 3: a task is a JSON object",
        "task 4: data.text is int",
    ):
        assert words in done.stderr
    assert "4 skipped" in done.stderr


def test_two_workers_write_what_one_writes_in_order(build: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "many.jsonl"
    with tasks.open("w") as out:
        for i in range(3000):
            out.write(json.dumps({"id": i, "data": {"text": NOTES[i % 4] + f" #{i}"}}) + "\n")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    for workers, target in (("1", one), ("2", two)):
        done = _run(
            "--project",
            "quickstart",
            "--build",
            str(build),
            "--tasks",
            str(tasks),
            "--out",
            str(target),
            "--workers",
            workers,
        )
        assert done.returncode == 0, done.stderr
    assert one.read_bytes() == two.read_bytes()
    assert [t["id"] for t in _jsonl(two)] == list(range(3000))


def test_compiles_first_with_f_and_errors_are_clear(tmp_path: Path) -> None:
    tasks = tmp_path / "t.json"
    tasks.write_text(json.dumps([{"data": {"text": NOTES[0]}}]))
    done = _run("--project", "quickstart", "-f", str(EXAMPLES), "--tasks", str(tasks), "--skip-license-check")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["predictions"][0]["result"]
    missing = _run("--project", "nope", "-f", str(EXAMPLES), "--tasks", str(tasks), "--skip-license-check")
    assert missing.returncode == 1 and "no project 'nope'" in missing.stderr
    both = _run("--project", "quickstart", "--tasks", str(tasks))
    assert both.returncode == 2 and "exactly one of --build DIR and -f REPO" in both.stderr
    spark = _run("--project", "quickstart", "-f", str(EXAMPLES), "--tasks", str(tasks), "--engine", "spark")
    assert (
        spark.returncode == 1
        and "runs on the native engine: there is nothing for Spark to do" in spark.stderr
    )
    (tmp_path / "bad.json").write_text('[{"data": {"text": "a"}}, {"data": ')
    broken = _run(
        "--project",
        "quickstart",
        "-f",
        str(EXAMPLES),
        "--tasks",
        str(tmp_path / "bad.json"),
        "--out",
        str(tmp_path / "o.json"),
    )
    assert broken.returncode == 1 and "invalid JSON after task 1" in broken.stderr
    assert not (tmp_path / "o.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.json")]


def test_json_arrays_are_read_as_a_stream(tmp_path: Path) -> None:
    from alabctl.runtime.taskfile import read_tasks

    path = tmp_path / "big.json"
    with path.open("w") as out:
        out.write('\ufeff [{"data": {"text": "first", "weight": 0.5}},\n')
        out.write(" ".join(['{"data": {"text": "x"}},'] * 20000))
        out.write("this is not JSON")
    tasks = read_tasks(path)
    first = next(tasks)  # the broken end of the file has not been read yet
    assert first == {"data": {"text": "first", "weight": 0.5}}
    assert isinstance(first["data"]["weight"], float)
    tasks.close()


def test_an_empty_task_file_writes_an_empty_array(build: Path, tmp_path: Path) -> None:
    (tmp_path / "none.json").write_text("[]")
    done = _run(
        "--project", "quickstart", "--build", str(build), "--tasks", str(tmp_path / "none.json"),
        "--out", str(tmp_path / "o.json"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "o.json").read_text()) == []


def test_a_killed_worker_fails_the_run_cleanly(build: Path, tmp_path: Path) -> None:
    import signal
    import time

    tasks = tmp_path / "many.jsonl"
    with tasks.open("w") as out:
        for i in range(100000):
            out.write(json.dumps({"data": {"text": NOTES[i % 4]}}) + "\n")
    target = tmp_path / "o.jsonl"
    cmd = [sys.executable, "-m", "alabctl", "preannotate", "--project", "quickstart", "--build", str(build)]
    cmd += ["--tasks", str(tasks), "--out", str(target), "--workers", "2"]
    process = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    killed = False
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            for task in Path(f"/proc/{process.pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    seen.update(int(c) for c in task.read_text().split())
            if seen and not killed:
                os.kill(min(seen), signal.SIGKILL)
                killed = True
            time.sleep(0.01)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert killed, f"no worker started: {err}"
    deadline = time.monotonic() + 10
    while [p for p in seen if Path(f"/proc/{p}").exists()] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in seen if Path(f"/proc/{p}").exists()] == [], "a worker outlived the run"
    assert process.returncode == 1, err
    assert "worker process died" in err, err
    assert "Traceback" not in err, err
    assert not target.exists()


def test_tasks_whose_output_would_not_be_json_are_skipped(build: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    lines = [
        json.dumps({"id": 0, "data": {"text": NOTES[0]}, "predictions": 5}),
        json.dumps({"id": 1, "data": {"text": NOTES[0]}, "predictions": "ab"}),  # was split into "a", "b"
        '{"id": 2, "data": {"text": "x"}, "meta": {"n": NaN}}',
        '{"id": 3, "data": {"text": "x"}, "meta": {"n": 1e999}}',
        '{"id": 4, "data": {"text": "half of a pair: \\udcff"}}',
        '{"id": 5, "data": {"text": "a whole pair: \\ud83d\\ude00, and \\\\udcff is no escape"}}',
        json.dumps({"id": 6, "data": {"text": NOTES[2]}, "predictions": None}),
    ]
    tasks.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o.jsonl"
    done = _run("--project", "quickstart", "--build", str(build), "--tasks", str(tasks), "--out", str(out))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    for words in (
        "task 0: 'predictions' is int, not a list of predictions",
        "task 1: 'predictions' is str",
        "task 2: it holds NaN or Infinity",
        "task 3: it holds NaN or Infinity",
        "task 4: line 5 holds a \\u escape that is not a character (a lone surrogate)",
    ):
        assert words in done.stderr, done.stderr
    written = _jsonl(out)  # strict JSON: json.loads would take NaN, so check the text too
    assert [t["id"] for t in written] == [5, 6]
    assert "NaN" not in out.read_text() and "Infinity" not in out.read_text()
    assert written[0]["data"]["text"] == "a whole pair: \U0001f600, and \\udcff is no escape"
    assert len(written[1]["predictions"]) == 1


def test_a_lone_surrogate_in_a_json_array_stops_the_run_with_its_index(build: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.json"
    tasks.write_text('[{"data": {"text": "fine"}}, {"data": {"text": "half \\udcff"}}]')
    done = _run("--project", "quickstart", "--build", str(build), "--tasks", str(tasks))
    assert done.returncode == 1, done.stderr
    assert "task 1 holds a \\u escape that is not a character" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'[{"data": {"text": "a\xff b"}}]')
    done = _run("--project", "quickstart", "--build", str(build), "--tasks", str(bad))
    assert done.returncode == 1 and "invalid JSON after task 0: lexical error" in done.stderr
    assert "b'" not in done.stderr, "the parser's message is text, not a bytes repr"


def test_one_task_saved_pretty_printed_is_one_task(build: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "task.json"
    tasks.write_text(json.dumps({"id": 3, "data": {"text": NOTES[0]}}, indent=2) + "\n")
    done = _run("--project", "quickstart", "--build", str(build), "--tasks", str(tasks))
    assert done.returncode == 0, done.stderr  # it was read as five broken JSONL lines
    (written,) = map(json.loads, done.stdout.splitlines())
    assert written["id"] == 3 and written["predictions"][0]["result"]
    # JSONL whose first line is broken is still JSONL: the broken line is reported, the rest kept
    tasks.write_text('{"data": \n' + json.dumps({"id": 4, "data": {"text": NOTES[2]}}) + "\n")
    done = _run("--project", "quickstart", "--build", str(build), "--tasks", str(tasks))
    assert done.returncode == 1 and "task 0: line 1 is not JSON" in done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [4]
    # a pipe cannot be read twice: JSONL, as before
    command = [sys.executable, "-m", "alabctl", "preannotate", "--project", "quickstart"]
    piped = subprocess.run(
        [*command, "--build", str(build), "--tasks", "/dev/stdin"],
        input=json.dumps({"id": 5, "data": {"text": NOTES[0]}}) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["id"] == 5


def test_a_full_disk_is_a_clear_error_and_leaves_nothing_behind(build: Path, tmp_path: Path) -> None:
    import resource

    tasks = tmp_path / "tasks.jsonl"
    with tasks.open("w") as out:
        for i in range(3000):
            out.write(json.dumps({"id": i, "data": {"text": NOTES[i % 4]}}) + "\n")
    cmd = [sys.executable, "-m", "alabctl", "preannotate", "--project", "quickstart", "--build", str(build)]
    cmd += ["--tasks", str(tasks), "--out", str(tmp_path / "o.jsonl"), "--workers", "1"]

    def small_files() -> None:  # writes past 64 KiB fail as on a full disk (EFBIG, like ENOSPC)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, preexec_fn=small_files)
    assert done.returncode == 1, done.stderr
    assert "cannot write" in done.stderr and "File too large" in done.stderr, done.stderr
    assert "internal error" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.jsonl"], "no temporary file is left"


def test_a_task_over_the_size_cap_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alabctl.runtime import taskfile
    from alabctl.spec.errors import UserError

    monkeypatch.setattr(taskfile, "MAX_TASK_BYTES", 4096, raising=False)
    small = json.dumps({"data": {"text": "fine"}})
    huge = json.dumps({"data": {"text": "x" * 5_000_000}})  # 5 MB: read 4 KiB into it and stop
    jsonl = tmp_path / "tasks.jsonl"
    jsonl.write_text(f"{small}\n{huge}\n{small}\n")
    read = list(taskfile.read_tasks(jsonl))
    assert read[0] == read[2] == json.loads(small)
    assert read[1] == taskfile.BadTask("line 2 is larger than 4 KiB, the most one task may take")
    array = tmp_path / "tasks.json"
    array.write_text(f"[{small}, {huge}, {small}]")
    tasks = taskfile.read_tasks(array)
    assert next(tasks) == json.loads(small)
    with pytest.raises(UserError) as caught:
        next(tasks)
    assert "task 1 is larger than" in caught.value.message
    one = tmp_path / "one.json"  # one task pretty-printed, too large: read as JSONL, refused by line
    one.write_text(json.dumps({"data": {"text": "x" * 5_000_000}}, indent=1))
    reasons = [t.reason for t in taskfile.read_tasks(one) if isinstance(t, taskfile.BadTask)]
    assert "line 3 is larger than 4 KiB, the most one task may take" in reasons
