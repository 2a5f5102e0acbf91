"""Building desired projects for the tests, and reading back what Label Studio has."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from alabctl.reconcile.labelstudio import Connection, DesiredProject, LabelStudioClient
from alabctl.spec.tasks import TaskRecord

_n = itertools.count()
_RUN = uuid.uuid4().hex[:6]

NER = """<View>
  <Labels name="label" toName="text">
{labels}
  </Labels>
  <Text name="text" value="$text"/>
</View>
"""


def ner_config(*labels: str) -> str:
    return NER.format(labels="\n".join(f'    <Label value="{label}"/>' for label in labels))


def tasks(*texts: str) -> tuple[TaskRecord, ...]:
    return tuple(TaskRecord({"text": t}, "tasks.jsonl", i + 1, 1) for i, t in enumerate(texts))


def desired(name: str, config: str, **fields: Any) -> DesiredProject:
    """A desired project with a title unique in this test session (the server is shared)."""
    unique = f"{name}-{next(_n)}"
    return DesiredProject(
        name=unique,
        instance="ls",
        title=fields.pop("title", f"{unique} {_RUN}"),
        description=fields.pop("description", ""),
        label_config=config,
        **fields,
    )


def connect(url: str, token: str) -> dict[str, Connection]:
    return {"ls": Connection(url, token, True, "ls")}


def ls_tasks(client: LabelStudioClient, project_id: int) -> list[dict[str, Any]]:
    return list(client.tasks(project_id, full=True))
