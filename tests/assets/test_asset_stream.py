"""Unzipping while downloading, from a real hub on loopback: exact results, hostile archives, fallback.

Every hostile case checks that nothing is installed, nothing is left in the store's ``tmp`` and the
asset is marked failed; a good archive is unzipped byte for byte as ``zipfile`` would, in one GET.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from alabctl.assets.download import RetryPolicy
from alabctl.assets.home import Home
from alabctl.assets.hub import HubClient
from alabctl.assets.pull import Puller, PullOptions, Target
from alabctl.assets.store import Status, Store
from alabctl.spec.errors import PermanentError, TransientError
from alabctl.spec.lock import AssetType
from tests.assets.hubserver import HubServer, publish

META = json.dumps({"class": "x.NerDLModel", "uid": "u", "paramMap": {}})


class _Unseekable(io.RawIOBase):
    """A write-only stream: ``zipfile`` then puts sizes in data descriptors after each entry."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        view = memoryview(data)  # type: ignore[arg-type]
        self.data += view
        return len(view)


def build(kind: str, payload: bytes) -> bytes:
    """A model zip: ``stored``, ``deflated``, ``zip64`` (forced) or ``descriptor`` (streamed sizes)."""
    target: io.BytesIO | _Unseekable = _Unseekable() if kind.startswith("descriptor") else io.BytesIO()
    method = zipfile.ZIP_STORED if kind in ("stored", "descriptor-stored") else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(target, "w", method) as zf:
        zf.writestr("metadata/part-00000", META)
        zf.writestr("metadata/_SUCCESS", b"")
        zf.writestr("fields/", b"")
        with zf.open("fields/weights/part-00000", "w", force_zip64=kind == "zip64") as out:
            out.write(payload)
    return bytes(target.data) if isinstance(target, _Unseekable) else target.getvalue()


def make_puller(hub: HubServer, tmp: Path, *, attempts: int = 3, free: int = 10**12) -> Puller:
    home = Home(tmp / "home")
    client = HubClient(hub.url, cache_dir=home.hub_cache, attempts=2, base_delay=0.01)
    options = PullOptions(
        lib_version=(5, 5, 1),
        spark_version=(3, 5, 1),
        retry=RetryPolicy(attempts=attempts, base_delay=0.01),
        free_space=lambda _: free,
        report=lambda line: reports.append(line),
    )
    reports: list[str] = []
    puller = Puller(home, client, Store(home.db), options)
    puller.reports = reports  # type: ignore[attr-defined]
    return puller


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in root.rglob("*")}


def _failed_cleanly(puller: Puller) -> None:
    assert list(puller.home.cache.iterdir()) == []
    assert list(puller.home.tmp.iterdir()) == []
    row = puller.store.get("ner_dl", AssetType.MODEL)
    assert row is not None and row.status is Status.FAILED


@pytest.mark.parametrize("kind", ["stored", "deflated", "zip64", "descriptor"])
def test_a_good_archive_is_unzipped_as_it_streams_exactly_as_zipfile_would(
    hub: HubServer, tmp_path: Path, kind: str
) -> None:
    payload = random.Random(3).randbytes(700_000) + bytes(300_000)
    data = build(kind, payload)
    sha = hashlib.sha256(data).hexdigest()
    path = publish(hub.state.root, "public/models", "ner_dl", data, size=len(data), sha256=sha)
    puller = make_puller(hub, tmp_path)
    [result] = puller.pull([Target("ner_dl")])
    assert result.row.status is Status.READY and result.row.sha256 == sha
    expected = tmp_path / "expected"
    zipfile.ZipFile(io.BytesIO(data)).extractall(expected)
    assert _tree(result.path) == _tree(expected)
    assert len(hub.state.gets(path)) == 1, "one download, no second pass"
    assert not any("after it is downloaded" in line for line in puller.reports)  # type: ignore[attr-defined]
    assert list(puller.home.tmp.iterdir()) == []


def test_a_dropped_connection_continues_the_same_unzip_with_range(hub: HubServer, tmp_path: Path) -> None:
    payload = random.Random(5).randbytes(900_000)
    data = build("descriptor", payload)
    path = publish(hub.state.root, "public/models", "ner_dl", data, size=len(data))
    hub.state.drop_after[path] = 333_333  # in the middle of the deflated weights
    [result] = make_puller(hub, tmp_path).pull([Target("ner_dl")])
    gets = hub.state.gets(path)
    assert len(gets) == 2 and 0 < int(gets[1]["Range"].removeprefix("bytes=").removesuffix("-")) <= 333_333
    assert (result.path / "fields/weights/part-00000").read_bytes() == payload


@pytest.mark.parametrize("kind", ["descriptor-stored", "prefixed"])
def test_an_archive_that_can_not_be_streamed_exactly_is_unzipped_after_download(
    hub: HubServer, tmp_path: Path, kind: str
) -> None:
    payload = random.Random(6).randbytes(200_000)
    data = build("stored", payload) if kind == "prefixed" else build(kind, payload)
    if kind == "prefixed":  # bytes before the first entry (a self-extracting stub): zipfile copes
        data = b"#!stub\n" * 10 + data
    path = publish(hub.state.root, "public/models", "ner_dl", data, sha256=hashlib.sha256(data).hexdigest())
    puller = make_puller(hub, tmp_path)
    [result] = puller.pull([Target("ner_dl")])
    assert (result.path / "fields/weights/part-00000").read_bytes() == payload
    gets = hub.state.gets(path)  # the file download continues from the bytes the stream received
    assert len(gets) == 2 and gets[1]["Range"].startswith("bytes=")
    assert any("after it is downloaded" in line for line in puller.reports)  # type: ignore[attr-defined]
    assert list(puller.home.tmp.iterdir()) == []


def _raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def test_a_traversal_entry_is_refused_before_it_is_written(hub: HubServer, tmp_path: Path) -> None:
    data = _raw_zip([("metadata/part-00000", META.encode()), ("../../evil.txt", b"x" * 1000)])
    publish(hub.state.root, "public/models", "ner_dl", data, sha256=hashlib.sha256(data).hexdigest())
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match=r"leaves the folder"):
        puller.pull([Target("ner_dl")])
    assert not list(tmp_path.rglob("evil.txt")) and not (tmp_path.parent / "evil.txt").exists()
    _failed_cleanly(puller)


def test_a_symlink_listed_in_the_central_directory_is_refused(hub: HubServer, tmp_path: Path) -> None:
    link = zipfile.ZipInfo("metadata/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = _raw_zip([("metadata/part-00000", META.encode()), (link, b"/etc/passwd")])
    publish(hub.state.root, "public/models", "ner_dl", data)
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="symbolic link"):
        puller.pull([Target("ner_dl")])
    _failed_cleanly(puller)


def test_a_truncated_stream_installs_nothing(hub: HubServer, tmp_path: Path) -> None:
    data = build("deflated", random.Random(8).randbytes(400_000))
    path = publish(hub.state.root, "public/models", "ner_dl", data, size=len(data))
    hub.state.drop_after[path] = 200_000
    puller = make_puller(hub, tmp_path, attempts=1)
    with pytest.raises(TransientError):
        puller.pull([Target("ner_dl")])
    assert list(puller.home.cache.iterdir()) == []
    # only the bytes received are kept, for the next run to resume (the hub takes Range requests)
    (partial,) = puller.home.tmp.iterdir()
    assert partial.name.endswith(".part") and data.startswith(partial.read_bytes())
    row = puller.store.get("ner_dl", AssetType.MODEL)
    assert row is not None and row.status is Status.FAILED


def test_a_truncated_archive_is_refused(hub: HubServer, tmp_path: Path) -> None:
    data = build("deflated", random.Random(8).randbytes(400_000))[:300_000]
    publish(hub.state.root, "public/models", "ner_dl", data, sha256=hashlib.sha256(data).hexdigest())
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match=r"truncated|not a valid zip"):
        puller.pull([Target("ner_dl")])
    _failed_cleanly(puller)


def test_a_checksum_mismatch_after_a_clean_unzip_installs_nothing(hub: HubServer, tmp_path: Path) -> None:
    data = build("stored", random.Random(9).randbytes(300_000))
    publish(hub.state.root, "public/models", "ner_dl", data, sha256="0" * 64)
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="sha256 mismatch"):
        puller.pull([Target("ner_dl")])
    _failed_cleanly(puller)


def test_bytes_corrupted_inside_an_entry_are_reported_as_the_checksum(hub: HubServer, tmp_path: Path) -> None:
    data = build("stored", random.Random(9).randbytes(300_000))
    sha = hashlib.sha256(data).hexdigest()
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0xFF  # the entry's CRC-32 fails first; the archive's sha256 is what is reported
    publish(hub.state.root, "public/models", "ner_dl", bytes(bad), sha256=sha)
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="sha256 mismatch"):
        puller.pull([Target("ner_dl")])
    _failed_cleanly(puller)


def _shrink_declared_size(data: bytes, name: bytes, size: int) -> bytes:
    """Lower an entry's uncompressed size in its local header and in the central directory."""
    out = bytearray(data)
    local = out.find(b"PK\x03\x04" + b"\x14\x00")
    while local >= 0:
        nlen = struct.unpack_from("<H", out, local + 26)[0]
        if out[local + 30 : local + 30 + nlen] == name:
            struct.pack_into("<L", out, local + 22, size)
        local = out.find(b"PK\x03\x04", local + 4)
    central = out.find(b"PK\x01\x02")
    while central >= 0:
        nlen = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + nlen] == name:
            struct.pack_into("<L", out, central + 24, size)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_an_entry_bigger_than_declared_is_stopped_while_written(hub: HubServer, tmp_path: Path) -> None:
    big = _raw_zip(
        [("metadata/part-00000", META.encode()), ("fields/zeros", bytes(3 << 20))], zipfile.ZIP_DEFLATED
    )
    data = _shrink_declared_size(big, b"fields/zeros", 1000)
    publish(hub.state.root, "public/models", "ner_dl", data, sha256=hashlib.sha256(data).hexdigest())
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="bigger than its header says"):
        puller.pull([Target("ner_dl")])
    _failed_cleanly(puller)


def test_a_bomb_whose_sizes_follow_its_data_is_refused(hub: HubServer, tmp_path: Path) -> None:
    data = build("descriptor", bytes(30 << 20))  # 30 MB of zeros, about 1000:1, sizes only after the data
    assert len(data) < 100_000
    publish(hub.state.root, "public/models", "ner_dl", data)
    puller = make_puller(hub, tmp_path)
    with pytest.raises(PermanentError, match="compressed more than"):
        puller.pull([Target("ner_dl")])
    _failed_cleanly(puller)


def test_what_a_streamed_archive_expands_to_must_fit_twice_on_disk(hub: HubServer, tmp_path: Path) -> None:
    data = build("descriptor", bytes(random.Random(1).choices(b"ab", k=2 << 20)))  # about 6:1
    publish(hub.state.root, "public/models", "ner_dl", data)
    puller = make_puller(hub, tmp_path, free=2 * len(data) + 1000)  # the download fits, the unzip not
    with pytest.raises(PermanentError, match="not enough free disk space to unpack"):
        puller.pull([Target("ner_dl")])
    _failed_cleanly(puller)
