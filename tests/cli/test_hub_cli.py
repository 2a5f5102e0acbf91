"""The hub commands end to end: a real hub on loopback, a real store in tmp, the real CLI."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alabctl.assets.store import Store
from alabctl.cli.main import main
from tests.assets.hubserver import (
    HubServer,
    embeddings_zip,
    interrupted,
    license_json,
    publish,
    serving,
    spark_model_zip,
)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    with serving(tmp_path / "hub") as server:
        root = server.state.root
        publish(root, "public/models", "ner_dl", spark_model_zip(), labels=["PER", "LOC"], task="ner")
        publish(root, "public/models", "ner_dl", spark_model_zip(), lib=[3, 0, 0], time_ms=1_500_000_000_000)
        publish(
            root,
            "public/models",
            "glove_100d",
            embeddings_zip(),
            millis=False,
            annotator="WordEmbeddingsModel",
        )
        publish(
            root, "clinical/models", "ner_clinical", spark_model_zip(storage_ref="glove_100d"), task="ner"
        )
        yield server


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _lock_args(repo: Path, lockfile: Path, hub: HubServer, home: Path) -> list[str]:
    """``alabctl lock`` of ``repo`` into ``lockfile`` from the test hub, with its own store."""
    return ["lock", "-f", str(repo), "--lockfile", str(lockfile), "--hub", hub.url, "--home", str(home)]


def test_pull_then_get_models(hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    code, out, _ = _run(capsys, "hub", "pull", "ner_dl", "--hub", hub.url, "--home", home)
    assert code == 0, out
    assert "model ner_dl ner_dl_en_4.4.0_3.0_1690000000000 downloaded ->" in out
    assert "embeddings glove_100d" in out and str(tmp_path / "home" / "cache") in out
    code, out, _ = _run(capsys, "get", "models", "--home", home)
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("ner_dl"))
    assert "hub" in line and "ready" in line and "PER,LOC" in line and " B " in line
    assert "disk: store" in out and "free" in out
    code, out, _ = _run(capsys, "get", "embeddings", "--home", home, "-o", "json")
    [emb] = json.loads(out)
    assert (emb["name"], emb["source"], emb["status"]) == ("glove_100d", "hub", "ready")
    assert emb["size"] > 0


def test_search_table(hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "hub", "search", "ner", "--hub", hub.url, "--home", str(tmp_path / "h"))
    assert code == 0
    assert out.splitlines()[0].split() == ["NAME", "LANGUAGE", "EDITION", "TASK", "VERSIONS", "DATE"]
    assert out.splitlines()[1].split()[:5] == ["ner_dl", "en", "opensource", "ner", "3.0.0,4.4.0"]
    assert "glove_100d" not in out


def test_licensed_pull_needs_and_uses_license(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pull = ("hub", "pull", "ner_clinical", "--repository", "clinical/models", "--hub", hub.url)
    home = str(tmp_path / "home")
    code, _, err = _run(capsys, *pull, "--home", home)
    assert code == 1 and "licensed hub folder" in err and "Traceback" not in err
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "license.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: License\nmetadata: {name: jsl}\nspec: {fromEnv: JSL_LICENSE}\n"
    )
    monkeypatch.setenv("JSL_LICENSE", license_json())
    code, out, err = _run(capsys, *pull, "--home", home, "-f", str(manifests))
    assert code == 0, err
    assert "ner_clinical" in out and "glove_100d" in out
    assert "test-secret" not in out + err and "AKIDTEST" not in out + err


def test_lock_twice_identical(hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Model\nmetadata: {name: ner_dl}\nspec: {task: ner, embeddings: glove_100d}\n"
    )
    lockfile = tmp_path / "alabctl.lock"
    args = _lock_args(repo, lockfile, hub, tmp_path / "h")
    code, out, _ = _run(capsys, *args)
    assert code == 0 and "2 assets, updated" in out
    first = lockfile.read_bytes()
    code, out, _ = _run(capsys, *args)
    assert code == 0 and "unchanged" in out
    assert lockfile.read_bytes() == first
    assert b"name: glove_100d" in first and b"dependencies: [glove_100d]" in first


def test_describe_delete_refused_while_used(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    assert _run(capsys, "hub", "pull", "ner_dl", "--hub", hub.url, "--home", str(home))[0] == 0
    Store(home / "alabctl.db").set_server_assets("clinical", ["ner_dl"])
    code, out, _ = _run(capsys, "describe", "model", "ner_dl", "--home", str(home))
    assert code == 0 and "servers:" in out and "clinical" in out
    code, _, err = _run(capsys, "delete", "model", "ner_dl", "--home", str(home))
    assert code == 1 and "the model 'ner_dl' is needed by the server clinical; nothing was deleted" in err
    assert "first stop the server clinical ('alabctl down clinical'); or pass --force" in err
    key = next(p for p in (home / "cache").iterdir() if p.name.startswith("ner_dl"))
    assert key.exists()
    code, _, _ = _run(capsys, "delete", "model", "ner_dl", "--home", str(home), "--force")
    assert code == 0 and not key.exists()
    code, out, _ = _run(capsys, "get", "models", "--home", str(home), "-o", "json")
    assert json.loads(out) == []


def test_redownload_failed(hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    hub.state.corrupt.add("/public/models/glove_100d_en_4.4.0_3.0_1690000000000.zip")
    code, _, err = _run(capsys, "hub", "pull", "glove_100d", "--hub", hub.url, "--home", home)
    # no checksum in the index: the corrupt zip is caught by the unzip
    assert code == 1 and "Traceback" not in err
    _, out, _ = _run(capsys, "get", "embeddings", "--home", home, "-o", "json")
    assert json.loads(out)[0]["status"] == "failed"
    hub.state.corrupt.clear()
    code, out, _ = _run(capsys, "hub", "redownload", "glove_100d", "--hub", hub.url, "--home", home)
    assert code == 0, out
    _, out, _ = _run(capsys, "get", "embeddings", "--home", home, "-o", "json")
    assert json.loads(out)[0]["status"] == "ready"


def _upload(capsys: pytest.CaptureFixture[str], archive: Path, *options: str) -> tuple[int, str, str]:
    return _run(capsys, "models", "upload", str(archive), "--name", "my_ner", "--task", "ner", *options)


def test_upload_prints_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "my_ner.zip"
    archive.write_bytes(spark_model_zip(storage_ref="glove_100d", top="my_ner/"))
    home = ("--home", str(tmp_path / "home"))
    code, _, err = _upload(capsys, archive, "--labels", "", *home)
    assert code == 1 and "labels" in err
    code, _, err = _upload(capsys, archive, "--labels", "A,B", "--embeddings", "bert", *home)
    assert code == 1 and "trained with the embeddings 'glove_100d'" in err
    assert not list((tmp_path / "home" / "cache").iterdir())
    code, out, _ = _upload(capsys, archive, "--labels", "A,B", *home)
    assert code == 0
    assert "kind: Model" in out and "labels: [A, B]" in out and "embeddings: glove_100d" in out
    _, out, _ = _run(capsys, "get", "models", *home, "-o", "json")
    [row] = json.loads(out)
    assert (row["source"], row["labels"], row["status"]) == ("upload", ["A", "B"], "ready")


def test_upload_refuses_what_is_not_a_spark_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "not_a_model"
    (folder / "fields").mkdir(parents=True)
    (folder / "fields" / "weights").write_bytes(b"w")
    code, _, err = _upload(capsys, folder, "--labels", "A", "--home", str(tmp_path / "home"))
    assert code == 1 and "metadata/part-00000" in err and "Traceback" not in err
    (folder / "metadata").mkdir()
    (folder / "metadata" / "part-00000").write_text("not json\n")
    code, _, err = _upload(capsys, folder, "--labels", "A", "--home", str(tmp_path / "home"))
    assert code == 1 and "not JSON" in err and "Traceback" not in err


@pytest.mark.parametrize("inside", [True, False])
def test_the_uploaded_models_manifest_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, inside: bool
) -> None:
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    archive = (repo / "models" if inside else tmp_path) / "My_NER.zip"
    archive.write_bytes(spark_model_zip(storage_ref="glove_100d"))
    monkeypatch.chdir(repo)
    argv = ["models", "upload", str(archive), "--name", "My_NER", "--task", "ner", "--labels", "PER"]
    code, out, _ = _run(capsys, *argv, "--home", str(tmp_path / "home"))
    assert code == 0 and "name: my_ner" in out
    if not inside:
        assert "copy it to models/My_NER.zip" in out
        (repo / "models" / "My_NER.zip").write_bytes(archive.read_bytes())
    (repo / "my_ner.yaml").write_text(out)  # what the tool says to commit, as it is
    code, out, _ = _run(capsys, "validate", "-f", ".", "-o", "json", "--no-cache")
    assert code == 0, out
    assert [d["code"] for d in json.loads(out)["diagnostics"] if d["severity"] == "error"] == []


def test_delete_refuses_what_an_installed_model_or_a_manifest_server_needs(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ("--home", str(tmp_path / "home"))
    assert _run(capsys, "hub", "pull", "ner_dl", "--hub", hub.url, *home)[0] == 0
    code, _, err = _run(capsys, "delete", "embeddings", "glove_100d", *home)
    assert code == 1
    assert "the embeddings 'glove_100d' are needed by the installed model ner_dl; nothing was deleted" in err
    assert (
        "first delete the model ner_dl that needs it ('alabctl delete model ner_dl'); or pass --force" in err
    )
    assert "projects" not in err
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "p.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Project\nmetadata: {name: news}\n"
        "spec: {server: newsroom, ner: {models: [{model: ner_dl, labels: [PER]}]}}\n"
    )
    code, _, err = _run(capsys, "delete", "model", "ner_dl", "-f", str(repo), *home)
    assert code == 1 and "needed by the server newsroom of the manifests" in err
    assert "first change the manifests so the server newsroom no longer loads it; or pass --force" in err
    code, _, err = _run(capsys, "delete", "embeddings", "glove_100d", "-f", str(repo), *home)
    assert code == 1
    assert "needed by the installed model ner_dl and the server newsroom of the manifests" in err
    assert "first delete the model ner_dl that needs it ('alabctl delete model ner_dl') and change" in err
    _, out, _ = _run(capsys, "get", "models", *home, "-o", "json")
    assert [r["status"] for r in json.loads(out)] == ["ready"]
    assert _run(capsys, "delete", "models", "ner_dl", *home)[0] == 0  # no manifests named, no server recorded
    assert _run(capsys, "delete", "embeddings", "glove_100d", *home)[0] == 0  # its model is gone


@pytest.mark.parametrize("what", ["model", "models", "embedding", "embeddings"])
def test_asset_types_are_singular_or_plural(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    home = ("--home", str(tmp_path / "home"))
    assert _run(capsys, "hub", "pull", "ner_dl", "--hub", hub.url, *home)[0] == 0
    name = "glove_100d" if what.startswith("embedding") else "ner_dl"
    code, out, _ = _run(capsys, "get", what, *home, "-o", "json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == [name]
    code, out, _ = _run(capsys, "describe", what, name, *home)
    assert code == 0 and f"name:           {name}" in out
    code, out, _ = _run(capsys, "delete", what, name, *home, "--force")
    assert code == 0 and f"deleted {'embeddings' if name == 'glove_100d' else 'model'} {name}" in out


def test_search_by_edition_looks_in_the_editions_folders(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "license.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: License\nmetadata: {name: jsl}\nspec: {fromEnv: JSL_LICENSE}\n"
    )
    monkeypatch.setenv("JSL_LICENSE", license_json())
    search = ("hub", "search", "clinical", "--edition", "healthcare", "--task", "ner", "--compatible")
    code, out, err = _run(
        capsys, *search, "--hub", hub.url, "--home", str(tmp_path / "h"), "-f", str(manifests)
    )
    assert code == 0, err
    assert out.splitlines()[1].split()[:4] == ["ner_clinical", "en", "healthcare", "ner"]


def test_downloads_show_their_size_and_the_lock_is_world_readable(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # glove_100d's index record has no size: the HEAD the 2 x rule asks is what is shown
    code, out, _ = _run(capsys, "hub", "pull", "ner_dl", "--hub", hub.url, "--home", str(tmp_path / "h"))
    assert code == 0 and "(?)" not in out
    assert re.search(r"glove_100d: downloading \S+ \(\d+ B\)", out)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Model\nmetadata: {name: ner_dl}\nspec: {task: ner, embeddings: glove_100d}\n"
    )
    lockfile = tmp_path / "alabctl.lock"
    argv = _lock_args(repo, lockfile, hub, tmp_path / "h")
    assert _run(capsys, *argv)[0] == 0
    assert stat.S_IMODE(lockfile.stat().st_mode) == 0o644


def test_several_names_pull_at_once_in_one_command(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = hub.state.root
    for name in ("ner_a", "ner_b", "ner_c"):
        publish(root, "public/models", name, spark_model_zip(storage_ref=None, uid=f"NerDLModel_{name}"))
    home = str(tmp_path / "home")
    argv = ["hub", "pull", "ner_a", "ner_b", "ner_c", "ner_a", "--workers", "3", "--hub", hub.url]
    code, out, err = _run(capsys, *argv, "--home", home)
    assert code == 0, err
    downloaded = re.findall(r"^model (ner_[abc]) \S+ downloaded -> ", out, re.MULTILINE)
    assert sorted(downloaded) == ["ner_a", "ner_b", "ner_c"], out
    assert len(hub.state.gets("ner_a_en_4.4.0_3.0_1690000000000.zip")) == 1, "a repeated name is pulled once"
    rows = {row.name: row.status for row in Store(Path(home) / "alabctl.db").rows()}
    assert rows == {"ner_a": "ready", "ner_b": "ready", "ner_c": "ready"}


def test_pull_workers_must_be_at_least_one(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "hub", "pull", "ner_dl", "--workers", "0", "--hub", hub.url)
    assert code == 2 and "at least 1" in err and not hub.state.gets(".zip")


def _license_manifest(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "license.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: License\nmetadata: {name: jsl}\nspec: {fromEnv: MY_JSL}\n"
    )
    return folder


@pytest.mark.parametrize(
    ("license_text", "reason"),
    [
        (None, "the license environment variable MY_JSL is not set"),
        ('{"SPARK_NLP_LICENSE": "x"}', "has no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"),
    ],
    ids=["unset", "without-aws-keys"],
)
def test_an_unusable_license_stops_only_licensed_folders(
    hub: HubServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    license_text: str | None,
    reason: str,
) -> None:
    if license_text is None:
        monkeypatch.delenv("MY_JSL", raising=False)
    else:
        monkeypatch.setenv("MY_JSL", license_text)
    repo = _license_manifest(tmp_path / "repo")
    (repo / "m.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Model\nmetadata: {name: ner_dl}\nspec: {task: ner, embeddings: glove_100d}\n"
    )
    where = ("--hub", hub.url, "--home", str(tmp_path / "home"), "-f", str(repo))
    code, out, err = _run(capsys, "hub", "search", "ner", *where)
    assert code == 0, err
    assert out.splitlines()[1].split()[0] == "ner_dl"
    code, out, err = _run(capsys, "hub", "pull", "ner_dl", *where)
    assert code == 0, err
    assert "model ner_dl" in out and "embeddings glove_100d" in out
    lockfile = tmp_path / "alabctl.lock"
    code, out, err = _run(capsys, "lock", *where, "--lockfile", str(lockfile))
    assert code == 0, err
    assert b"name: ner_dl" in lockfile.read_bytes()
    # the license is read when a licensed folder is asked for, and the error names that folder
    code, _, err = _run(capsys, "hub", "pull", "ner_clinical", "--repository", "clinical/models", *where)
    assert code == 1 and "Traceback" not in err
    assert "'clinical/models' is a licensed hub folder and its license can not be used" in err
    assert reason in err
    assert not hub.state.gets("/clinical/models/metadata.json"), "nothing is asked for unsigned"


def test_the_examples_license_does_not_stop_public_searches_and_pulls(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # examples/licenses/demo-license.json is a well-formed license without AWS keys
    monkeypatch.delenv("JSL_LICENSE", raising=False)
    examples = str(Path(__file__).parents[2] / "examples")
    where = ("--hub", hub.url, "--home", str(tmp_path / "home"), "-f", examples)
    code, out, err = _run(capsys, "hub", "search", "ner", *where)
    assert code == 0, err
    assert "ner_dl" in out
    code, out, err = _run(capsys, "hub", "pull", "ner_dl", *where)
    assert code == 0, err
    assert "model ner_dl" in out


def test_several_licenses_need_a_choice_only_for_licensed_folders(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_JSL", license_json())
    repo = _license_manifest(tmp_path / "repo")
    (repo / "other.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: License\nmetadata: {name: other}\nspec: {fromEnv: OTHER_JSL}\n"
    )
    where = ("--hub", hub.url, "--home", str(tmp_path / "home"), "-f", str(repo))
    assert _run(capsys, "hub", "pull", "ner_dl", *where)[0] == 0
    licensed = ("hub", "pull", "ner_clinical", "--repository", "clinical/models", *where)
    code, _, err = _run(capsys, *licensed)
    assert code == 1 and "several License manifests (jsl, other)" in err and "--license NAME" in err
    code, out, err = _run(capsys, *licensed, "--license", "jsl")
    assert code == 0, err
    assert "model ner_clinical" in out
    code, _, err = _run(capsys, *licensed, "--license", "nope")
    assert code == 1 and "no License manifest named 'nope'" in err


def test_pull_says_why_nothing_fits(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--hub", hub.url, "--home", str(tmp_path / "home"))
    code, _, err = _run(capsys, "hub", "pull", "ner_dl", "--language", "fr", *where)
    assert code == 1
    assert "can not find ner_dl (fr) to download: public/models has ner_dl only in en" in err
    assert "--language en" in err and "Spark" not in err
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "hub.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Hub\nmetadata: {name: old}\n"
        'spec: {sparkNlpVersion: "2.7.0", sparkVersion: "3.0"}\n'
    )
    code, _, err = _run(capsys, "hub", "pull", "ner_dl", *where, "-f", str(repo))
    assert code == 1
    assert (
        "public/models has ner_dl (en) only for Spark NLP 4.4.0 / Spark 3.0, Spark NLP 3.0.0 / Spark 3.0; "
        "none fits Spark NLP 2.7.0 / Spark 3.0, the versions in use"
    ) in err
    assert "sparkNlpVersion / sparkVersion" in err
    code, _, err = _run(capsys, "hub", "pull", "ner_dlx", *where)
    assert code == 1 and "public/models has nothing named 'ner_dlx'" in err
    assert "'alabctl hub search ner_dlx'" in err
    assert not list((tmp_path / "home" / "cache").iterdir())


def test_lock_says_why_nothing_fits(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Model\nmetadata: {name: ner_dl}\n"
        "spec: {task: ner, source: {hub: {language: fr}}}\n"
    )
    lockfile = tmp_path / "alabctl.lock"
    argv = _lock_args(repo, lockfile, hub, tmp_path / "h")
    code, _, err = _run(capsys, *argv)
    assert code == 1 and not lockfile.exists()
    assert "can not find ner_dl (fr) to lock: public/models has ner_dl only in en" in err
    assert "language: en" in err


@pytest.mark.parametrize("url", ["notaurl", "ftp://host/hub", "https://", "http://host:port"])
@pytest.mark.parametrize("command", ["search", "pull", "lock"])
def test_a_bad_hub_url_is_a_usage_error_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, command: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Model\nmetadata: {name: ner_dl}\nspec: {task: ner}\n"
    )
    argv = {
        "search": ["hub", "search", "ner"],
        "pull": ["hub", "pull", "ner_dl"],
        "lock": ["lock", "-f", str(repo), "--lockfile", str(tmp_path / "alabctl.lock")],
    }[command]
    code, _, err = _run(capsys, *argv, "--hub", url, "--home", str(tmp_path / "home"))
    assert code == 2, err
    assert f"alabctl: error: --hub {url}: " in err
    assert "e.g. --hub https://s3.amazonaws.com/auxdata.johnsnowlabs.com" in err
    assert "attempts" not in err and not (tmp_path / "alabctl.lock").exists()


def test_a_bad_hub_url_in_the_environment_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALABCTL_HUB_URL", "notaurl")
    code, _, err = _run(capsys, "hub", "search", "ner", "--home", str(tmp_path / "home"))
    assert code == 2
    assert "$ALABCTL_HUB_URL is notaurl, which is not a URL (no http:// or https://)" in err
    assert "or unset it" in err


@pytest.mark.parametrize(
    ("url", "problem"),
    [("file:///srv/hub", "is not an http:// or https:// URL"), ("https://:8080", "has no host")],
)
def test_a_hub_manifest_url_the_hub_can_not_be_read_at_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, problem: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "hub.yaml").write_text(
        f"apiVersion: alabctl/v1\nkind: Hub\nmetadata: {{name: h}}\nspec:\n  url: {url}\n"
    )
    code, _, err = _run(capsys, "hub", "search", "ner", "-f", str(repo), "--home", str(tmp_path / "home"))
    assert code == 1
    assert f"{repo / 'hub.yaml'}:5:8: the Hub manifest is not valid: invalid value for 'url'" in err
    assert f"'{url}' {problem}" in err
    code, out, _ = _run(capsys, "validate", "-f", str(repo))
    assert code == 1 and "error[ALB106]: invalid value for 'url'" in out and problem in out


def test_describe_and_delete_name_the_kind_a_name_is_installed_as(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = ("--home", str(tmp_path / "home"))
    assert _run(capsys, "hub", "pull", "ner_dl", "--hub", hub.url, *home)[0] == 0
    code, _, err = _run(capsys, "describe", "model", "glove_100d", *home)
    assert code == 1
    assert "no model named 'glove_100d' in the store: 'glove_100d' is installed as embeddings" in err
    assert "use 'alabctl describe embeddings glove_100d'" in err
    code, _, err = _run(capsys, "delete", "embedding", "ner_dl", *home)
    assert code == 1 and "use 'alabctl delete model ner_dl'" in err
    code, _, err = _run(capsys, "describe", "models", "nothing", *home)
    assert code == 1 and "no model named 'nothing' in the store" in err and "see 'alabctl get models'" in err
    _, out, _ = _run(capsys, "get", "models", *home, "-o", "json")
    assert [r["name"] for r in json.loads(out)] == ["ner_dl"]


def test_an_invalid_hub_manifest_is_refused_not_replaced_by_another_hub(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    hub_doc = "apiVersion: alabctl/v1\nkind: Hub\nmetadata: {name: h}\nspec:\n  url: %s\n"
    bad_model = "apiVersion: alabctl/v1\nkind: Model\nmetadata: {name: m}\nspec: {task: nonsense}\n"
    (repo / "all.yaml").write_text(bad_model + "---\n" + hub_doc % "notaurl")
    home = ("--home", str(tmp_path / "home"))
    code, _, err = _run(capsys, "hub", "search", "ner", "-f", str(repo), *home)
    assert code == 1
    assert f"{repo / 'all.yaml'}:10:8: the Hub manifest is not valid: invalid value for 'url'" in err
    assert "'notaurl' is not a URL (no http:// or https://): a hub is read over http(s)" in err
    # an error in another document does not stop the hub commands; the Hub manifest's URL is used
    (repo / "all.yaml").write_text(bad_model + "---\n" + hub_doc % hub.url)
    code, out, err = _run(capsys, "hub", "search", "ner", "-f", str(repo), *home)
    assert code == 0, err
    assert "ner_dl" in out and hub.state.gets("/public/models/metadata.json")


def test_ctrl_c_stops_every_download_at_once_and_the_next_pull_resumes(tmp_path: Path) -> None:
    """Interrupted while two models stream: exit 130 at once, nothing installed, each ``.part``
    kept; the next pull asks only for the rest of each (``Range``) and installs both."""
    with serving(tmp_path / "hub") as hub:
        paths = [
            publish(
                hub.state.root,
                "public/models",
                name,
                spark_model_zip(storage_ref=None, payload=os.urandom(6 << 20)),
            )
            for name in ("slow_a", "slow_b")
        ]
        hub.state.slow.update(paths)
        home = tmp_path / "home"
        command = [
            sys.executable,
            "-m",
            "alabctl",
            "hub",
            "pull",
            "slow_a",
            "slow_b",
            "--hub",
            hub.url,
            "--home",
            str(home),
        ]
        code, out, err, seconds = interrupted(command, hub, ".zip", 2)
        assert seconds < 2  # each archive alone would take 5 s more
        assert code == 130 and "alabctl: interrupted" in err and "installed" not in out
        assert list((home / "cache").iterdir()) == []
        held = {p.name: p.stat().st_size for p in (home / "tmp").iterdir() if p.name.endswith(".part")}
        assert len(held) == 2 and all(size > 0 for size in held.values())
        rows = {(r.name, r.status.value, r.error) for r in Store(home / "alabctl.db").rows()}
        why = "interrupted; pull again to resume"
        assert rows == {("slow_a", "failed", why), ("slow_b", "failed", why)}

        hub.state.slow.clear()
        hub.state.requests.clear()
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        ranges = sorted(h.get("Range", "") for h in hub.state.gets(".zip"))
        assert ranges == sorted(f"bytes={size}-" for size in held.values())
        assert len(list((home / "cache").iterdir())) == 2
