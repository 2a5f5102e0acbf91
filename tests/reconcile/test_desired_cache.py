"""The cached desired state a no-op plan replays: signed like every cache, never trusted when forged."""

from __future__ import annotations

import json
import os
from pathlib import Path

from alabctl import api
from alabctl.spec.cache import default_cache_dir


def _plan(repo: Path, home: Path) -> api.PlanReport:
    return api.plan(api.Inputs([str(repo)], cwd=repo), home=home)


def _steps(report: api.PlanReport) -> list[tuple[str, str, str]]:
    assert report.plan is not None
    return [(str(s.action), s.kind, s.name) for s in report.plan.steps]


def test_a_replayed_plan_reads_the_signed_desired_state(rule_repo: Path, home: Path) -> None:
    first = _plan(rule_repo, home)
    cached = list((default_cache_dir() / "desired").glob("*.json"))
    assert len(cached) == 1
    header = json.loads(cached[0].read_bytes().split(b"\n", 1)[0])
    assert set(header) >= {"mac", "kind", "version"}  # signed, not plain JSON

    again = _plan(rule_repo, home)
    assert again.validation.replayed
    assert _steps(again) == _steps(first) != []
    assert again.labelstudio is None  # no project has a labelStudio block: no Label Studio is asked


def test_a_forged_desired_state_is_ignored(rule_repo: Path, home: Path) -> None:
    first = _plan(rule_repo, home)
    (cached,) = (default_cache_dir() / "desired").glob("*.json")
    forged = first.desired
    assert forged is not None
    data = forged.state.to_json()
    data["resources"], data["servers"] = [], []  # what a forger wants: nothing to deploy
    cached.write_text(json.dumps({"state": data, "labelStudio": False}))
    os.utime(cached)

    again = _plan(rule_repo, home)
    assert again.validation.replayed
    assert _steps(again) == _steps(first)
