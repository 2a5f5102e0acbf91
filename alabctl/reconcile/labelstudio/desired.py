"""The manifests -> what Label Studio should have: connections per instance, desired projects."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import cast

from alabctl.compile.labelconfig import compile_label_config
from alabctl.reconcile.labelstudio.client import Connection
from alabctl.reconcile.labelstudio.model import DesiredProject
from alabctl.spec.errors import UserError
from alabctl.spec.kinds import LabelStudioManifest, ProjectManifest
from alabctl.spec.kinds.manifest import Kind
from alabctl.spec.repository import Repository
from alabctl.spec.secrets import secret_path, shown, shown_path
from alabctl.spec.tasks import collect_tasks


def read_token(manifest: LabelStudioManifest, base: Path, env: Mapping[str, str]) -> str:
    """The API token: the variable when set, else the file. The error never contains the token."""
    token = manifest.spec.token
    if token.from_env is not None and env.get(token.from_env, "").strip():
        return _one_word(
            env[token.from_env].strip(), f"environment variable {shown(token.from_env)}", manifest
        )
    if token.from_file is None:
        raise UserError(
            f"environment variable {shown(token.from_env)} for LabelStudio '{manifest.name}' is not set",
            "set it to your Label Studio API token (Account & Settings -> Access Token)",
        )
    path = secret_path(token.from_file, env, base)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"cannot read the token file of LabelStudio '{manifest.name}': {shown_path(token.from_file, path)}: "
            f"{getattr(exc, 'strerror', None) or type(exc).__name__}",
            "write your Label Studio API token into that file, or set 'fromEnv'",
        ) from None
    if not text:
        raise UserError(
            f"the token file of LabelStudio '{manifest.name}' is empty: {shown_path(token.from_file, path)}"
        )
    return _one_word(text, f"the token file {shown_path(token.from_file, path)}", manifest)


def _one_word(token: str, where: str, manifest: LabelStudioManifest) -> str:
    """The token, unless it is not one word of printable ASCII (an error that does not show it)."""
    if all("!" <= c <= "~" for c in token):
        return token
    raise UserError(
        f"{where} of LabelStudio '{manifest.name}' does not hold one API token: it has spaces, "
        "line breaks or other characters a token never has",
        "put only the token there (Account & Settings -> Access Token in Label Studio)",
    )


def connections(
    repo: Repository, env: Mapping[str, str], used: set[str] | None = None
) -> dict[str, Connection]:
    """A connection for each LabelStudio manifest (only those in ``used``, when given)."""
    out: dict[str, Connection] = {}
    for resource in repo.of_kind(Kind.LABEL_STUDIO):
        if used is not None and resource.name not in used:
            continue
        manifest = cast(LabelStudioManifest, resource.manifest)
        token = read_token(manifest, resource.origin.directory, env)
        out[resource.name] = Connection(manifest.spec.url, token, manifest.spec.tls_verify, resource.name)
    return out


def desired_project(
    project: ProjectManifest, repo: Repository, directory: Path, file: str, server_url: str | None
) -> DesiredProject | None:
    """What one project asks of Label Studio; None when it has no ``labelStudio`` block."""
    ls = project.spec.label_studio
    if ls is None:
        return None
    instance = repo.get(Kind.LABEL_STUDIO, ls.instance)
    backend_base = (
        cast(LabelStudioManifest, instance.manifest).spec.ml_backend_url if instance is not None else None
    ) or server_url
    found = collect_tasks(ls.tasks, directory, file, repo.root)
    if found.problems:
        first = found.problems[0]
        raise UserError(
            f"{first.file}:{first.line}:{first.column}: {first.message}", "run 'alabctl validate' and fix it"
        )
    renames = {
        label.renamed_from: label.value
        for label in (project.spec.ner.labels if project.spec.ner else [])
        if label.renamed_from is not None
    }
    return DesiredProject(
        name=project.name,
        instance=ls.instance,
        # Label Studio trims both: a YAML block scalar's final newline would read as a change forever
        title=(ls.title or project.name).strip(),
        description=(ls.description if ls.description is not None else project.spec.description).strip(),
        label_config=compile_label_config(project, repo).decode(),
        renames=renames,
        tasks=found.records,
        backend_url=f"{backend_base}/p/{project.name}" if backend_base else None,
        predict_url=f"{server_url}/p/{project.name}" if server_url else None,
        server=repo.server_name(project),
    )


def desired_projects(repo: Repository, server_urls: Mapping[str, str]) -> list[DesiredProject]:
    """Every project with a ``labelStudio`` block. ``server_urls``: server name -> its base URL."""
    out: list[DesiredProject] = []
    for project, resource in repo.projects():
        desired = desired_project(
            project,
            repo,
            resource.origin.directory,
            resource.origin.file,
            server_urls.get(repo.server_name(project)),
        )
        if desired is not None:
            out.append(desired)
    return out
