"""Desired project + what Label Studio has -> the actions apply will take, each with its reason. Pure.

Order matters and is the order apply runs: create/update the project; move renamed labels'
annotations; change the config; import tasks; prune; connect the ML backend; predict. A config
change that would orphan annotations becomes a ``refuse`` action, and apply refuses to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alabctl.reconcile.labelstudio.labels import config_labels, removed_labels
from alabctl.reconcile.labelstudio.model import (
    BACKEND_TITLE,
    Action,
    DesiredProject,
    ObservedProject,
    ProjectPlan,
    Verb,
    backend_state,
)
from alabctl.reconcile.labelstudio.observe import Usage

CONNECTED = "CO"
"""Label Studio's state of an ML backend it reached."""


@dataclass(frozen=True)
class Facts:
    """What observing found for one project, beyond the project itself."""

    observed: ObservedProject | None
    usage: Usage = field(default_factory=Usage)
    """Annotations and predictions per (control, label) the new config removes or renames."""
    config_problem: str | None = None
    """Label Studio's strict validation of the new config (with renamed labels kept), if it refused."""
    model_version: str | None = None
    """The pre-annotation server's current model_version, when it could be asked."""


def _label_list(pairs: Mapping[tuple[str, str], int]) -> str:
    shown = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"'{label}' ({n} annotation{'s' * (n != 1)})" for (_, label), n in shown)


def renames_in(desired: DesiredProject, current: str) -> dict[tuple[str, str], str]:
    """(control, old) -> new for each ``renamedFrom`` whose old label the current config still has."""
    removed = removed_labels(current, desired.label_config)
    new_labels = config_labels(desired.label_config)
    out: dict[tuple[str, str], str] = {}
    for control, old in removed:
        new = desired.renames.get(old)
        if new is not None and new in new_labels.get(control, set()):
            out[(control, old)] = new
    return out


def _config_actions(desired: DesiredProject, facts: Facts) -> list[Action]:
    observed = facts.observed
    assert observed is not None
    if observed.label_config.strip() == desired.label_config.strip():
        return []
    renames = renames_in(desired, observed.label_config)
    removed = removed_labels(observed.label_config, desired.label_config) - set(renames)
    orphans = {pair: n for pair in removed if (n := facts.usage.annotations.get(pair, 0))}
    if orphans:
        total = sum(orphans.values())
        return [
            Action(
                Verb.REFUSE,
                f"the new config removes labels that {total} annotation{'s' * (total != 1)} "
                f"use{'s' * (total == 1)}: "
                f"{_label_list(orphans)}; keep the labels, or rename them with 'renamedFrom'",
                total,
            )
        ]
    if facts.config_problem:
        return [Action(Verb.REFUSE, f"Label Studio refuses the new config: {facts.config_problem}")]
    actions: list[Action] = []
    if renames:
        annotations = sum(facts.usage.annotations.get(p, 0) for p in renames)
        predictions = sum(facts.usage.predictions.get(p, 0) for p in renames)
        moves = ", ".join(f"'{old}' -> '{new}'" for (_, old), new in sorted(renames.items()))
        actions.append(
            Action(
                Verb.RENAME,
                f"renamedFrom: {moves} moves {annotations} annotation{'s' * (annotations != 1)} and "
                f"{predictions} prediction{'s' * (predictions != 1)}",
                annotations,
                {"renames": renames},
            )
        )
    added = sorted(
        label
        for control, labels in config_labels(desired.label_config).items()
        for label in labels - config_labels(observed.label_config).get(control, set())
    )
    gone = sorted(label for _, label in removed)
    change = "; ".join(
        part
        for part in (
            f"adds {', '.join(added)}" if added else "",
            f"removes unused {', '.join(gone)}" if gone else "",
        )
        if part
    )
    actions.append(Action(Verb.CONFIGURE, f"the labeling config changed{': ' + change if change else ''}"))
    return actions


def _backend_actions(desired: DesiredProject, observed: ObservedProject | None) -> list[Action]:
    if desired.backend_url is None:
        if not desired.server:
            return []
        return [Action(Verb.CONNECT, f"connect server '{desired.server}' as the ML backend once it runs")]
    ours = [b for b in observed.backends if b.title == BACKEND_TITLE] if observed else []
    actions: list[Action] = []
    if not ours:
        actions.append(Action(Verb.CONNECT, f"no alabctl ML backend: connect {desired.backend_url}"))
    elif ours[0].url != desired.backend_url:
        actions.append(
            Action(
                Verb.CONNECT,
                f"the server's URL changed from {ours[0].url} to {desired.backend_url}",
                data={"backend": ours[0].id},
            )
        )
    elif ours[0].state != CONNECTED:
        actions.append(
            Action(
                Verb.CONNECT,
                f"Label Studio reports the ML backend at {ours[0].url} as "
                f"'{backend_state(ours[0].state)}': reconnect",
                data={"backend": ours[0].id},
            )
        )
    for extra in ours[1:]:
        actions.append(
            Action(
                Verb.DISCONNECT,
                f"one alabctl ML backend per project: remove the extra one at {extra.url}",
                data={"backend": extra.id},
            )
        )
    return actions


def _declared(desired: DesiredProject, observed: ObservedProject | None) -> tuple[list[str], list[str]]:
    """The task files' digests (each once, in order), and those Label Studio does not have."""
    have = {t.digest for t in observed.tasks if t.digest} if observed else set()
    declared = list(dict.fromkeys(r.digest for r in desired.tasks))
    return declared, [d for d in declared if d not in have]


def _import_actions(desired: DesiredProject, facts: Facts, prune: bool) -> list[Action]:
    observed = facts.observed
    declared, missing = _declared(desired, observed)
    actions: list[Action] = []
    if missing:
        actions.append(
            Action(
                Verb.IMPORT,
                f"{len(missing)} task{'s' * (len(missing) != 1)} in the task files "
                f"{'are' if len(missing) != 1 else 'is'} not in Label Studio",
                len(missing),
            )
        )
    stale = [t for t in observed.tasks if t.digest and t.digest not in set(declared)] if observed else []
    if prune and stale:
        free = [t.id for t in stale if not t.worked_on]
        kept = len(stale) - len(free)
        reason = (
            f"{len(stale)} task{'s' * (len(stale) != 1)} alabctl imported "
            f"{'are' if len(stale) != 1 else 'is'} no longer in the task files"
        )
        if kept:
            reason += f" ({kept} with annotations, skips or drafts kept)"
        if free:
            actions.append(Action(Verb.PRUNE, reason, len(free), {"tasks": tuple(free)}))
    return actions


def _predict_actions(desired: DesiredProject, facts: Facts) -> list[Action]:
    observed = facts.observed
    declared, missing = _declared(desired, observed)
    actions: list[Action] = []
    if facts.model_version:
        current = facts.model_version
        lacking = (
            [t for t in observed.tasks if t.digest in set(declared) and current not in t.versions]
            if observed
            else []
        )
        count = len(lacking) + len(missing)
        if count:
            changed = sum(1 for t in lacking if t.versions)
            why = f"{count} task{'s' * (count != 1)} have no prediction from model_version {current}"
            if changed:
                why += f" ({changed} predicted by an earlier version of the server's pipeline)"
            actions.append(Action(Verb.PREDICT, why, count, {"model_version": current}))
    elif desired.server_changing and declared:
        actions.append(
            Action(
                Verb.PREDICT,
                f"server '{desired.server}' is redeployed ({desired.server_changing}): tasks without "
                "its new model_version are predicted once it runs",
                len(declared),
            )
        )
    elif (desired.predict_url or desired.server) and declared:
        actions.append(
            Action(
                Verb.PREDICT,
                "the pre-annotation server does not answer yet: tasks without its model_version are "
                "predicted once it runs",
                len(declared),
            )
        )
    return actions


def plan_project(desired: DesiredProject, facts: Facts, *, prune: bool = False) -> ProjectPlan:
    """Every action that brings Label Studio's project to the desired one, in apply's order."""
    observed = facts.observed
    actions: list[Action] = []
    if observed is None:
        actions.append(Action(Verb.CREATE, f"no project titled '{desired.title}' in Label Studio"))
    else:
        if observed.description != desired.description:
            actions.append(Action(Verb.UPDATE, "the description changed"))
        actions.extend(_config_actions(desired, facts))
    if any(a.verb is Verb.REFUSE for a in actions):
        return ProjectPlan(desired, observed, tuple(a for a in actions if a.verb is Verb.REFUSE))
    actions.extend(_import_actions(desired, facts, prune))
    actions.extend(_backend_actions(desired, observed))
    actions.extend(_predict_actions(desired, facts))
    return ProjectPlan(desired, observed, tuple(actions))
