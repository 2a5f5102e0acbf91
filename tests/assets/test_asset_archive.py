"""Safe unzip: path escapes, links and bombs are refused with nothing written; installs are atomic."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from alabctl.assets.archive import Limits, unpack
from alabctl.spec.errors import PermanentError
from tests.assets.hubserver import spark_model_zip


def _zip(tmp: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    path = tmp / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def _nothing_installed(tmp: Path) -> None:
    assert not (tmp / "cache").exists() or not list((tmp / "cache").iterdir())
    assert not list((tmp / "tmp").iterdir())


def test_good_archive_installs(tmp_path: Path) -> None:
    archive = tmp_path / "m.zip"
    archive.write_bytes(spark_model_zip(top="ner_dl/"))
    assert unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp")
    assert (tmp_path / "cache/k/metadata/part-00000").is_file()  # single top folder lifted
    assert not list((tmp_path / "tmp").iterdir())


def test_an_entry_name_too_long_for_the_file_system_says_so(tmp_path: Path) -> None:
    archive = _zip(tmp_path, [("metadata/part-00000", b"{}"), ("x" * 300 + ".bin", b"x")])
    with pytest.raises(PermanentError, match=r"cannot unpack a\.zip: File name too long") as caught:
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp")
    assert "longer than this file system allows" in caught.value.hint
    _nothing_installed(tmp_path)


def test_dotdot_entry_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, [("metadata/part-00000", b"{}"), ("../../evil.txt", b"x")])
    with pytest.raises(PermanentError, match=r"leaves the folder"):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    _nothing_installed(tmp_path)


def test_absolute_entry_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, [("/tmp/evil.txt", b"x")])
    with pytest.raises(PermanentError, match="absolute path"):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp")
    _nothing_installed(tmp_path)


def test_symlink_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("metadata/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path, [("metadata/part-00000", b"{}"), (link, b"/etc/passwd")])
    with pytest.raises(PermanentError, match="symbolic link"):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp")
    _nothing_installed(tmp_path)


def test_zip_bomb_ratio_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, [("metadata/part-00000", b"{}"), ("fields/zeros", bytes(20 << 20))])
    with pytest.raises(PermanentError, match="compressed more than"):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp")
    _nothing_installed(tmp_path)


def test_total_size_cap_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, [(f"f{i}", b"a" * 1000) for i in range(20)])
    with pytest.raises(PermanentError, match="unpacks to more than"):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp", Limits(max_total=10_000))
    _nothing_installed(tmp_path)


def test_lying_sizes_are_caught_while_writing(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("big", b"b" * 5000)
    data = bytearray(buf.getvalue())
    # shrink the declared size in the central directory; the bytes are still there
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    archive = tmp_path / "liar.zip"
    archive.write_bytes(bytes(data))
    with pytest.raises(PermanentError):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp", Limits(max_total=100))
    _nothing_installed(tmp_path)


def test_too_many_entries_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path, [(f"f{i}", b"") for i in range(11)])
    with pytest.raises(PermanentError, match="11 entries"):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp", Limits(max_entries=10))


def test_not_a_zip_refused(tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    archive.write_bytes(b"not a zip at all")
    with pytest.raises(PermanentError, match="not a valid zip"):
        unpack(archive, tmp_path / "cache" / "k", tmp_path / "tmp")
    _nothing_installed(tmp_path)
