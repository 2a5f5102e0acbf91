"""A compile whose inputs and build folder did not change since the last one compiles nothing."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from alabctl import api
from alabctl.compile import build, uptodate
from alabctl.spec.cache import default_cache_dir
from tests.conftest import EXAMPLES


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The examples (valid, with a dictionary file), copied so a test may edit them."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("invalid"))
    return root


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times the artifacts were compiled (each call of compile_files)."""
    calls = [0]
    real = build.compile_files

    def counting(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "compile_files", counting)
    yield calls


def _compile(repo: Path, out: Path, *, keep_files: bool = False) -> api.CompileReport:
    report = api.compile(api.Inputs(paths=[str(repo)]), out, skip_license_check=True, keep_files=keep_files)
    assert report.validation.valid
    return report


def test_an_unchanged_build_is_not_compiled_again(repo: Path, tmp_path: Path, compiled: list[int]) -> None:
    out = tmp_path / "build"
    first = _compile(repo, out)
    assert compiled == [1] and first.written and not first.unchanged
    again = _compile(repo, out)
    assert compiled == [1], "nothing changed: nothing compiled"
    assert again.validation.replayed
    assert (again.written, again.removed) == ([], [])
    assert again.unchanged == again.paths == first.paths


def test_an_edited_build_file_is_compiled_and_put_back(
    repo: Path, tmp_path: Path, compiled: list[int]
) -> None:
    out = tmp_path / "build"
    _compile(repo, out)
    original = (out / "manifest.json").read_bytes()
    (out / "manifest.json").write_text("{}")
    report = _compile(repo, out)
    assert compiled == [2] and report.written == ["manifest.json"]
    assert (out / "manifest.json").read_bytes() == original


@pytest.mark.parametrize("change", ["added", "removed", "replaced with the same bytes"])
def test_any_change_to_the_folder_compiles_again(
    repo: Path, tmp_path: Path, compiled: list[int], change: str
) -> None:
    out = tmp_path / "build"
    _compile(repo, out)
    target = out / "projects"
    victim = sorted(p for p in target.rglob("*") if p.is_file())[0]
    if change == "added":
        (target / "notes.txt").write_text("mine")
    elif change == "removed":
        victim.unlink()
    else:
        data = victim.read_bytes()
        victim.unlink()
        victim.write_bytes(data)
    report = _compile(repo, out)
    assert compiled == [2]
    assert not (target / "notes.txt").exists()
    assert victim.is_file() and report.validation.valid
    assert _compile(repo, out).unchanged == report.paths and compiled == [2], "and then it is up to date"


def test_a_changed_input_compiles_again(repo: Path, tmp_path: Path, compiled: list[int]) -> None:
    out = tmp_path / "build"
    _compile(repo, out)
    dictionary = repo / "rules" / "dictionaries" / "gender.csv"
    dictionary.write_text(dictionary.read_text() + "nonbinary,enby\n")  # read by the compile, not a manifest
    report = _compile(repo, out)
    assert compiled == [2] and report.written


def test_the_record_belongs_to_its_folder(repo: Path, tmp_path: Path, compiled: list[int]) -> None:
    _compile(repo, tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # the same files, not the same folder
    _compile(repo, tmp_path / "b")
    assert compiled == [2]


def test_the_library_call_that_keeps_files_always_compiles(
    repo: Path, tmp_path: Path, compiled: list[int]
) -> None:
    out = tmp_path / "build"
    _compile(repo, out)
    report = _compile(repo, out, keep_files=True)
    assert compiled == [2] and report.build is not None and report.build.files


def test_a_record_not_signed_with_the_users_key_is_ignored(
    repo: Path, tmp_path: Path, compiled: list[int]
) -> None:
    out = tmp_path / "build"
    _compile(repo, out)
    records = list((default_cache_dir() / "compiled").iterdir())
    assert len(records) == 1
    records[0].write_bytes(records[0].read_bytes().replace(b'"mac": "', b'"mac": "0'))
    _compile(repo, out)
    assert compiled == [2]


def test_the_listing_sees_what_changes_content(tmp_path: Path) -> None:
    folder = tmp_path / "build"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.json").write_text("1")
    before = uptodate.listing(folder)
    assert before is not None and [row[0] for row in before] == ["", "sub", "sub/a.json"]
    os.utime(folder / "sub" / "a.json", ns=(0, 0))
    assert uptodate.listing(folder) != before
    assert uptodate.listing(tmp_path / "missing") is None


def test_the_record_is_of_this_compiles_build_even_with_another_writing(
    repo: Path, tmp_path: Path, compiled: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "build"
    real = uptodate.remember
    other: list[threading.Thread] = []

    def racing(cache_dir: Path, folder: Path, fingerprint: str, paths: list[str]) -> None:
        # another compile to the same folder starts while this one records what it wrote
        thread = threading.Thread(target=api.write_tree, args=(out, {"other.txt": b"another compile"}))
        thread.start()
        other.append(thread)
        thread.join(0.5)
        assert thread.is_alive(), "the other write waits for the folder's lock"
        real(cache_dir, folder, fingerprint, paths)

    monkeypatch.setattr(uptodate, "remember", racing)
    _compile(repo, out)
    other[0].join()
    assert (out / "other.txt").read_bytes() == b"another compile"
    monkeypatch.setattr(uptodate, "remember", real)
    _compile(repo, out)
    assert compiled == [2], "the folder holds the other write: compiled again"
    assert not (out / "other.txt").exists()
