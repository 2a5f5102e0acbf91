"""Unzip an archive from its byte stream as it arrives, so every byte is written once.

A push parser: :meth:`ZipStream.feed` takes the archive's bytes in order (any chunking, resumed
downloads included) and writes each entry into a new folder as its local header and data arrive.
The same rules as :mod:`archive` hold: each entry's path is checked before a byte of it is written,
sizes are counted while written (an entry bigger than its header says, the total cap, and half the
free disk stop it at once), CRC-32s and data descriptors are checked, and :meth:`ZipStream.finish`
runs :func:`archive.check_entries` on the central directory at the end of the stream (symbolic
links, duplicates, ratios: what only the directory says) and checks that it lists exactly the
entries that were written. Nothing here installs anything: the caller renames the folder into place
only after the archive's checksum matched.

An archive this parser can not unzip exactly (bytes before the first entry, an encrypted entry, a
method other than stored or deflate, a stored entry whose size is only in a data descriptor or the
central directory, or a directory that disagrees with the local headers) raises
:class:`NotStreamable`: download it whole and unzip it with :func:`archive.unpack` instead.
"""

from __future__ import annotations

import shutil
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from alabctl.assets.archive import (
    DEFAULT_LIMITS,
    Limits,
    check_entries,
    entry_parts,
    no_room,
    refuse,
    unpack_hint,
)
from alabctl.assets.download import Sink, new_hashers
from alabctl.spec.errors import PermanentError

_LOCAL_SIG = b"PK\x03\x04"
_CENTRAL_SIG = b"PK\x01\x02"
_END_SIG = b"PK\x05\x06"
_END64_SIG = b"PK\x06\x06"
_LOCATOR64_SIG = b"PK\x06\x07"
_DESCRIPTOR_SIG = b"PK\x07\x08"
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_OUT = 1 << 22
"""Most bytes one ``decompress`` call may produce (a bomb never sits in memory)."""
_MAX_TAIL = 256 << 20
"""The central directory and end records are kept in memory to be checked; more is refused."""
_ENCRYPTED, _DESCRIPTOR, _UTF8 = 0x1, 0x8, 0x800
_STORED, _DEFLATED = 0, 8
_MAX32 = 0xFFFFFFFF


class NotStreamable(Exception):
    """The archive can not be unzipped exactly from its stream; unzip the whole file instead."""


class _State(StrEnum):
    SIGNATURE = "signature"
    HEADER = "header"
    DATA = "data"
    DESCRIPTOR = "descriptor"
    TAIL = "tail"


@dataclass
class _Entry:
    """The entry being written."""

    raw_name: bytes
    name: str
    offset: int
    method: int
    crc: int
    csize: int | None
    """``None`` when the sizes follow the data (a data descriptor)."""
    usize: int | None
    zip64: bool
    out: IO[bytes] | None
    written: int = 0
    consumed: int = 0
    actual_crc: int = 0
    inflater: Any = None


@dataclass(frozen=True)
class _Written:
    """What the local headers said, to compare with the central directory."""

    raw_name: bytes
    crc: int
    csize: int
    usize: int


class ZipStream:
    """Unzip into the new folder ``dest``; ``label`` names the archive in errors."""

    def __init__(self, dest: Path, label: str, limits: Limits = DEFAULT_LIMITS) -> None:
        self.dest, self.label, self.limits = dest, label, limits
        self.offset = 0
        """Bytes of the archive fed so far."""
        self._pos = 0
        """Bytes of the archive parsed so far (``offset`` less a header still being read)."""
        self._state = _State.SIGNATURE
        self._buf = bytearray()
        """A signature, header or data descriptor being read; then the central directory."""
        self._want = 4
        """How long ``_buf`` must grow before it is parsed."""
        self._entry: _Entry | None = None
        self._entries: dict[int, _Written] = {}
        """What was written, by the offset of its local header."""
        self._files: set[tuple[str, ...]] = set()
        self._folders: set[tuple[str, ...]] = set()
        self._total = 0

    def feed(self, data: bytes | memoryview) -> None:
        """Take the next bytes of the archive; refuses (``PermanentError``) or raises ``NotStreamable``."""
        view = memoryview(data)
        self.offset += len(view)
        while view:
            before = len(view)
            if self._state is _State.DATA:
                view = self._data(view)
                self._pos += before - len(view)
            elif self._state is _State.TAIL:
                self._buf += view
                self._pos += before
                if len(self._buf) > _MAX_TAIL:
                    raise refuse(self.label, "its central directory is too large")
                return
            else:
                take = self._want - len(self._buf)
                self._buf += view[:take]
                view = view[take:]
                self._pos += before - len(view)
                if len(self._buf) == self._want:
                    self._advance()

    def _advance(self) -> None:
        """A header-like part is complete in ``_buf``: parse it."""
        if self._state is _State.SIGNATURE:
            sig = bytes(self._buf)
            if sig == _LOCAL_SIG:
                self._state, self._want = _State.HEADER, _LOCAL.size
            elif sig in (_CENTRAL_SIG, _END_SIG, _END64_SIG):
                self._state = _State.TAIL
            else:
                raise NotStreamable(f"unexpected bytes at offset {self._pos - len(self._buf)}")
        elif self._state is _State.HEADER:
            if len(self._buf) == _LOCAL.size:
                nlen, xlen = _LOCAL.unpack(self._buf)[9:]
                self._want = _LOCAL.size + nlen + xlen
                if nlen + xlen:
                    return
            self._start_entry(bytes(self._buf))
            self._buf.clear()
        elif self._state is _State.DESCRIPTOR:
            assert self._entry is not None
            if len(self._buf) == 4:  # the signature is optional: without it, these are the CRC-32
                sizes = 20 if self._entry.zip64 else 12
                self._want = sizes + 4 if self._buf == _DESCRIPTOR_SIG else sizes
                if self._want > 4:
                    return
            self._descriptor()

    def _start_entry(self, header: bytes) -> None:
        _, _, flags, method, _, _, crc, csize, usize, nlen, xlen = _LOCAL.unpack_from(header)
        offset = self._pos - len(header)
        raw_name = header[_LOCAL.size : _LOCAL.size + nlen]
        extra = header[_LOCAL.size + nlen : _LOCAL.size + nlen + xlen]
        if flags & _ENCRYPTED or method not in (_STORED, _DEFLATED):
            raise NotStreamable("an encrypted entry or an unusual compression method")
        described = bool(flags & _DESCRIPTOR)
        if described and method == _STORED:
            raise NotStreamable("a stored entry whose size follows its data")
        sizes = _zip64_sizes(extra)
        zip64 = sizes is not None
        if sizes is not None and (usize == _MAX32 or csize == _MAX32):
            usize, csize = sizes
        elif usize == _MAX32 or csize == _MAX32:
            raise refuse(self.label, "an entry's zip64 sizes are missing")
        info = zipfile.ZipInfo(raw_name.decode("utf-8" if flags & _UTF8 else "cp437"))
        if len(self._entries) + 1 > self.limits.max_entries:
            raise refuse(self.label, f"more than {self.limits.max_entries} entries")
        out = self._open(info)
        known = not described
        self._entry = _Entry(
            raw_name,
            info.filename,
            offset,
            method,
            crc,
            csize if known else None,
            usize if known else None,
            zip64,
            out,
            inflater=zlib.decompressobj(-15) if method == _DEFLATED else None,
        )
        if known and out is not None:
            self._check_declared(info.filename, csize, usize)
        self._state = _State.DATA
        if known and csize == 0 and method == _STORED:
            self._end_entry()

    def _check_declared(self, name: str, csize: int, usize: int) -> None:
        limits = self.limits
        if usize > limits.ratio_floor and usize > limits.max_ratio * max(csize, 1):
            raise refuse(self.label, f"entry '{name}' is compressed more than {limits.max_ratio:g}:1")
        if self._total + usize > limits.max_total:
            raise refuse(self.label, f"it unpacks to more than {limits.max_total} bytes")
        if limits.free_space is not None and 2 * (self._total + usize) > limits.free_space:
            raise no_room(self.label, self._total + usize, limits.free_space)

    def _open(self, info: zipfile.ZipInfo) -> IO[bytes] | None:
        """Check the entry's path against what came before and create it; ``None`` for a folder."""
        parts = entry_parts(self.label, info.filename)
        if info.is_dir():
            if parts in self._files:
                raise refuse(self.label, f"'{'/'.join(parts)}' is both a file and a folder")
            self._folders.add(parts)
        elif parts in self._files:
            raise refuse(self.label, f"entry '{info.filename}' appears twice")
        elif parts in self._folders:
            raise refuse(self.label, f"'{'/'.join(parts)}' is both a file and a folder")
        else:
            self._files.add(parts)
        parents = [parts[:i] for i in range(1, len(parts))]
        clash = [p for p in parents if p in self._files]
        if clash:
            raise refuse(self.label, f"'{'/'.join(clash[0])}' is both a file and a folder")
        self._folders.update(parents)
        target = self.dest.joinpath(*parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.open("xb")

    def _data(self, view: memoryview) -> memoryview:
        """Write as much of the entry's data as ``view`` holds; returns what follows it."""
        entry = self._entry
        assert entry is not None
        if entry.method == _STORED:
            assert entry.csize is not None
            piece, view = view[: entry.csize - entry.consumed], view[entry.csize - entry.consumed :]
            entry.consumed += len(piece)
            self._write(entry, piece)
            if entry.consumed == entry.csize:
                self._end_entry()
            return view
        inflater = entry.inflater
        if entry.csize is not None:
            piece, view = view[: entry.csize - entry.consumed], view[entry.csize - entry.consumed :]
        else:
            piece, view = view, view[len(view) :]
        try:
            out = inflater.decompress(piece, _OUT)
            self._write(entry, out)
            while len(out) == _OUT and not inflater.eof:  # more may be pending, even with no input left
                out = inflater.decompress(inflater.unconsumed_tail, _OUT)
                self._write(entry, out)
        except zlib.error as exc:
            raise refuse(self.label, f"not a valid zip ({exc})") from None
        rest = inflater.unused_data  # at the end of the deflate data; unconsumed_tail is stale then
        entry.consumed += len(piece) - (len(rest) if inflater.eof else len(inflater.unconsumed_tail))
        if inflater.eof:
            if rest:
                view = memoryview(rest + bytes(view)) if view else memoryview(rest)
            if entry.csize is None:
                self._state, self._want = _State.DESCRIPTOR, 4
                self._buf.clear()
            else:
                self._end_entry()
        elif entry.csize is not None and entry.consumed >= entry.csize:
            raise refuse(self.label, f"entry '{entry.name}' ends before its compressed data does")
        return view

    def _write(self, entry: _Entry, data: bytes | memoryview) -> None:
        if not data:
            return
        if entry.out is None:
            raise refuse(self.label, f"folder entry '{entry.name}' holds data")
        entry.written += len(data)
        self._total += len(data)
        if entry.usize is not None and entry.written > entry.usize:
            raise refuse(self.label, f"entry '{entry.name}' is bigger than its header says")
        if self._total > self.limits.max_total:
            raise refuse(self.label, f"it unpacks to more than {self.limits.max_total} bytes")
        free = self.limits.free_space
        if free is not None and 2 * self._total > free:
            raise no_room(self.label, self._total, free)
        entry.actual_crc = zlib.crc32(data, entry.actual_crc)
        entry.out.write(data)

    def _descriptor(self) -> None:
        """The data descriptor after a deflated entry: optional signature, CRC-32, sizes."""
        entry = self._entry
        assert entry is not None
        body = bytes(self._buf)
        body = body[4:] if len(body) in (16, 24) else body
        crc, csize, usize = struct.unpack("<LQQ" if entry.zip64 else "<LLL", body)
        entry.crc, entry.csize, entry.usize = crc, csize, usize
        self._end_entry()

    def _end_entry(self) -> None:
        entry = self._entry
        assert entry is not None
        if entry.out is not None:
            entry.out.close()
        if entry.written != entry.usize or entry.consumed != entry.csize:
            raise refuse(self.label, f"entry '{entry.name}' does not have the size its header says")
        if entry.actual_crc != entry.crc:
            raise refuse(self.label, f"not a valid zip (bad CRC-32 for file '{entry.name}')")
        if entry.usize > self.limits.ratio_floor and entry.usize > self.limits.max_ratio * max(
            entry.csize, 1
        ):
            raise refuse(
                self.label, f"entry '{entry.name}' is compressed more than {self.limits.max_ratio:g}:1"
            )
        self._entries[entry.offset] = _Written(entry.raw_name, entry.crc, entry.csize, entry.usize)
        self._entry = None
        self._state, self._want = _State.SIGNATURE, 4
        self._buf.clear()

    def abort(self) -> None:
        """Close the file being written (the caller removes the folder)."""
        if self._entry is not None and self._entry.out is not None:
            self._entry.out.close()

    def finish(self) -> None:
        """The stream ended: check the central directory against what was written."""
        if self._state is not _State.TAIL:
            self.abort()
            raise refuse(self.label, "the archive ends in the middle of an entry (truncated)")
        infos, raw = _central_directory(self.label, bytes(self._buf))
        check_entries(self.label, infos, self.limits)
        listed = {
            info.header_offset: _Written(name, info.CRC, info.compress_size, info.file_size)
            for info, name in zip(infos, raw, strict=True)
        }
        if listed != self._entries:
            raise NotStreamable("the central directory does not list exactly the entries streamed")


def _zip64_sizes(extra: bytes) -> tuple[int, int] | None:
    """(uncompressed, compressed) from a local header's zip64 extra field, if it has one."""
    at = 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        if kind == 0x0001 and size >= 16:
            usize, csize = struct.unpack_from("<QQ", extra, at + 4)
            return int(usize), int(csize)
        at += 4 + size
    return None


def _central_directory(label: str, tail: bytes) -> tuple[list[zipfile.ZipInfo], list[bytes]]:
    """The entries of the central directory at the start of ``tail`` (then the end records)."""
    infos: list[zipfile.ZipInfo] = []
    names: list[bytes] = []
    at = 0
    try:
        while tail.startswith(_CENTRAL_SIG, at):
            fields = _CENTRAL.unpack_from(tail, at)
            flags, method, crc, csize, usize, nlen, xlen, clen = (
                fields[3],
                fields[4],
                fields[7],
                fields[8],
                fields[9],
                fields[10],
                fields[11],
                fields[12],
            )
            eattr, offset = fields[15], fields[16]
            start = at + _CENTRAL.size
            raw = tail[start : start + nlen]
            extra = tail[start + nlen : start + nlen + xlen]
            if len(raw) != nlen or len(extra) != xlen:
                raise refuse(label, "its central directory is truncated")
            info = zipfile.ZipInfo(raw.decode("utf-8" if flags & _UTF8 else "cp437"))
            info.flag_bits, info.compress_type, info.CRC = flags, method, crc
            info.compress_size, info.file_size, info.header_offset = csize, usize, offset
            info.external_attr = eattr
            _apply_zip64(label, info, extra)
            infos.append(info)
            names.append(raw)
            at = start + nlen + xlen + clen
        if not tail.startswith((_END_SIG, _END64_SIG), at):
            raise refuse(label, "its central directory is not followed by an end record")
        if tail.startswith(_END64_SIG, at):
            (size,) = struct.unpack_from("<Q", tail, at + 4)
            at += 12 + size
            if not tail.startswith(_LOCATOR64_SIG, at):
                raise refuse(label, "its zip64 end record has no locator")
            at += 20
        end = _END.unpack_from(tail, at)
    except struct.error:
        raise refuse(label, "its central directory is truncated") from None
    if end[0] != _END_SIG or (end[4] != len(infos) and end[4] != 0xFFFF):
        raise refuse(label, "its end record does not match its central directory")
    return infos, names


def _apply_zip64(label: str, info: zipfile.ZipInfo, extra: bytes) -> None:
    """Replace the 32-bit placeholders by the zip64 extra field's values, in the format's order."""
    wanted = [
        attr for attr in ("file_size", "compress_size", "header_offset") if getattr(info, attr) == _MAX32
    ]
    if not wanted:
        return
    at = 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        if kind == 0x0001:
            values = (
                struct.unpack_from(f"<{len(wanted)}Q", extra, at + 4) if size >= 8 * len(wanted) else None
            )
            if values is None:
                break
            for attr, value in zip(wanted, values, strict=True):
                setattr(info, attr, value)
            return
        at += 4 + size
    raise refuse(label, f"entry '{info.filename}' has no zip64 sizes")


def quick_to_refetch(size: int, received: int, elapsed: float, within: float) -> bool:
    """Whether ``size`` bytes would arrive again in under ``within`` seconds, at the rate at which
    ``received`` bytes took ``elapsed`` seconds."""
    return size * elapsed < within * received


class UnzipSink(Sink):
    """A download that unzips as it arrives into ``dest`` (a new folder).

    With a ``journal`` (the asset's ``.part`` file) the bytes received are also appended there, so
    a run that is killed or runs out of retries leaves what a later run resumes with HTTP ``Range``
    (unzipping from the file then), exactly like a download to a file; an archive that turns out
    not to be streamable continues from it too. Where fetching the whole archive again would take
    less than ``JOURNAL_REFETCH`` seconds at the rate seen, the journal keeps only a prefix (see
    :meth:`digest`). Without a journal nothing survives the run.

    A refusal does not stop the download: the rest is hashed without being written, so a corrupted
    transfer is reported as a checksum mismatch, as when the archive is unzipped after it arrived.
    :class:`NotStreamable` stops it at once. Call :meth:`result` once the checksum matched.
    """

    JOURNAL_REFETCH = 30.0
    """Seconds: the journal stops once the whole archive could be fetched again in less."""
    JOURNAL_PROBE = 8 << 20
    """Bytes journaled before the transfer's rate is judged."""
    UNKNOWN_SIZE = 6_000_000_000
    """The size the rule assumes when the hub gives none (the journal then stops above 200 MB/s)."""

    def __init__(
        self,
        dest: Path,
        label: str,
        limits: Limits,
        md5: bool = False,
        journal: Path | None = None,
        size: int | None = None,
    ) -> None:
        super().__init__(dest, md5)
        self.label, self.limits, self.journal = label, limits, journal
        self.size = size if size is not None else self.UNKNOWN_SIZE
        self.resumable_across_runs = journal is not None
        self.stream = ZipStream(dest, label, limits)
        self.failure: Exception | None = None
        self.fed = 0
        self._journal: IO[bytes] | None = None
        self._journaled = 0
        self._stopped = False
        self._began = time.monotonic()

    def begin(self) -> int:
        """The bytes received so far (their hash is kept in memory)."""
        return self.fed

    def restart(self) -> None:
        """Start again from the first byte, in an emptied folder."""
        self.stream.abort()
        shutil.rmtree(self.dest, ignore_errors=True)
        self._drop_journal()
        self._journaled, self._stopped, self._began = 0, False, time.monotonic()
        self.hashers = new_hashers(self.md5)
        self.stream = ZipStream(self.dest, self.label, self.limits)
        self.failure, self.fed = None, 0

    def open(self) -> None:
        """Open the journal for this attempt (the stream opens each entry's file)."""
        if self.journal is not None and self._journal is None and not self._stopped:
            if self._journaled != self.fed:  # an attempt's last bytes were unzipped, not journaled
                self._stopped = True
                return
            self._journal = self.journal.open("ab")

    def digest(self, chunk: bytes) -> None:
        """Hash and journal one chunk (in the hashing thread: the journal's write overlaps the unzip).

        After ``JOURNAL_PROBE`` bytes, the journal stops, keeping the prefix it has, as soon as the
        rate seen would fetch the whole archive again in under ``JOURNAL_REFETCH`` seconds: there a
        second write of every byte costs about as much as the download, and a killed run loses
        little. Judged by the archive's size, not by a fixed rate, so five models sharing a link
        (``hub pull A B C D E``) each stop early too. On a slow link, or for a huge archive, it
        keeps all.
        """
        super().digest(chunk)
        if self._journal is None:
            return
        self._journal.write(chunk)
        self._journaled += len(chunk)
        if self._journaled >= self.JOURNAL_PROBE and quick_to_refetch(
            self.size, self._journaled, time.monotonic() - self._began, self.JOURNAL_REFETCH
        ):
            self._journal.close()
            self._journal = None
            self._stopped = True

    def write(self, chunk: bytes) -> None:
        """Unzip the next bytes; after a failure, only count them."""
        self.fed += len(chunk)
        if self.failure is not None:
            return
        try:
            self.stream.feed(chunk)
        except NotStreamable:
            self.stream.abort()
            raise  # no point reading on: the archive is unzipped from the journal (or downloaded again)
        except PermanentError as exc:
            self.stream.abort()
            self.failure = exc
        except OSError as exc:
            self.stream.abort()
            self.failure = PermanentError(
                f"cannot unpack {self.label}: {exc.strerror or exc}", unpack_hint(exc)
            )

    def close(self) -> None:
        """After an attempt: the journal is flushed and closed; the entry being written stays open."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def kept(self) -> bool:
        """Whether the journal holds bytes a later run can continue."""
        return self.journal is not None and self.journal.is_file() and self.journal.stat().st_size > 0

    def discard(self) -> None:
        """Remove what was unzipped, and the journal."""
        self.stream.abort()
        shutil.rmtree(self.dest, ignore_errors=True)
        self._drop_journal()

    def _drop_journal(self) -> None:
        self.close()
        if self.journal is not None:
            self.journal.unlink(missing_ok=True)

    def result(self) -> None:
        """After the checksum matched: the first failure, else the end-of-archive checks."""
        if self.failure is None:
            try:
                self.stream.finish()
            except (PermanentError, NotStreamable) as exc:
                self.failure = exc
        if self.failure is not None:
            self.discard()
            raise self.failure
