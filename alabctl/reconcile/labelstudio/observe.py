"""What Label Studio has: a project by title, its tasks, backends and which labels annotations use."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from alabctl.reconcile.labelstudio.client import LabelStudioClient, LabelStudioError
from alabctl.reconcile.labelstudio.labels import result_labels
from alabctl.reconcile.labelstudio.model import (
    META_KEY,
    DesiredProject,
    ObservedBackend,
    ObservedProject,
    ObservedTask,
)
from alabctl.spec.diagnostics import counted


@dataclass(frozen=True)
class Usage:
    """How many annotations and predictions use each (control, label)."""

    annotations: Mapping[tuple[str, str], int] = field(default_factory=dict)
    predictions: Mapping[tuple[str, str], int] = field(default_factory=dict)


def find_project(projects: Iterable[Mapping[str, Any]], title: str, url: str) -> Mapping[str, Any] | None:
    """The one project with this title; an error when several have it (alabctl cannot tell which)."""
    found = [p for p in projects if p.get("title") == title]
    if len(found) > 1:
        ids = ", ".join(str(p.get("id")) for p in found)
        raise LabelStudioError(
            f"Label Studio at {url} has {counted(len(found), 'project')} titled '{title}' (ids {ids})",
            "alabctl finds projects by title: rename or delete the extra ones, or give this project "
            "another labelStudio.title",
        )
    return found[0] if found else None


def observed_task(row: Mapping[str, Any]) -> ObservedTask:
    meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
    ours = meta.get(META_KEY) if isinstance(meta, dict) else None
    digest = ours.get("digest") if isinstance(ours, dict) else None
    versions = {p.get("model_version") for p in row.get("predictions") or [] if isinstance(p, dict)}
    listed = row.get("predictions_model_versions") or ""
    versions.update(listed.split(",") if isinstance(listed, str) else listed)
    return ObservedTask(
        id=int(row["id"]),
        digest=digest if isinstance(digest, str) else None,
        annotations=int(row.get("total_annotations") or 0),
        versions=frozenset(v for v in versions if isinstance(v, str) and v),
        skipped=int(row.get("cancelled_annotations") or 0),
        draft=bool(row.get("draft_exists")),
    )


def observe_project(
    client: LabelStudioClient, desired: DesiredProject, projects: Iterable[Mapping[str, Any]]
) -> ObservedProject | None:
    """The project Label Studio has under the desired title, with tasks and ML backends; None if absent."""
    row = find_project(projects, desired.title, client.url)
    if row is None:
        return None
    project_id = int(row["id"])
    return ObservedProject(
        id=project_id,
        title=str(row.get("title") or ""),
        description=str(row.get("description") or ""),
        label_config=str(row.get("label_config") or ""),
        tasks=tuple(observed_task(t) for t in client.tasks(project_id)),
        backends=tuple(
            ObservedBackend(
                int(b["id"]), str(b.get("url", "")), str(b.get("title", "")), str(b.get("state", ""))
            )
            for b in client.ml_backends(project_id)
        ),
        model_version=str(row.get("model_version") or ""),
    )


def records(task: Mapping[str, Any], key: str) -> Iterator[Mapping[str, Any]]:
    """A task's annotations or predictions that carry their results (bare ids are skipped)."""
    for item in task.get(key) or []:
        if isinstance(item, dict):
            yield item


def usage(export: Iterable[Mapping[str, Any]]) -> Usage:
    """Count annotations and predictions per (control, label) in an export (each counted once)."""
    annotations: Counter[tuple[str, str]] = Counter()
    predictions: Counter[tuple[str, str]] = Counter()
    for task in export:
        for annotation in records(task, "annotations"):
            for pair in set(result_labels(annotation.get("result") or [])):
                annotations[pair] += 1
        for prediction in records(task, "predictions"):
            for pair in set(result_labels(prediction.get("result") or [])):
                predictions[pair] += 1
    return Usage(dict(annotations), dict(predictions))
