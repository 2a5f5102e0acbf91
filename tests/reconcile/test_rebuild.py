"""Incremental compile (what ``watch`` uses): after every edit of a sequence, byte for byte the
files of a full compile, and only what the edit touched compiled again."""

from __future__ import annotations

from pathlib import Path

from alabctl.api import Inputs, validate
from alabctl.compile.build import compile_repository, read_dictionaries
from alabctl.reconcile.rebuild import Rebuild

H = "apiVersion: alabctl/v1\n"


def _rule(name: str, regex: str = "[0-9]+ ?mg", context: int = 50, entity: str = "Dose") -> str:
    spec = f'  entity: {entity}\n  regex: "{regex}"\n  contextLength: {context}\n'
    return H + f"kind: Rule\nmetadata: {{name: {name}}}\nspec:\n" + spec


def _project(name: str, server: str, rules: list[str], labels: str = "Note") -> str:
    return (
        H + f"kind: Project\nmetadata: {{name: {name}}}\n"
        f"spec:\n  server: {server}\n  ner:\n    labels: [{{value: {labels}}}]\n    rules: [{', '.join(rules)}]\n"
    )


FILES = {
    "servers.yaml": H
    + "kind: Server\nmetadata: {name: s1}\nspec: {engine: native}\n---\n"
    + H
    + "kind: Server\nmetadata: {name: s2}\nspec: {engine: native, port: 18999}\n",
    "rules/a.yaml": _rule("a"),
    "rules/b.yaml": _rule("b", "[A-Z]{3}", entity="Code"),
    "rules/g.yaml": H + "kind: Rule\nmetadata: {name: g}\nspec: {entity: G, dictionary: {file: g.csv}}\n",
    "rules/g.csv": "female,woman,lady\n",
    "projects/p1.yaml": _project("p1", "s1", ["a"]),
    "projects/p2.yaml": _project("p2", "s1", ["a", "b"]),
    "projects/p3.yaml": _project("p3", "s2", ["b", "g"]),
}


def _build(root: Path, rebuild: Rebuild) -> int | None:
    """Compile incrementally and in full; assert they agree; the count compiled again (``None``:
    the manifests are invalid, nothing compiled)."""
    report = validate(Inputs(["."], cwd=root))
    if not report.valid:
        return None
    repo = report.repository
    dictionaries = read_dictionaries(repo)
    incremental = rebuild.compile(repo, dictionaries)
    full = compile_repository(repo, dictionaries).files
    assert incremental.keys() == full.keys()
    assert [p for p in full if incremental[p] != full[p]] == []
    return rebuild.compiled


def test_incremental_compile_equals_a_full_one_after_every_edit(make_repo) -> None:
    root = make_repo(FILES)
    rebuild = Rebuild()
    # 3 configs + 2 servers' pipelines + 3 rules the first time
    assert _build(root, rebuild) == 8
    assert _build(root, rebuild) == 0  # nothing changed: everything reused

    # a rule edit: the rule, the configs of the projects naming it, their server's pipeline
    (root / "rules/a.yaml").write_text(_rule("a", context=51))
    assert _build(root, rebuild) == 1 + 2 + 1

    # a dictionary edit: that rule's files (configs and pipelines name the rule, not its words)
    (root / "rules/g.csv").write_text("female,woman,lady,girl\n")
    assert _build(root, rebuild) == 1

    # a project edit: its labels; then moving it to the other server (both servers' pipelines)
    (root / "projects/p1.yaml").write_text(_project("p1", "s1", ["a"], labels="Drug"))
    assert _build(root, rebuild) == 1 + 1
    (root / "projects/p1.yaml").write_text(_project("p1", "s2", ["a"], labels="Drug"))
    assert _build(root, rebuild) == 1 + 2

    # a file added (a rule, a server and a project on it), then deleted
    extra = H + "kind: Server\nmetadata: {name: s3}\nspec: {engine: native}\n---\n"
    (root / "extra.yaml").write_text(
        extra + _rule("c", "x+", entity="X") + "---\n" + _project("p4", "s3", ["c"])
    )
    assert _build(root, rebuild) == 1 + 1 + 1
    (root / "extra.yaml").unlink()
    assert _build(root, rebuild) == 0  # s3, p4 and rule c are gone; nothing else changed

    # a broken edit compiles nothing; its fix compiles what it changed, against the last good build
    (root / "rules/b.yaml").write_text(
        _rule("b", "[A-Z]{3}", entity="Code").replace("entity: Code", "entity: [oops")
    )
    assert _build(root, rebuild) is None
    (root / "rules/b.yaml").write_text(_rule("b", "[A-Z]{4}", entity="Code"))
    assert _build(root, rebuild) == 1 + 2 + 2  # rule b; p2's and p3's configs; s1 and s2

    # a server's own manifest (its port is in the pipeline): keys name a document by its file's
    # text, so both servers declared in that file compile again
    (root / "servers.yaml").write_text(FILES["servers.yaml"].replace("18999", "18998"))
    assert _build(root, rebuild) == 2


def test_shared_manifests_and_the_lock_recompile_everything(make_repo) -> None:
    root = make_repo(FILES)
    rebuild = Rebuild()
    _build(root, rebuild)
    (root / "hub.yaml").write_text(H + "kind: Hub\nmetadata: {name: h}\nspec: {sparkNlpVersion: 5.5.1}\n")
    assert _build(root, rebuild) == 8
