"""A server's build, loaded and ready to predict: pipeline, engine, one view per project.

What ``serve`` swaps on a hot reload and what each ``preannotate`` worker loads once. Loading
reads and checks the build, compiles the rules (or starts the engine), and runs a smoke prediction
per project; a deployment that loads is one that predicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from alabctl.runtime.build import Build, Pipeline, load_build
from alabctl.runtime.engine import Engine
from alabctl.runtime.engines import load_engine
from alabctl.runtime.labeling import canonical_xml, parse_config
from alabctl.runtime.results import Prediction, ProjectView, predict_project
from alabctl.runtime.version import model_version
from alabctl.spec.errors import UserError

SMOKE_TEXT = "Smoke test: a 5'11 male, seen on 01/02/2024, invoice no. AB-12345."


@dataclass
class Deployment:
    """One server's build with its engine loaded."""

    build: Build
    pipeline: Pipeline
    engine: Engine
    views: Mapping[str, ProjectView]

    @property
    def server(self) -> str:
        return self.pipeline.server

    @property
    def server_hash(self) -> str:
        return self.build.server_hash(self.pipeline.server)

    @property
    def versions(self) -> dict[str, str]:
        return {name: view.model_version for name, view in self.views.items()}

    @cached_property
    def _configs(self) -> dict[bytes, str]:
        found: dict[bytes, str] = {}
        for name, view in sorted(self.views.items()):
            key = canonical_xml(view.config.xml)
            if key is not None:
                found.setdefault(key, name)
        return found

    def project_for_config(self, xml: str) -> str | None:
        """The project whose compiled config is ``xml`` (blank text and attribute order aside)."""
        key = canonical_xml(xml)
        return self._configs.get(key) if key is not None else None

    def view(self, project: str) -> ProjectView:
        found = self.views.get(project)
        if found is None:
            raise UserError(
                f"project '{project}' is not on server '{self.server}' "
                f"(its projects: {', '.join(sorted(self.views))})",
                "name a project of this build, or serve the project's own server",
            )
        return found

    def predict(self, project: str, texts: Sequence[str]) -> list[Prediction]:
        """One checked prediction per text, in order."""
        view = self.view(project)
        findings = self.engine.predict(texts)
        return [predict_project(view, found, text) for found, text in zip(findings, texts, strict=True)]

    def smoke(self) -> None:
        """Predict a short text for every project; raises what a broken build raises."""
        for project in self.views:
            self.predict(project, [SMOKE_TEXT, ""])

    def close(self) -> None:
        self.engine.close()


def _views(build: Build, pipeline: Pipeline) -> dict[str, ProjectView]:
    views: dict[str, ProjectView] = {}
    for project in pipeline.projects:
        where = str(build.root / "projects" / project / "config.xml")
        config = parse_config(build.config_xml(project), where)
        outputs = tuple(pipeline.outputs_of(project))
        views[project] = ProjectView(project, config, outputs, model_version(build, pipeline, project))
    return views


def load_deployment(root: Path, server: str, *, smoke: bool = True) -> Deployment:
    """Read the build, load the server's engine, and (by default) run the smoke predictions."""
    build = load_build(root)
    pipeline = build.pipeline(server)
    views = _views(build, pipeline)
    engine = load_engine(build, pipeline)
    deployment = Deployment(build, pipeline, engine, views)
    if smoke:
        try:
            deployment.smoke()
        except Exception:
            deployment.close()
            raise
    return deployment


def server_of(root: Path, project: str) -> str:
    """The server of the build that hosts ``project``."""
    build = load_build(root)
    for resource in build.resources.values():
        if resource.kind == "Project" and resource.name == project:
            for dep in resource.depends_on:
                if dep.startswith("Server/"):
                    return dep.split("/", 1)[1]
    known = sorted(r.name for r in build.resources.values() if r.kind == "Project")
    raise UserError(
        f"{root}: the build has no project '{project}' (projects: {', '.join(known) or 'none'})",
        "check --project, or compile the repository that defines it",
    )
