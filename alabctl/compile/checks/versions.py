"""Versions (SPEC §3 item 10): every locked hub asset fits the Hub's Spark NLP and Spark versions.

Steps: the Hub's (Spark NLP, Spark) pair is one Spark NLP supports (warning otherwise); each lock
entry is compatible with it by Spark NLP's own ``Version.isCompatible`` (any older build passes, a
newer or more specific one does not); each hub Model or Embeddings manifest is locked (warning
otherwise: its facts then come from the manifest alone).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from alabctl.compile.checks.usage import all_uses
from alabctl.compile.sparknlp.versions import (
    format_version,
    is_compatible,
    is_supported_pair,
    parse,
    supported_spark,
)
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.diagnostics import Path as NodePath
from alabctl.spec.kinds import EmbeddingsManifest, HubManifest, ModelManifest
from alabctl.spec.kinds.manifest import Kind
from alabctl.spec.lock import AssetType, LockedAsset
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource

INCOMPATIBLE = "ALB350"
UNSUPPORTED_PAIR = "ALB351"
NOT_LOCKED = "ALB402"

_KIND = {AssetType.MODEL: Kind.MODEL, AssetType.EMBEDDINGS: Kind.EMBEDDINGS}


def hub_name(resource: Resource) -> str | None:
    """The hub name a Model or Embeddings manifest resolves (``None`` when it is not from the hub)."""
    manifest = cast(ModelManifest | EmbeddingsManifest, resource.manifest)
    hub = manifest.spec.source.hub
    return (hub.name or manifest.name) if hub is not None else None


def asset_location(repo: Repository, asset: LockedAsset) -> tuple[Resource, NodePath] | None:
    """Where an asset is named: its manifest, else the first project binding or model that names it."""
    for resource in repo.of_kind(_KIND[asset.type]):
        if hub_name(resource) == asset.name:
            return resource, ("spec", "source", "hub")
    if asset.type is AssetType.MODEL:
        for use in all_uses(repo):
            facts = repo.model_facts(use.model)
            if facts is not None and facts.hub_name == asset.name:
                return use.resource, use.binding.path
        return None
    for resource in repo.of_kind(Kind.MODEL):
        if cast(ModelManifest, resource.manifest).spec.embeddings == asset.name:
            return resource, ("spec", "embeddings")
    return None


def check_asset(repo: Repository, asset: LockedAsset) -> Diagnostic | None:
    hub = repo.hub()
    nlp, spark = parse(hub.spark_nlp_version), parse(hub.spark_version)
    lib, built_on = parse(asset.lib_version), parse(asset.spark_version)
    bad = []
    if not is_compatible(nlp, lib):
        bad.append(f"Spark NLP {asset.lib_version} (the Hub targets {hub.spark_nlp_version})")
    if not is_compatible(spark, built_on):
        bad.append(f"Spark {asset.spark_version} (the Hub targets {hub.spark_version})")
    if not bad:
        return None
    summary = f"{asset.type.value} '{asset.name}' is locked to {asset.key}, built for {' and '.join(bad)}"
    detail = (
        "Spark NLP loads an asset built for the same or an older version only (compared over the asset's own "
        "version parts, so '3.5.1' does not fit '3.5'); run 'alabctl lock' to pick a compatible build, or "
        "raise 'sparkNlpVersion'/'sparkVersion' in the Hub manifest"
    )
    where = asset_location(repo, asset)
    if where is None:
        return Diagnostic(INCOMPATIBLE, Severity.ERROR, summary, detail + " (the asset is in the lock file)")
    resource, path = where
    return resource.origin.diagnostic(INCOMPATIBLE, summary, detail, path)


def check_pair(repo: Repository) -> Diagnostic | None:
    hubs = repo.of_kind(Kind.HUB)
    if not hubs:
        return None
    spec = cast(HubManifest, hubs[0].manifest).spec
    nlp, spark = parse(spec.spark_nlp_version), parse(spec.spark_version)
    if is_supported_pair(nlp, spark) is not False:
        return None
    lines = ", ".join(format_version(s) for s in supported_spark(nlp) or ())
    return hubs[0].origin.diagnostic(
        UNSUPPORTED_PAIR,
        f"Spark NLP {spec.spark_nlp_version} does not support Spark {spec.spark_version}",
        f"Spark NLP {format_version(nlp[:2])}.x runs on Spark {lines}; set 'sparkVersion' to one of those, or "
        "pick a Spark NLP version that supports this Spark",
        ("spec", "sparkVersion"),
        severity=Severity.WARNING,
    )


def _used_embeddings(repo: Repository) -> set[str]:
    """The embeddings some model names (declared or locked): the ones a deploy would download."""
    used: set[str] = set()
    for model in repo.known_models():
        facts = repo.model_facts(model)
        if facts is not None and facts.embeddings:
            used.add(facts.embeddings)
    return used


def check_unlocked(repo: Repository) -> Iterator[Diagnostic]:
    """ALB402 for each hub Model, and each hub Embeddings a model uses, with no lock entry."""
    used = _used_embeddings(repo)
    for kind, type_ in ((Kind.MODEL, AssetType.MODEL), (Kind.EMBEDDINGS, AssetType.EMBEDDINGS)):
        for resource in repo.of_kind(kind):
            name = hub_name(resource)
            if name is None or repo.locked(name, type_) is not None:
                continue
            if type_ is AssetType.EMBEDDINGS and resource.name not in used:
                continue
            yield resource.origin.diagnostic(
                NOT_LOCKED,
                f"hub {type_.value} '{name}' is not in the lock file",
                "its facts come from this manifest alone and its version is not pinned; run 'alabctl lock' "
                "and commit alabctl.lock",
                ("spec", "source", "hub"),
                severity=Severity.WARNING,
            )


def check_versions(repo: Repository) -> Iterator[Diagnostic]:
    pair = check_pair(repo)
    if pair is not None:
        yield pair
    for asset in repo.lock.assets if repo.lock else []:
        found = check_asset(repo, asset)
        if found is not None:
            yield found
    yield from check_unlocked(repo)
