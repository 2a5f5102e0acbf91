"""References, duplicates, label collisions and file paths across manifests."""

from __future__ import annotations

from alabctl.spec.validate import load_repository

H = "apiVersion: alabctl/v1\n"
MODEL = (
    H
    + "kind: Model\nmetadata: {name: ner_a}\nspec: {task: ner, labels: [DRUG, DOSAGE], embeddings: glove_100d}\n"
)
RULE = H + "kind: Rule\nmetadata: {name: height}\nspec: {entity: Height, regex: 'a+'}\n"


def check(make_repo, files: dict[str, str]):
    root = make_repo(files)
    return load_repository(["."], cwd=root, lockfile=root / "none.lock").diagnostics


def project(spec: str) -> str:
    return H + "kind: Project\nmetadata: {name: p}\nspec:\n" + spec


def test_a_complete_repository_has_no_problems(make_repo) -> None:
    spec = "  server: s\n  ner:\n    labels: [{value: Other}]\n    models: [{model: ner_a}]\n    rules: [height]\n"
    server = H + "kind: Server\nmetadata: {name: s}\n"
    assert (
        check(make_repo, {"p.yaml": project(spec), "m.yaml": MODEL, "r.yaml": RULE, "s.yaml": server}) == []
    )


def test_dangling_references_with_did_you_mean(make_repo) -> None:
    spec = "  server: clinicl\n  license: jls\n  ner:\n    models: [{model: ner_b}]\n    rules: [heigth]\n"
    server = H + "kind: Server\nmetadata: {name: clinical}\n"
    found = check(make_repo, {"p.yaml": project(spec), "m.yaml": MODEL, "r.yaml": RULE, "s.yaml": server})
    by_line = {d.line: d for d in found}
    assert {d.code for d in found} == {"ALB202"}
    assert sorted(by_line) == [5, 6, 8, 9]
    assert "did you mean 'clinical'?" in by_line[5].detail
    assert "did you mean 'ner_a'?" in by_line[8].detail
    assert "did you mean 'height'?" in by_line[9].detail


def test_model_embeddings_must_exist(make_repo) -> None:
    model = MODEL.replace("glove_100d", "embeddings_clinicl")
    emb = H + "kind: Embeddings\nmetadata: {name: embeddings_clinical}\n"
    [d] = check(make_repo, {"m.yaml": model, "e.yaml": emb})
    assert (d.code, d.line) == ("ALB202", 4)
    assert "embeddings_clinical" in d.detail


def test_duplicate_names_per_kind_only(make_repo) -> None:
    same_kind = RULE + "---\n" + RULE
    other_kind = H + "kind: Model\nmetadata: {name: height}\nspec: {task: ner, labels: [X]}\n"
    [d] = check(make_repo, {"a.yaml": same_kind, "b.yaml": other_kind})
    assert (d.code, d.file, d.line) == ("ALB201", "a.yaml", 8)
    assert "a.yaml:3" in d.detail


def test_label_collisions(make_repo) -> None:
    spec = (
        "  ner:\n    labels: [{value: DRUG}, {value: X}, {value: X}]\n"
        "    models: [{model: ner_a, rename: {DOSAGE: X}}]\n"
    )
    found = check(make_repo, {"p.yaml": project(spec), "m.yaml": MODEL})
    codes = sorted(d.code for d in found)
    assert codes == ["ALB203", "ALB204", "ALB205"]


def test_duplicate_choices_and_control_names(make_repo) -> None:
    spec = "  classification:\n    - {name: label, choices: [a, b, a]}\n"
    found = check(make_repo, {"p.yaml": project(spec)})
    assert sorted(d.code for d in found) == ["ALB203", "ALB207"]


def test_dictionary_files_must_exist_inside_the_repository(make_repo) -> None:
    rule = H + "kind: Rule\nmetadata: {name: g}\nspec: {entity: G, dictionary: {file: %s}}\n"
    found = check(
        make_repo,
        {
            "rules/a.yaml": rule % "dicts/missing.csv",
            "rules/b.yaml": rule.replace("name: g", "name: h") % "../../outside.csv",
            "rules/c.yaml": rule.replace("name: g", "name: i") % "dicts/ok.csv",
            "rules/dicts/ok.csv": "a,b\n",
        },
    )
    assert sorted((d.code, d.file) for d in found) == [("ALB007", "rules/b.yaml"), ("ALB206", "rules/a.yaml")]


def test_model_paths_must_stay_in_the_repository(make_repo) -> None:
    model = (
        H + "kind: Model\nmetadata: {name: m}\nspec: {task: ner, labels: [A], source: {path: ../../../tmp}}\n"
    )
    [d] = check(make_repo, {"m.yaml": model})
    assert d.code == "ALB007"


def test_absolute_paths_are_rejected_by_the_schema(make_repo) -> None:
    rule = H + "kind: Rule\nmetadata: {name: g}\nspec: {entity: G, dictionary: {file: /etc/passwd}}\n"
    [d] = check(make_repo, {"r.yaml": rule})
    assert d.code == "ALB106"


def test_two_servers_on_one_port_where_both_would_listen(make_repo) -> None:
    def server(name: str, extra: str) -> str:
        return H + f"kind: Server\nmetadata: {{name: {name}}}\nspec: {{{extra}}}\n"

    files = {
        "a.yaml": server("a", "port: 8700"),
        "b.yaml": server("b", "port: 8700"),  # the same host (the default)
        "c.yaml": server("c", "port: 8701, host: 10.0.0.5"),
        "d.yaml": server("d", "port: 8701, host: 10.0.0.6"),  # other address: fine
        "e.yaml": server("e", "port: 8701, host: 0.0.0.0"),  # every address: takes both
        "f.yaml": server("f", ""),  # assigned: never a clash
        "g.yaml": server("g", ""),
    }
    found = check(make_repo, files)
    assert sorted((d.file, d.line, d.code) for d in found) == [
        ("b.yaml", 4, "ALB208"),
        ("e.yaml", 4, "ALB208"),
    ]
    by_file = {d.file: d for d in found}
    assert by_file["b.yaml"].summary == "server 'a' listens on port 8700 of 127.0.0.1 too"
    assert "leave 'port' out" in by_file["e.yaml"].detail
