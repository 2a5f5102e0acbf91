"""``alabctl lock``: every needed hub asset resolved; locking again changes no byte."""

from __future__ import annotations

from pathlib import Path

from alabctl.assets.hub import HubClient
from alabctl.assets.lockgen import Locker, hub_versions
from alabctl.spec.lock import AssetType, write_lock
from alabctl.spec.validate import load_repository
from tests.assets.hubserver import HubServer, embeddings_zip, publish, spark_model_zip

MANIFESTS = """\
apiVersion: alabctl/v1
kind: Hub
metadata: {{name: default}}
spec: {{url: "{url}", sparkNlpVersion: "5.5.1", sparkVersion: "3.5"}}
---
apiVersion: alabctl/v1
kind: Model
metadata: {{name: ner_dl}}
spec:
  task: ner
  labels: [PER, LOC]
  embeddings: glove_100d
---
apiVersion: alabctl/v1
kind: Project
metadata: {{name: news}}
spec:
  ner:
    models: [{{model: ner_dl}}, {{model: onto_100}}]
"""


def test_lock_resolves_and_is_stable(hub: HubServer, tmp_path: Path) -> None:
    root = hub.state.root
    publish(root, "public/models", "ner_dl", spark_model_zip(), time_ms=1_600_000_000_000)
    publish(root, "public/models", "ner_dl", spark_model_zip(), lib=[5, 5, 2], time_ms=1_700_000_000_000)
    publish(root, "public/models", "onto_100", spark_model_zip(), storageRef="glove_100d", labels=["ORG"])
    publish(root, "public/models", "glove_100d", embeddings_zip())
    repo_dir = tmp_path / "repo"
    repo_dir.mkdir()
    (repo_dir / "all.yaml").write_text(MANIFESTS.format(url=hub.url))
    lockfile = tmp_path / "alabctl.lock"

    def lock_once() -> bool:
        repo = load_repository([str(repo_dir)], cwd=tmp_path, lockfile=lockfile).repository
        lib, spark = hub_versions(repo)
        client = HubClient(hub.url, cache_dir=tmp_path / "hubcache", refresh=True)
        return write_lock(lockfile, Locker(client, lib, spark).lock(repo))

    assert lock_once() is True
    first = lockfile.read_bytes()
    assert lock_once() is False
    assert lockfile.read_bytes() == first
    text = first.decode()
    assert "key: ner_dl_en_4.4.0_3.0_1600000000000" in text  # 5.5.2 is too new for 5.5.1
    assert "labels: [ORG]" in text
    repo = load_repository([str(repo_dir)], cwd=tmp_path, lockfile=lockfile).repository
    assert repo.lock is not None
    names = [(a.type, a.name) for a in repo.lock.assets]
    assert names == [
        (AssetType.EMBEDDINGS, "glove_100d"),
        (AssetType.MODEL, "ner_dl"),
        (AssetType.MODEL, "onto_100"),
    ]
    ner = repo.lock.find("ner_dl")
    assert ner is not None and ner.storage_ref == "glove_100d" and ner.dependencies == ["glove_100d"]
    assert ner.size == (root / "public/models" / f"{ner.key}.zip").stat().st_size
    # a new upload on the hub changes the lock
    publish(root, "public/models", "ner_dl", spark_model_zip(), lib=[5, 0, 0], time_ms=1_650_000_000_000)
    assert lock_once() is True
    assert "ner_dl_en_5.0.0_3.0_1650000000000" in lockfile.read_text()


def test_lock_pins_everything_a_compiled_pipeline_loads(hub: HubServer, tmp_path: Path) -> None:
    from alabctl.assets.credentials import AwsCredentials
    from alabctl.assets.lockgen import needs
    from alabctl.compile.pipeline import compile_pipeline
    from tests.assets.hubserver import ACCESS_KEY, SECRET_KEY
    from tests.conftest import EXAMPLES

    repo = load_repository([str(EXAMPLES)], cwd=tmp_path).repository
    wanted = needs(repo)
    assert {"pos_clinical", "dependency_conllu"} <= {n.name for n in wanted}  # relation extraction's
    for need in wanted:
        data = embeddings_zip(need.name) if need.type is AssetType.EMBEDDINGS else spark_model_zip()
        publish(hub.state.root, need.repository, need.name, data)
    lockfile = tmp_path / "alabctl.lock"
    client = HubClient(
        hub.url,
        cache_dir=tmp_path / "hubcache",
        refresh=True,
        credentials=AwsCredentials(ACCESS_KEY, SECRET_KEY),
    )
    write_lock(lockfile, Locker(client, *hub_versions(repo)).lock(repo))
    locked = load_repository([str(EXAMPLES)], cwd=tmp_path, lockfile=lockfile).repository
    for server in locked.server_names():
        for stage in compile_pipeline(server, locked)["stages"]:
            source = stage.get("pretrained")
            if source and source["repository"] is not None:
                assert source["key"] is not None, f"{server}: {source['name']} is not pinned"
