"""Open the store and the hub the way every hub command does: flags, manifests, environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from alabctl.assets.credentials import AwsCredentials, LicenseKeys, load_credentials
from alabctl.assets.home import Home, resolve_home
from alabctl.assets.hub import HubClient, hub_url
from alabctl.assets.store import Store
from alabctl.compile.sparknlp.versions import Version, parse_version
from alabctl.spec.errors import UserError
from alabctl.spec.names import DEFAULT_SPARK_NLP_VERSION, DEFAULT_SPARK_VERSION, Kind

if TYPE_CHECKING:  # the manifest models load only when manifests are read (-f)
    from alabctl.spec.kinds import LicenseManifest
    from alabctl.spec.loader import SourceIndex
    from alabctl.spec.repository import Repository
    from alabctl.spec.validate import SpecResult


@dataclass
class HubSession:
    """A store, a hub client and the versions assets must fit."""

    home: Home
    store: Store
    client: HubClient
    lib_version: Version | None
    spark_version: Version | None
    repository: Repository | None


def pick_license(repo: Repository | None, name: str | None) -> LicenseKeys | None:
    """The keys of ``--license NAME``, or of the only License manifest; ``None`` without one.

    Nothing is read here: the keys are read when a licensed folder is first requested, so public
    folders work whatever the license holds. Only a ``--license`` that names no manifest fails now.
    """
    if repo is None:
        if name:
            raise UserError(f"--license {name} needs -f with the License manifest")
        return None
    licenses = repo.of_kind(Kind.LICENSE)
    if name:
        chosen = [r for r in licenses if r.name == name]
        if not chosen:
            raise UserError(f"no License manifest named '{name}' in the inputs")
        licenses = chosen
    if not licenses:
        return None
    if len(licenses) > 1:
        names = ", ".join(r.name for r in licenses)
        return LicenseKeys(lambda: _ambiguous(names))
    spec = cast("LicenseManifest", licenses[0].manifest).spec
    directory = licenses[0].origin.directory
    return LicenseKeys(lambda: load_credentials(spec, directory))


def _ambiguous(names: str) -> AwsCredentials:
    raise UserError(f"there are several License manifests ({names})", "choose one with --license NAME")


def refuse_broken_hub(result: SpecResult) -> None:
    """Refuse inputs whose Hub manifest has an error: it is left out of the repository, and the
    command would read another hub (or other versions) in its place. Errors elsewhere (other kinds
    the hub commands do not read, ``examples/invalid/``) do not stop them."""
    from alabctl.spec.diagnostics import Severity

    for d in result.diagnostics:
        if d.severity is not Severity.ERROR or not d.file or d.line is None:
            continue
        if _kind_at(result.sources, d.file, d.line) == Kind.HUB:
            detail = f" ({d.detail})" if d.detail else ""
            raise UserError(
                f"{d.file}:{d.line}:{d.column}: the Hub manifest is not valid: {d.summary}{detail}",
                f"fix it ('alabctl validate -f {d.file}' shows every problem), then run the command again",
            )


def _kind_at(sources: SourceIndex, file: str, line: int) -> object:
    """The ``kind`` of the document of ``file`` that holds ``line`` (``None`` when not known)."""
    from alabctl.spec.yamlsrc import parse_yaml

    documents = parse_yaml(sources.texts.get(file, ""), file).documents
    holding = [doc for doc in documents if doc.source_map.locate(()).line <= line]
    data = holding[-1].data if holding else None
    return data.get("kind") if isinstance(data, dict) else None


def open_session(
    *,
    home: Path | None = None,
    hub: str | None = None,
    inputs: Sequence[str] = (),
    license: str | None = None,
    refresh: bool = False,
    lockfile: Path | None = None,
) -> HubSession:
    """Everything a hub command needs; the repository is loaded only when ``inputs`` are given."""
    repo = None
    lib, spark = parse_version(DEFAULT_SPARK_NLP_VERSION), parse_version(DEFAULT_SPARK_VERSION)
    if inputs:
        from alabctl.assets.lockgen import hub_versions
        from alabctl.spec.validate import load_repository

        result = load_repository(list(inputs), lockfile=lockfile)
        refuse_broken_hub(result)
        repo = result.repository
        lib, spark = hub_versions(repo)
    where = resolve_home(home).ensure()
    client = HubClient(
        hub_url(hub, repo),
        cache_dir=where.hub_cache,
        credentials=pick_license(repo, license),
        refresh=refresh,
    )
    return HubSession(where, Store(where.db), client, lib, spark, repo)
