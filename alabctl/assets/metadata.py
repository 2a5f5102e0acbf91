"""Hub index records: one JSON object per line of a folder's ``metadata.json`` (research §1.2, §1.3).

Spark NLP's fields are ``name``, ``language``, ``libVersion.parts``, ``sparkVersion.parts``,
``readyToUse``, ``time``, ``isZipped``, ``category``, ``checksum`` and ``annotator``. Our own hubs may
add ``labels``, ``storageRef``, ``task``, ``size``, ``sha256``, ``dependencies``, ``description`` and
``edition``; real John Snow Labs hubs do not, so every one of them is optional.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from alabctl.assets.names import language_problem, name_problem
from alabctl.compile.sparknlp.versions import Version, format_version, parse_version
from alabctl.spec.errors import PermanentError
from alabctl.spec.names import Edition, edition_of

_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True)
class HubRecord:
    """One asset version in a hub folder."""

    name: str
    repository: str
    language: str | None
    lib_version: Version | None
    spark_version: Version | None
    ready: bool
    time_ms: int
    zipped: bool = True
    category: str = "nd"
    checksum: str = ""
    annotator: str | None = None
    labels: tuple[str, ...] | None = None
    storage_ref: str | None = None
    task: str | None = None
    size: int | None = None
    sha256: str | None = None
    dependencies: tuple[str, ...] = ()
    description: str | None = None
    edition: Edition | None = None

    @property
    def key(self) -> str:
        """Spark NLP's cache key ``<name>_<lang>_<libv>_<sparkv>_<epochms>``."""
        return make_key(self.name, self.language, self.lib_version, self.spark_version, self.time_ms)

    @property
    def file_name(self) -> str:
        """The archive's name in the hub folder."""
        return self.key + ".zip" if self.zipped else self.key

    @property
    def effective_edition(self) -> Edition:
        """The index's edition when given, else the one the folder implies."""
        return self.edition or edition_of(self.repository)

    @property
    def is_embeddings(self) -> bool:
        """Whether the record describes embeddings (by task or annotator class)."""
        if self.task:
            return self.task == "embeddings"
        annotator = (self.annotator or "").lower()
        return "embeddings" in annotator or "sentenceencoder" in annotator


def make_key(name: str, language: str | None, lib: Version | None, spark: Version | None, ms: int) -> str:
    """The cache key; a missing part becomes the empty string, and the key is the bare name when the
    language and both versions are all missing (``ResourceMetadata.key``)."""
    if language is None and lib is None and spark is None:
        return name
    return f"{name}_{language or ''}_{format_version(lib)}_{format_version(spark)}_{ms}"


def parse_time(text: str) -> int:
    """ISO-8601 (UTC unless an offset is given), with or without fractional seconds, as epoch ms."""
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"not an ISO-8601 time: {text!r}")
    y, mo, d, h, mi, s, frac, zone = match.groups()
    tz = datetime.UTC
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    moment = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=tz)
    millis = int((frac or "0").ljust(3, "0")[:3])
    return int(moment.timestamp()) * 1000 + millis


def _parts(value: Any) -> Version | None:
    if isinstance(value, dict):
        value = value.get("parts")
    if value is None:
        return None
    if isinstance(value, str):
        return parse_version(value)
    if isinstance(value, list) and all(isinstance(p, int) for p in value):
        return tuple(value) if value else None
    raise ValueError(f"not a version: {value!r}")


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"not a list of strings: {value!r}")


def parse_record(data: dict[str, Any], repository: str) -> HubRecord:
    """One record; raises ``ValueError`` when a field has the wrong shape."""
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("a record needs a 'name'")
    time_value = data.get("time")
    time_ms = time_value if isinstance(time_value, int) else parse_time(str(time_value or ""))
    size = data.get("size")
    edition = data.get("edition")
    _check_names(name, data)
    return HubRecord(
        name=name,
        repository=repository,
        language=data.get("language") or None,
        lib_version=_parts(data.get("libVersion")),
        spark_version=_parts(data.get("sparkVersion")),
        ready=bool(data.get("readyToUse", False)),
        time_ms=time_ms,
        zipped=bool(data.get("isZipped", False)),
        category=str(data.get("category") or "nd"),
        checksum=str(data.get("checksum") or ""),
        annotator=data.get("annotator") or None,
        labels=_strings(data.get("labels")),
        storage_ref=data.get("storageRef") or None,
        task=data.get("task") or None,
        size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        sha256=(data.get("sha256") or None),
        dependencies=_strings(data.get("dependencies")) or (),
        description=data.get("description") or None,
        edition=Edition(edition) if edition in set(Edition) else None,
    )


def _check_names(name: str, data: dict[str, Any]) -> None:
    """Refuse a record whose name, language, storageRef or dependencies are not Spark NLP names."""
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(f"record name {name!r} is not a Spark NLP name ({problem})")
    language = data.get("language") or None
    problem = language_problem(language)
    if problem is not None:
        raise ValueError(f"record {name!r}: language {language!r} is refused ({problem})")
    refs = [("storageRef", data.get("storageRef"))] if data.get("storageRef") else []
    refs += [("dependency", d) for d in _strings(data.get("dependencies")) or ()]
    for what, ref in refs:
        problem = name_problem(ref)
        if problem is not None:
            raise ValueError(f"record {name!r}: {what} {ref!r} is not a Spark NLP name ({problem})")


def parse_index(text: str, repository: str, source: str = "metadata.json") -> list[HubRecord]:
    """Every record of a JSON-lines index; empty lines skipped; a bad line is a permanent error."""
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            records.append(parse_record(data, repository))
        except (ValueError, TypeError, RecursionError) as exc:
            if isinstance(exc, RecursionError):
                exc = ValueError("the JSON nests too deeply")
            raise PermanentError(
                f"{source}:{number}: invalid hub index record: {exc}",
                "the hub's metadata.json must hold one JSON object per line (Spark NLP's format)",
            ) from exc
    return records
