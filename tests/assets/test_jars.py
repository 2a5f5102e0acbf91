"""``alabctl jars fetch``: the pinned Spark NLP jars from a Maven repository (a real server on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from alabctl.assets.jars import MARK, Jar, JarSet, JarsReport, fetch_jars, parse_pins, pinned, repository_url
from alabctl.runtime.sparknlp.jars import find_jars, has_sparknlp
from alabctl.spec.errors import UserError
from tests.assets.hubserver import HubServer, interrupted

ROOT = Path(__file__).resolve().parents[2]
POM = ROOT / "scripts" / "sparknlp-jars" / "pom.xml"
LAYOUT = re.compile(
    r"^(?P<group>[\w.-]+(?:/[\w.-]+)*)/(?P<a>[\w.-]+)/(?P<v>[\w.-]+)/(?P=a)-(?P=v)(?:-[\w.-]+)?\.jar$"
)


def _publish(hub: HubServer, files: dict[str, bytes]) -> JarSet:
    """Put ``files`` (Maven paths -> bytes) on the server; the set that pins them."""
    jars = []
    for path, data in sorted(files.items()):
        target = hub.state.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        jars.append(Jar(path, len(data), hashlib.sha256(data).hexdigest()))
    return JarSet("5.5.3", hub.url, tuple(jars))


def _files(count: int, size: int = 200_000) -> dict[str, bytes]:
    files = {f"org/example/lib{i}/1.{i}/lib{i}-1.{i}.jar": os.urandom(size) for i in range(count - 1)}
    files["com/johnsnowlabs/nlp/spark-nlp_2.12/5.5.3/spark-nlp_2.12-5.5.3.jar"] = os.urandom(size)
    return files


def _fetch(
    hub: HubServer, folder: Path, jar_set: JarSet, free: Callable[[Path], int] | None = None
) -> JarsReport:
    with requests.Session() as session:
        return fetch_jars(folder, hub.url, jar_set, session=session, free=free)


def test_every_jar_is_fetched_verified_and_found_by_the_engine(hub: HubServer, tmp_path: Path) -> None:
    files = _files(5)
    jar_set = _publish(hub, files)
    home = tmp_path / "home"
    report = _fetch(hub, home / "jars", jar_set)
    for path, data in files.items():
        assert (home / "jars" / path.rsplit("/", 1)[-1]).read_bytes() == data
    assert (home / "jars" / MARK).read_text().strip() == jar_set.digest
    assert report == JarsReport(home / "jars", 5, 0, sum(map(len, files.values())), False)
    jars = find_jars(home, env={})  # the engine's own lookup, without ALABCTL_SPARK_JARS
    assert len(jars) == 5 and has_sparknlp(jars)
    assert sorted(os.listdir(tmp_path)) == ["home", "hub"] and os.listdir(home) == ["jars"]  # no staging left

    hub.state.requests.clear()
    again = _fetch(hub, home / "jars", jar_set)
    assert again.unchanged and hub.state.requests == []


def test_a_corrupt_jar_installs_nothing_and_the_next_run_fetches_only_what_is_missing(
    hub: HubServer, tmp_path: Path
) -> None:
    old = _publish(hub, {"org/old/old/1/old-1.jar": b"old jar"})
    _fetch(hub, tmp_path / "jars", old)
    files = _files(4)
    jar_set = _publish(hub, files)
    bad = "/org/example/lib1/1.1/lib1-1.1.jar"
    hub.state.corrupt.add(bad)
    with pytest.raises(
        UserError, match=r"1 of 4 jars could not be fetched: lib1-1\.1\.jar: sha256 mismatch"
    ) as err:
        _fetch(hub, tmp_path / "jars", jar_set)
    assert "nothing was installed" in err.value.hint
    assert sorted(os.listdir(tmp_path / "jars")) == [MARK, "old-1.jar"]  # the folder as it was

    hub.state.corrupt.clear()
    hub.state.requests.clear()
    report = _fetch(hub, tmp_path / "jars", jar_set)
    assert [p for _, p, _ in hub.state.requests] == [bad]  # the three verified jars were kept
    assert (report.fetched, report.kept) == (1, 3)
    assert sorted(os.listdir(tmp_path / "jars")) == sorted([MARK, *(p.rsplit("/", 1)[-1] for p in files)])
    assert not (tmp_path / ".jars.partial").exists()


def test_a_new_list_reuses_the_jars_already_held(hub: HubServer, tmp_path: Path) -> None:
    files = _files(3)
    _fetch(hub, tmp_path / "jars", _publish(hub, files))
    files["org/example/extra/2.0/extra-2.0.jar"] = b"a jar the new list adds"
    del files["org/example/lib0/1.0/lib0-1.0.jar"]
    newer = _publish(hub, files)
    hub.state.requests.clear()
    report = _fetch(hub, tmp_path / "jars", newer)
    assert [p for _, p, _ in hub.state.requests] == ["/org/example/extra/2.0/extra-2.0.jar"]
    assert (report.fetched, report.kept) == (1, 2)
    assert not (tmp_path / "jars" / "lib0-1.0.jar").exists()  # no longer in the list
    assert (tmp_path / "jars" / MARK).read_text().strip() == newer.digest


def test_a_jar_deleted_by_hand_is_fetched_again_alone(hub: HubServer, tmp_path: Path) -> None:
    files = _files(3)
    jar_set = _publish(hub, files)
    _fetch(hub, tmp_path / "jars", jar_set)
    (tmp_path / "jars" / "lib0-1.0.jar").unlink()
    hub.state.requests.clear()
    report = _fetch(hub, tmp_path / "jars", jar_set)
    assert [p for _, p, _ in hub.state.requests] == ["/org/example/lib0/1.0/lib0-1.0.jar"]
    assert (report.fetched, report.kept, report.unchanged) == (1, 2, False)


def test_two_fetches_at_once_fetch_each_jar_once(hub: HubServer, tmp_path: Path) -> None:
    jar_set = _publish(hub, _files(4, size=1 << 20))
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: _fetch(hub, tmp_path / "jars", jar_set), range(2)))
    assert sorted(r.unchanged for r in reports) == [False, True]  # the second waited, then found it done
    assert len(hub.state.gets(".jar")) == 4
    assert sorted(os.listdir(tmp_path / "jars")) == sorted([MARK, *(j.name for j in jar_set.jars)])


def test_a_link_planted_as_the_staging_folder_is_not_followed(hub: HubServer, tmp_path: Path) -> None:
    jar_set = _publish(hub, _files(2))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".jars.partial").symlink_to(tmp_path / "elsewhere")
    _fetch(hub, tmp_path / "jars", jar_set)
    assert os.listdir(tmp_path / "elsewhere") == []
    assert len(os.listdir(tmp_path / "jars")) == 3


def test_a_dropped_connection_resumes_where_it_stopped(hub: HubServer, tmp_path: Path) -> None:
    files = _files(2, size=300_000)
    jar_set = _publish(hub, files)
    path = "/org/example/lib0/1.0/lib0-1.0.jar"
    hub.state.drop_after[path] = 100_000
    _fetch(hub, tmp_path / "jars", jar_set)
    assert (tmp_path / "jars" / "lib0-1.0.jar").read_bytes() == files[path[1:]]
    assert [h.get("Range") for h in hub.state.gets(path)] == [None, "bytes=100000-"]


def test_a_folder_with_other_files_is_refused_untouched(hub: HubServer, tmp_path: Path) -> None:
    jar_set = _publish(hub, _files(2))
    (tmp_path / "jars").mkdir()
    (tmp_path / "jars" / "mine.txt").write_text("keep me")
    with pytest.raises(UserError, match="holds files alabctl did not put there"):
        _fetch(hub, tmp_path / "jars", jar_set)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is not a folder"):
        _fetch(hub, tmp_path / "file", jar_set)
    assert (tmp_path / "jars" / "mine.txt").read_text() == "keep me"
    assert hub.state.requests == []


def test_the_free_disk_must_hold_twice_what_is_left(hub: HubServer, tmp_path: Path) -> None:
    jar_set = _publish(hub, _files(2, size=1000))
    with pytest.raises(UserError, match=r"not enough free disk space for the Spark NLP jars: need 4\.0 KB"):
        _fetch(hub, tmp_path / "jars", jar_set, free=lambda _: 3999)
    assert not (tmp_path / "jars").exists() and hub.state.requests == []


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        (None, {}, "https://repo1.maven.org/maven2"),
        (None, {"ALABCTL_MAVEN_URL": "http://mirror.local/maven/"}, "http://mirror.local/maven"),
        (
            "https://proxy.example.org/m2",
            {"ALABCTL_MAVEN_URL": "http://mirror.local"},
            "https://proxy.example.org/m2",
        ),
    ],
)
def test_the_repository_comes_from_the_flag_then_the_environment(
    flag: str | None, env: dict[str, str], expected: str
) -> None:
    assert repository_url(flag, env, "https://repo1.maven.org/maven2") == expected


def test_a_repository_that_is_no_url_is_named() -> None:
    with pytest.raises(UserError, match=r"--maven 'repo1\.maven\.org' is not a URL"):
        repository_url("repo1.maven.org", {}, "https://repo1.maven.org/maven2")
    with pytest.raises(UserError, match=r"ALABCTL_MAVEN_URL 'ftp://m' is not an http:// or https:// URL"):
        repository_url(None, {"ALABCTL_MAVEN_URL": "ftp://m"}, "https://repo1.maven.org/maven2")


def test_the_pinned_list_is_the_pom_resolved() -> None:
    """The list in the package matches scripts/sparknlp-jars/pom.xml (re-pin after editing the pom)."""
    data = json.loads((ROOT / "alabctl" / "assets" / "sparknlp-jars.json").read_text())
    assert data["pomSha256"] == hashlib.sha256(POM.read_bytes()).hexdigest(), "run scripts/pin-sparknlp-jars"
    jar_set = pinned()
    assert jar_set == parse_pins(json.dumps(data))
    version = re.search(r"<sparknlp.version>(.*?)</sparknlp.version>", POM.read_text())
    assert version is not None and jar_set.spark_nlp_version == version.group(1)
    assert jar_set.repository == "https://repo1.maven.org/maven2"
    names = [j.name for j in jar_set.jars]
    assert len(names) == len(set(names)) > 50
    assert all(
        LAYOUT.match(j.path) and re.fullmatch(r"[0-9a-f]{64}", j.sha256) and j.size > 0 for j in jar_set.jars
    )
    assert f"spark-nlp_2.12-{jar_set.spark_nlp_version}.jar" in names and has_sparknlp(names)


def test_ctrl_c_stops_at_once_installs_nothing_and_the_next_run_resumes(
    hub: HubServer, tmp_path: Path
) -> None:
    """The CLI, interrupted while a slow jar streams: exit 130 at once; a re-run fetches only the rest."""
    jar_set = _publish(hub, _files(3, size=8 << 20))
    slow = "/org/example/lib1/1.1/lib1-1.1.jar"
    hub.state.slow.add(slow)
    pins = tmp_path / "pins.json"
    pins.write_text(
        json.dumps(
            {
                "sparkNlpVersion": "5.5.3",
                "repository": hub.url,
                "jars": [{"path": j.path, "size": j.size, "sha256": j.sha256} for j in jar_set.jars],
            }
        )
    )
    script = (
        "import sys, alabctl.assets.jars as j; from pathlib import Path; "
        "pins = Path(sys.argv.pop(1)).read_text(); j.pinned = lambda: j.parse_pins(pins); "
        "from alabctl.cli.main import entry; sys.argv[0] = 'alabctl'; entry()"
    )
    command = [
        sys.executable,
        "-c",
        script,
        str(pins),
        "jars",
        "fetch",
        "--dir",
        str(tmp_path / "jars"),
        "--maven",
        hub.url,
    ]
    code, out, err, seconds = interrupted(command, hub, ".jar", 3)
    assert seconds < 2  # the slow jar alone would take 6 s more
    assert code == 130 and "alabctl: interrupted" in err and out == ""
    assert not (tmp_path / "jars").exists()
    held = {p.name: p.stat().st_size for p in (tmp_path / ".jars.partial").iterdir()}
    assert 0 < held["lib1-1.1.jar.part"] < 8 << 20  # cut short, kept for the next run

    hub.state.slow.clear()
    hub.state.requests.clear()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "jars")
    gets = [(p, h.get("Range")) for m, p, h in hub.state.requests if m == "GET"]
    assert gets == [(slow, f"bytes={held['lib1-1.1.jar.part']}-")]  # only the rest of the cut one
    assert sorted(os.listdir(tmp_path / "jars")) == sorted([MARK, *(j.name for j in jar_set.jars)])
