"""``alabctl.files``: private writes stay 0600, public ones get the mode ``open``/``mkdir`` would give."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from alabctl.files import new_folder, replacement, write_all_atomic, write_atomic

UMASKS = [0o000, 0o022, 0o027, 0o077]


@pytest.fixture(params=UMASKS)
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask set to each of :data:`UMASKS` for the test, and put back after."""
    old = os.umask(request.param)
    try:
        yield int(request.param)
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_writes_are_0600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    write_atomic(tmp_path / "cache.json", "{}")
    write_all_atomic({tmp_path / "a": b"1", tmp_path / "sub" / "b": b"2"})
    assert [mode(tmp_path / n) for n in ("cache.json", "a", "sub/b")] == [0o600] * 3


def test_public_writes_get_what_open_gives(tmp_path: Path, umask: int) -> None:
    with (tmp_path / "plain").open("w") as plain:
        plain.write("x")
    write_atomic(tmp_path / "out.json", "{}", public=True)
    write_all_atomic({tmp_path / "a.yaml": "a", tmp_path / "b.yaml": "b"}, public=True)
    expected = 0o666 & ~umask
    assert mode(tmp_path / "plain") == expected
    assert [mode(tmp_path / n) for n in ("out.json", "a.yaml", "b.yaml")] == [expected] * 3
    (tmp_path / "out.json").chmod(0o600)  # as an older alabctl left it: replaced by a new file's mode
    write_atomic(tmp_path / "out.json", "{1}", public=True)
    assert mode(tmp_path / "out.json") == expected and (tmp_path / "out.json").read_text() == "{1}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml", "out.json", "plain"]


def test_an_explicit_mode_wins(tmp_path: Path, umask: int) -> None:
    write_atomic(tmp_path / "x", "x", mode=0o640, public=True)
    assert mode(tmp_path / "x") == 0o640


def test_new_folder_gets_what_mkdir_gives(tmp_path: Path, umask: int) -> None:
    (tmp_path / "plain").mkdir()
    made = new_folder(tmp_path, ".build.new-")
    assert made.parent == tmp_path and made.name.startswith(".build.new-") and made.is_dir()
    assert mode(made) == mode(tmp_path / "plain") == 0o777 & ~umask
    assert new_folder(tmp_path, ".build.new-") != made


def test_a_replacement_is_a_new_file_beside_its_target(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "notes.pre.json"
    fd, temp = replacement(target, public=True)
    os.close(fd)
    assert temp.parent == tmp_path and temp.name.startswith(".notes.pre.json.")
    assert mode(temp) == 0o666 & ~umask
    fd, private = replacement(target)
    os.close(fd)
    assert mode(private) == 0o600 and private != temp
