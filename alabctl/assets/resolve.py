"""Pure version choice (Spark NLP 5.5.3's ``ResourceMetadata.resolveResource``) and index search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cmp_to_key

from alabctl.assets.metadata import HubRecord
from alabctl.compile.sparknlp.versions import Version, compare_candidates, is_compatible


@dataclass(frozen=True)
class Request:
    """What is asked for: a name, a language, and the versions the runtime has."""

    name: str
    language: str | None = "en"
    lib_version: Version | None = None
    spark_version: Version | None = None


def candidates(records: Iterable[HubRecord], request: Request) -> list[HubRecord]:
    """Ready records with both versions, that exact name and a compatible language, lib and Spark
    version, in Spark NLP's order (Spark version, then Spark NLP version, then upload time): best last.
    """
    found = [
        r
        for r in records
        if r.ready
        and r.lib_version is not None
        and r.spark_version is not None
        and r.name == request.name
        and (not request.language or not r.language or r.language == request.language)
        and is_compatible(request.lib_version, r.lib_version)
        and is_compatible(request.spark_version, r.spark_version)
    ]
    return sorted(found, key=cmp_to_key(_compare))


def _compare(this: HubRecord, that: HubRecord) -> int:
    assert this.lib_version and this.spark_version and that.lib_version and that.spark_version
    return compare_candidates(
        (this.lib_version, this.spark_version, this.time_ms),
        (that.lib_version, that.spark_version, that.time_ms),
    )


def resolve(records: Iterable[HubRecord], request: Request) -> HubRecord | None:
    """Spark NLP's ``ResourceMetadata.resolveResource`` (5.5.3): the last candidate, or ``None``."""
    found = candidates(records, request)
    return found[-1] if found else None


@dataclass(frozen=True)
class SearchHit:
    """One name in a search result, with every version the index holds for it."""

    newest: HubRecord
    versions: tuple[str, ...]


def search(
    records: Sequence[HubRecord],
    text: str | None = None,
    *,
    language: str | None = None,
    edition: str | None = None,
    task: str | None = None,
    compatible: tuple[Version | None, Version | None] | None = None,
) -> list[SearchHit]:
    """Ready records matching every filter, grouped by (name, language, folder), newest first."""
    needle = (text or "").lower()
    groups: dict[tuple[str, str, str], list[HubRecord]] = {}
    for r in records:
        if not r.ready or (needle and needle not in r.name.lower()):
            continue
        if language and (r.language or "") != language:
            continue
        if edition and r.effective_edition.value != edition:
            continue
        if task and (r.task or ("embeddings" if r.is_embeddings else "")) != task:
            continue
        if compatible and not (
            is_compatible(compatible[0], r.lib_version) and is_compatible(compatible[1], r.spark_version)
        ):
            continue
        groups.setdefault((r.name, r.language or "", r.repository), []).append(r)
    hits = []
    for group in groups.values():
        group.sort(key=lambda r: r.time_ms)
        versions = sorted({".".join(map(str, r.lib_version or ())) or "-" for r in group})
        hits.append(SearchHit(group[-1], tuple(versions)))
    return sorted(hits, key=lambda h: (h.newest.name, h.newest.language or "", h.newest.repository))
