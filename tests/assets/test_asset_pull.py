"""Pulling from a real hub on loopback: dependencies, checksums, resume, retries, space, races, licenses."""

from __future__ import annotations

import hashlib
import inspect
import random
import threading
from pathlib import Path

import pytest

from alabctl.assets.credentials import AwsCredentials, LicenseKeys, parse_license
from alabctl.assets.download import RetryPolicy
from alabctl.assets.home import Home
from alabctl.assets.hub import HubClient
from alabctl.assets.pull import Puller, PullOptions, Target
from alabctl.assets.store import Source, Status, Store
from alabctl.spec.errors import PermanentError, UserError
from alabctl.spec.lock import AssetType
from tests.assets.hubserver import HubServer, embeddings_zip, license_json, publish, spark_model_zip


def make_puller(hub: HubServer, tmp: Path, licensed: bool = False, **options: object) -> Puller:
    home = Home(tmp / "home")
    client = HubClient(
        hub.url,
        cache_dir=home.hub_cache,
        credentials=parse_license(license_json(), "test") if licensed else None,
    )
    opts = PullOptions(
        lib_version=(5, 5, 1),
        spark_version=(3, 5, 1),
        retry=RetryPolicy(attempts=4, base_delay=0.01),
        free_space=lambda _: 10**12,
    )
    for key, value in options.items():
        setattr(opts, key, value)
    return Puller(home, client, Store(home.db), opts)


def test_model_pulls_its_embeddings(hub: HubServer, tmp_path: Path) -> None:
    root = hub.state.root
    publish(root, "public/models", "ner_dl", spark_model_zip(storage_ref="glove_100d"), labels=["PER", "LOC"])
    publish(root, "public/models", "glove_100d", embeddings_zip(), time_ms=1_600_000_000_000)
    puller = make_puller(hub, tmp_path)
    results = puller.pull([Target("ner_dl")])
    names = [(r.row.name, r.row.type) for r in results]
    assert names == [("ner_dl", AssetType.MODEL), ("glove_100d", AssetType.EMBEDDINGS)]
    model = puller.store.get("ner_dl", AssetType.MODEL)
    assert model is not None and model.status is Status.READY and model.source is Source.HUB
    assert model.storage_ref == "glove_100d" and model.labels == ("PER", "LOC")
    assert (puller.home.asset_dir(model.key) / "metadata" / "part-00000").is_file()
    zipped = (root / "public/models" / f"{model.key}.zip").read_bytes()
    assert model.sha256 == hashlib.sha256(zipped).hexdigest() and model.size == len(zipped)
    emb = puller.store.get("glove_100d", AssetType.EMBEDDINGS)
    assert emb is not None and emb.status is Status.READY
    assert not list(puller.home.tmp.iterdir())
    # a second pull downloads nothing
    before = len(hub.state.gets(".zip"))
    again = puller.pull([Target("ner_dl")])
    assert not any(r.downloaded for r in again)
    assert len(hub.state.gets(".zip")) == before


def test_index_dependencies_come_in_the_same_batch(hub: HubServer, tmp_path: Path) -> None:
    root = hub.state.root
    publish(root, "public/models", "ner_x", spark_model_zip(storage_ref="w2v"), storageRef="w2v")
    publish(root, "public/models", "w2v", embeddings_zip("w2v"), annotator="WordEmbeddingsModel")
    seen: list[str] = []
    probe = lambda _: seen.append(inspect.stack()[1].function) or 10**12  # noqa: E731
    puller = make_puller(hub, tmp_path, free_space=probe)
    puller.pull([Target("ner_x")])
    assert puller.installed("w2v", AssetType.EMBEDDINGS)
    # one batch space check: the dependency was known before downloading (unpacks probe again)
    assert seen.count("_check_space") == 1


def test_checksum_mismatch_installs_nothing(hub: HubServer, tmp_path: Path) -> None:
    publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref=None), checksum="0" * 32)
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="checksum mismatch"):
        puller.pull([Target("ner_dl")])
    assert not list(puller.home.cache.iterdir())
    assert not list(puller.home.tmp.iterdir())
    row = puller.store.get("ner_dl")
    assert row is not None and row.status is Status.FAILED


def test_good_md5_checksum_passes(hub: HubServer, tmp_path: Path) -> None:
    data = spark_model_zip(storage_ref=None)
    md5 = hashlib.md5(data).hexdigest()
    publish(hub.state.root, "public/models", "ner_dl", data, checksum=md5)
    puller = make_puller(hub, tmp_path)
    [result] = puller.pull([Target("ner_dl")])
    assert result.row.status is Status.READY


def test_corrupted_bytes_fail_sha256(hub: HubServer, tmp_path: Path) -> None:
    data = spark_model_zip(storage_ref=None)
    path = publish(hub.state.root, "public/models", "ner_dl", data, sha256=hashlib.sha256(data).hexdigest())
    hub.state.corrupt.add(path)
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="sha256 mismatch"):
        puller.pull([Target("ner_dl")])
    assert not list(puller.home.cache.iterdir())


def test_dropped_connection_is_resumed_with_range(hub: HubServer, tmp_path: Path) -> None:
    payload = random.Random(7).randbytes(600_000)
    data = spark_model_zip(storage_ref=None, payload=payload)
    path = publish(hub.state.root, "public/models", "ner_dl", data, size=len(data))
    hub.state.drop_after[path] = 400_000
    puller = make_puller(hub, tmp_path)
    [result] = puller.pull([Target("ner_dl")])
    gets = hub.state.gets(path)
    assert len(gets) == 2
    assert "Range" not in gets[0]
    start = int(gets[1]["Range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < start <= 400_000
    assert result.row.sha256 == hashlib.sha256(data).hexdigest()
    assert (puller.home.asset_dir(result.row.key) / "fields/weights/part-00000").read_bytes() == payload


def test_503_then_success(hub: HubServer, tmp_path: Path) -> None:
    path = publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref=None))
    hub.state.fail_once[path] = 503
    puller = make_puller(hub, tmp_path)
    [result] = puller.pull([Target("ner_dl")])
    assert result.row.status is Status.READY
    assert len(hub.state.gets(path)) == 2


def test_disk_too_small_refused_before_any_byte(hub: HubServer, tmp_path: Path) -> None:
    data = spark_model_zip(storage_ref=None)
    path = publish(hub.state.root, "public/models", "ner_dl", data)
    puller = make_puller(hub, tmp_path, free_space=lambda _: len(data) * 2 - 1)
    with pytest.raises(UserError, match=r"need .* \(2 x .*\), .* free"):
        puller.pull([Target("ner_dl")])
    assert hub.state.gets(path) == []
    assert not list(puller.home.cache.iterdir())


def test_space_rule_counts_dependencies(hub: HubServer, tmp_path: Path) -> None:
    model = spark_model_zip(storage_ref="glove_100d")
    emb = embeddings_zip()
    publish(hub.state.root, "public/models", "ner_dl", model, storageRef="glove_100d", size=len(model))
    publish(hub.state.root, "public/models", "glove_100d", emb, size=len(emb))
    puller = make_puller(hub, tmp_path, free_space=lambda _: 2 * len(model) + len(emb))
    with pytest.raises(UserError, match="not enough free disk space"):
        puller.pull([Target("ner_dl")])
    assert hub.state.gets(".zip") == []


def test_two_concurrent_pulls_make_one_good_install(hub: HubServer, tmp_path: Path) -> None:
    data = spark_model_zip(storage_ref=None, payload=b"z" * 200_000)
    path = publish(hub.state.root, "public/models", "ner_dl", data)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            make_puller(hub, tmp_path).pull([Target("ner_dl")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    installs = list((tmp_path / "home" / "cache").iterdir())
    assert len(installs) == 1
    assert (installs[0] / "fields/weights/part-00000").read_bytes() == b"z" * 200_000
    assert len(hub.state.gets(path)) == 1


def test_licensed_folder_is_signed(hub: HubServer, tmp_path: Path) -> None:
    publish(hub.state.root, "clinical/models", "ner_clinical", spark_model_zip(storage_ref=None))
    puller = make_puller(hub, tmp_path, licensed=True)
    [result] = puller.pull([Target("ner_clinical", repository="clinical/models")])
    assert result.row.edition == "healthcare"
    auth = hub.state.gets(".zip")[0]["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/")


def test_licensed_folder_without_license_is_refused(hub: HubServer, tmp_path: Path) -> None:
    publish(hub.state.root, "clinical/models", "ner_clinical", spark_model_zip(storage_ref=None))
    puller = make_puller(hub, tmp_path)
    with pytest.raises(UserError, match="licensed hub folder"):
        puller.pull([Target("ner_clinical", repository="clinical/models")])
    # an unsigned request is refused by the hub itself
    import requests

    assert requests.get(f"{hub.url}/clinical/models/metadata.json", timeout=5).status_code == 403


def test_the_license_is_read_once_and_only_for_licensed_folders(hub: HubServer, tmp_path: Path) -> None:
    root = hub.state.root
    publish(root, "public/models", "ner_dl", spark_model_zip(storage_ref=None))
    for name in ("ner_a", "ner_b"):
        publish(root, "clinical/models", name, spark_model_zip(storage_ref=None, uid=f"NerDLModel_{name}"))
    reads: list[int] = []

    def read() -> AwsCredentials:
        reads.append(1)
        return parse_license(license_json(), "test")

    puller = make_puller(hub, tmp_path)
    puller.client.credentials = LicenseKeys(read)
    puller.pull([Target("ner_dl")])
    assert reads == [], "a public folder never reads the license"
    puller.pull(
        [Target("ner_a", repository="clinical/models"), Target("ner_b", repository="clinical/models")]
    )
    assert reads == [1], "two licensed downloads (index, HEAD, archives, in threads) read it once"
    assert all(
        h["Authorization"].startswith("AWS4-HMAC-SHA256 ")
        for h in hub.state.gets("/clinical/models/ner_a_en_4.4.0_3.0_1690000000000.zip")
    )


def test_an_unreadable_license_fails_naming_the_folder_each_time(hub: HubServer, tmp_path: Path) -> None:
    publish(hub.state.root, "clinical/models", "ner_clinical", spark_model_zip(storage_ref=None))
    reads: list[int] = []

    def read() -> AwsCredentials:
        reads.append(1)
        raise UserError("the license environment variable MY_JSL is not set", "export MY_JSL")

    puller = make_puller(hub, tmp_path)
    puller.client.credentials = LicenseKeys(read)
    for _ in range(2):
        with pytest.raises(
            UserError, match=r"'clinical/models' is a licensed hub folder.*MY_JSL is not set"
        ) as exc:
            puller.pull([Target("ner_clinical", repository="clinical/models")])
        assert exc.value.hint == "export MY_JSL"
    assert reads == [1]
    assert hub.state.requests == []


def test_unknown_name_is_permanent(hub: HubServer, tmp_path: Path) -> None:
    publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(), lib=[6, 0, 0])
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError) as caught:
        puller.pull([Target("ner_dl")])
    assert caught.value.message == (
        "can not find ner_dl (en) to download: public/models has ner_dl (en) only for "
        "Spark NLP 6.0.0 / Spark 3.0; none fits Spark NLP 5.5.1 / Spark 3.5.1, the versions in use"
    )
    assert "sparkNlpVersion" in caught.value.hint


def test_a_missing_dependency_says_what_each_folder_has(hub: HubServer, tmp_path: Path) -> None:
    root = hub.state.root
    publish(root, "clinical/models", "ner_x", spark_model_zip(storage_ref=None), storageRef="w2v")
    publish(root, "public/models", "w2v", embeddings_zip("w2v"), lib=[6, 0, 0])
    puller = make_puller(hub, tmp_path, licensed=True)
    with pytest.raises(PermanentError) as caught:
        puller.pull([Target("ner_x", repository="clinical/models")])
    assert caught.value.message == (
        "ner_x needs the embeddings 'w2v': clinical/models has nothing named 'w2v'; public/models has w2v "
        "(any language) only for Spark NLP 6.0.0 / Spark 3.0; none fits Spark NLP 5.5.1 / Spark 3.5.1, "
        "the versions in use"
    )
    assert not hub.state.gets(".zip")


def test_redownload_replaces_install(hub: HubServer, tmp_path: Path) -> None:
    path = publish(hub.state.root, "public/models", "ner_dl", spark_model_zip(storage_ref=None))
    puller = make_puller(hub, tmp_path)
    [first] = puller.pull([Target("ner_dl")])
    (first.path / "stray").write_text("x")
    [again] = puller.pull([Target("ner_dl")], force=True)
    assert again.downloaded and not (again.path / "stray").exists()
    assert len(hub.state.gets(path)) == 2


def test_an_interrupted_pull_run_again_resumes_instead_of_starting_over(
    hub: HubServer, tmp_path: Path
) -> None:
    payload = random.Random(11).randbytes(800_000)
    data = spark_model_zip(storage_ref=None, payload=payload)
    path = publish(hub.state.root, "public/models", "ner_dl", data, size=len(data))
    hub.state.drop_after[path] = 500_000
    # the first run gives up at the first failure, as a killed process would: no retry
    first = make_puller(hub, tmp_path, retry=RetryPolicy(attempts=1, base_delay=0.01))
    with pytest.raises(Exception, match=r"(?i)connection|incomplete|resume|again|short"):
        first.pull([Target("ner_dl")])
    assert not list(first.home.cache.iterdir()), "nothing is installed by an interrupted run"
    # what was unzipped is gone; the bytes received are kept in the asset's .part file
    (partial,) = first.home.tmp.iterdir()
    assert partial.name.endswith(".part")
    kept = partial.stat().st_size
    assert 0 < kept <= 500_000 and partial.read_bytes() == data[:kept]
    # a second run (a new process: new puller, same store) continues from the partial file
    second = make_puller(hub, tmp_path)
    [result] = second.pull([Target("ner_dl")])
    gets = hub.state.gets(path)
    assert len(gets) == 2
    assert gets[1]["Range"] == f"bytes={kept}-", "the second run asks only for the missing bytes"
    assert result.row.sha256 == hashlib.sha256(data).hexdigest()
    assert result.row.status is Status.READY and list(second.home.tmp.iterdir()) == []
    assert (result.path / "fields/weights/part-00000").read_bytes() == payload


def test_a_partial_download_left_by_an_earlier_run_is_resumed(hub: HubServer, tmp_path: Path) -> None:
    payload = random.Random(11).randbytes(800_000)
    data = spark_model_zip(storage_ref=None, payload=payload)
    path = publish(hub.state.root, "public/models", "ner_dl", data, size=len(data))
    puller = make_puller(hub, tmp_path)
    # what a run that downloaded to a file (an archive that can not be unzipped as it streams) kept
    part = puller.home.ensure().part_file(path.rsplit("/", 1)[1])
    part.write_bytes(data[:500_000])
    [result] = puller.pull([Target("ner_dl")])
    gets = hub.state.gets(path)
    assert len(gets) == 1
    assert gets[0]["Range"] == "bytes=500000-", "the run asks only for the missing bytes"
    assert result.row.sha256 == hashlib.sha256(data).hexdigest()
    assert result.row.status is Status.READY and not part.exists()
    assert (result.path / "fields/weights/part-00000").read_bytes() == payload
