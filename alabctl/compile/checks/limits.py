"""The five-model limit (SPEC §3 item 5): the distinct models of all projects on one server ≤ ``maxModels``.

Annotation Lab allows at most five different models per pre-annotation server, for memory.
Embeddings and rules do not count. One diagnostic per server, at the binding of the first model
over the limit, naming every model, the projects it comes from, and a split that fits.
"""

from __future__ import annotations

from collections.abc import Iterator

from alabctl.compile.checks.usage import Use, by_model, project_names, quoted, server_uses
from alabctl.spec.diagnostics import Diagnostic
from alabctl.spec.repository import Repository

TOO_MANY_MODELS = "ALB300"


def split_projects(models_by_project: dict[str, set[str]], limit: int) -> list[list[str]]:
    """Projects packed first-fit into groups whose distinct models stay within ``limit``.

    A project that alone uses more than ``limit`` models gets a group of its own (and still fails).
    """
    groups: list[tuple[list[str], set[str]]] = []
    for project, models in models_by_project.items():
        for names, used in groups:
            if len(used | models) <= limit:
                names.append(project)
                used |= models
                break
        else:
            groups.append(([project], set(models)))
    return [names for names, _ in groups]


def _models_by_project(uses: list[Use]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for use in uses:
        out.setdefault(use.project.name, set()).add(use.model)
    return out


def _suggestion(server: str, uses: list[Use], limit: int) -> str:
    per_project = _models_by_project(uses)
    alone = [p for p, models in per_project.items() if len(models) > limit]
    if alone:
        return (
            f"project {quoted(alone)} alone names more than {limit} models; drop models from it "
            f"(rules do not count towards the limit)"
        )
    groups = split_projects(per_project, limit)
    moves = "; ".join(f"{quoted(g)} to a new Server" for g in groups[1:])
    return f"split the server: keep {quoted(groups[0])} on '{server}' and move {moves} (set 'spec.server')"


def check_server(repo: Repository, server: str) -> Diagnostic | None:
    limit = repo.server(server).max_models
    uses = server_uses(repo, server)
    grouped = by_model(uses)
    if len(grouped) <= limit:
        return None
    over = list(grouped.values())[limit][0]
    listing = "; ".join(
        f"'{model}' (from {quoted(project_names(found))})" for model, found in grouped.items()
    )
    return over.diagnostic(
        TOO_MANY_MODELS,
        f"server '{server}' would run {len(grouped)} models, more than its limit of {limit}",
        f"models on '{server}': {listing}. '{over.model}' is model {limit + 1}. "
        + _suggestion(server, uses, limit),
    )


def check_limits(repo: Repository) -> Iterator[Diagnostic]:
    for server in repo.server_names():
        found = check_server(repo, server)
        if found is not None:
            yield found
