"""The five-model limit: the distinct models of all projects on one server."""

from __future__ import annotations

from alabctl.compile.checks.limits import split_projects
from tests.compile.checks.conftest import HEAD, Repo, at, model_doc, only, write_models


def _six_models(repo: Repo, max_models: int = 5) -> None:
    write_models(repo, *[(model_doc(f"m{i}", labels=[f"L{i}"]), "public/models") for i in range(1, 7)])
    repo.write(
        "server.yaml", HEAD + f"kind: Server\nmetadata: {{name: shared}}\nspec: {{maxModels: {max_models}}}\n"
    )
    repo.write(
        "a.yaml",
        HEAD
        + """
kind: Project
metadata: {name: a}
spec:
  server: shared
  ner:
    models:
      - model: m1
      - model: m2
      - model: m3
""".lstrip("\n"),
    )
    repo.write(
        "b.yaml",
        HEAD
        + """
kind: Project
metadata: {name: b}
spec:
  server: shared
  ner:
    models:
      - model: m4
      - model: m5
      - model: m6
      - model: m1
""".lstrip("\n"),
    )


def test_six_models_on_one_server_is_one_error_at_the_sixth(repo: Repo) -> None:
    _six_models(repo)
    diagnostics = repo.check()
    assert len(diagnostics) == 1
    found = only(diagnostics, "ALB300")
    assert at(found) == (repo.file("b.yaml"), 10, 16)
    assert "'shared'" in found.summary and "6 models" in found.summary
    for i in range(1, 7):
        assert f"'m{i}'" in found.detail
    assert "'m1' (from 'a', 'b')" in found.detail
    assert "move 'b' to a new Server" in found.detail


def test_five_models_fit(repo: Repo) -> None:
    _six_models(repo)
    text = (repo.root / "b.yaml").read_text().replace("      - model: m6\n", "")
    (repo.root / "b.yaml").write_text(text)
    assert repo.check() == []


def test_max_models_lowers_the_limit(repo: Repo) -> None:
    _six_models(repo, max_models=3)
    found = only(repo.check(), "ALB300")
    assert at(found) == (repo.file("b.yaml"), 8, 16)  # m4, the fourth model
    assert "limit of 3" in found.summary


def test_projects_on_different_servers_do_not_add_up(repo: Repo) -> None:
    _six_models(repo)
    text = (repo.root / "b.yaml").read_text().replace("server: shared", "server: other")
    (repo.root / "b.yaml").write_text(text)
    repo.write("other.yaml", HEAD + "kind: Server\nmetadata: {name: other}\n")
    assert repo.check() == []


def test_split_projects_packs_first_fit() -> None:
    groups = split_projects({"a": {"m1", "m2"}, "b": {"m3", "m4"}, "c": {"m1", "m5"}}, 3)
    assert groups == [["a", "c"], ["b"]]
