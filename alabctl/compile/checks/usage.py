"""Which models each server and project uses, and where they are named: shared by the checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.kinds import ProjectManifest
from alabctl.spec.kinds.project import Binding
from alabctl.spec.kinds.server import Engine
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource


@dataclass(frozen=True)
class Use:
    """One model named by one project, at one YAML node."""

    project: ProjectManifest
    resource: Resource
    binding: Binding

    @property
    def model(self) -> str:
        return self.binding.model

    @property
    def where(self) -> str:
        return self.resource.origin.where(self.binding.path)

    def diagnostic(
        self, code: str, summary: str, detail: str, *, severity: Severity = Severity.ERROR
    ) -> Diagnostic:
        return self.resource.origin.diagnostic(code, summary, detail, self.binding.path, severity=severity)


def project_uses(project: ProjectManifest, resource: Resource) -> list[Use]:
    return [Use(project, resource, b) for b in project.bindings()]


def server_uses(repo: Repository, server: str) -> list[Use]:
    """Every model binding of every project on ``server``, projects by name, bindings in document order."""
    out: list[Use] = []
    for project, resource in repo.projects_on(server):
        out.extend(project_uses(project, resource))
    return out


def all_uses(repo: Repository) -> list[Use]:
    out: list[Use] = []
    for project, resource in repo.projects():
        out.extend(project_uses(project, resource))
    return out


def by_model(uses: Iterable[Use]) -> dict[str, list[Use]]:
    """The uses grouped by model, models in the order they are first named."""
    grouped: dict[str, list[Use]] = {}
    for use in uses:
        grouped.setdefault(use.model, []).append(use)
    return grouped


def project_names(uses: Iterable[Use]) -> list[str]:
    """The distinct projects of ``uses``, in order."""
    return list(dict.fromkeys(u.project.name for u in uses))


def engine_of(repo: Repository, server: str) -> Engine:
    """What runs the server (:meth:`Repository.engine`)."""
    return repo.engine(server)


def quoted(names: Iterable[str], limit: int = 8) -> str:
    """``'a', 'b'``; past ``limit`` names, the first ones and how many more (a message stays readable)."""
    items = list(names)
    shown = ", ".join(f"'{n}'" for n in items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"
