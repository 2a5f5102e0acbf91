"""Labels and task fit (SPEC §3 items 4 and 8).

Per project: every label taken from a model (``labels`` subset, ``rename`` keys) is one it predicts;
rename targets do not collide; each binding names a model of the right task; assertion and relations
have a NER source; relation ``allowed`` pairs name NER labels; a relation model's entity pairs are
NER labels (when its metadata says which); the models share one language (``xx`` fits all).
"""

from __future__ import annotations

from collections.abc import Iterator

from alabctl.compile.checks.embeddings import read_model_metadata
from alabctl.compile.checks.usage import Use, project_uses, quoted
from alabctl.spec.diagnostics import Diagnostic, Severity, hint
from alabctl.spec.kinds import ModelBinding, ProjectManifest
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource

NOT_PREDICTED = "ALB320"
NO_NER_SOURCE = "ALB321"
WRONG_TASK = "ALB322"
UNKNOWN_PAIR_LABEL = "ALB323"
RENAME_COLLISION = "ALB324"
LABELS_UNKNOWN = "ALB325"
RELATION_NEEDS_LABELS = "ALB326"
LANGUAGE_MISMATCH = "ALB327"

TASK_OF_SECTION = {
    "ner": "ner",
    "assertion": "assertion",
    "relations": "relation",
    "classification": "classification",
}
SECTION_OF_TASK = {
    "ner": "ner.models",
    "assertion": "assertion.models",
    "relation": "relations.models",
    "classification": "a classification block's 'model'",
}


def _prefix(use: Use) -> tuple[str | int, ...]:
    return use.binding.path[:-1]


def taken_labels(repo: Repository, binding: ModelBinding) -> list[str] | None:
    """The model labels a binding takes (before rename), or ``None`` when unknown."""
    if binding.labels is not None:
        return list(binding.labels)
    facts = repo.model_facts(binding.model)
    return list(facts.labels) if facts and facts.labels is not None else None


def project_labels(repo: Repository, project: ProjectManifest) -> set[str] | None:
    """The NER label values of a project (manual, from models after rename, from rules); ``None`` if unknown."""
    ner = project.spec.ner
    if ner is None:
        return set()
    values = {label.value for label in ner.labels}
    for binding in ner.models:
        taken = taken_labels(repo, binding)
        if taken is None:
            return None
        values.update(binding.rename.get(label, label) for label in taken)
    for name in ner.rules:
        rule = repo.rule(name)
        if rule is not None:
            values.add(rule.spec.entity)
    return values


def check_predicted(repo: Repository, use: Use) -> Iterator[Diagnostic]:
    binding = use.binding.binding
    facts = repo.model_facts(use.model)
    if binding is None or facts is None:
        return
    origin = use.resource.origin
    if facts.labels is None:
        what = (
            "the labels it takes" if binding.labels is not None or binding.rename else "which labels it adds"
        )
        yield use.diagnostic(
            LABELS_UNKNOWN,
            f"the labels of model '{use.model}' are unknown, so {what} could not be checked",
            f"declare 'labels:' in Model '{use.model}' (required for uploaded models), or lock it from a hub "
            "index that lists labels",
            severity=Severity.WARNING,
        )
        return
    known = facts.labels
    for j, label in enumerate(binding.labels or []):
        if label not in known:
            yield origin.diagnostic(
                NOT_PREDICTED,
                f"model '{use.model}' does not predict '{label}'",
                _predicted_fix(label, known),
                (*_prefix(use), "labels", j),
            )
    for key in binding.rename:
        if key not in known:
            yield origin.diagnostic(
                NOT_PREDICTED,
                f"'rename' names '{key}', which model '{use.model}' does not predict",
                _predicted_fix(key, known),
                (*_prefix(use), "rename", key),
                key=True,
            )


def _predicted_fix(label: str, known: tuple[str, ...]) -> str:
    suggestion = hint(label, known, "label")
    listing = ", ".join(f"'{k}'" for k in known)
    lead = f"{suggestion}; " if suggestion.startswith("did you mean") else ""
    return f"{lead}it predicts {listing}. Take only those, or add the label as a manual label"


def check_renames(repo: Repository, use: Use) -> Iterator[Diagnostic]:
    binding = use.binding.binding
    if binding is None:
        return
    by_target: dict[str, list[str]] = {}
    for key, target in binding.rename.items():
        by_target.setdefault(target, []).append(key)
    taken = set(taken_labels(repo, binding) or [])
    for target, keys in by_target.items():
        if len(keys) < 2 or len(taken.intersection(keys)) >= 2:
            continue  # no collision, or one the reference checks report (ALB203)
        yield use.resource.origin.diagnostic(
            RENAME_COLLISION,
            f"{quoted(keys)} are all renamed to '{target}'",
            "each model label needs its own project label (predictions must say which it was); "
            "rename them to different labels, or take only one",
            (*_prefix(use), "rename", keys[1]),
            key=True,
        )


def check_task(repo: Repository, use: Use) -> Iterator[Diagnostic]:
    facts = repo.model_facts(use.model)
    expected = TASK_OF_SECTION[use.binding.section]
    if facts is None or facts.task is None or facts.task == expected:
        return
    yield use.diagnostic(
        WRONG_TASK,
        f"model '{use.model}' is a {facts.task} model, bound as {expected}",
        f"bind it under {SECTION_OF_TASK.get(facts.task, facts.task)} instead, or use a {expected} model here",
    )


def check_ner_source(project: ProjectManifest, resource: Resource) -> Iterator[Diagnostic]:
    spec = project.spec
    ner_models = bool(spec.ner and spec.ner.models)
    rules = bool(spec.ner and spec.ner.rules)
    manual = bool(spec.ner and spec.ner.labels)
    for section, block in (("assertion", spec.assertion), ("relations", spec.relations)):
        if block is None:
            continue
        if block.models and not (ner_models or rules):
            yield resource.origin.diagnostic(
                NO_NER_SOURCE,
                f"{section} model '{block.models[0].model}' has no NER model or rule to work on",
                f"{section} models label the chunks a NER model or rule finds; with none, pre-annotation "
                "does nothing. Add a NER model under 'ner.models' or a rule under 'ner.rules'",
                ("spec", section, "models", 0, "model"),
            )
        elif not block.models and not (ner_models or rules or manual):
            yield resource.origin.diagnostic(
                NO_NER_SOURCE,
                f"{section} labels need NER labels to apply to, and project '{project.name}' has none",
                "add NER labels under 'ner' (manual labels, models or rules)",
                ("spec", section),
            )


def check_pairs(repo: Repository, project: ProjectManifest, resource: Resource) -> Iterator[Diagnostic]:
    relations = project.spec.relations
    if relations is None:
        return
    labels = project_labels(repo, project)
    if labels is None:
        return  # a model's labels are unknown (reported as ALB325)
    for i, relation in enumerate(relations.labels):
        for j, pair in enumerate(relation.allowed):
            sep = "<>" if "<>" in pair else ">"
            for side in (s.strip() for s in pair.split(sep)):
                if side and side not in labels:
                    suggestion = hint(side, labels, "NER label")
                    lead = f"{suggestion}; " if suggestion else ""
                    yield resource.origin.diagnostic(
                        UNKNOWN_PAIR_LABEL,
                        f"relation '{relation.value}' allows '{pair}', but '{side}' is not a NER label",
                        f"{lead}pairs name NER labels as the project shows them (after 'rename')",
                        ("spec", "relations", "labels", i, "allowed", j),
                    )


def relation_entities(repo: Repository, model: str) -> list[str] | None:
    """The NER labels a relation model pairs, from ``relationPairs`` in its metadata (``None``: unknown)."""
    facts = repo.model_facts(model)
    if facts is None or facts.resource is None:
        return None
    meta, _ = read_model_metadata(repo, facts.resource)
    pairs = meta.params.get("relationPairs") if meta else None
    if not isinstance(pairs, list):
        return None
    entities: list[str] = []
    for pair in pairs:
        if isinstance(pair, str) and "-" in pair:
            entities.extend(p.strip() for p in pair.split("-", 1) if p.strip())
    return list(dict.fromkeys(entities))


def check_relation_inputs(
    repo: Repository, project: ProjectManifest, uses: list[Use]
) -> Iterator[Diagnostic]:
    labels = project_labels(repo, project)
    if labels is None:
        return
    lowered = {label.lower() for label in labels}
    for use in uses:
        if use.binding.section != "relations":
            continue
        entities = relation_entities(repo, use.model)
        missing = [e for e in entities or [] if e.lower() not in lowered]
        if missing:
            yield use.diagnostic(
                RELATION_NEEDS_LABELS,
                f"relation model '{use.model}' needs NER labels {quoted(missing)}, which the project lacks",
                "the model relates chunks of those entities only: add NER models or rules that predict them "
                "(or rename model labels to them)",
            )


def check_language(repo: Repository, uses: list[Use]) -> Iterator[Diagnostic]:
    first: tuple[Use, str] | None = None
    for use in uses:
        facts = repo.model_facts(use.model)
        if facts is None or facts.language == "xx":
            continue
        if first is None:
            first = (use, facts.language)
        elif facts.language != first[1]:
            yield use.diagnostic(
                LANGUAGE_MISMATCH,
                f"model '{use.model}' is for language '{facts.language}', "
                f"but '{first[0].model}' is for '{first[1]}'",
                "a project's texts are in one language: use models of that language, or multilingual ('xx') ones",
                severity=Severity.WARNING,
            )
            return


def check_project(repo: Repository, project: ProjectManifest, resource: Resource) -> Iterator[Diagnostic]:
    uses = project_uses(project, resource)
    for use in uses:
        yield from check_task(repo, use)
        yield from check_predicted(repo, use)
        yield from check_renames(repo, use)
    yield from check_ner_source(project, resource)
    yield from check_pairs(repo, project, resource)
    yield from check_relation_inputs(repo, project, uses)
    yield from check_language(repo, uses)


def check_labels(repo: Repository) -> Iterator[Diagnostic]:
    for project, resource in repo.projects():
        yield from check_project(repo, project, resource)
