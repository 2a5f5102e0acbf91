"""The Label Studio side of apply, against the session's real Label Studio server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from alabctl.reconcile.labelstudio import (
    LabelStudioClient,
    LabelStudioError,
    Outcome,
    Verb,
    apply,
    plan,
)
from alabctl.reconcile.labelstudio.apply import CHUNK, CHUNK_BYTES
from alabctl.reconcile.labelstudio.batches import batches
from alabctl.reconcile.labelstudio.status import project_statuses
from alabctl.spec.errors import UserError
from tests.labelstudio.backend import RuleBackend
from tests.labelstudio.helpers import connect, desired, ls_tasks, ner_config, tasks
from tests.labelstudio.server import RunningLabelStudio, free_port

pytestmark = pytest.mark.labelstudio


@pytest.fixture
def client(labelstudio: RunningLabelStudio) -> Iterator[LabelStudioClient]:
    conns = connect(labelstudio.url, labelstudio.token)
    c = LabelStudioClient(conns["ls"])
    yield c
    c.close()


def verbs(p) -> list[Verb]:  # type: ignore[no-untyped-def]
    return [a.verb for project in p.projects for a in project.actions]


def test_create_then_nothing_to_do(labelstudio: RunningLabelStudio, client: LabelStudioClient) -> None:
    d = desired("create", ner_config("PER", "ORG"), description="people and companies")
    conns = connect(labelstudio.url, labelstudio.token)
    first = plan([d], conns)
    assert verbs(first) == [Verb.CREATE]
    [result] = apply(first)
    assert result.outcome is Outcome.CREATED, result.error
    row = client.project(result.project_id or 0)
    assert row["title"] == d.title
    assert row["description"] == "people and companies"
    assert row["label_config"] == d.label_config.strip()
    again = plan([d], conns)
    assert not again.changes
    assert [r.outcome for r in apply(again)] == [Outcome.UNCHANGED]


def _annotate(client: LabelStudioClient, project_id: int, label: str, times: int) -> None:
    for task in ls_tasks(client, project_id)[:times]:
        text = task["data"]["text"]
        client.create_annotation(
            task["id"],
            [
                {
                    "id": "a1",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": 0, "end": len(text), "text": text, "labels": [label]},
                }
            ],
        )


def _predict(client: LabelStudioClient, project_id: int, label: str) -> None:
    """A prediction of ``label`` on every task (as a pre-annotation server's would be stored)."""
    rows = []
    for task in ls_tasks(client, project_id):
        text = task["data"]["text"]
        region = {"start": 0, "end": len(text), "text": text, "labels": [label]}
        result = [{"id": "p1", "from_name": "label", "to_name": "text", "type": "labels", "value": region}]
        rows.append({"task": task["id"], "model_version": "v1", "score": 0.5, "result": result})
    client.import_predictions(project_id, rows)


def test_a_change_that_would_orphan_annotations_is_refused_with_counts(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    d = desired("orphan", ner_config("PER", "ORG"), tasks=tasks("Acme", "Globex", "Initech"))
    [created] = apply(plan([d], conns))
    pid = created.project_id or 0
    _predict(client, pid, "ORG")  # predictions too: Label Studio's export lists them as bare ids
    _annotate(client, pid, "ORG", 2)
    without_org = dataclasses.replace(d, label_config=ner_config("PER", "LOC"))
    p = plan([without_org], conns)
    [refusal] = p.projects[0].actions
    assert refusal.verb is Verb.REFUSE
    assert "'ORG' (2 annotations)" in refusal.reason
    assert refusal.count == 2
    with pytest.raises(UserError, match="nothing changed"):
        apply(p)
    assert client.project(pid)["label_config"] == d.label_config.strip()


def test_a_rename_moves_annotations_and_predictions(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    d = desired("rename", ner_config("PER", "ORG"), tasks=tasks("Acme", "Globex"))
    [created] = apply(plan([d], conns))
    pid = created.project_id or 0
    _predict(client, pid, "ORG")
    _annotate(client, pid, "ORG", 1)
    renamed = dataclasses.replace(d, label_config=ner_config("PER", "COMPANY"), renames={"ORG": "COMPANY"})
    p = plan([renamed], conns)
    assert [a.verb for a in p.projects[0].actions] == [Verb.RENAME, Verb.CONFIGURE]
    rename = p.projects[0].actions[0]
    assert rename.count == 1
    assert "'ORG' -> 'COMPANY' moves 1 annotation and 2 predictions" in rename.reason
    [result] = apply(p)
    assert result.outcome is Outcome.CONFIGURED, result.error
    exported = ls_tasks(client, pid)
    for kind, expected in (("annotations", ["COMPANY"]), ("predictions", ["COMPANY", "COMPANY"])):
        labels = [
            label for t in exported for a in t[kind] for r in a["result"] for label in r["value"]["labels"]
        ]
        assert labels == expected, kind
    assert client.project(pid)["label_config"] == renamed.label_config.strip()
    assert not plan([renamed], conns).changes


def test_backend_connected_healthy_and_repointed(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    with RuleBackend({}) as one, RuleBackend({}) as two:
        d = desired("backend", ner_config("PER"))
        d = dataclasses.replace(d, backend_url=f"{one.url}/p/{d.name}")
        [result] = apply(plan([d], conns))
        assert result.outcome is Outcome.CREATED, result.error
        [backend] = client.ml_backends(result.project_id or 0)
        assert backend["url"] == d.backend_url
        assert backend["state"] == "CO"
        assert one.requests[f"{d.name}/setup"] >= 1
        moved = dataclasses.replace(d, backend_url=f"{two.url}/p/{d.name}")
        p = plan([moved], conns)
        [connect_action] = p.projects[0].actions
        assert connect_action.verb is Verb.CONNECT
        assert "URL changed" in connect_action.reason
        apply(p)
        [backend] = client.ml_backends(result.project_id or 0)
        assert (backend["url"], backend["state"]) == (moved.backend_url, "CO")


def test_tasks_are_never_imported_twice(labelstudio: RunningLabelStudio, client: LabelStudioClient) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    d = desired("tasks", ner_config("PER"), tasks=tasks("one", "two", "two", "three"))
    [result] = apply(plan([d], conns))
    pid = result.project_id or 0
    assert sorted(t["data"]["text"] for t in ls_tasks(client, pid)) == ["one", "three", "two"]
    again = plan([d], conns)
    assert not again.changes
    apply(again)
    more = dataclasses.replace(d, tasks=tasks("one", "two", "three", "four"))
    [action] = plan([more], conns).projects[0].actions
    assert (action.verb, action.count) == (Verb.IMPORT, 1)
    apply(plan([more], conns))
    assert len(ls_tasks(client, pid)) == 4
    fewer = dataclasses.replace(d, tasks=tasks("one"))
    assert not plan([fewer], conns).changes, "tasks removed from the files are left alone"
    pruned = plan([fewer], conns, prune=True)
    [prune] = pruned.projects[0].actions
    assert (prune.verb, prune.count) == (Verb.PRUNE, 3)
    apply(pruned)
    assert [t["data"]["text"] for t in ls_tasks(client, pid)] == ["one"]


def test_imports_are_cut_by_count_and_by_bytes() -> None:
    small = [{"data": {"text": "x"}}] * 2500
    assert [len(c) for c in batches(small, CHUNK, CHUNK_BYTES)] == [1000, 1000, 500]
    big = [{"data": {"text": "y" * 400_000}}] * 5  # 0.4 MB each: two fit under 1 MB
    assert [len(c) for c in batches(big, CHUNK, CHUNK_BYTES)] == [2, 2, 1]
    huge = [{"data": {"text": "z" * 3_000_000}}, {"data": {"text": "z"}}]  # alone, whatever its size
    assert [len(c) for c in batches(huge, CHUNK, CHUNK_BYTES)] == [1, 1]
    assert list(batches([], CHUNK, CHUNK_BYTES)) == []


def test_large_tasks_are_imported_whole(labelstudio: RunningLabelStudio, client: LabelStudioClient) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    texts = [f"{i} " + "word " * 150_000 for i in range(5)]  # 0.75 MB each: one a request
    [result] = apply(plan([desired("large", ner_config("PER"), tasks=tasks(*texts))], conns))
    stored = sorted(t["data"]["text"] for t in ls_tasks(client, result.project_id or 0))
    assert stored == sorted(texts)


def _versions(client: LabelStudioClient, pid: int) -> dict[str, set[str]]:
    return {t["data"]["text"]: {p["model_version"] for p in t["predictions"]} for t in ls_tasks(client, pid)}


def test_predictions_in_bulk_and_only_affected_tasks_after_a_rule_edit(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    texts = ("Alice met Bob", "Carol", "Dave and Alice")
    with RuleBackend({}) as backend:
        a = desired("preda", ner_config("PER"), tasks=tasks(*texts))
        b = desired("predb", ner_config("PER"), tasks=tasks(*texts))
        backend.rules = {a.name: {"PER": r"Alice|Bob"}, b.name: {"PER": r"Carol"}}
        a, b = (
            dataclasses.replace(
                x, backend_url=f"{backend.url}/p/{x.name}", predict_url=f"{backend.url}/p/{x.name}"
            )
            for x in (a, b)
        )
        results = apply(plan([a, b], conns))
        assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED], results
        pid_a, pid_b = (r.project_id or 0 for r in results)
        version_a = backend.version(a.name)
        assert _versions(client, pid_a) == {t: {version_a} for t in texts}
        assert backend.requests[f"{a.name}/predict"] == 1, "one batch, not one call per task"
        first = next(t for t in ls_tasks(client, pid_a) if t["data"]["text"] == "Alice met Bob")
        spans = sorted(r["value"]["text"] for r in first["predictions"][0]["result"])
        assert spans == ["Alice", "Bob"]
        assert client.project(pid_a)["model_version"] == version_a
        assert not plan([a, b], conns).changes

        backend.rules[a.name] = {"PER": r"Alice|Bob|Dave"}
        predicted_before = dict(backend.predicted)
        p = plan([a, b], conns)
        [predict] = p.projects[0].actions
        assert (predict.verb, predict.count) == (Verb.PREDICT, 3)
        assert "earlier version" in predict.reason
        assert not p.projects[1].actions
        apply(p)
        assert backend.predicted[a.name] - predicted_before[a.name] == 3
        assert backend.predicted[b.name] == predicted_before[b.name]
        new = backend.version(a.name)
        assert all(new in v for v in _versions(client, pid_a).values())
        assert all(v == {backend.version(b.name)} for v in _versions(client, pid_b).values())


def test_get_projects_counts_predictions_while_the_server_is_down(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    with RuleBackend({}) as backend:
        d = desired("statusdown", ner_config("PER"), tasks=tasks("Alice", "Bob"))
        backend.rules = {d.name: {"PER": "Alice"}}
        url = f"{backend.url}/p/{d.name}"
        d = dataclasses.replace(d, backend_url=url, predict_url=url)
        [result] = apply(plan([d], conns))
        assert result.outcome is Outcome.CREATED, result.error
        version = backend.version(d.name)
        [up] = project_statuses([d], conns)
        assert (up.predicted, up.model_version) == (2, version)
    [down] = project_statuses([d], conns)  # the server is gone: the project's version counts
    assert (down.tasks, down.predicted, down.model_version) == (2, 2, version)


def test_prune_keeps_tasks_annotated_skipped_or_drafted(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    d = desired("keep", ner_config("PER"), tasks=tasks("annotated", "skipped", "drafted", "untouched"))
    [result] = apply(plan([d], conns))
    pid = result.project_id or 0
    ids = {t["data"]["text"]: t["id"] for t in ls_tasks(client, pid)}
    _annotate(client, pid, "PER", 1)  # the first task: "annotated"
    client.request(
        "POST", f"/api/tasks/{ids['skipped']}/annotations", json={"result": [], "was_cancelled": True}
    )
    client.request("POST", f"/api/tasks/{ids['drafted']}/drafts", json={"result": [], "lead_time": 1.0})
    pruned = plan([dataclasses.replace(d, tasks=())], conns, prune=True)
    [prune] = pruned.projects[0].actions
    assert (prune.verb, prune.count) == (Verb.PRUNE, 1)
    assert "(3 with annotations, skips or drafts kept)" in prune.reason
    apply(pruned)
    assert sorted(t["data"]["text"] for t in ls_tasks(client, pid)) == ["annotated", "drafted", "skipped"]


def test_a_refused_import_is_one_readable_line(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    [result] = apply(plan([desired("refusedimport", ner_config("PER"))], conns))
    good = [{"data": {"text": f"task {i}"}} for i in range(5)]
    with pytest.raises(LabelStudioError, match=r"Error at item 2: data\['text'\]=None") as info:
        client.import_tasks(result.project_id or 0, [*good[:2], {"data": {"text": None}}, *good[2:]])
    assert "; ;" not in info.value.message and ": ;" not in info.value.message


def test_a_backend_label_studio_cannot_reach_fails_the_project_saying_so(
    labelstudio: RunningLabelStudio, client: LabelStudioClient
) -> None:
    conns = connect(labelstudio.url, labelstudio.token)
    gone = f"http://127.0.0.1:{free_port()}"
    d = desired("unreachable", ner_config("PER"))
    d = dataclasses.replace(d, backend_url=f"{gone}/p/{d.name}")
    [result] = apply(plan([d], conns))
    assert result.outcome is Outcome.FAILED
    assert result.done == (f"created project {result.project_id}",)
    assert f"cannot reach the pre-annotation server at {gone}/p/{d.name}" in result.error
    assert "refuses to save an ML backend it cannot connect to" in result.error
    assert "set mlBackendUrl on the LabelStudio manifest" in result.error
    assert "HTTPConnectionPool" not in result.error
