"""Embeddings compatibility (SPEC §3 item 6).

Steps: find each model's embeddings storageRef (its ``embeddings:``, else the lock, else the
``metadata/part-00000`` of its folder or zip in the repository); check a declared ref against the
model's own metadata and lock entry; then, on every ``embeddingsPolicy: strict`` server, require one
ref for all models. ``lenient`` (Annotation Lab 4.2+) allows mixing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from alabctl.compile.checks.usage import Use, all_uses, by_model, project_names, quoted, server_uses
from alabctl.compile.sparknlp.metadata import MetadataError, SparkMetadata, read_metadata
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.kinds import ModelManifest
from alabctl.spec.kinds.manifest import Kind
from alabctl.spec.kinds.server import EmbeddingsPolicy
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource

MIXED = "ALB301"
UNKNOWN = "ALB302"
DECLARED_DIFFERS = "ALB303"
UNREADABLE = "ALB304"


@dataclass(frozen=True)
class ModelRef:
    """A model's embeddings storageRef and where it was learnt (``None``: unknown or none)."""

    model: str
    ref: str | None
    origin: str  # "embeddings:", "the lock", "its metadata", ""


def read_model_metadata(
    repo: Repository, resource: Resource
) -> tuple[SparkMetadata | None, Diagnostic | None]:
    """The metadata of a Model with a ``source.path`` in the repository (nothing when it has none)."""
    manifest = cast(ModelManifest, resource.manifest)
    relative = manifest.spec.source.path
    if relative is None:
        return None, None
    target = (resource.origin.directory / relative).resolve()
    root = repo.root.resolve()
    if not (target == root or root in target.parents) or not target.exists():
        return None, None  # reported by the reference checks (ALB007, ALB206)
    try:
        return read_metadata(target), None
    except MetadataError as exc:
        return None, resource.origin.diagnostic(
            UNREADABLE,
            f"cannot read the metadata of model '{manifest.name}': {exc}",
            f"'{relative}' must be a model saved by Spark NLP (a folder with metadata/part-00000, or a .zip "
            "of one); until then its embeddings are unknown, so declare them with 'embeddings:'",
            ("spec", "source", "path"),
            severity=Severity.WARNING,
        )


def _declared_differs(resource: Resource, declared: str, other: str, where: str) -> Diagnostic:
    return resource.origin.diagnostic(
        DECLARED_DIFFERS,
        f"'embeddings: {declared}' differs from '{other}' in {where}",
        f"the model was trained with '{other}' (Spark NLP refuses any other storageRef at run time); "
        f"set 'embeddings: {other}', or remove 'embeddings:' to take it from {where}",
        ("spec", "embeddings"),
    )


def model_ref(repo: Repository, model: str) -> tuple[ModelRef, list[Diagnostic]]:
    """What a model's storageRef is, and any disagreement between what declares it."""
    facts = repo.model_facts(model)
    if facts is None:
        return ModelRef(model, None, ""), []
    problems: list[Diagnostic] = []
    meta: SparkMetadata | None = None
    declared: str | None = None
    resource = facts.resource
    if resource is not None:
        declared = cast(ModelManifest, resource.manifest).spec.embeddings
        meta, problem = read_model_metadata(repo, resource)
        problems.extend([problem] if problem else [])
        if declared and meta and meta.storage_ref and meta.storage_ref != declared:
            problems.append(_declared_differs(resource, declared, meta.storage_ref, "its metadata"))
        locked_ref = facts.locked.storage_ref if facts.locked else None
        if declared and locked_ref and locked_ref != declared:
            problems.append(_declared_differs(resource, declared, locked_ref, "the lock file"))
    if facts.embeddings:
        return ModelRef(model, facts.embeddings, "embeddings:" if declared else "the lock"), problems
    if meta and meta.storage_ref:
        return ModelRef(model, meta.storage_ref, "its metadata"), problems
    return ModelRef(model, None, ""), problems


def _majority(refs: list[ModelRef]) -> str:
    counts = Counter(r.ref for r in refs if r.ref)
    best = max(counts.values())
    return next(r.ref for r in refs if r.ref and counts[r.ref] == best)


def _mixed(server: str, grouped: dict[str, list[Use]], refs: dict[str, ModelRef]) -> Diagnostic | None:
    known = [refs[m] for m in grouped if refs[m].ref]
    if len({r.ref for r in known}) <= 1:
        return None
    majority = _majority(known)
    first_off = next(r for r in known if r.ref != majority)
    listing = "; ".join(
        f"'{m}' uses '{refs[m].ref or 'unknown'}' (from {quoted(project_names(uses))})"
        for m, uses in grouped.items()
    )
    return grouped[first_off.model][0].diagnostic(
        MIXED,
        f"server '{server}' mixes embeddings: '{first_off.model}' uses '{first_off.ref}', "
        f"the others '{majority}'",
        f"{listing}. Under 'embeddingsPolicy: strict' every model on a server shares one embeddings "
        f"storageRef: use models trained on '{majority}', move the projects using '{first_off.model}' "
        "to another Server, or set 'embeddingsPolicy: lenient' on the Server (Annotation Lab 4.2+ mixes them)",
    )


def _unknown(server: str, use: Use, repo: Repository) -> Diagnostic:
    facts = repo.model_facts(use.model)
    detail = (
        f"'{server}' is a strict server with several models, so their embeddings must match; "
        f"declare 'embeddings: <storageRef>' on Model '{use.model}', or lock it with 'alabctl lock'"
    )
    summary = f"the embeddings of model '{use.model}' are unknown"
    if facts is not None and facts.resource is not None:
        return facts.resource.origin.diagnostic(
            UNKNOWN, summary, detail, ("spec",), severity=Severity.WARNING
        )
    return use.diagnostic(UNKNOWN, summary, detail, severity=Severity.WARNING)


def check_embeddings(repo: Repository) -> Iterator[Diagnostic]:
    names = list(by_model(all_uses(repo)))
    names += [m for m in repo.names(Kind.MODEL) if m not in names]
    refs: dict[str, ModelRef] = {}
    for model in names:
        refs[model], problems = model_ref(repo, model)
        yield from problems
    warned: set[str] = set()
    for server in repo.server_names():
        if repo.server(server).embeddings_policy is not EmbeddingsPolicy.STRICT:
            continue
        grouped = by_model(server_uses(repo, server))
        grouped = {m: u for m, u in grouped.items() if repo.model_facts(m) is not None}
        mixed = _mixed(server, grouped, refs)
        if mixed is not None:
            yield mixed
        if len(grouped) < 2:
            continue
        for model, uses in grouped.items():
            if refs[model].ref is None and model not in warned:
                warned.add(model)
                yield _unknown(server, uses[0], repo)
