"""The streaming unzip parser alone: any chunking gives zipfile's result; disagreements fall back."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from alabctl.assets.archive import DEFAULT_LIMITS, Limits
from alabctl.assets.zipstream import NotStreamable, UnzipSink, ZipStream, quick_to_refetch
from alabctl.spec.errors import PermanentError
from tests.assets.test_asset_stream import build


def _feed(data: bytes, dest: Path, seed: int, limits: Limits = DEFAULT_LIMITS) -> ZipStream:
    stream = ZipStream(dest, "a.zip", limits)
    rnd, at = random.Random(seed), 0
    while at < len(data):
        step = rnd.choice([1, 2, 3, 29, 30, 31, 4096, 65_536, 1 << 20])
        stream.feed(data[at : at + step])
        at += step
    stream.finish()
    return stream


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in root.rglob("*")}


@pytest.mark.parametrize("kind", ["stored", "deflated", "zip64", "descriptor"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_any_chunking_unzips_exactly(tmp_path: Path, kind: str, seed: int) -> None:
    data = build(kind, random.Random(seed).randbytes(150_000) + bytes(50_000))
    stream = _feed(data, tmp_path / "x", seed)
    assert stream.offset == len(data)
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path / "expected")
    assert _tree(tmp_path / "x") == _tree(tmp_path / "expected")


def test_an_empty_archive_unzips_to_nothing(tmp_path: Path) -> None:
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()
    _feed(buf.getvalue(), tmp_path / "x", 0)
    assert not (tmp_path / "x").exists()


def test_a_central_directory_that_disagrees_with_the_entries_falls_back(tmp_path: Path) -> None:
    data = bytearray(build("stored", b"w" * 1000))
    central = data.find(b"PK\x01\x02")
    data[central + 16 : central + 20] = b"\0\0\0\0"  # another CRC-32 than the local header's
    with pytest.raises(NotStreamable):
        _feed(bytes(data), tmp_path / "x", 0)


def test_the_total_cap_stops_the_writing(tmp_path: Path) -> None:
    data = build("descriptor", random.Random(0).randbytes(50_000))
    with pytest.raises(PermanentError, match="unpacks to more than"):
        _feed(data, tmp_path / "x", 0, Limits(max_total=10_000))
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) <= 10_000 + (1 << 20)


def test_a_file_entry_under_a_file_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("metadata", b"x")
        zf.writestr("metadata/part-00000", b"{}")
    with pytest.raises(PermanentError, match="both a file and a folder"):
        _feed(buf.getvalue(), tmp_path / "x", 0)


def _sink_through(data: bytes, tmp_path: Path, refetch: float) -> UnzipSink:
    """Data through an UnzipSink with a journal, chunk by chunk as the download pump gives it."""

    class Sink(UnzipSink):
        JOURNAL_PROBE = 100_000
        JOURNAL_REFETCH = refetch

    sink = Sink(tmp_path / "x", "m.zip", DEFAULT_LIMITS, journal=tmp_path / "m.zip.part", size=len(data))
    sink.dest.mkdir()
    sink.open()
    for at in range(0, len(data), 30_000):
        chunk = data[at : at + 30_000]
        sink.digest(chunk)
        sink.write(chunk)
    sink.close()
    return sink


def test_the_journal_keeps_every_byte_on_a_slow_link(tmp_path: Path) -> None:
    data = build("deflated", random.Random(4).randbytes(400_000))
    sink = _sink_through(data, tmp_path, refetch=0.0)  # no link fetches anything again in 0 s
    assert (tmp_path / "m.zip.part").read_bytes() == data and sink.kept()
    sink.result()
    assert (sink.dest / "fields/weights/part-00000").stat().st_size == 400_000


def test_the_journal_keeps_only_a_prefix_on_a_fast_link(tmp_path: Path) -> None:
    data = build("deflated", random.Random(4).randbytes(400_000))
    sink = _sink_through(data, tmp_path, refetch=1e9)  # every real link refetches 400 kB in 30 years
    kept = (tmp_path / "m.zip.part").read_bytes()
    assert kept == data[:120_000], "journaled up to the first chunk past the probe, then stopped"
    sink.result()  # the unzip itself went on to the end
    assert (sink.dest / "fields/weights/part-00000").stat().st_size == 400_000
    sink.discard()
    assert not (tmp_path / "m.zip.part").exists() and not sink.dest.exists()


@pytest.mark.parametrize(
    ("size", "received", "elapsed", "quick"),
    [
        (100_000_000, 8 << 20, 0.07, True),  # 100 MB at 120 MB/s (one of five sharing a fast link)
        (100_000_000, 8 << 20, 2.6, False),  # 100 MB at 3.2 MB/s: 31 s to fetch again
        (6_000_000_000, 8 << 20, 0.04, True),  # 6 GB at 210 MB/s: 28.6 s
        (6_000_000_000, 8 << 20, 0.045, False),  # 6 GB at 186 MB/s: 32 s
        (UnzipSink.UNKNOWN_SIZE, 8 << 20, 0.07, False),  # no size given: judged as 6 GB
    ],
)
def test_the_journal_stops_where_the_archive_is_quick_to_fetch_again(
    size: int, received: int, elapsed: float, quick: bool
) -> None:
    assert quick_to_refetch(size, received, elapsed, UnzipSink.JOURNAL_REFETCH) is quick
