"""Build a repository from YAML text in ``tmp_path`` and run the compiler's checks on it."""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alabctl.compile.checks import check_repository
from alabctl.spec.diagnostics import Diagnostic
from alabctl.spec.validate import load_repository

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HEAD = "apiVersion: alabctl/v1\n"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(payload: Mapping[str, Any]) -> str:
    """A JWT-shaped token: base64url header.payload.signature (the signature is junk, as it is never checked)."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(payload).encode())
    return f"{header}.{body}.{b64url(b'not-a-real-signature')}"


def license_json(payload: Mapping[str, Any], **extra: str) -> str:
    return json.dumps({"SPARK_NLP_LICENSE": make_jwt(payload), **extra})


@dataclass
class Repo:
    root: Path

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def file(self, name: str) -> str:
        """The file name as diagnostics show it (as given on the command line)."""
        return str(self.root / name)

    def check(self, env: Mapping[str, str] | None = None, now: datetime = NOW) -> list[Diagnostic]:
        result = load_repository([str(self.root)], cwd=self.root, lockfile=self.root / "alabctl.lock")
        spec_errors = [d for d in result.diagnostics if d.is_error]
        assert not spec_errors, f"the test repository itself is invalid: {spec_errors}"
        return check_repository(result.repository, env=env or {}, now=now)

    def errors(self, env: Mapping[str, str] | None = None, now: datetime = NOW) -> list[Diagnostic]:
        return [d for d in self.check(env, now) if d.is_error]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    """The one diagnostic with ``code``, asserting there is exactly one and no other error."""
    found = [d for d in diagnostics if d.code == code]
    others = [d for d in diagnostics if d.code != code and d.is_error]
    assert len(found) == 1, f"expected one {code}, got {diagnostics}"
    assert not others, f"unexpected errors: {others}"
    return found[0]


def at(diagnostic: Diagnostic) -> tuple[str | None, int | None, int | None]:
    return diagnostic.file, diagnostic.line, diagnostic.column


def model_doc(
    name: str,
    *,
    task: str = "ner",
    labels: list[str] | None = None,
    embeddings: str | None = "glove_100d",
    repository: str = "public/models",
    language: str = "en",
) -> str:
    """One Model document (hub source)."""
    lines = [
        HEAD.rstrip("\n"),
        "kind: Model",
        f"metadata: {{name: {name}}}",
        "spec:",
        f"  task: {task}",
        f"  source: {{hub: {{repository: {repository}, language: {language}}}}}",
        f"  language: {language}",
    ]
    if labels is not None:
        lines.append(f"  labels: [{', '.join(labels)}]")
    if embeddings is not None:
        lines.append(f"  embeddings: {embeddings}")
    return "\n".join(lines) + "\n"


def lock_entry(
    name: str,
    *,
    type: str = "model",
    repository: str = "public/models",
    lib: str = "4.4.0",
    spark: str = "3.0",
    edition: str = "opensource",
    language: str = "en",
) -> str:
    key = f"{name}_{language}_{lib}_{spark}_1687357000000"
    return (
        f"  - name: {name}\n    type: {type}\n    language: {language}\n    repository: {repository}\n"
        f'    key: {key}\n    libVersion: {lib}\n    sparkVersion: "{spark}"\n'
        f"    url: https://example.invalid/{repository}/{key}.zip\n    edition: {edition}\n"
    )


def write_models(repo: Repo, *docs: tuple[str, str], extra_lock: str = "") -> None:
    """Write Model documents into models.yaml and lock every one of them (name, repository)."""
    texts = []
    lock = "version: 1\nassets:\n"
    for doc, repository in docs:
        texts.append(doc)
        name = doc.split("metadata: {name: ", 1)[1].split("}", 1)[0]
        lock += lock_entry(name, repository=repository)
    repo.write("models.yaml", "---\n".join(texts))
    repo.write("alabctl.lock", lock + extra_lock)
