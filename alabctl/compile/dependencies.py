"""What a validation reads besides the manifest files: the inputs a cached result depends on.

Dictionary files of rules, model folders or zips named by ``source.path``, License files and the
environment variables Licenses name, and when the licenses read expire. A validation result kept
from an earlier run is reused only while every one of these is unchanged and no license expired.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from alabctl.spec.errors import UserError
from alabctl.spec.names import Kind
from alabctl.spec.readfile import FileKind, read_text
from alabctl.spec.repository import Repository

if TYPE_CHECKING:
    from alabctl.spec.kinds import LicenseManifest


class ExternalInputs(NamedTuple):
    files: tuple[Path, ...]
    """As the manifests name them (not resolved): a replay resolves them again and compares."""
    env: tuple[str, ...]
    expires: float | None
    """The earliest ``exp`` (epoch seconds) of the license tokens read, if any."""


def _rule_files(repo: Repository) -> Iterator[Path]:
    for _, _, path in repo.dictionary_files():
        yield path


def _model_files(repo: Repository) -> Iterator[Path]:
    for kind in (Kind.MODEL, Kind.EMBEDDINGS):
        for resource in repo.of_kind(kind):
            source = resource.manifest.spec.source  # type: ignore[union-attr]
            if source.path is not None:
                from alabctl.compile.sparknlp.metadata import METADATA  # only for a local model

                path = resource.origin.directory / source.path
                yield path
                if path.is_dir():
                    yield path / METADATA


def _task_files(repo: Repository) -> Iterator[Path]:
    for project, resource in repo.projects():
        if project.spec.label_studio is not None:
            from alabctl.spec.tasks import expand  # only for task files: most runs never load it

            yield from expand(
                project.spec.label_studio.tasks, resource.origin.directory, repo.root.resolve()
            )[0]


def _expiry(text: str) -> float | None:
    from alabctl.compile.checks.license import decode_token

    try:
        material = json.loads(text)
    except ValueError:
        return None
    values = material.values() if isinstance(material, dict) else []
    found = [c["exp"] for v in values if (c := decode_token(v)) and isinstance(c.get("exp"), (int, float))]
    return float(min(found)) if found else None


def external_inputs(repo: Repository, env: Mapping[str, str]) -> ExternalInputs:
    files = [*_rule_files(repo), *_model_files(repo), *_task_files(repo)]
    names: list[str] = ["HOME"]  # ~ in License fromFile paths
    expiries: list[float] = []
    for resource in repo.of_kind(Kind.LICENSE):
        spec = cast("LicenseManifest", resource.manifest).spec
        texts = []
        if spec.from_env is not None:
            names.append(spec.from_env)
            texts.append(env.get(spec.from_env, ""))
        if spec.from_file is not None:
            from alabctl.compile.checks.license import license_path  # only with licenses

            path = license_path(spec.from_file, env, resource.origin.directory)
            files.append(path)
            with contextlib.suppress(OSError, UserError):
                texts.append(read_text(path, FileKind.LICENSE))
        expiries.extend(e for t in texts if (e := _expiry(t)) is not None)
    return ExternalInputs(tuple(sorted(set(files))), tuple(sorted(set(names))), min(expiries, default=None))
