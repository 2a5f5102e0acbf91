"""``alabctl apply`` end to end: real pre-annotation servers (``alabctl serve``) and a real Label Studio."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from alabctl.reconcile.labelstudio import Connection, LabelStudioClient
from tests.labelstudio.server import RunningLabelStudio
from tests.reconcile.conftest import HEIGHT, PROJECTS, WEIGHT, Cli, edit, stop_everything

pytestmark = pytest.mark.labelstudio

INSTANCE = """\
apiVersion: alabctl/v1
kind: LabelStudio
metadata: {{name: local}}
spec:
  url: {url}
  token: {{fromEnv: LS_E2E_TOKEN}}
"""

NOTES = (
    '{"text": "He is 5\'11 and weighs 80 kg."}\n'
    '{"text": "She is 5\'4 tall."}\n'
    '{"text": "No measurements today."}\n'
)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "home"
    where.mkdir()
    try:
        yield where
    finally:
        stop_everything(where)


def _with_label_studio(projects: str, run: str) -> str:
    out = projects
    for name in ("heights", "weights"):
        block = f"metadata: {{name: {name}}}\nspec:\n"
        assert block in out
        out = out.replace(
            block,
            block
            + f"  labelStudio:\n    instance: local\n    title: {name} {run}\n    tasks: [tasks/notes.jsonl]\n",
        )
    return out


def _predictions(client: LabelStudioClient, project_id: int) -> dict[str, tuple[set[str], list[str]]]:
    out = {}
    for task in client.tasks(project_id, full=True):
        versions = {p["model_version"] for p in task["predictions"]}
        spans = sorted(r["value"]["text"] for p in task["predictions"] for r in p["result"] if "value" in r)
        out[task["data"]["text"]] = (versions, spans)
    return out


def test_apply_connects_imports_predicts_and_repredicts_after_a_rule_edit(
    labelstudio: RunningLabelStudio, home: Path, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    (repo / "tasks").mkdir()
    (repo / "rules" / "height.yaml").write_text(HEIGHT)
    (repo / "rules" / "weight.yaml").write_text(WEIGHT)
    (repo / "projects.yaml").write_text(_with_label_studio(PROJECTS, run))
    (repo / "labelstudio.yaml").write_text(INSTANCE.format(url=labelstudio.url))
    (repo / "tasks" / "notes.jsonl").write_text(NOTES)
    cli = Cli(home, tmp_path)
    token = {"LS_E2E_TOKEN": labelstudio.token}

    planned = cli.run("plan", "-f", str(repo), check=2, **token)
    assert "create     labelstudioproject/heights: no project titled" in planned.stdout
    assert "connect server 'alpha' as the ML backend once it runs" in planned.stdout

    done = cli.run("apply", "-f", str(repo), check=0, **token)
    assert "labelstudioproject/heights created" in done.stdout, done.stdout
    assert "labelstudioproject/weights created" in done.stdout
    listed = Cli(home, tmp_path)
    got = listed.run("get", "projects", "-f", str(repo), "-o", "json", check=0, **token)
    rows = {r["name"]: r for r in json.loads(got.stdout)}
    for name in ("heights", "weights"):
        assert (rows[name]["tasks"], rows[name]["predicted"], rows[name]["backend"]) == (3, 3, "connected")
    client = LabelStudioClient(Connection(labelstudio.url, labelstudio.token))
    try:
        heights = _predictions(client, rows["heights"]["id"])
        assert heights["He is 5'11 and weighs 80 kg."][1] == ["5'11"]
        assert heights["She is 5'4 tall."][1] == ["5'4"]
        version_before = rows["heights"]["model_version"]
        weights_before = _predictions(client, rows["weights"]["id"])

        edit(repo / "rules" / "height.yaml", "[0-7]'", "[0-5]'")  # 5'11 and 5'4 still match; 6'x no more
        replanned = cli.run("plan", "-f", str(repo), check=2, **token)
        assert (
            "predict    labelstudioproject/heights: server 'alpha' is redeployed (because rule `height` changed)"
            in replanned.stdout
        )
        assert "labelstudioproject/weights" not in replanned.stdout
        reapplied = cli.run("apply", "-f", str(repo), check=0, **token)
        assert "labelstudioproject/weights unchanged" in reapplied.stdout
        assert "applied: 2 done, 0 failed, 2 unchanged" in reapplied.stdout, reapplied.stdout
        got = listed.run("get", "projects", "-f", str(repo), "-o", "json", check=0, **token)
        rows = {r["name"]: r for r in json.loads(got.stdout)}
        assert rows["heights"]["model_version"] != version_before
        assert rows["heights"]["predicted"] == 3
        assert _predictions(client, rows["weights"]["id"]) == weights_before, "the other project is untouched"
        quiet = cli.run("plan", "-f", str(repo), check=0, **token)
        assert "Label Studio: 0 project(s) to change, 2 up to date." in quiet.stdout
    finally:
        client.close()
