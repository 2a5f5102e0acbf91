"""The build folder's writer: unchanged files hard-linked from the previous build, nothing else shared."""

from __future__ import annotations

import os
from pathlib import Path

from alabctl.outdir import MARKER, write_build


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_a_rebuild_links_unchanged_files_and_writes_changed_ones(tmp_path: Path) -> None:
    out = tmp_path / "build"
    first = {"manifest.json": b"1", "projects/a/config.xml": b"<a/>", "projects/b/config.xml": b"<b/>"}
    write_build(out, first)
    before = {rel: _inode(out / rel) for rel in first}
    written, unchanged, removed = write_build(
        out, {**first, "projects/b/config.xml": b"<B/>", "rules/r.json": b"{}"}
    )
    assert (written, removed) == (["projects/b/config.xml", "rules/r.json"], [])
    assert unchanged == ["manifest.json", "projects/a/config.xml"]
    assert _inode(out / "projects/a/config.xml") == before["projects/a/config.xml"]
    assert _inode(out / "manifest.json") == before["manifest.json"]
    assert _inode(out / "projects/b/config.xml") != before["projects/b/config.xml"]
    assert (out / "projects/b/config.xml").read_bytes() == b"<B/>"
    assert (out / "projects/a/config.xml").stat().st_nlink == 1, "the previous build is gone"
    assert (out / MARKER).is_file()


def test_a_file_with_other_permissions_is_written_again(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_build(out, {"a.json": b"1", "b.json": b"2"})
    (out / "a.json").chmod(0o600)
    old = _inode(out / "a.json")
    written, unchanged, _ = write_build(out, {"a.json": b"1", "b.json": b"3"})
    assert (written, unchanged) == (["b.json"], ["a.json"])
    assert _inode(out / "a.json") != old
    assert (out / "a.json").stat().st_mode & 0o777 == (out / "b.json").stat().st_mode & 0o777


def test_a_symlink_in_the_previous_build_is_neither_followed_nor_kept(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"same")
    out = tmp_path / "build"
    write_build(out, {"a.txt": b"x"})
    (out / "link.txt").symlink_to(outside)
    written, unchanged, removed = write_build(out, {"a.txt": b"x", "link.txt": b"same"})
    assert (written, unchanged, removed) == (["link.txt"], ["a.txt"], [])
    assert not (out / "link.txt").is_symlink()
    assert (out / "link.txt").read_bytes() == b"same"
    assert outside.read_bytes() == b"same"


def test_a_file_that_grew_or_shrank_is_not_the_same(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_build(out, {"a": b"abc", "b": b"abc"})
    (out / "a").write_bytes(b"abcd")
    (out / "b").write_bytes(b"ab")
    written, unchanged, _ = write_build(out, {"a": b"abc", "b": b"abc"})
    assert (written, unchanged) == (["a", "b"], [])
    assert (out / "a").read_bytes() == (out / "b").read_bytes() == b"abc"


def test_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "build"
    files = {"x/y/z.json": b"1", "m.json": b"2"}
    write_build(out, files)
    inodes = {rel: _inode(out / rel) for rel in files}
    marker = (out / MARKER).stat().st_mtime_ns
    assert write_build(out, files) == ([], ["m.json", "x/y/z.json"], [])
    assert {rel: _inode(out / rel) for rel in files} == inodes
    assert (out / MARKER).stat().st_mtime_ns == marker
    assert sorted(os.listdir(tmp_path)) == ["build"]
