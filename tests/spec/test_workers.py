"""Per-file work on every core gives exactly what one process gives."""

from __future__ import annotations

import os

import pytest

from alabctl.spec import loader
from alabctl.spec.validate import load_repository
from alabctl.spec.workers import map_items


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def test_map_items_keeps_order_and_uses_workers(monkeypatch) -> None:
    monkeypatch.setenv("ALABCTL_WORKERS", "2")
    results = map_items(_pid_and_square, list(range(50)), threshold=10)
    assert [square for _, square in results] == [n * n for n in range(50)]
    assert {pid for pid, _ in results} - {os.getpid()}  # some ran in another process


def test_map_items_stays_here_below_the_threshold(monkeypatch) -> None:
    monkeypatch.setenv("ALABCTL_WORKERS", "2")
    assert {pid for pid, _ in map_items(_pid_and_square, list(range(9)), threshold=10)} == {os.getpid()}


RULE = "apiVersion: alabctl/v1\nkind: Rule\nmetadata: {{name: r{i}}}\nspec: {{entity: E{i}, regex: 'a{i}'}}\n"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_parallel_parse_gives_the_same_repository_and_diagnostics(make_repo, monkeypatch, workers) -> None:
    files = {f"rules/r{i}.yaml": RULE.format(i=i) for i in range(40)}
    files["rules/dup.yaml"] = "apiVersion: alabctl/v1\nkind: Rule\nmetadata: {name: d}\nmetadata: {name: e}\n"
    files["rules/broken.yaml"] = "a: [b\n"
    files["rules/tagged.yaml"] = "x: !!python/object 1\n"
    root = make_repo(files)
    monkeypatch.setenv("ALABCTL_WORKERS", "1")
    one = load_repository([str(root)], cwd=root)
    monkeypatch.setenv("ALABCTL_WORKERS", workers)
    monkeypatch.setattr(loader, "PARALLEL_PARSE", 5)
    many = load_repository([str(root)], cwd=root)
    assert many.diagnostics == one.diagnostics
    assert len(many.diagnostics) >= 3
    assert [r.manifest for r in many.repository.resources] == [r.manifest for r in one.repository.resources]
