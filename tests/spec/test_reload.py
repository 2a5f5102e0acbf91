"""Incremental validation (what ``watch`` uses): after every edit of a sequence, the same report
as a full validation, with only the edited files read again."""

from __future__ import annotations

from pathlib import Path

from alabctl.api import Incremental, Inputs, ValidationReport, validate
from alabctl.cli.formats import RENDERERS

H = "apiVersion: alabctl/v1\n"


def _rule(name: str, entity: str = "Dose", context: int = 50) -> str:
    return (
        H
        + f"kind: Rule\nmetadata: {{name: {name}}}\nspec: {{entity: {entity}, regex: 'x+', contextLength: {context}}}\n"
    )


def _project(name: str, server: str, rules: str, label: str = "Note") -> str:
    return (
        H + f"kind: Project\nmetadata: {{name: {name}}}\n"
        f"spec:\n  server: {server}\n  ner:\n    labels: [{{value: {label}}}]\n    rules: [{rules}]\n"
    )


FILES = {
    "servers.yaml": H + "kind: Server\nmetadata: {name: s1}\nspec: {engine: native}\n",
    "rules/a.yaml": _rule("a"),
    "rules/b.yaml": _rule("b", "Code"),
    "rules/t.yaml.j2": H + "kind: Rule\nmetadata: {name: {{ name }}}\nspec: {entity: T, regex: 'y+'}\n",
    "projects/p1.yaml": _project("p1", "s1", "a"),
    "projects/p2.yaml": _project("p2", "s1", "a, b, t1"),
    "other.yaml": "kind: Rule\nmetadata: {name: z}\nspec: {entity: Z, regex: z}\n",  # no apiVersion: a warning
}


def _same(root: Path, incremental: Incremental) -> ValidationReport:
    """Validate incrementally and in full (no cache); assert the reports agree."""
    values = {"name": "t1"}
    fast = validate(Inputs(["."], cwd=root, values=values), incremental=incremental)
    full = validate(Inputs(["."], cwd=root, values=values, cache=False))
    assert not fast.replayed
    assert fast.diagnostics == full.diagnostics
    assert (fast.files, fast.manifests, fast.valid) == (full.files, full.manifests, full.valid)
    assert RENDERERS["text"](fast, False) == RENDERERS["text"](full, False)  # excerpts too
    if full.valid:
        dump = [(r.kind, r.name, r.origin.file, r.manifest.model_dump()) for r in full.repository.resources]
        assert [
            (r.kind, r.name, r.origin.file, r.manifest.model_dump()) for r in fast.repository.resources
        ] == dump
    return fast


def test_incremental_validation_equals_a_full_one_after_every_edit(make_repo) -> None:
    root = make_repo(FILES)
    incremental = Incremental.start()
    first = _same(root, incremental)
    assert first.valid and [d.code for d in first.diagnostics] == ["ALB108"]
    reloaded = lambda: sorted(incremental.reloader.reloaded)  # noqa: E731

    (root / "rules/a.yaml").write_text(_rule("a", context=51))  # a rule edit
    _same(root, incremental)
    assert reloaded() == ["rules/a.yaml", "rules/t.yaml.j2"]  # templates render every time

    (root / "projects/p1.yaml").write_text(_project("p1", "s1", "a", label="Drug"))  # a project edit
    _same(root, incremental)
    assert reloaded() == ["projects/p1.yaml", "rules/t.yaml.j2"]

    (root / "projects/p3.yaml").write_text(_project("p3", "s2", "b"))  # a file added: s2 undeclared
    added = _same(root, incremental)
    assert reloaded() == ["projects/p3.yaml", "rules/t.yaml.j2"]
    (root / "more.yaml").write_text(H + "kind: Server\nmetadata: {name: s2}\nspec: {engine: native}\n")
    assert _same(root, incremental).valid != added.valid  # the reference now resolves

    (root / "projects/p3.yaml").write_text(_project("p3", "s2", "b", label="Drug"))
    _same(root, incremental)
    (root / "more.yaml").unlink()  # a file deleted: p3's server is missing again
    assert not _same(root, incremental).valid
    assert reloaded() == ["rules/t.yaml.j2"]
    (root / "projects/p3.yaml").unlink()

    (root / "rules/b.yaml").write_text("apiVersion: alabctl/v1\nkind: Rule\nmetadata: {name: b\n")  # broken
    broken = _same(root, incremental)
    assert not broken.valid and "rules/b.yaml" in {d.file for d in broken.diagnostics if d.is_error}
    (root / "rules/b.yaml").write_text(_rule("b", "Code", context=7))  # and fixed
    assert _same(root, incremental).valid

    (root / "rules/b2.yaml").write_text(_rule("b", "Code"))  # the same name twice, across files
    assert not _same(root, incremental).valid
    (root / "rules/b2.yaml").unlink()
    (root / "rules/b.yaml").write_text(_rule("b", "Code", context=8))
    assert _same(root, incremental).valid
    assert reloaded() == ["rules/b.yaml", "rules/t.yaml.j2"]
