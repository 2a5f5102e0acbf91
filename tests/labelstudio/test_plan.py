"""The pure stages: labels in configs and results, and planning from observed facts (no server)."""

from __future__ import annotations

import dataclasses

from alabctl.reconcile.labelstudio import Verb
from alabctl.reconcile.labelstudio.labels import config_labels, rename_result, union_config
from alabctl.reconcile.labelstudio.model import ObservedBackend, ObservedProject, ObservedTask
from alabctl.reconcile.labelstudio.observe import Usage, observed_task, usage
from alabctl.reconcile.labelstudio.plan import Facts, plan_project
from alabctl.spec.tasks import task_digest
from tests.labelstudio.helpers import desired, ner_config, tasks

REGION = {
    "from_name": "label",
    "to_name": "text",
    "type": "labels",
    "value": {"start": 0, "end": 1, "labels": ["ORG"]},
}


def test_config_labels_and_the_bridge_config_of_a_rename() -> None:
    assert config_labels(ner_config("PER", "ORG")) == {"label": {"PER", "ORG"}}
    bridge = union_config(
        ner_config("PER", "COMPANY"), ner_config("PER", "ORG"), {("label", "ORG"): "COMPANY"}
    )
    assert config_labels(bridge) == {"label": {"PER", "COMPANY", "ORG"}}
    assert config_labels("<View") == {}


def test_rename_result_changes_only_the_renamed_label_of_that_control() -> None:
    other = {**REGION, "from_name": "other"}
    renamed, n = rename_result([REGION, other], {("label", "ORG"): "COMPANY"})
    assert n == 1
    assert renamed[0]["value"]["labels"] == ["COMPANY"]
    assert renamed[1]["value"]["labels"] == ["ORG"]
    assert REGION["value"]["labels"] == ["ORG"], "the input is not changed"


def test_usage_counts_each_annotation_once_per_label() -> None:
    export = [{"annotations": [{"result": [REGION, REGION]}], "predictions": [{"result": [REGION]}]}]
    assert usage(export) == Usage({("label", "ORG"): 1}, {("label", "ORG"): 1})


def test_observed_task_reads_digest_and_versions() -> None:
    row = {
        "id": 3,
        "meta": {"alabctl": {"digest": "d"}},
        "total_annotations": 2,
        "predictions_model_versions": "a,b",
    }
    assert observed_task(row) == ObservedTask(3, "d", 2, frozenset({"a", "b"}))


def _observed(
    config: str, *observed_tasks: ObservedTask, backends: tuple[ObservedBackend, ...] = ()
) -> ObservedProject:
    return ObservedProject(1, "t", "", config, observed_tasks, backends)


def test_plan_for_a_new_project_creates_connects_imports_and_predicts() -> None:
    d = dataclasses.replace(
        desired("p", ner_config("PER"), tasks=tasks("a", "b", "a")),
        backend_url="http://s/p/p",
        predict_url="http://s/p/p",
    )
    p = plan_project(d, Facts(None, model_version="v1"))
    assert [(a.verb, a.count) for a in p.actions] == [
        (Verb.CREATE, 0),
        (Verb.IMPORT, 2),
        (Verb.CONNECT, 0),
        (Verb.PREDICT, 2),
    ]


def test_plan_refuses_orphans_and_counts_renames() -> None:
    d = desired("p", ner_config("PER", "COMPANY"), renames={"ORG": "COMPANY"})
    facts = Facts(
        _observed(ner_config("PER", "ORG", "LOC")), Usage({("label", "ORG"): 3, ("label", "LOC"): 1})
    )
    [refuse] = plan_project(d, facts).actions
    assert refuse.verb is Verb.REFUSE and "'LOC' (1 annotation)" in refuse.reason
    facts = Facts(_observed(ner_config("PER", "ORG")), Usage({("label", "ORG"): 3}, {("label", "ORG"): 5}))
    rename, configure = plan_project(d, facts).actions
    assert (rename.verb, rename.count) == (Verb.RENAME, 3)
    assert "5 predictions" in rename.reason
    assert configure.verb is Verb.CONFIGURE


def test_plan_keeps_one_backend_and_predicts_only_tasks_lacking_the_version() -> None:
    records = tasks("a", "b")
    d = dataclasses.replace(
        desired("p", ner_config("PER"), tasks=records),
        backend_url="http://new/p/p",
        predict_url="http://new/p/p",
    )
    done = ObservedTask(1, task_digest({"text": "a"}), 0, frozenset({"v2"}))
    old = ObservedTask(2, task_digest({"text": "b"}), 1, frozenset({"v1"}))
    backends = (
        ObservedBackend(7, "http://old/p/p", "alabctl", "CO"),
        ObservedBackend(8, "http://x", "alabctl", "CO"),
    )
    p = plan_project(d, Facts(_observed(d.label_config, done, old, backends=backends), model_version="v2"))
    assert [(a.verb, a.count) for a in p.actions] == [
        (Verb.CONNECT, 0),
        (Verb.DISCONNECT, 0),
        (Verb.PREDICT, 1),
    ]
    assert "1 predicted by an earlier version" in p.actions[2].reason


def test_plan_for_a_server_that_does_not_run_yet_connects_and_predicts_once_it_runs() -> None:
    d = dataclasses.replace(desired("p", ner_config("PER"), tasks=tasks("a")), server="srv")
    p = plan_project(d, Facts(None))
    assert [a.verb for a in p.actions] == [Verb.CREATE, Verb.IMPORT, Verb.CONNECT, Verb.PREDICT]
    assert "server 'srv'" in p.actions[2].reason


def test_a_backend_label_studio_cannot_reach_is_reconnected_with_its_state_in_words() -> None:
    d = dataclasses.replace(desired("p", ner_config("PER")), backend_url="http://srv/p/p")
    backends = (ObservedBackend(7, "http://srv/p/p", "alabctl", "DI"),)
    [action] = plan_project(d, Facts(_observed(d.label_config, backends=backends))).actions
    assert action.verb is Verb.CONNECT
    assert "as 'disconnected': reconnect" in action.reason
