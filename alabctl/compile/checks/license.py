"""License checks (SPEC §3 item 7): anything licensed needs a License that is readable, well-formed,
not expired and has the scope needed.

Steps:

1. ``project_needs``: what in a project needs a license, and which scopes satisfy each need: a model
   or embeddings from a licensed edition (``<edition>:inference``), ContextualParser rules run by a
   Spark NLP pipeline (any of ``healthcare|finance|legal:inference``), Visual NER
   (``ocr:inference`` or ``visual:inference``).
2. ``read_material``: the License's JSON, from the environment variable it names (in the ``env``
   passed in) or its file.
3. ``decode_token``: the JWT in ``SPARK_NLP_LICENSE`` (``SPARK_OCR_LICENSE`` for Visual NER; ``license``
   in either case). The payload is decoded, the signature is **not** verified: John Snow Labs'
   libraries verify it at run time. This check catches the mistakes people make (wrong file, expired
   license, missing scope) before a deploy.
4. ``granted_scopes``: the scopes the token grants (``scope``/``scopes`` claims, product names in
   ``platform``/``products``), else the License manifest's ``scopes``.

License material never appears in a diagnostic: summaries and details name the variable, the
file, JSON field names, scope names and the expiry date, nothing else.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from alabctl.compile.checks.usage import engine_of, project_uses, quoted
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.kinds import LicenseManifest, ProjectManifest
from alabctl.spec.kinds.license import SCOPE_PATTERN
from alabctl.spec.kinds.manifest import Kind
from alabctl.spec.kinds.server import Engine
from alabctl.spec.lock import AssetType, Edition, edition_of
from alabctl.spec.readfile import FileKind, FileReadError, read_text
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource
from alabctl.spec.secrets import secret_path, shown, shown_path

NO_LICENSE = "ALB310"
UNREADABLE = "ALB311"
MALFORMED = "ALB312"
EXPIRED = "ALB313"
MISSING_SCOPE = "ALB314"
SCOPE_NOT_GRANTED = "ALB315"

NLP_FIELDS = ("SPARK_NLP_LICENSE", "license")
VISUAL_FIELDS = ("SPARK_OCR_LICENSE", "license", "SPARK_NLP_LICENSE")
RULE_SCOPES = ("healthcare:inference", "finance:inference", "legal:inference")
VISUAL_SCOPES = ("ocr:inference", "visual:inference")
_PRODUCTS = {
    "healthcare": "healthcare",
    "clinical": "healthcare",
    "spark-nlp-jsl": "healthcare",
    "spark_nlp_jsl": "healthcare",
    "finance": "finance",
    "legal": "legal",
    "ocr": "ocr",
    "visual": "ocr",
    "spark-ocr": "ocr",
    "spark_ocr": "ocr",
}
_SCOPE = re.compile(SCOPE_PATTERN)


@dataclass(frozen=True)
class Need:
    """Something in a project that needs a license, and the scopes of which any one will do."""

    reason: str
    scopes: tuple[str, ...]

    @property
    def visual(self) -> bool:
        return self.scopes == VISUAL_SCOPES


def _edition_need(what: str, edition: Edition) -> Need:
    if edition is Edition.VISUAL:
        return Need(f"{what} (Visual NLP)", VISUAL_SCOPES)
    return Need(f"{what} ({edition.value})", (f"{edition.value}:inference",))


def model_edition(repo: Repository, model: str) -> Edition:
    facts = repo.model_facts(model)
    if facts is None:
        return Edition.OPENSOURCE
    if facts.edition.licensed:
        return facts.edition
    return facts.locked.edition if facts.locked else Edition.OPENSOURCE


def embeddings_edition(repo: Repository, name: str) -> Edition:
    manifest = repo.embeddings(name)
    if manifest is not None and manifest.spec.source.hub is not None:
        edition = edition_of(manifest.spec.source.hub.repository)
        if edition.licensed:
            return edition
    locked = repo.locked(name, AssetType.EMBEDDINGS)
    if locked is None:
        return Edition.OPENSOURCE
    return locked.edition if locked.edition.licensed else edition_of(locked.repository)


def project_needs(repo: Repository, project: ProjectManifest, resource: Resource) -> list[Need]:
    """Everything in ``project`` that needs a license, in document order."""
    needs: list[Need] = []
    seen_embeddings: set[str] = set()
    for use in project_uses(project, resource):
        edition = model_edition(repo, use.model)
        if edition.licensed:
            needs.append(_edition_need(f"model '{use.model}'", edition))
        facts = repo.model_facts(use.model)
        ref = facts.embeddings if facts else None
        if ref and ref not in seen_embeddings:
            seen_embeddings.add(ref)
            emb_edition = embeddings_edition(repo, ref)
            if emb_edition.licensed:
                needs.append(_edition_need(f"embeddings '{ref}' of model '{use.model}'", emb_edition))
    server = repo.server_name(project)
    if project.spec.ner and project.spec.ner.rules and engine_of(repo, server) is Engine.SPARKNLP:
        needs.append(
            Need(
                f"rules {quoted(project.spec.ner.rules)} (ContextualParser, run by the Spark NLP "
                f"pipeline of server '{server}')",
                RULE_SCOPES,
            )
        )
    if project.spec.content.visual:
        needs.append(Need(f"content '{project.spec.content.value}' (Visual NER)", VISUAL_SCOPES))
    return needs


@dataclass(frozen=True)
class Problem:
    """A problem with the License's material, reported once at the License manifest."""

    code: str
    summary: str
    detail: str


@dataclass
class Material:
    """What was learnt from a License's material: the claims of each token, per field."""

    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def token_claims(self, visual: bool) -> tuple[str, dict[str, Any]] | None:
        for name in VISUAL_FIELDS if visual else NLP_FIELDS:
            if name in self.claims:
                return name, self.claims[name]
        return None


def _where(spec: LicenseManifest) -> str:
    if spec.spec.from_env is not None:
        return f"environment variable {shown(spec.spec.from_env)}"
    return f"file {shown_path(str(spec.spec.from_file), str(spec.spec.from_file))}"


def _is_text(value: str) -> bool:
    """Whether an environment value decoded as UTF-8 (Python keeps undecodable bytes as surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def license_path(from_file: str, env: Mapping[str, str], base: Path) -> Path:
    """``fromFile`` with ``~`` expanded from ``HOME`` in ``env``, relative paths from the manifest's folder."""
    return secret_path(from_file, env, base)


def read_material(manifest: LicenseManifest, base: Path, env: Mapping[str, str]) -> str | Problem:
    """The License's text, or why it cannot be read."""
    spec = manifest.spec
    if spec.from_env is not None:
        value = env.get(spec.from_env)
        if value and not _is_text(value):
            return Problem(
                UNREADABLE,
                f"environment variable {shown(spec.from_env)} for License '{manifest.name}' is not UTF-8 text",
                f"set {shown(spec.from_env)} to the contents of your license JSON, saved as UTF-8",
            )
        if value:
            return value
        if spec.from_file is None:
            return Problem(
                UNREADABLE,
                f"environment variable {shown(spec.from_env)} for License '{manifest.name}' is not set",
                f"set {shown(spec.from_env)} to the contents of your license JSON (from my.johnsnowlabs.com); "
                "in CI, from a repository secret. Pull requests from forks have no secrets: run "
                "'alabctl validate --skip-license-check' there",
            )
    path = license_path(cast(str, spec.from_file), env, base)
    try:
        return read_text(path, FileKind.LICENSE)
    except FileReadError as exc:
        reason = "does not exist" if not os.path.lexists(path) else f"cannot be read ({exc.reason})"
        return Problem(
            UNREADABLE,
            f"license file {shown_path(str(spec.from_file), str(spec.from_file))} for License '{manifest.name}' {reason}",
            f"put the license JSON from my.johnsnowlabs.com at {shown_path(str(spec.from_file), path)}, or point 'fromFile' at it "
            "('~' is your home directory); pull requests from forks can use 'alabctl validate --skip-license-check'",
        )


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode_token(token: object) -> dict[str, Any] | None:
    """The payload of a JWT (``header.payload.signature``), without verifying the signature."""
    if not isinstance(token, str):
        return None
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    try:
        header = json.loads(_b64url(parts[0]))
        payload = json.loads(_b64url(parts[1]))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return payload


def _malformed(manifest: LicenseManifest, what: str) -> Problem:
    return Problem(
        MALFORMED,
        f"the license in {_where(manifest)} (License '{manifest.name}') {what}",
        "use the license JSON file downloaded from my.johnsnowlabs.com, unchanged: a JSON object whose "
        "SPARK_NLP_LICENSE (and SPARK_OCR_LICENSE for Visual NLP) is a JWT. Only the token's payload is "
        "read here; its signature is not verified (John Snow Labs' libraries verify it at run time)",
    )


def parse_material(text: str, manifest: LicenseManifest, now: datetime) -> Material:
    """The claims of every token in the license JSON, with what is wrong with them."""
    material = Material()
    try:
        data = json.loads(text)
    except ValueError:
        material.problems.append(_malformed(manifest, "is not JSON"))
        return material
    if not isinstance(data, dict):
        material.problems.append(_malformed(manifest, "is not a JSON object"))
        return material
    by_upper = {str(k).upper(): v for k, v in data.items()}
    for name in dict.fromkeys((*NLP_FIELDS, *VISUAL_FIELDS)):
        if name.upper() not in by_upper:
            continue
        claims = decode_token(by_upper[name.upper()])
        if claims is None:
            material.problems.append(_malformed(manifest, f"has a {name} that is not a JWT"))
            continue
        material.claims[name] = claims
        expired = _expiry_problem(claims, name, manifest, now)
        if expired is not None:
            material.problems.append(expired)
    if not material.claims and not material.problems:
        material.problems.append(
            _malformed(manifest, f"has none of the fields {', '.join(dict.fromkeys(VISUAL_FIELDS))}")
        )
    return material


def _expiry_problem(
    claims: dict[str, Any], name: str, manifest: LicenseManifest, now: datetime
) -> Problem | None:
    exp = claims.get("exp")
    if exp is None:
        return None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return _malformed(manifest, f"has a {name} whose 'exp' claim is not a number")
    current = now if now.tzinfo else now.replace(tzinfo=UTC)
    try:
        expires = datetime.fromtimestamp(exp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return _malformed(manifest, f"has a {name} whose 'exp' claim is not a date")
    if expires > current:
        return None
    return Problem(
        EXPIRED,
        f"the license in {_where(manifest)} (License '{manifest.name}') expired on "
        f"{expires.strftime('%Y-%m-%d %H:%M UTC')}",
        f"renew it at my.johnsnowlabs.com and update {_where(manifest)}; Annotation Lab refuses to "
        "deploy with an expired license, and so does alabctl",
    )


def _scope_names(value: object) -> list[str]:
    if isinstance(value, str):
        items: list[object] = list(re.split(r"[\s,]+", value))
    elif isinstance(value, list):
        items = list(value)
    else:
        return []
    out = []
    for item in items:
        if isinstance(item, str):
            norm = re.sub(r"\s+", "", item).lower().replace("visual:", "ocr:")
            if _SCOPE.match(norm):
                out.append(norm)
    return out


def _product_names(value: object) -> list[str]:
    if isinstance(value, dict):
        value = value.get("name") or value.get("products")
    items = [value] if isinstance(value, str) else (value if isinstance(value, list) else [])
    out = []
    for item in items:
        product = _PRODUCTS.get(str(item).strip().lower()) if isinstance(item, str) else None
        if product:
            out += [f"{product}:inference", f"{product}:training"]
    return out


def claim_scopes(claims: Mapping[str, Any]) -> set[str] | None:
    """The scopes a token grants, or ``None`` when it says nothing about scopes."""
    found: set[str] = set()
    said = False
    for key in ("scope", "scopes", "scp"):
        if key in claims:
            said = True
            found.update(_scope_names(claims[key]))
    for key in ("platform", "products", "product"):
        names = _product_names(claims.get(key))
        if names:
            said = True
            found.update(names)
    return found if said else None


def _normalise(scope: str) -> str:
    return scope.replace("visual:", "ocr:")


def _satisfied(need: Need, granted: set[str]) -> bool:
    return any(_normalise(s) in granted for s in need.scopes)


@dataclass
class _LicenseState:
    manifest: LicenseManifest
    resource: Resource
    material: Material | None
    problems: list[Problem]
    granted: dict[bool, tuple[set[str] | None, str]] = field(default_factory=dict)
    """:func:`_granted` for NLP (``False``) and visual (``True``) needs, worked out once."""


def _load(repo: Repository, name: str, env: Mapping[str, str], now: datetime) -> _LicenseState | None:
    resource = repo.get(Kind.LICENSE, name)
    if resource is None:
        return None  # a dangling reference: reported as ALB202
    manifest = cast(LicenseManifest, resource.manifest)
    text = read_material(manifest, resource.origin.directory, env)
    if isinstance(text, Problem):
        return _LicenseState(manifest, resource, None, [text])
    material = parse_material(text, manifest, now)
    return _LicenseState(manifest, resource, material, list(material.problems))


def _granted(state: _LicenseState, visual: bool) -> tuple[set[str] | None, str]:
    """The scopes granted for a need, and a note on where they came from (callers must not change them)."""
    known = state.granted.get(visual)
    if known is None:
        known = state.granted[visual] = _granted_now(state, visual)
    return known


def _granted_now(state: _LicenseState, visual: bool) -> tuple[set[str] | None, str]:
    declared = {_normalise(s) for s in state.manifest.spec.scopes}
    token = state.material.token_claims(visual) if state.material else None
    if token is not None:
        scopes = claim_scopes(token[1])
        if scopes is not None:
            return scopes, f"its {token[0]} grants"
    if declared:
        return declared, "its 'scopes' declare"
    return None, ""


def _scope_problem(
    state: _LicenseState, project: ProjectManifest, resource: Resource, needs: list[Need]
) -> Iterator[Diagnostic]:
    missing: list[Need] = []
    notes: set[str] = set()
    for need in needs:
        if state.material is not None and state.material.token_claims(need.visual) is None:
            missing.append(need)
            notes.add(
                f"the license JSON has no {' or '.join(dict.fromkeys(VISUAL_FIELDS if need.visual else NLP_FIELDS))}"
            )
            continue
        granted, source = _granted(state, need.visual)
        if granted is not None and not _satisfied(need, granted):
            missing.append(need)
            shown = ", ".join(sorted(granted)) or "no scope"
            notes.add(f"{source} {shown}")
    if not missing:
        return
    wanted = "; ".join(f"{n.reason} needs {' or '.join(n.scopes)}" for n in missing)
    yield resource.origin.diagnostic(
        MISSING_SCOPE,
        f"License '{state.manifest.name}' does not cover what project '{project.name}' needs",
        f"{wanted}; but {'; '.join(sorted(notes))}. Use a license with that scope (Annotation Lab 4.2+ "
        "scopes look like 'Healthcare: Inference'), or name another License in 'spec.license'",
        ("spec", "license"),
    )


def _declared_not_granted(state: _LicenseState) -> Iterator[Diagnostic]:
    if state.material is None:
        return
    token = state.material.token_claims(False) or state.material.token_claims(True)
    granted = claim_scopes(token[1]) if token else None
    if granted is None:
        return
    for i, scope in enumerate(state.manifest.spec.scopes):
        if _normalise(scope) not in granted:
            yield state.resource.origin.diagnostic(
                SCOPE_NOT_GRANTED,
                f"License '{state.manifest.name}' declares scope '{scope}' that its license does not grant",
                f"the license grants {', '.join(sorted(granted)) or 'no scope'}; remove '{scope}' from "
                "'scopes' or use a license that has it",
                ("spec", "scopes", i),
                severity=Severity.WARNING,
            )


def _material_path(manifest: LicenseManifest) -> tuple[str, ...]:
    return ("spec", "fromEnv") if manifest.spec.from_env is not None else ("spec", "fromFile")


def check_licenses(repo: Repository, *, env: Mapping[str, str], now: datetime) -> Iterator[Diagnostic]:
    states: dict[str, _LicenseState | None] = {}
    users: dict[str, list[str]] = {}
    for project, resource in repo.projects():
        needs = project_needs(repo, project, resource)
        if not needs:
            continue
        name = project.spec.license
        if name is None:
            reasons = "; ".join(n.reason for n in needs)
            yield resource.origin.diagnostic(
                NO_LICENSE,
                f"project '{project.name}' needs a license but names none",
                f"{reasons} need a John Snow Labs license: add 'license: <name>' under 'spec' naming a "
                "License manifest (which says where the license is read from, never the license itself)",
                ("spec", "license"),
            )
            continue
        if name not in states:
            states[name] = _load(repo, name, env, now)
        users.setdefault(name, []).append(project.name)
        state = states[name]
        if state is not None and not any(p.code in (UNREADABLE, MALFORMED) for p in state.problems):
            yield from _scope_problem(state, project, resource, needs)
    for name, state in states.items():
        if state is None:
            continue
        for problem in state.problems:
            yield state.resource.origin.diagnostic(
                problem.code,
                problem.summary,
                f"{problem.detail}. Needed by {'project' if len(users[name]) == 1 else 'projects'} {quoted(users[name])}",
                _material_path(state.manifest),
            )
        yield from _declared_not_granted(state)
