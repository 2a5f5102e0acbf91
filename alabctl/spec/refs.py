"""Checks across manifests (SPEC §3 items 2-3): names unique per kind, references resolve, label
values unique within a control, files named by manifests exist inside the repository.

Each check is a function of the repository that returns diagnostics; nothing is raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from alabctl.spec.diagnostics import Diagnostic, hint
from alabctl.spec.loader import Origin
from alabctl.spec.names import Kind
from alabctl.spec.readfile import real_path
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource

if TYPE_CHECKING:  # each kind's classes load with the first manifest of that kind (spec.kinds)
    from alabctl.spec.kinds import ModelManifest, ProjectManifest, RuleManifest, ServerManifest


def check_duplicates(repo: Repository) -> Iterator[Diagnostic]:
    first: dict[tuple[str, str], Resource] = {}
    for resource in repo.resources:
        key = (resource.kind, resource.name)
        if key in first:
            yield resource.origin.diagnostic(
                "ALB201",
                f"duplicate {resource.kind} name '{resource.name}'",
                f"{resource.kind} '{resource.name}' is already defined at {first[key].origin.where(('metadata', 'name'))}; "
                "names are unique per kind, so rename one",
                ("metadata", "name"),
            )
        else:
            first[key] = resource


def _dangling(
    origin: Origin, path: tuple[str | int, ...], kind: str, name: str, known: set[str], fix: str
) -> Diagnostic:
    """ALB202 for a reference to nothing (callers skip names in ``repo.broken``: a manifest that
    exists with errors of its own is reported there, once)."""
    suggestion = hint(name, known, kind)
    detail = f"{suggestion}; {fix}" if suggestion else fix
    return origin.diagnostic("ALB202", f"{kind} '{name}' is not defined", detail, path)


def check_project_references(repo: Repository) -> Iterator[Diagnostic]:
    servers = set(repo.names(Kind.SERVER))
    licenses = set(repo.names(Kind.LICENSE))
    rules = set(repo.names(Kind.RULE))
    models = repo.known_models()
    broken = repo.broken
    for project, resource in repo.projects():
        origin = resource.origin
        spec = project.spec
        if (
            spec.server is not None
            and spec.server not in servers
            and (Kind.SERVER, spec.server) not in broken
        ):
            yield _dangling(
                origin,
                ("spec", "server"),
                Kind.SERVER,
                spec.server,
                servers,
                "add a Server manifest with that name, or remove 'server' to get a server "
                "named after the project",
            )
        if (
            spec.license is not None
            and spec.license not in licenses
            and (Kind.LICENSE, spec.license) not in broken
        ):
            yield _dangling(
                origin,
                ("spec", "license"),
                Kind.LICENSE,
                spec.license,
                licenses,
                "add a License manifest with that name",
            )
        for binding in project.bindings():
            if binding.model not in models and (Kind.MODEL, binding.model) not in broken:
                yield _dangling(
                    origin,
                    binding.path,
                    Kind.MODEL,
                    binding.model,
                    models,
                    "add a Model manifest for it, or pin it from the hub with 'alabctl lock'",
                )
        if spec.ner:
            for i, rule in enumerate(spec.ner.rules):
                if rule not in rules and (Kind.RULE, rule) not in broken:
                    yield _dangling(
                        origin,
                        ("spec", "ner", "rules", i),
                        Kind.RULE,
                        rule,
                        rules,
                        "add a Rule manifest with that name",
                    )


def check_model_references(repo: Repository) -> Iterator[Diagnostic]:
    known = repo.known_embeddings()
    for resource in repo.of_kind(Kind.MODEL):
        model = cast("ModelManifest", resource.manifest)
        ref = model.spec.embeddings
        if ref is not None and ref not in known and (Kind.EMBEDDINGS, ref) not in repo.broken:
            yield _dangling(
                resource.origin,
                ("spec", "embeddings"),
                Kind.EMBEDDINGS,
                ref,
                known,
                "add an Embeddings manifest with that name, or pin it with 'alabctl lock'",
            )


class _Label(NamedTuple):
    value: str
    source: str  # "manual", "model <m>", "rule <r>", "assertion"
    path: tuple[str | int, ...]
    renamed: bool = False


def _ner_block_labels(repo: Repository, project: ProjectManifest) -> list[_Label]:
    """Every label value of the NER ``<Labels>`` block: manual, from models, from rules, assertion."""
    spec = project.spec
    out: list[_Label] = []
    if spec.ner:
        for i, label in enumerate(spec.ner.labels):
            out.append(_Label(label.value, "manual", ("spec", "ner", "labels", i, "value")))
        for i, binding in enumerate(spec.ner.models):
            out.extend(
                _bound_labels(
                    repo, binding.model, binding.labels, binding.rename, ("spec", "ner", "models", i)
                )
            )
        for i, name in enumerate(spec.ner.rules):
            rule = repo.rule(name)
            if rule is not None:
                out.append(_Label(rule.spec.entity, f"rule '{name}'", ("spec", "ner", "rules", i)))
    if spec.assertion:
        for i, label in enumerate(spec.assertion.labels):
            out.append(_Label(label.value, "manual assertion", ("spec", "assertion", "labels", i)))
        for i, binding in enumerate(spec.assertion.models):
            out.extend(
                _bound_labels(
                    repo, binding.model, binding.labels, binding.rename, ("spec", "assertion", "models", i)
                )
            )
    return out


def _bound_labels(
    repo: Repository,
    model: str,
    subset: list[str] | None,
    rename: dict[str, str],
    path: tuple[str | int, ...],
) -> list[_Label]:
    facts = repo.model_facts(model)
    taken = subset if subset is not None else (list(facts.labels) if facts and facts.labels else [])
    out = []
    for j, label in enumerate(taken):
        where = (*path, "labels", j) if subset is not None else (*path, "model")
        if label in rename:
            out.append(_Label(rename[label], f"model '{model}'", (*path, "rename", label), renamed=True))
        else:
            out.append(_Label(label, f"model '{model}'", where))
    return out


def check_labels(repo: Repository) -> Iterator[Diagnostic]:
    for project, resource in repo.projects():
        origin = resource.origin
        seen: dict[str, _Label] = {}
        for label in _ner_block_labels(repo, project):
            first = seen.get(label.value)
            if first is None:
                seen[label.value] = label
                continue
            if first.source == label.source:
                yield origin.diagnostic(
                    "ALB203",
                    f"duplicate label value '{label.value}'",
                    f"'{label.value}' is already a label at {origin.where(first.path)}; remove one",
                    label.path,
                )
            elif label.renamed or first.renamed:
                yield origin.diagnostic(
                    "ALB205",
                    f"rename onto an existing label '{label.value}'",
                    f"{label.source if label.renamed else first.source} is renamed to '{label.value}', which is "
                    f"already a label from {first.source if label.renamed else label.source}; pick another name",
                    label.path if label.renamed else first.path,
                    key=True,
                )
            elif "manual" in first.source or "manual" in label.source:
                bound = label if "manual" not in label.source else first
                manual = first if bound is label else label
                yield origin.diagnostic(
                    "ALB204",
                    f"label '{label.value}' is both manual and bound to {bound.source}",
                    f"drop the manual label at {origin.where(manual.path)} (the model's label can be edited "
                    f"by people too), or rename the model's label with 'rename'",
                    bound.path,
                )
            else:
                yield origin.diagnostic(
                    "ALB203",
                    f"label '{label.value}' comes from both {first.source} and {label.source}",
                    "one label can be bound to one predictor; rename one of them with 'rename' or drop it",
                    label.path,
                )
        yield from _unique_values(origin, project)


def _unique_values(origin: Origin, project: ProjectManifest) -> Iterator[Diagnostic]:
    names: dict[str, tuple[str | int, ...]] = {"label": ("spec", "ner"), "text": ("spec", "content")}
    for i, block in enumerate(project.spec.classification):
        path = ("spec", "classification", i, "name")
        if block.name in names:
            yield origin.diagnostic(
                "ALB207",
                f"control name '{block.name}' is already used",
                "control names must be unique in the labeling config ('label', 'text' and 'relations' are "
                "taken); rename the classification block",
                path,
            )
        names[block.name] = path
        seen: set[str] = set()
        for j, choice in enumerate(block.choices):
            if choice in seen:
                yield origin.diagnostic(
                    "ALB203",
                    f"duplicate choice '{choice}' in '{block.name}'",
                    "remove the repeated choice",
                    ("spec", "classification", i, "choices", j),
                )
            seen.add(choice)
    if project.spec.relations:
        rel_seen: set[str] = set()
        for i, rel in enumerate(project.spec.relations.labels):
            if rel.value in rel_seen:
                yield origin.diagnostic(
                    "ALB203",
                    f"duplicate relation label '{rel.value}'",
                    "remove the repeated relation",
                    ("spec", "relations", "labels", i, "value"),
                )
            rel_seen.add(rel.value)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _as_named(folder: Path, origin: Origin) -> str:
    """``folder`` as the user would name it: relative to where they named the manifest's file from."""
    shown = Path(origin.file).parent.parts
    real = origin.directory.parts
    if not Path(origin.file).is_absolute() and real[len(real) - len(shown) :] == shown:
        base = Path(*real[: len(real) - len(shown)]) if len(real) > len(shown) else Path("/")
        return os.path.relpath(folder, base)
    return str(folder)


def check_file(
    origin: Origin, root: Path, relative: str, path: tuple[str | int, ...], what: str
) -> Diagnostic | None:
    """A path named by a manifest must stay inside the repository and exist."""
    target = real_path(origin.directory / relative)
    if target is None:
        return origin.diagnostic(
            "ALB206",
            f"{what} '{relative}' is a symbolic link that leads back to itself",
            "replace the link with the file",
            path,
        )
    if not _inside(target, root):
        return origin.diagnostic(
            "ALB007",
            f"{what} '{relative}' is outside the repository",
            f"paths are relative to {origin.file} and must stay inside the repository, "
            f"{_as_named(root, origin)}/ (the common folder of the -f inputs, or --root DIR); "
            "move the file into it",
            path,
        )
    if not target.exists():
        return origin.diagnostic(
            "ALB206",
            f"{what} '{relative}' does not exist",
            f"looked for {target.relative_to(root)} (relative to {origin.file})",
            path,
        )
    return None


def check_files(repo: Repository) -> Iterator[Diagnostic]:
    for resource in repo.of_kind(Kind.RULE):
        rule = cast("RuleManifest", resource.manifest)
        dictionary = rule.spec.dictionary
        if dictionary is not None and dictionary.file is not None:
            problem = check_file(
                resource.origin, repo.root, dictionary.file, ("spec", "dictionary", "file"), "dictionary file"
            )
            if problem:
                yield problem
    for kind in (Kind.MODEL, Kind.EMBEDDINGS):
        for resource in repo.of_kind(kind):
            source = resource.manifest.spec.source  # type: ignore[union-attr]
            if source.path is not None:
                problem = check_file(
                    resource.origin, repo.root, source.path, ("spec", "source", "path"), "model path"
                )
                if problem:
                    yield problem


def check_label_studio(repo: Repository) -> Iterator[Diagnostic]:
    """A project's ``labelStudio``: the instance exists, task files exist, renames are not ambiguous,
    and no other project has its title in that instance (Label Studio projects are found by title)."""
    instances = set(repo.names(Kind.LABEL_STUDIO))
    titled: dict[tuple[str, str], str] = {}
    for project, resource in repo.projects():
        origin, ls = resource.origin, project.spec.label_studio
        if ls is not None:
            title = (ls.title or project.name).strip()
            first = titled.setdefault((ls.instance, title), project.name)
            if first != project.name:
                yield origin.diagnostic(
                    "ALB233",
                    f"project '{first}' has the Label Studio title '{title}' in instance '{ls.instance}' too",
                    "alabctl finds a Label Studio project by its title: give one of them another "
                    "labelStudio.title",
                    ("spec", "labelStudio", "title") if ls.title else ("metadata", "name"),
                )
        if (
            ls is not None
            and ls.instance not in instances
            and (Kind.LABEL_STUDIO, ls.instance) not in repo.broken
        ):
            yield _dangling(
                origin,
                ("spec", "labelStudio", "instance"),
                "LabelStudio",
                ls.instance,
                instances,
                "add a LabelStudio manifest with that name",
            )
        for i, pattern in enumerate(ls.tasks if ls else []):
            from alabctl.spec.tasks import expand  # only for task files: most runs never load it

            expanded = expand([pattern], origin.directory, repo.root.resolve())
            for _, why in expanded.refused:
                yield origin.diagnostic(
                    "ALB007",
                    f"task file pattern '{pattern}' is refused: {why}",
                    f"patterns are relative to {origin.file} and must stay inside the repository",
                    ("spec", "labelStudio", "tasks", i),
                )
            if expanded.unmatched:
                yield origin.diagnostic(
                    "ALB206",
                    f"task file '{pattern}' matches no JSON, JSONL or CSV file in the repository",
                    f"paths and globs are relative to {origin.file} and must stay inside the repository",
                    ("spec", "labelStudio", "tasks", i),
                )
        labels = project.spec.ner.labels if project.spec.ner else []
        values = {label.value for label in labels}
        for i, label in enumerate(labels):
            if label.renamed_from is not None and label.renamed_from in values:
                yield origin.diagnostic(
                    "ALB232",
                    f"label '{label.value}' is renamed from '{label.renamed_from}', which is still a label",
                    "a rename moves annotations from the old label to the new one: remove the old label, "
                    "or drop 'renamedFrom'",
                    ("spec", "ner", "labels", i, "renamedFrom"),
                )


_EVERY_ADDRESS = frozenset({"0.0.0.0", "::", "[::]", "*"})  # noqa: S104 - names them, binds nothing


def check_ports(repo: Repository) -> Iterator[Diagnostic]:
    """No two Servers declare one port where both would listen: the same host, or either on every
    address (``0.0.0.0``). Hosts are compared as written (no name is resolved: ``localhost`` and
    ``127.0.0.1`` are two hosts here; ``apply`` fails the second to bind). Servers without a port
    get one assigned that no other server holds."""
    taken: list[tuple[str, int, str]] = []
    for resource in repo.of_kind(Kind.SERVER):
        spec = cast("ServerManifest", resource.manifest).spec
        if spec.port is None:
            continue
        host = spec.host.strip().lower()
        for other_host, port, other in taken:
            if port == spec.port and (host == other_host or {host, other_host} & _EVERY_ADDRESS):
                yield resource.origin.diagnostic(
                    "ALB208",
                    f"server '{other}' listens on port {port} of {other_host} too",
                    "give one of them another port, or leave 'port' out to have one assigned",
                    ("spec", "port"),
                )
                break
        taken.append((host, spec.port, resource.manifest.name))


def check_references(repo: Repository) -> list[Diagnostic]:
    """All cross-manifest checks of SPEC §3 items 2 and 3."""
    out: list[Diagnostic] = []
    for check in (
        check_duplicates,
        check_project_references,
        check_model_references,
        check_labels,
        check_files,
        check_label_studio,
        check_ports,
    ):
        out.extend(check(repo))
    return out
