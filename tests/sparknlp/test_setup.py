"""Where the jars come from and the Spark conf the engine starts with (no JVM here)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from alabctl.assets.jars import MARK, pinned
from alabctl.runtime.sparknlp.jars import find_jars, has_sparknlp
from alabctl.runtime.sparknlp.session import LOG_CONFIG, SessionOptions, env_conf, spark_conf
from alabctl.spec.errors import UserError


def test_a_folder_gives_its_jars_sorted(tmp_path: Path) -> None:
    for name in ("spark-nlp_2.12-5.5.3.jar", "a.jar", "notes.txt"):
        (tmp_path / name).write_text("x")
    jars = find_jars(tmp_path / "home", {"ALABCTL_SPARK_JARS": str(tmp_path)})
    assert [Path(j).name for j in jars] == ["a.jar", "spark-nlp_2.12-5.5.3.jar"]
    assert has_sparknlp(jars)


def test_cluster_paths_pass_through_and_missing_local_files_are_named(tmp_path: Path) -> None:
    env = {"ALABCTL_SPARK_JARS": "local:///opt/sparknlp/spark-nlp_2.12-5.5.3.jar"}
    assert find_jars(tmp_path, env) == ["local:///opt/sparknlp/spark-nlp_2.12-5.5.3.jar"]
    with pytest.raises(UserError, match=r"no such jar file: /nope\.jar") as info:
        find_jars(tmp_path, {"ALABCTL_SPARK_JARS": "/nope.jar"})
    assert "alabctl jars fetch" in info.value.hint


def test_no_jars_anywhere_says_how_to_fetch_them(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no Spark NLP jar") as info:
        find_jars(tmp_path, {})
    assert "ALABCTL_SPARK_JARS" in info.value.hint
    (tmp_path / "jars").mkdir()
    (tmp_path / "jars" / "spark-nlp-assembly-5.5.3.jar").write_text("x")
    assert has_sparknlp(find_jars(tmp_path, {}))


def test_the_conf_uses_local_jars_never_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALABCTL_SPARK_CONF", "spark.executor.memory=4g")
    conf = spark_conf(["/j/a.jar", "/j/b.jar"], SessionOptions(master="local[2]"), tmp_path)
    assert conf["spark.jars"] == "/j/a.jar,/j/b.jar" and "spark.jars.packages" not in conf
    assert conf["spark.serializer"] == "org.apache.spark.serializer.KryoSerializer"
    assert conf["spark.master"] == "local[2]" and conf["spark.driver.host"] == "127.0.0.1"
    assert conf["spark.executor.memory"] == "4g"
    cluster = spark_conf(["/j/a.jar"], SessionOptions(master="spark://head:7077"), tmp_path)
    assert "spark.driver.host" not in cluster


def test_the_drivers_scratch_files_go_to_the_sessions_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    log = f"-Dlog4j2.configurationFile={LOG_CONFIG}"
    local = spark_conf(["/j/a.jar"], SessionOptions(master="local[2]"), tmp_path, scratch)
    assert local["spark.driver.extraJavaOptions"] == f"{log} -Djava.io.tmpdir={scratch}"
    assert local["spark.local.dir"] == str(scratch / "local")
    assert local["spark.hadoop.hadoop.tmp.dir"] == str(scratch / "hadoop")
    cluster = spark_conf(["/j/a.jar"], SessionOptions(master="spark://head:7077"), tmp_path, scratch)
    assert "spark.local.dir" not in cluster, "a cluster's executors keep their worker's folders"
    assert spark_conf(["/j/a.jar"], SessionOptions(), tmp_path)["spark.driver.extraJavaOptions"] == log
    monkeypatch.setenv("ALABCTL_SPARK_CONF", "spark.driver.extraJavaOptions=-Xss4m")
    mine = spark_conf(["/j/a.jar"], SessionOptions(master="local[2]"), tmp_path, scratch)
    assert mine["spark.driver.extraJavaOptions"] == f"{log} -Djava.io.tmpdir={scratch} -Xss4m"
    assert LOG_CONFIG.is_file() and "rootLogger.level = error" in LOG_CONFIG.read_text()


def test_a_bad_conf_word_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="'executor' is not a Spark setting"):
        env_conf("spark.a=1 executor")


def test_the_pinned_list_is_what_maven_resolved_for_the_tests() -> None:
    """``alabctl jars fetch``'s list against the folder ``scripts/fetch-sparknlp-jars`` filled with Maven."""
    from tests.sparknlp.conftest import jars_folder

    folder = jars_folder()
    if folder is None or not (folder / MARK).is_file():
        pytest.skip("no jars fetched by scripts/fetch-sparknlp-jars here (set ALABCTL_SPARK_JARS)")
    fetched = {p.name: p for p in folder.glob("*.jar")}
    jar_set = pinned()
    assert sorted(fetched) == sorted(j.name for j in jar_set.jars)
    for jar in jar_set.jars:
        assert hashlib.sha256(fetched[jar.name].read_bytes()).hexdigest() == jar.sha256, jar.name
