"""Every compiler check on a repository: SPEC §3 items 4-11, after the spec stage's items 1-3.

``verify`` runs the repository checks (limits, embeddings, licenses, labels, versions), the rule
checks, and compiles each project's labeling config to check it the way Label Studio's browser
would. The clock and the environment are passed in, so the result depends on nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from alabctl.compile.checks import check_repository
from alabctl.compile.labelconfig import compile_label_config
from alabctl.compile.rulecheck import check_rules
from alabctl.compile.xmlcheck import config_diagnostics
from alabctl.spec.diagnostics import Diagnostic
from alabctl.spec.repository import Repository


def check_label_configs(repo: Repository) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for project, resource in repo.projects():
        out.extend(config_diagnostics(resource, compile_label_config(project, repo)))
    return out


def verify(repo: Repository, *, env: Mapping[str, str], now: datetime) -> list[Diagnostic]:
    """The compiler's diagnostics for ``repo`` (which already passed or failed the spec stage)."""
    out = check_repository(repo, env=env, now=now)
    out.extend(check_rules(repo))
    out.extend(check_label_configs(repo))
    return out
