"""The plan is a pure function of desired and actual: table tests, and a plan's JSON round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from alabctl.compile.build import compile_repository, read_dictionaries
from alabctl.compile.desired import AssetPin, DesiredServer, DesiredState, desired_state
from alabctl.reconcile.health import Probe
from alabctl.reconcile.observe import Actual, AssetActual, ServerActual
from alabctl.reconcile.plan import Plan, Source, changes, make_plan, staleness
from alabctl.reconcile.state import Deployment
from alabctl.reconcile.vocab import Action, Health
from alabctl.spec.errors import PermanentError
from alabctl.spec.validate import load_repository

SERVER = DesiredServer(
    name="alpha",
    digest="d2",
    build="b2",
    projects=("p",),
    assets=("Model/ner",),
    files=("manifest.json",),
    inputs={"Rule/height": "h2", "Project/p": "p1", "Model/ner": "m1"},
)
PIN = AssetPin("ner", "Model", "ner_en_5_3_1", "public/models", "en", "http://hub/ner.zip", 1234)
DESIRED = DesiredState({}, {"alpha": SERVER}, {"Model/ner": PIN}, "inputs")
INSTALLED = AssetActual("Model/ner", "ner_en_5_3_1", "ready", True, True)
RUNNING = Deployment("alpha", "127.0.0.1", 9000, pid=1, digest="d2", inputs=dict(SERVER.inputs))
HEALTHY = Probe(True, Health.HEALTHY)


def _actual(server: ServerActual | None = None, asset: AssetActual | None = INSTALLED) -> Actual:
    servers = {server.deployment.server: server} if server else {}
    return Actual(servers, {"Model/ner": asset} if asset else {}, "state")


def _steps(plan: Plan) -> list[tuple[str, str, str]]:
    return [(s.action.value, s.ref, s.reason) for s in plan.steps]


def test_converged_state_plans_nothing() -> None:
    plan = make_plan(DESIRED, _actual(ServerActual(RUNNING, True, HEALTHY)))
    assert plan.steps == () and plan.unchanged == ("alpha",) and not plan.changes


@pytest.mark.parametrize(
    ("server", "asset", "expected"),
    [
        (None, INSTALLED, [("deploy", "Server/alpha", "new server")]),
        (
            ServerActual(
                replace(RUNNING, digest="d1", inputs={**SERVER.inputs, "Rule/height": "h1"}), True, HEALTHY
            ),
            INSTALLED,
            [("redeploy", "Server/alpha", "because rule `height` changed")],
        ),
        (
            ServerActual(RUNNING, False, None),
            INSTALLED,
            [("restart", "Server/alpha", "drift: process gone (pid 1)")],
        ),
        (
            ServerActual(RUNNING, True, Probe(True, Health.DEGRADED, "reload failed")),
            INSTALLED,
            [("restart", "Server/alpha", "drift: unhealthy (Degraded: reload failed)")],
        ),
        (
            ServerActual(replace(RUNNING, digest=None, pid=None), False, None),
            INSTALLED,
            [("deploy", "Server/alpha", "not running")],
        ),
        (
            ServerActual(replace(RUNNING, digest=None, pid=None, health="Stopped"), False, None),
            INSTALLED,
            [("deploy", "Server/alpha", "stopped with 'alabctl down'")],
        ),
        (
            ServerActual(RUNNING, True, HEALTHY),
            replace(INSTALLED, intact=False),
            [("redownload", "Model/ner", "drift: checksum mismatch (files changed since install)")],
        ),
    ],
)
def test_server_and_asset_steps(
    server: ServerActual | None, asset: AssetActual, expected: list[tuple[str, str, str]]
) -> None:
    assert _steps(make_plan(DESIRED, _actual(server, asset))) == expected


def test_missing_asset_is_downloaded_first_with_its_size() -> None:
    plan = make_plan(DESIRED, _actual(None, None))
    assert [s.action for s in plan.steps] == [Action.DOWNLOAD, Action.DEPLOY]
    assert plan.steps[0].bytes == 1234 and "from http://hub/ner.zip" in plan.steps[0].reason
    assert plan.steps[1].needs == ("Model/ner",)


def test_unpinned_missing_asset_is_reported_not_planned() -> None:
    plan = make_plan(replace(DESIRED, pins={}), _actual(None, None))
    assert [m.ref for m in plan.missing] == ["Model/ner"] and plan.missing[0].servers == ("alpha",)


def test_undeclared_server_is_an_orphan_unless_pruning() -> None:
    other = ServerActual(replace(RUNNING, server="old"), True, HEALTHY)
    actual = Actual(
        {"alpha": ServerActual(RUNNING, True, HEALTHY), "old": other}, {"Model/ner": INSTALLED}, "s"
    )
    assert make_plan(DESIRED, actual).orphans == ("old",)
    assert _steps(make_plan(DESIRED, actual, prune=True)) == [
        ("prune", "Server/old", "no manifest declares it any more")
    ]


def test_changes_name_what_changed() -> None:
    before = {"Rule/height": "1", "Project/a": "1", "Model/x": "1"}
    after = {"Rule/height": "2", "Project/a": "1", "Rule/weight": "1"}
    assert changes(before, after) == ["model `x` removed", "rule `height` changed", "rule `weight` added"]
    assert changes(before, before) == []


def test_plan_json_round_trip_and_staleness() -> None:
    source = Source(("/work/repo",), "/work/repo", "/work/alabctl.lock", {"sites": ["a", "b"], "n": 1.5})
    plan = make_plan(DESIRED, _actual(None, None), source=source)
    text = json.dumps(plan.to_json())
    assert Plan.from_json(json.loads(text)) == plan
    assert plan.to_json()["inputs"]["values"] == {"sites": ["a", "b"], "n": 1.5}
    assert staleness(plan, "inputs", "state") == []
    assert len(staleness(plan, "other", "changed")) == 2
    with pytest.raises(PermanentError):
        Plan.from_json({**plan.to_json(), "schemaVersion": 99})
    with pytest.raises(PermanentError):  # version 1 kept relative paths and no template values
        Plan.from_json({**plan.to_json(), "schemaVersion": 1})
    relative = {**plan.to_json(), "inputs": {**source.to_json(), "paths": ["repo/"]}}
    with pytest.raises(ValueError, match="absolute"):
        Plan.from_json(relative)


def test_desired_state_round_trips_and_a_rule_changes_only_its_servers(tmp_path: Path) -> None:
    from tests.reconcile.conftest import HEIGHT, PROJECTS, WEIGHT

    (tmp_path / "rules.yaml").write_text(HEIGHT + "---\n" + WEIGHT)
    (tmp_path / "projects.yaml").write_text(PROJECTS)

    def state() -> DesiredState:
        repo = load_repository([str(tmp_path)], cwd=tmp_path).repository
        files = compile_repository(repo, read_dictionaries(repo)).files
        return desired_state(files["manifest.json"], repo)

    first = state()
    assert DesiredState.from_json(json.loads(json.dumps(first.to_json()))) == first
    assert set(first.servers) == {"alpha", "beta"}
    assert "rules/height.json" in first.servers["alpha"].files
    (tmp_path / "rules.yaml").write_text(HEIGHT.replace("50", "40") + "---\n" + WEIGHT)
    second = state()
    assert second.servers["alpha"].digest != first.servers["alpha"].digest
    assert second.servers["beta"].digest == first.servers["beta"].digest
    with pytest.raises(PermanentError):
        DesiredState.from_json({**first.to_json(), "schemaVersion": 0})


def test_apply_dry_run_is_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from alabctl.cli.main import main
    from tests.reconcile.conftest import HEIGHT, PROJECTS, WEIGHT

    monkeypatch.setenv("ALABCTL_HOME", str(tmp_path / "home"))
    (tmp_path / "rules.yaml").write_text(HEIGHT + "---\n" + WEIGHT)
    (tmp_path / "projects.yaml").write_text(PROJECTS)
    assert main(["apply", "-f", str(tmp_path), "--dry-run"]) == 2
    out = capsys.readouterr().out
    assert "deploy     server/alpha: new server" in out and "Plan: 2 to deploy" in out
    assert not (tmp_path / "home" / "deploy").exists()
