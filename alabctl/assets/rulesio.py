"""Rule files in Annotation Lab's exchange formats: one rule JSON, or a ZIP of rule JSONs and CSVs.

Reading is defensive, because the archive comes from elsewhere: entries with absolute paths, ``..``,
backslashes or drive letters, links and special files, encrypted entries, duplicate names, too many
entries, too many bytes and suspicious compression ratios are refused before anything is used, and
JSON must be UTF-8 without duplicate keys. Every refusal is a :class:`PermanentError` naming the entry.

Writing (:func:`build_rule_archive`) is pure: the archive's bytes, with sorted names, the fixed
timestamp 1980-01-01 00:00 and fixed permissions, so the same rules give the same bytes.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alabctl.compile.exchange import RuleFile
from alabctl.spec.errors import PermanentError
from alabctl.spec.readfile import FileKind, read_bytes

MAX_ENTRIES = 1000
MAX_ENTRY_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # small entries may compress well; the ratio is checked above this size
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
DICTIONARY_SUFFIXES = (".csv", ".tsv")
_IGNORED = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|\._)")


def read_rules(path: Path) -> list[RuleFile]:
    """The rules in a ``.json`` file (one object or a list) or a ``.zip`` of them, safely."""
    raw = read_bytes(path, FileKind.RULES, limit=MAX_TOTAL_BYTES)
    if zipfile.is_zipfile(io.BytesIO(raw)):
        return read_archive(raw, str(path))
    stem = path.name.rsplit(".", 1)[0]
    parsed = _parse_json(raw, str(path))
    return _rules_from_json(stem, str(path), parsed, _siblings(path, stem, parsed))


def _siblings(path: Path, stem: str, parsed: Any) -> dict[str, str]:
    """Dictionary files beside a single rule JSON: the one its ``dictionary`` key names, or ``<stem>.csv``."""
    named = parsed.get("dictionary") if isinstance(parsed, dict) else None
    names = [f"{stem}{suffix}" for suffix in DICTIONARY_SUFFIXES]
    if isinstance(named, str) and "/" not in named and "\\" not in named and named not in ("", ".", ".."):
        names.insert(0, named)
    out: dict[str, str] = {}
    for name in names:
        candidate = path.parent / name
        if candidate.is_file():
            out[name] = _decode(
                read_bytes(candidate, FileKind.DICTIONARY, limit=MAX_ENTRY_BYTES), str(candidate)
            )
    return out


def read_archive(raw: bytes, display: str) -> list[RuleFile]:
    """The rules in a ZIP archive's bytes; every entry is checked before any is used."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise PermanentError(f"{display}: not a valid ZIP archive ({exc})") from exc
    with archive:
        members = _safe_members(archive, display)
        contents = {info.filename: _read_member(archive, info, display) for info in members}
    jsons = {name: data for name, data in contents.items() if name.lower().endswith(".json")}
    if not jsons:
        raise PermanentError(f"{display}: the archive holds no .json rule files")
    dictionaries = {
        name: _decode(data, f"{display}:{name}")
        for name, data in contents.items()
        if name.lower().endswith(DICTIONARY_SUFFIXES)
    }
    rules: list[RuleFile] = []
    for name in sorted(jsons):
        source = f"{display}:{name}"
        stem = posixpath.basename(name).rsplit(".", 1)[0]
        rules.extend(_rules_from_json(stem, source, _parse_json(jsons[name], source), dictionaries, name))
    return rules


def _safe_members(archive: zipfile.ZipFile, display: str) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise PermanentError(f"{display}: {len(infos)} entries, more than {MAX_ENTRIES}", "split the export")
    seen: set[str] = set()
    total = 0
    members = []
    for info in infos:
        name = info.filename
        _check_name(name, display)
        if name in seen:
            raise PermanentError(f"{display}: entry '{name}' appears twice")
        seen.add(name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode) or (stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
            raise PermanentError(
                f"{display}: entry '{name}' is a link or special file", "archives may hold plain files only"
            )
        if info.flag_bits & 0x1:
            raise PermanentError(f"{display}: entry '{name}' is encrypted")
        if info.is_dir() or _IGNORED.search(name):
            continue
        total += info.file_size
        if info.file_size > MAX_ENTRY_BYTES or total > MAX_TOTAL_BYTES:
            raise PermanentError(f"{display}: entry '{name}' makes the archive too large to import")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PermanentError(
                f"{display}: entry '{name}' expands more than {MAX_RATIO}x", "this looks like a ZIP bomb"
            )
        members.append(info)
    return members


def _check_name(name: str, display: str) -> None:
    parts = name.split("/")
    if (
        "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name)
        or ".." in parts
        or not name
    ):
        raise PermanentError(
            f"{display}: unsafe entry name '{name}'",
            "entries must be relative paths without '..', backslashes or drive letters",
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, display: str) -> bytes:
    try:
        with archive.open(info) as stream:
            data = stream.read(MAX_ENTRY_BYTES + 1)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise PermanentError(f"{display}: entry '{info.filename}' cannot be read ({exc})") from None
    if len(data) > MAX_ENTRY_BYTES or len(data) != info.file_size:
        raise PermanentError(f"{display}: entry '{info.filename}' is not the size its header says")
    return data


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PermanentError(f"{source}: byte {exc.start} is not UTF-8", "save the file as UTF-8") from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key '{key}'")
        out[key] = value
    return out


def _parse_json(raw: bytes, source: str) -> Any:
    text = _decode(raw, source)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise PermanentError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except ValueError as exc:
        raise PermanentError(f"{source}: invalid JSON: {exc}") from exc
    except RecursionError:
        raise PermanentError(
            f"{source}: invalid JSON: it nests too deeply", "rules are shallow JSON"
        ) from None


def _rules_from_json(
    stem: str, source: str, parsed: Any, dictionaries: Mapping[str, str], name: str = ""
) -> list[RuleFile]:
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or not all(isinstance(item, dict) for item in items):
        raise PermanentError(f"{source}: expected a rule JSON object (or a list of them)")
    folder = posixpath.dirname(name)
    out = []
    for i, item in enumerate(items):
        item_stem = stem if len(items) == 1 else f"{stem}-{i + 1}"
        csv_name = _dictionary_for(item, folder, stem, dictionaries) if len(items) == 1 else None
        out.append(
            RuleFile(
                item_stem,
                source if len(items) == 1 else f"{source}[{i}]",
                item,
                dictionaries[csv_name] if csv_name else None,
                csv_name or "",
            )
        )
    return out


def _dictionary_for(
    data: Mapping[str, Any], folder: str, stem: str, dictionaries: Mapping[str, str]
) -> str | None:
    """The CSV paired with a rule JSON: named by its ``dictionary`` key, else ``<stem>.csv`` beside it."""
    named = data.get("dictionary")
    candidates = [named] if isinstance(named, str) else []
    candidates += [f"{stem}{suffix}" for suffix in DICTIONARY_SUFFIXES]
    for candidate in candidates:
        full = posixpath.join(folder, candidate) if folder else candidate
        if full in dictionaries:
            return full
    return None


def build_rule_archive(files: Mapping[str, str]) -> bytes:
    """A ZIP of ``{name: text}``: sorted names, fixed timestamps and permissions, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = FILE_MODE << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return buffer.getvalue()
