"""Reading a compiled build: schema versions, corrupt and foreign files, host and port."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from alabctl.runtime.build import load_build
from alabctl.runtime.deployment import load_deployment, server_of
from alabctl.runtime.engines import load_engine
from alabctl.spec.errors import UserError


def test_the_build_carries_host_port_and_outputs(build: Path) -> None:
    loaded = load_build(build)
    triage = loaded.pipeline("triage")
    assert (triage.host, triage.port, triage.engine) == ("127.0.0.1", 8702, "native")
    assert loaded.pipeline("quickstart").port is None
    assert triage.rules == ["height"] and triage.models == []
    assert {o.column for o in triage.outputs} == {"rule_height"}
    assert server_of(build, "triage-south") == "triage"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: (b / "manifest.json").unlink(), "manifest.json: missing"),
        (lambda b: (b / "manifest.json").write_text("{"), "manifest.json: corrupt"),
        (lambda b: (b / "manifest.json").write_text('{"resources": []}'), "not written by alabctl"),
        (
            lambda b: (b / "manifest.json").write_text('{"schemaVersion": 9, "resources": []}'),
            "schemaVersion 9",
        ),
        (
            lambda b: (b / "servers/quickstart/pipeline.json").write_text('{"schemaVersion": 2}'),
            "schemaVersion 2",
        ),
        (
            lambda b: (b / "servers/quickstart/pipeline.json").write_text('{"schemaVersion": 1}'),
            "not a pipeline",
        ),
        (lambda b: (b / "projects/quickstart/config.xml").write_text("<View"), "not a labeling config"),
    ],
)
def test_a_broken_build_is_a_clear_error(
    copy_build: Callable[[str], Path], change: Callable[[Path], None], words: str
) -> None:
    broken = copy_build("broken")
    change(broken)
    with pytest.raises(UserError) as caught:
        load_deployment(broken, "quickstart")
    assert words in caught.value.message
    assert "compile" in caught.value.hint


def test_unknown_server_and_project_name_what_exists(build: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no server 'nope'.*quickstart"):
        load_deployment(build, "nope")
    with pytest.raises(UserError, match="no project 'nope'"):
        server_of(build, "nope")
    with pytest.raises(UserError, match="no such build folder"):
        load_build(tmp_path / "missing")


def test_a_native_server_with_models_is_refused(copy_build: Callable[[str], Path]) -> None:
    changed = copy_build("native-models")
    path = changed / "servers" / "clinical" / "pipeline.json"
    pipeline = json.loads(path.read_text())
    pipeline["engine"] = "native"
    path.write_text(json.dumps(pipeline))
    loaded = load_build(changed)
    with pytest.raises(UserError) as caught:
        load_engine(loaded, loaded.pipeline("clinical"))
    assert "uses models (assertion_jsl, ner_posology, posology_re)" in caught.value.message
    assert "engine: sparknlp" in caught.value.hint


def test_the_sparknlp_engine_is_looked_up_lazily(build: Path) -> None:
    loaded = load_build(build)
    try:
        import alabctl.runtime.sparknlp  # noqa: F401
    except ImportError:
        with pytest.raises(UserError, match="needs the sparknlp engine"):
            load_engine(loaded, loaded.pipeline("clinical"))
    else:  # installed: the licensed stages of the clinical server are refused before any JVM starts
        with pytest.raises(UserError, match=r"\(MedicalNerModel\): licensed"):
            load_engine(loaded, loaded.pipeline("clinical"))
