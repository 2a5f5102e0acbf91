"""The LabelStudio kind and a Project's labelStudio block: references, task files, data keys."""

from __future__ import annotations

from alabctl import api

LS = """\
apiVersion: alabctl/v1
kind: LabelStudio
metadata: {name: local}
spec:
  url: http://localhost:8080
  token: {fromEnv: LS_TOKEN}
"""

PROJECT = """\
---
apiVersion: alabctl/v1
kind: Project
metadata: {{name: people}}
spec:
  ner:
    labels: [{labels}]
  labelStudio:
    instance: {instance}
    tasks: [{tasks}]
"""


def _codes(make_repo, files):  # type: ignore[no-untyped-def]
    root = make_repo(files)
    report = api.validate(api.Inputs(paths=[str(root)], cwd=root))
    return report, [(d.code, d.file, d.line, d.column, d.summary) for d in report.diagnostics]


def test_valid_label_studio_project(make_repo) -> None:  # type: ignore[no-untyped-def]
    files = {
        "alab.yaml": LS
        + PROJECT.format(labels="{value: PER}", instance="local", tasks='"tasks/*.jsonl", "more.csv"'),
        "tasks/a.jsonl": '{"text": "Alice"}\n{"data": {"text": "Bob"}}\n',
        "more.csv": "text,source\nCarol,web\n",
    }
    report, found = _codes(make_repo, files)
    assert report.valid, found


def test_tasks_lacking_the_data_key_are_reported_at_file_line_column(make_repo) -> None:  # type: ignore[no-untyped-def]
    files = {
        "alab.yaml": LS
        + PROJECT.format(labels="{value: PER}", instance="local", tasks='"t.json", "t.csv", "t.jsonl"'),
        "t.json": '[\n  {"text": "ok"},\n  {"body": "no text"}\n]\n',
        "t.csv": "body\nhello\n",
        "t.jsonl": '{"text": "fine"}\n\n  {"data": {"words": 1}}\n',
    }
    report, found = _codes(make_repo, files)
    assert not report.valid
    missing = sorted((f.rsplit("/", 1)[-1], line, col) for code, f, line, col, _ in found if code == "ALB231")
    assert missing == [("t.csv", 2, 1), ("t.json", 3, 3), ("t.jsonl", 3, 3)]
    assert any("shows $text" in s for code, *_, s in found if code == "ALB231")


def test_broken_task_file_dangling_instance_missing_file_and_ambiguous_rename(make_repo) -> None:  # type: ignore[no-untyped-def]
    files = {
        "alab.yaml": LS
        + PROJECT.format(
            labels="{value: PER}, {value: PERSON, renamedFrom: PER}",
            instance="remote",
            tasks='"bad.json", "none/*.json"',
        ),
        "bad.json": '[{"text": "a"},\n {"text": }]\n',
    }
    _report, found = _codes(make_repo, files)
    codes = {code for code, *_ in found}
    assert {"ALB202", "ALB206", "ALB230", "ALB232"} <= codes, found
    [broken] = [x for x in found if x[0] == "ALB230"]
    assert broken[2:4] == (2, 11)


def test_the_token_is_never_inline(make_repo) -> None:  # type: ignore[no-untyped-def]
    files = {"alab.yaml": LS.replace("{fromEnv: LS_TOKEN}", "abcdef-secret")}
    report, _found = _codes(make_repo, files)
    assert not report.valid
    assert any(d.path[:2] == ("spec", "token") for d in report.diagnostics)


def test_task_patterns_stay_in_the_repository(make_repo) -> None:  # type: ignore[no-untyped-def]
    tasks = '"../data/*.jsonl", "../../../**/*.json", "*/../*/../*.json"'
    files = {
        "projects/alab.yaml": LS + PROJECT.format(labels="{value: PER}", instance="local", tasks=tasks),
        "data/a.jsonl": '{"text": "Alice"}\n',
    }
    _report, found = _codes(make_repo, files)
    refused = sorted(s for code, _f, _l, _c, s in found if code == "ALB007")
    assert refused == [
        "task file pattern '*/../*/../*.json' is refused: '..' after a wildcard; put the folders first, "
        "e.g. ../data/*.json",
        "task file pattern '../../../**/*.json' is refused: outside the repository; task files must be inside it",
    ]
    # '../data/*.jsonl' climbs to the repository's own folder: allowed, and it matched
    assert not any("'../data/*.jsonl'" in s for *_, s in found), found


def test_a_task_glob_walks_a_bounded_tree_and_never_follows_linked_folders(make_repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from alabctl.spec import tasks

    root = make_repo(
        {"alab.yaml": LS + PROJECT.format(labels="{value: PER}", instance="local", tasks='"**/*.jsonl"')}
    )
    for n in range(6):  # links back to the root: a followed walk would never end
        (root / f"s{n}").symlink_to(root, target_is_directory=True)
    (root / "deep" / "er").mkdir(parents=True)
    (root / "deep" / "er" / "t.jsonl").write_text('{"text": "Alice"}\n')
    (root / "loop.jsonl").symlink_to(root / "loop.jsonl")  # a link to itself
    expanded = tasks.expand(["**/*.jsonl"], root, root.resolve())
    assert expanded.files == [(root / "deep" / "er" / "t.jsonl").resolve()] and expanded.refused == []
    monkeypatch.setattr(tasks, "MAX_WALK", 5)
    (root / "many").mkdir()
    for n in range(10):
        (root / "many" / f"{n}.txt").write_text("")
    capped = tasks.expand(["**/*.jsonl"], root, root.resolve())
    assert capped.files == [] and "walks more than 5 folder entries" in capped.refused[0][1]


def test_a_task_file_over_the_cap_is_refused_unread(make_repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from alabctl.spec import readfile

    monkeypatch.setitem(readfile.LIMITS, readfile.FileKind.TASKS, 64)
    files = {
        "alab.yaml": LS + PROJECT.format(labels="{value: PER}", instance="local", tasks='"t.jsonl"'),
        "t.jsonl": '{"text": "Alice"}\n' * 10,
    }
    _report, found = _codes(make_repo, files)
    (cap,) = [s for code, *_, s in found if code == "ALB230"]
    assert "larger than the task cap of 64 bytes" in cap


def test_task_values_label_studio_refuses_to_import_are_reported(make_repo) -> None:  # type: ignore[no-untyped-def]
    """Label Studio refuses a whole import request for one task whose $text is null or an object."""
    files = {
        "alab.yaml": LS + PROJECT.format(labels="{value: PER}", instance="local", tasks='"t.jsonl"'),
        "t.jsonl": '{"text": "ok"}\n{"text": 5}\n{"text": ["a", "b"]}\n{"text": null}\n{"data": {"text": {"a": 1}}}\n',
    }
    report, found = _codes(make_repo, files)
    assert not report.valid
    bad = sorted((line, summary) for code, _, line, _, summary in found if code == "ALB231")
    assert [line for line, _ in bad] == [4, 5]
    assert "'text' is null, but Label Studio imports only a string, a number or a list" in bad[0][1]
    assert "'text' is an object" in bad[1][1]


def test_two_projects_with_one_title_in_an_instance_are_an_error(make_repo) -> None:  # type: ignore[no-untyped-def]
    """apply would create both, and then no plan could tell them apart (projects are found by title)."""
    other = PROJECT.replace("{{name: people}}", "{{name: staff}}").replace(
        "    instance: {instance}\n", "    instance: {instance}\n    title: people\n"
    )
    files = {
        "alab.yaml": LS
        + PROJECT.format(labels="{value: PER}", instance="local", tasks="")
        + other.format(labels="{value: PER}", instance="local", tasks=""),
    }
    report, found = _codes(make_repo, files)
    assert not report.valid
    [dup] = [x for x in found if x[0] == "ALB233"]
    assert "project 'people' has the Label Studio title 'people' in instance 'local' too" in dup[4]
    fixed = files["alab.yaml"].replace("title: people", "title: staff")
    report, found = _codes(make_repo, {"alab.yaml": fixed})
    assert report.valid, found
