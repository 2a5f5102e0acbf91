"""``alabctl rules import|export`` end to end, and the archive reader's refusals."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from alabctl.assets.rulesio import build_rule_archive, read_archive, read_rules
from alabctl.cli.main import main
from alabctl.spec.errors import PermanentError

REGEX_RULE: dict[str, Any] = {
    "name": "Height",
    "type": "regex",
    "entity": "Height",
    "ruleScope": "sentence",
    "regex": "[0-7]'((0?[0-9])|(1(0|1)))",
    "completeMatchRegex": "false",
    "matchScope": "sub-token",
    "prefix": ["height", "tall"],
    "suffix": ["feet"],
    "contextLength": 50,
    "contextException": ["not"],
    "exceptionDistance": 10,
    "createdBy": "admin",
}
DICTIONARY_RULE: dict[str, Any] = {"entity": "Gender", "ruleScope": "sentence", "completeMatchRegex": "true"}
GENDER_CSV = "male,man,boy,he\nfemale,woman,girl,she\n"


def _zip(entries: dict[str, str | bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _alab_zip(path: Path) -> Path:
    return _zip(
        {
            "height.json": json.dumps(REGEX_RULE),
            "gender.json": json.dumps(DICTIONARY_RULE),
            "gender.csv": GENDER_CSV,
        },
        path,
    )


def test_import_export_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _alab_zip(tmp_path / "alab.zip")
    out = tmp_path / "repo" / "rules"
    assert main(["rules", "import", str(source), "--out", str(out)]) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "dictionaries/gender.csv",
        "gender.yaml",
        "height.yaml",
    ]
    assert (out / "dictionaries" / "gender.csv").read_text() == GENDER_CSV

    exported = tmp_path / "rules.zip"
    assert (
        main(["rules", "export", "-f", str(out), "--out", str(exported), "--root", str(tmp_path / "repo")])
        == 0
    )
    with zipfile.ZipFile(exported) as archive:
        names = archive.namelist()
        assert names == sorted(names) == ["gender.csv", "gender.json", "height.json"]
        assert json.loads(archive.read("height.json")) == REGEX_RULE
        assert json.loads(archive.read("gender.json")) == DICTIONARY_RULE
        assert archive.read("gender.csv").decode() == GENDER_CSV
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
    first = exported.read_bytes()
    assert main(["rules", "export", "-f", str(out), "--out", str(exported)]) == 0
    assert exported.read_bytes() == first  # deterministic


def test_imported_manifests_validate(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    assert main(["rules", "import", str(_alab_zip(tmp_path / "a.zip")), "--out", str(out)]) == 0
    assert main(["validate", "-f", str(out)]) == 0


def test_zip_with_path_escape_is_refused_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = _zip(
        {"ok.json": json.dumps(REGEX_RULE), "../evil.json": json.dumps(REGEX_RULE)}, tmp_path / "evil.zip"
    )
    out = tmp_path / "out"
    assert main(["rules", "import", str(evil), "--out", str(out)]) == 1
    assert not out.exists()
    assert not (tmp_path / "evil.json").exists()
    err = capsys.readouterr().err
    assert "unsafe entry name '../evil.json'" in err
    assert "Traceback" not in err


def test_existing_files_need_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _alab_zip(tmp_path / "a.zip")
    out = tmp_path / "rules"
    out.mkdir()
    (out / "height.yaml").write_text("mine\n")
    assert main(["rules", "import", str(source), "--out", str(out)]) == 1
    assert (out / "height.yaml").read_text() == "mine\n"
    assert not (out / "gender.yaml").exists()
    assert "--force" in capsys.readouterr().err
    assert main(["rules", "import", str(source), "--out", str(out), "--force"]) == 0
    assert "entity: Height" in (out / "height.yaml").read_text()
    assert not list(out.glob(".*.tmp"))


def test_one_bad_rule_stops_the_whole_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _zip(
        {"good.json": json.dumps(REGEX_RULE), "bad.json": json.dumps({"regex": "x"})}, tmp_path / "a.zip"
    )
    out = tmp_path / "out"
    assert main(["rules", "import", str(source), "--out", str(out)]) == 1
    assert not out.exists()
    assert "'entity' is missing" in capsys.readouterr().err


def test_single_json_file_with_sibling_csv(tmp_path: Path) -> None:
    (tmp_path / "gender.json").write_text(json.dumps(DICTIONARY_RULE))
    (tmp_path / "gender.csv").write_text(GENDER_CSV)
    out = tmp_path / "out"
    assert main(["rules", "import", str(tmp_path / "gender.json"), "--out", str(out)]) == 0
    assert (out / "dictionaries" / "gender.csv").read_text() == GENDER_CSV


def test_export_refuses_invalid_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Rule\nmetadata:\n  name: r\nspec:\n  entity: E\n  regex: '\\p{L}+'\n"
    )
    assert main(["rules", "export", "-f", str(rules), "--out", str(tmp_path / "x.zip")]) == 1
    err = capsys.readouterr().err
    assert "ALB331" in err
    assert "nothing was exported" in err
    assert not (tmp_path / "x.zip").exists()


def test_rules_without_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 2


# --- the archive reader -------------------------------------------------------------------------


def _bytes(entries: dict[str, str | bytes], *, mode: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name", ["/abs.json", "a/../../x.json", "..\\x.json", "C:/x.json", "c:x.json", "dir\\x.json"]
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(PermanentError, match="unsafe entry name"):
        read_archive(_bytes({name: "{}"}), "a.zip")


def test_symlinks_are_refused() -> None:
    with pytest.raises(PermanentError, match="link"):
        read_archive(_bytes({"x.json": "target"}, mode=0o120777), "a.zip")


def test_too_many_entries_and_bombs_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("alabctl.assets.rulesio.MAX_ENTRIES", 2)
    with pytest.raises(PermanentError, match="more than 2"):
        read_archive(_bytes({f"{i}.json": "{}" for i in range(3)}), "a.zip")
    monkeypatch.setattr("alabctl.assets.rulesio.RATIO_FLOOR", 10)
    with pytest.raises(PermanentError, match="expands"):
        read_archive(_bytes({"x.json": " " * 100_000}), "a.zip")
    monkeypatch.setattr("alabctl.assets.rulesio.MAX_TOTAL_BYTES", 100)
    with pytest.raises(PermanentError, match="too large"):
        read_archive(_bytes({"x.csv": "a" * 60, "y.csv": "b" * 60}), "a.zip")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b"{nope", "invalid JSON"),
        (b"3", "expected a rule"),
    ],
)
def test_bad_json_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        read_archive(_bytes({"x.json": data}), "a.zip")


def test_archive_pairs_csv_by_stem_or_dictionary_key_and_skips_mac_junk() -> None:
    raw = _bytes(
        {
            "r/a.json": json.dumps({"entity": "A"}),
            "r/a.csv": "x,y\n",
            "b.json": json.dumps({"entity": "B", "dictionary": "words.csv"}),
            "words.csv": "p,q\n",
            "__MACOSX/._a.json": b"\x00\x01",
        }
    )
    rules = {r.stem: r for r in read_archive(raw, "a.zip")}
    assert rules["a"].csv_text == "x,y\n"
    assert rules["b"].csv_text == "p,q\n"
    assert set(rules) == {"a", "b"}


def test_json_list_of_rules(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"entity": "A", "regex": "a"}, {"entity": "B", "regex": "b"}]))
    assert [r.stem for r in read_rules(path)] == ["many-1", "many-2"]


def test_build_rule_archive_is_deterministic() -> None:
    one = build_rule_archive({"b.json": "{}\n", "a.json": "{}\n"})
    two = build_rule_archive({"a.json": "{}\n", "b.json": "{}\n"})
    assert one == two
    with zipfile.ZipFile(io.BytesIO(one)) as archive:
        assert archive.namelist() == ["a.json", "b.json"]
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}
