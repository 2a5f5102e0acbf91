"""The compiler's checks on a loaded repository (SPEC §3 items 4-8 and 10), in this order:

1. :mod:`~alabctl.compile.checks.limits`: at most ``maxModels`` distinct models per server.
2. :mod:`~alabctl.compile.checks.embeddings`: one embeddings storageRef per strict server.
3. :mod:`~alabctl.compile.checks.license`: a readable, valid, unexpired License with the scope needed.
4. :mod:`~alabctl.compile.checks.labels`: labels a model predicts, task fit, NER sources, relation pairs.
5. :mod:`~alabctl.compile.checks.versions`: locked assets fit the Hub's Spark NLP and Spark versions.

They read only Projects, Servers, Models, Embeddings, the Hub (Licenses through the projects that
need one) and the lock: a repository with none of those (rules alone) does not load them.

Pure: the environment and the clock are passed in; the only files read are License files and model
folders or zips in the repository. Nothing here raises for bad input; every problem is a diagnostic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from alabctl.spec.names import Kind

if TYPE_CHECKING:
    from alabctl.spec.diagnostics import Diagnostic
    from alabctl.spec.repository import Repository

__all__ = ["check_repository"]

READ_KINDS = (Kind.PROJECT, Kind.SERVER, Kind.MODEL, Kind.EMBEDDINGS, Kind.HUB)
"""The kinds these checks look at (a License only when a project needs one)."""


def check_repository(repo: Repository, *, env: Mapping[str, str], now: datetime) -> list[Diagnostic]:
    """Every check of this package on ``repo``, in a stable order."""
    if not (repo.lock and repo.lock.assets) and not any(repo.of_kind(kind) for kind in READ_KINDS):
        return []  # nothing here to check: not even loaded (a one-file rule repository)
    from alabctl.compile.checks.embeddings import check_embeddings
    from alabctl.compile.checks.labels import check_labels
    from alabctl.compile.checks.license import check_licenses
    from alabctl.compile.checks.limits import check_limits
    from alabctl.compile.checks.versions import check_versions

    out: list[Diagnostic] = []
    out.extend(check_limits(repo))
    out.extend(check_embeddings(repo))
    out.extend(check_licenses(repo, env=env, now=now))
    out.extend(check_labels(repo))
    out.extend(check_versions(repo))
    return out
