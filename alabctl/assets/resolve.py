"""Pure version choice (Spark NLP 5.5.3's ``ResourceMetadata.resolveResource``), why it found
nothing (:func:`why_none`), and index search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cmp_to_key

from alabctl.assets.metadata import HubRecord
from alabctl.compile.sparknlp.versions import Version, compare_candidates, format_version, is_compatible
from alabctl.spec.names import DEFAULT_SPARK_NLP_VERSION, DEFAULT_SPARK_VERSION


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


class Shortfall(StrEnum):
    """Why no record of a folder fits a request, checked in this order."""

    NAME = "name"
    """No record has the name."""
    LANGUAGE = "language"
    """The name is there in other languages only."""
    NOT_READY = "not-ready"
    """No record of the name and language is ``readyToUse``."""
    NO_VERSIONS = "no-versions"
    """The ready ones lack a ``libVersion`` or a ``sparkVersion`` (Spark NLP skips those)."""
    VERSIONS = "versions"
    """The ready ones are all built for newer Spark NLP or Spark versions than those in use."""


@dataclass(frozen=True)
class Miss:
    """What a folder has of a name that :func:`resolve` did not choose, and why."""

    kind: Shortfall
    reason: str
    """A clause naming the folder, what it holds and, for versions, the versions on both sides."""
    languages: tuple[str, ...] = ()
    """The languages the name exists in (:attr:`Shortfall.LANGUAGE`)."""


VERSIONS_HINT = (
    "a build fits when neither its Spark NLP nor its Spark version is newer than the one in use "
    "(Spark NLP's own rule); the versions in use are the Hub manifest's sparkNlpVersion / "
    f"sparkVersion among the -f inputs (default {DEFAULT_SPARK_NLP_VERSION} / {DEFAULT_SPARK_VERSION})"
)
"""How to act on :attr:`Shortfall.VERSIONS`."""

_SHOWN = 4
"""Builds a :attr:`Shortfall.VERSIONS` reason names before "and N more"."""


def why_none(records: Iterable[HubRecord], request: Request, folder: str) -> Miss:
    """Why :func:`resolve` found nothing for ``request`` among ``folder``'s records: the first test
    of Spark NLP's choice that every record of the name fails, and what the folder has instead."""
    what = f"{request.name} ({request.language or 'any language'})"
    named = [r for r in records if r.name == request.name]
    if not named:
        return Miss(Shortfall.NAME, f"{folder} has nothing named '{request.name}'")
    spoken = [r for r in named if not request.language or not r.language or r.language == request.language]
    if not spoken:
        languages = tuple(sorted({r.language or "" for r in named}))
        return Miss(
            Shortfall.LANGUAGE, f"{folder} has {request.name} only in {', '.join(languages)}", languages
        )
    ready = [r for r in spoken if r.ready]
    if not ready:
        return Miss(Shortfall.NOT_READY, f"no build of {what} in {folder} is ready to use (readyToUse)")
    builds = {(r.lib_version, r.spark_version) for r in ready if r.lib_version and r.spark_version}
    if not builds:
        return Miss(
            Shortfall.NO_VERSIONS,
            f"the builds of {what} in {folder} lack a libVersion or a sparkVersion, "
            "so Spark NLP never chooses them",
        )
    newest = sorted(builds, key=lambda b: (b[1], b[0]), reverse=True)
    shown = ", ".join(_versions(lib, spark) for lib, spark in newest[:_SHOWN])
    more = f" and {len(newest) - _SHOWN} more" if len(newest) > _SHOWN else ""
    return Miss(
        Shortfall.VERSIONS,
        f"{folder} has {what} only for {shown}{more}; none fits "
        f"{_versions(request.lib_version, request.spark_version)}, the versions in use",
    )


def _versions(lib: Version | None, spark: Version | None) -> str:
    return f"Spark NLP {format_version(lib) or 'any'} / Spark {format_version(spark) or 'any'}"


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
