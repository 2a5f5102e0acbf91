"""Benchmark: import + pre-annotation of N tasks into a real Label Studio, two ways.

1. alabctl: ``plan`` + ``apply`` of one project: tasks imported 1,000 a request, predicted 500 a
   request by the pre-annotation server, predictions imported 1,000 a request.
2. Label Studio's own path: the same tasks imported, the same server connected as the project's ML
   backend, then the Data Manager action "retrieve predictions" on every task, which makes Label
   Studio call the backend itself.

The pre-annotation server is the protocol-compatible regex backend of the tests
(``tests/labelstudio/backend.py``), the same for both paths. Label Studio runs from the venv
``.ci/labelstudio-venv`` makes, on 127.0.0.1, started once.

    .venv/bin/python bench/labelstudio.py --tasks 10000
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

import requests

from alabctl.reconcile.labelstudio import Connection, DesiredProject, LabelStudioClient, apply, plan
from alabctl.spec.tasks import TaskRecord
from tests.labelstudio.backend import RuleBackend
from tests.labelstudio.helpers import ner_config
from tests.labelstudio.server import make_venv, start, stop

WORDS = [
    "Alice",
    "met",
    "Bob",
    "at",
    "Acme",
    "on",
    "Monday",
    "while",
    "Carol",
    "and",
    "Dave",
    "wrote",
    "notes",
    "about",
    "Eve",
]


def texts(n: int) -> list[str]:
    return [" ".join(WORDS[(i + j) % len(WORDS)] for j in range(12)) + f" #{i}" for i in range(n)]


def through_apply(
    url: str, token: str, backend: RuleBackend, records: tuple[TaskRecord, ...]
) -> tuple[float, int]:
    name = f"bench-apply-{uuid.uuid4().hex[:6]}"
    backend.rules[name] = {"PER": r"Alice|Bob|Carol|Dave|Eve"}
    project = DesiredProject(
        name=name,
        instance="ls",
        title=name,
        description="",
        label_config=ner_config("PER"),
        tasks=records,
        backend_url=f"{backend.url}/p/{name}",
        predict_url=f"{backend.url}/p/{name}",
    )
    conns = {"ls": Connection(url, token, True, "ls")}
    started = time.perf_counter()
    [result] = apply(plan([project], conns))
    elapsed = time.perf_counter() - started
    assert not result.error, result.error
    client = LabelStudioClient(conns["ls"])
    try:
        predicted = sum(
            1 for t in client.tasks(result.project_id or 0) if t.get("predictions_model_versions")
        )
    finally:
        client.close()
    return elapsed, predicted


def through_label_studio(
    url: str, token: str, backend: RuleBackend, records: tuple[TaskRecord, ...]
) -> tuple[float, int]:
    name = f"bench-ls-{uuid.uuid4().hex[:6]}"
    backend.rules[name] = {"PER": r"Alice|Bob|Carol|Dave|Eve"}
    project = DesiredProject(
        name=name,
        instance="ls",
        title=name,
        description="",
        label_config=ner_config("PER"),
        tasks=records,
        backend_url=f"{backend.url}/p/{name}",
    )
    conns = {"ls": Connection(url, token, True, "ls")}
    started = time.perf_counter()
    [result] = apply(plan([project], conns))  # import + connect, no predictions
    pid = result.project_id or 0
    response = requests.post(
        f"{url}/api/dm/actions",
        params={"id": "retrieve_tasks_predictions", "project": pid},
        json={"selectedItems": {"all": True, "excluded": []}},
        headers={"Authorization": f"Token {token}"},
        timeout=3600,
    )
    response.raise_for_status()
    elapsed = time.perf_counter() - started
    client = LabelStudioClient(conns["ls"])
    try:
        predicted = sum(1 for t in client.tasks(pid) if t.get("predictions_model_versions"))
    finally:
        client.close()
    return elapsed, predicted


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tasks", type=int, default=10_000, help="tasks imported and predicted by apply (10000)"
    )
    parser.add_argument(
        "--ls-tasks",
        type=int,
        default=500,
        help="tasks predicted through Label Studio's own path (500; it stores about 5 tasks/s)",
    )
    args = parser.parse_args()
    venv = make_venv()
    if isinstance(venv, str):
        raise SystemExit(venv)
    size = max(args.tasks, args.ls_tasks)
    records = tuple(TaskRecord({"text": t}, "bench.jsonl", i + 1, 1) for i, t in enumerate(texts(size)))
    version = next(Path(venv).glob("lib/python*/site-packages/label_studio-*.dist-info"), None)
    release = version.name.split("-")[1].removesuffix(".dist") if version else "?"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Label Studio {release} (SQLite); import + pre-annotation, first request to last")
    print()
    print(
        f"| {'path':<36} | {'tasks':>7} | {'seconds':>8} | {'tasks/s':>8} | {'predicted':>9} | {'/predict calls':>14} |"
    )
    print(f"|{'-' * 38}|{'-' * 9}|{'-' * 10}|{'-' * 10}|{'-' * 11}|{'-' * 16}|", flush=True)
    with tempfile.TemporaryDirectory(prefix="alabctl-bench-ls-") as tmp:
        running = start(venv, Path(tmp))
        try:
            with RuleBackend({}) as backend:
                for label, run, n in (
                    ("alabctl apply (bulk)", through_apply, args.tasks),
                    ("Label Studio retrieve predictions", through_label_studio, args.ls_tasks),
                ):
                    elapsed, predicted = run(running.url, running.token, backend, records[:n])
                    calls = sum(k for key, k in backend.requests.items() if key.endswith("/predict"))
                    backend.requests.clear()
                    print(
                        f"| {label:<36} | {n:>7,} | {elapsed:>8.1f} | {n / elapsed:>8.0f} | {predicted:>9,} | {calls:>14,} |",
                        flush=True,
                    )
        finally:
            stop(running)


if __name__ == "__main__":
    main()
