"""A hostile Models Hub on 127.0.0.1: names that climb out, stalls, unsized and expanding archives.

Every test builds the hostile hub in a tmp folder and checks that nothing was written outside the
store (``home``), that the asset is marked failed, and that no partial download is left behind.
"""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from pathlib import Path

import pytest

from alabctl.assets.download import RetryPolicy
from alabctl.assets.home import Home
from alabctl.assets.hub import HubClient, url_problem
from alabctl.assets.pull import Puller, PullOptions, Target
from alabctl.assets.store import Status, Store
from alabctl.cli.main import main
from alabctl.spec import readfile
from alabctl.spec.errors import PermanentError, TransientError, UserError
from alabctl.spec.lock import AssetType
from alabctl.spec.readfile import FileKind
from tests.assets.hubserver import HubServer, index_line, iso, publish, spark_model_zip


def _puller(hub: HubServer, tmp: Path, *, timeout: float = 5.0, free: int = 10**12) -> Puller:
    home = Home(tmp / "home")
    client = HubClient(hub.url, cache_dir=home.hub_cache, timeout=timeout, attempts=2, base_delay=0.01)
    options = PullOptions(
        lib_version=(5, 5, 1),
        spark_version=(3, 5, 1),
        retry=RetryPolicy(attempts=2, base_delay=0.01),
        free_space=lambda _: free,
    )
    return Puller(home, client, Store(home.db), options)


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def _outside(tmp: Path, before: set[Path]) -> set[Path]:
    """Everything created under ``tmp`` outside the store and the hub's own folder."""
    return {
        p
        for p in _files(tmp) - before
        if not p.is_relative_to(tmp / "home") and not p.is_relative_to(tmp / "hub")
    }


@pytest.mark.parametrize(
    "dependency",
    ["../../../../escaped/DEP", "/tmp/alabctl-absolute-DEP", "a/../../b", ".hidden", "x\x00y"],
)
def test_dependency_names_that_leave_the_store_are_refused(
    hub: HubServer, tmp_path: Path, dependency: str
) -> None:
    publish(
        hub.state.root,
        "public/models",
        "ner_dl",
        spark_model_zip(storage_ref=None),
        dependencies=[dependency],
    )
    before = _files(tmp_path)
    puller = _puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="not a Spark NLP name") as caught:
        puller.pull([Target("ner_dl")])
    assert "ner_dl" in caught.value.message  # the error names the record
    assert _outside(tmp_path, before) == set()
    assert not Path("/tmp/alabctl-absolute-DEP").exists()
    assert hub.state.gets(".zip") == []  # refused before any download


def test_record_name_that_leaves_the_store_is_refused_even_unzipped(hub: HubServer, tmp_path: Path) -> None:
    folder = hub.state.root / "public/models"
    folder.mkdir(parents=True)
    line = index_line(
        "../../../../outside/x", "en", [4, 4, 0], [3, 0], iso(1_690_000_000_000), isZipped=False
    )
    (folder / "metadata.json").write_text(line + "\n")
    before = _files(tmp_path)
    with pytest.raises(PermanentError, match="not a Spark NLP name"):
        _puller(hub, tmp_path).pull([Target("../../../../outside/x")])
    assert _outside(tmp_path, before) == set()


def test_storage_ref_in_model_metadata_that_leaves_the_store_is_refused(
    hub: HubServer, tmp_path: Path
) -> None:
    publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref="../../../../escaped/emb"))
    before = _files(tmp_path)
    puller = _puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="storageRef"):
        puller.pull([Target("ner_dl")])
    assert _outside(tmp_path, before) == set()
    assert list(puller.home.cache.iterdir()) == []  # the model that named it is not kept


def test_a_symlink_planted_in_the_store_is_not_followed(hub: HubServer, tmp_path: Path) -> None:
    publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref=None))
    puller = _puller(hub, tmp_path)
    key = puller.resolve(Target("ner_dl")).record.key
    (tmp_path / "elsewhere").mkdir()
    (puller.home.cache / key).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PermanentError, match="resolves outside"):
        puller.pull([Target("ner_dl")])
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_server_that_never_answers_fails_clearly_and_leaves_nothing(hub: HubServer, tmp_path: Path) -> None:
    path = publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref=None))
    hub.state.stall.add(path)
    puller = _puller(hub, tmp_path, timeout=0.3)
    with pytest.raises(TransientError, match="failed after 2 attempts"):
        puller.pull([Target("ner_dl")])
    row = puller.store.get("ner_dl", AssetType.MODEL)
    assert row is not None and row.status is Status.FAILED and row.error
    assert list(puller.home.tmp.iterdir()) == []
    assert list(puller.home.cache.iterdir()) == []


def test_an_unreachable_hub_index_is_retried_then_a_clear_error(tmp_path: Path) -> None:
    client = HubClient("http://127.0.0.1:9", timeout=0.3, attempts=3, base_delay=0.01)
    with pytest.raises(TransientError, match="gave up after 3 attempts"):
        client.index("public/models")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://s3.amazonaws.com/auxdata.johnsnowlabs.com", None),
        ("http://127.0.0.1:8080/hub/", None),
        ("HTTPS://[::1]:443", None),
        ("notaurl", "is not a URL (no http:// or https://)"),
        ("127.0.0.1:8080", "is not a URL (no http:// or https://)"),
        ("ftp://host/hub", "is not an http:// or https:// URL"),
        ("file:///srv/hub", "is not an http:// or https:// URL"),
        ("https://", "has no host"),
        ("http:///path", "has no host"),
        ("http://host:99999", "has a port that is not a number from 0 to 65535"),
        ("http://host:port", "has a port that is not a number from 0 to 65535"),
        ("http://exa mple.com", "is not a URL (it has spaces or control characters)"),
        ("http://host/a\tb", "is not a URL (it has spaces or control characters)"),
        ("http://host/\x7f", "is not a URL (it has spaces or control characters)"),
    ],
)
def test_what_makes_a_hub_url_unusable(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_a_url_requests_can_not_use_is_not_retried() -> None:
    client = HubClient("nohost", attempts=5, base_delay=10.0)  # not from hub_url, which refuses it
    with pytest.raises(PermanentError, match="is not a URL the hub can be read at"):
        client.get("nohost/public/models/metadata.json", "public/models")


def test_an_unsized_download_is_bounded_by_the_free_disk(hub: HubServer, tmp_path: Path) -> None:
    data = spark_model_zip(storage_ref=None, payload=os.urandom(3 << 20))
    path = publish(hub.state.root, "public/models", "ner_dl", data)
    hub.state.unsized.add(path)
    # 2 x what may be downloaded + the reserve is all that is free: far less than the 3 MB archive
    puller = _puller(hub, tmp_path, free=(64 << 20) * 2 + 2 * (1 << 20))
    with pytest.raises(PermanentError, match="the most the free disk allows"):
        puller.pull([Target("ner_dl")])
    row = puller.store.get("ner_dl", AssetType.MODEL)
    assert row is not None and row.status is Status.FAILED
    assert list(puller.home.tmp.iterdir()) == [] and list(puller.home.cache.iterdir()) == []


def test_an_unsized_download_that_fits_installs(hub: HubServer, tmp_path: Path) -> None:
    path = publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref=None))
    hub.state.unsized.add(path)
    results = _puller(hub, tmp_path).pull([Target("ner_dl")])
    assert results[0].row.status is Status.READY and results[0].path.is_dir()


def _zeros_archive(entries: int, size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata/part-00000", json.dumps({"class": "x.NerDLModel", "uid": "u"}))
        for i in range(entries):
            zf.writestr(f"fields/part-{i:05d}", b"\0" * size)
    return buf.getvalue()


def test_an_archive_of_many_small_bombs_is_refused(hub: HubServer, tmp_path: Path) -> None:
    data = _zeros_archive(300, 1 << 20)
    assert len(data) < 400_000
    publish(hub.state.root, "public/models", "ner_dl", data)
    puller = _puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="compressed more than"):
        puller.pull([Target("ner_dl")])
    assert sum(p.stat().st_size for p in puller.home.root.rglob("*") if p.is_file()) < 2 << 20
    assert list(puller.home.cache.iterdir()) == [] and list(puller.home.tmp.iterdir()) == []
    row = puller.store.get("ner_dl", AssetType.MODEL)
    assert row is not None and row.status is Status.FAILED


def test_what_an_archive_expands_to_must_fit_twice_on_disk(hub: HubServer, tmp_path: Path) -> None:
    payload = bytes(random.Random(1).choices(b"ab", k=2 << 20))  # about 6:1, under the ratio cap
    data = spark_model_zip(storage_ref=None, payload=payload)
    publish(hub.state.root, "public/models", "ner_dl", data)
    # the compressed size fits the 2x rule; what it expands to does not
    puller = _puller(hub, tmp_path, free=2 * len(data) + 1000)
    with pytest.raises(UserError, match="not enough free disk space to unpack"):
        puller.pull([Target("ner_dl")])
    assert list(puller.home.cache.iterdir()) == [] and list(puller.home.tmp.iterdir()) == []


@pytest.mark.parametrize(
    "entries",
    [
        {"metadata": b"x", "metadata/part-00000": b"{}"},
        {".": b"x", "metadata/part-00000": b"{}"},
        {"metadata/part-00000": b"{}", "./metadata/part-00000": b"{}"},
    ],
)
def test_archives_with_clashing_or_dot_entries_are_refused(
    hub: HubServer, tmp_path: Path, entries: dict[str, bytes]
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    publish(hub.state.root, "public/models", "ner_dl", buf.getvalue())
    puller = _puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="refusing to unzip"):
        puller.pull([Target("ner_dl")])
    assert list(puller.home.cache.iterdir()) == []


def test_a_hub_index_over_its_cap_is_refused_while_streaming(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(readfile.LIMITS, FileKind.HUB_INDEX, 64 << 10)
    folder = hub.state.root / "public/models"
    folder.mkdir(parents=True)
    line = index_line("ner_dl", "en", [4, 4, 0], [3, 0], iso(1_690_000_000_000))
    (folder / "metadata.json").write_text((line + "\n") * 2000)
    with pytest.raises(UserError, match="hub index cap of 64 KiB"):
        _puller(hub, tmp_path).pull([Target("ner_dl")])


def test_a_deeply_nested_hub_index_line_is_an_error(hub: HubServer, tmp_path: Path) -> None:
    folder = hub.state.root / "public/models"
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(PermanentError, match=r"metadata\.json:1"):
        _puller(hub, tmp_path).pull([Target("ner_dl")])


def test_hub_pull_of_a_hostile_index_is_exit_1_and_writes_nothing_outside(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(
        hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref=None), dependencies=["../../x"]
    )
    before = _files(tmp_path)
    code = main(["hub", "pull", "ner_dl", "--hub", hub.url, "--home", str(tmp_path / "home")])
    err = capsys.readouterr().err
    assert code == 1 and "'../../x' is not a Spark NLP name" in err and "ner_dl" in err
    assert _outside(tmp_path, before) == set()


def test_hub_pull_from_a_stalled_hub_is_exit_1(
    hub: HubServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.state.stall.add("/public/models/metadata.json")
    client_init = HubClient.__init__

    def quick(self: HubClient, url: str, **kwargs: object) -> None:
        kwargs.update(timeout=0.3, base_delay=0.01)
        client_init(self, url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(HubClient, "__init__", quick)
    code = main(["hub", "pull", "ner_dl", "--hub", hub.url, "--home", str(tmp_path / "home"), "--refresh"])
    err = capsys.readouterr().err
    assert code == 1 and "gave up after 4 attempts" in err and "internal error" not in err
