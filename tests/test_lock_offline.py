"""``validate`` and ``compile`` read the lock file and never touch the network (SPEC §5)."""

from __future__ import annotations

import socket

import pytest

from alabctl.api import Inputs, compile, validate
from alabctl.spec.lock import LockedAsset, LockFile, write_lock

PROJECT = """apiVersion: alabctl/v1
kind: Project
metadata: {name: news}
spec:
  ner:
    models:
      - model: ner_dl
        labels: [%s]
"""


def lock() -> LockFile:
    return LockFile(
        assets=[
            LockedAsset(
                name="ner_dl",
                type="model",
                language="en",
                repository="public/models",
                key="ner_dl_en_4.4.0_3.0_1681300000000",
                libVersion="4.4.0",
                sparkVersion="3.0",
                url="http://hub.invalid/public/models/ner_dl_en_4.4.0_3.0_1681300000000.zip",
                size=14000000,
                sha256="a" * 64,
                task="ner",
                storageRef="glove_100d",
                labels=["PER", "LOC", "ORG", "MISC"],
                dependencies=["glove_100d"],
            ),
            LockedAsset(
                name="glove_100d",
                type="embeddings",
                language="en",
                repository="public/models",
                key="glove_100d_en_2.4.0_2.4_1579690104032",
                libVersion="2.4.0",
                sparkVersion="2.4",
                url="http://hub.invalid/public/models/glove_100d_en_2.4.0_2.4_1579690104032.zip",
                size=160000000,
                sha256="b" * 64,
            ),
        ]
    )


@pytest.fixture(autouse=True)
def _no_network(monkeypatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validate must not open network connections")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_a_model_known_only_from_the_lock_validates_and_compiles(make_repo, tmp_path) -> None:
    root = make_repo({"news.yaml": PROJECT % "PER, LOC"})
    write_lock(root / "alabctl.lock", lock())
    inputs = Inputs(["."], cwd=root)
    report = validate(inputs, env={})
    assert report.valid, [d.summary for d in report.diagnostics]
    assert not any(d.code == "ALB402" for d in report.diagnostics)
    build = compile(inputs, tmp_path / "out", env={}).build
    assert build is not None
    pipeline = build.files["servers/news/pipeline.json"].decode()
    assert "ner_dl_en_4.4.0_3.0_1681300000000" in pipeline
    assert "glove_100d_en_2.4.0_2.4_1579690104032" in pipeline


def test_labels_come_from_the_lock(make_repo) -> None:
    root = make_repo({"news.yaml": PROJECT % "PER, PERSON"})
    write_lock(root / "alabctl.lock", lock())
    [d] = [d for d in validate(Inputs(["."], cwd=root), env={}).diagnostics if d.is_error]
    assert (d.code, d.line) == ("ALB320", 8)


def test_without_the_lock_the_model_is_unknown(make_repo) -> None:
    root = make_repo({"news.yaml": PROJECT % "PER"})
    [d] = validate(Inputs(["."], cwd=root), env={}).diagnostics
    assert d.code == "ALB202"
    assert "alabctl lock" in d.detail
