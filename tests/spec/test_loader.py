import json
from pathlib import Path

import pytest

from alabctl.spec.errors import UsageError
from alabctl.spec.loader import load, parse_values

RULE = """apiVersion: alabctl/v1
kind: Rule
metadata: {name: %s}
spec: {entity: X, regex: "a+"}
"""


def test_walks_folders_recursively_and_skips_hidden_ones(make_repo) -> None:
    root = make_repo(
        {
            "a.yaml": RULE % "a",
            "sub/deeper/b.yml": RULE % "b",
            ".hidden/c.yaml": RULE % "c",
            "notes.txt": "not yaml",
            "ci.yaml": "name: build\non: [push]\n",  # other YAML in the repo is skipped
        }
    )
    loaded = load(["."], cwd=root)
    names = sorted(d.data["metadata"]["name"] for d in loaded.documents)
    assert names == ["a", "b"]
    assert {d.origin.file for d in loaded.documents} == {"a.yaml", "sub/deeper/b.yml"}
    assert loaded.diagnostics == []


def test_file_names_are_shown_as_given(make_repo) -> None:
    root = make_repo({"rules/a.yaml": RULE % "a"})
    loaded = load(["./rules/"], cwd=root)
    assert loaded.documents[0].origin.file == "./rules/a.yaml"


def test_other_api_versions_are_skipped_and_future_ones_reported(make_repo) -> None:
    root = make_repo({"a.yaml": "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: alabctl/v2\nkind: Rule\n"})
    loaded = load(["a.yaml"], cwd=root)
    assert loaded.documents == []
    [d] = loaded.diagnostics
    assert (d.code, d.line) == ("ALB108", 4)


def test_missing_api_version_on_a_manifest_is_a_warning(make_repo) -> None:
    root = make_repo({"a.yaml": "kind: Rule\nmetadata: {name: a}\nspec: {entity: X}\n"})
    [d] = load(["a.yaml"], cwd=root).diagnostics
    assert (d.code, str(d.severity)) == ("ALB108", "warning")


def test_stdin(make_repo) -> None:
    root = make_repo({})
    loaded = load(["-"], cwd=root, stdin_text=RULE % "from-stdin")
    assert loaded.documents[0].origin.file == "<stdin>"
    assert loaded.documents[0].data["metadata"]["name"] == "from-stdin"


def test_missing_input_is_a_usage_error(make_repo) -> None:
    root = make_repo({})
    with pytest.raises(UsageError):
        load(["nope.yaml"], cwd=root)


def test_links_leaving_the_repository_are_refused(make_repo, tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("password: hunter2\n")
    root = make_repo({"a.yaml": RULE % "a"})
    (root / "evil.yaml").symlink_to(outside)
    loaded = load(["."], cwd=root)
    [d] = loaded.diagnostics
    assert d.code == "ALB007"
    assert "hunter2" not in d.summary + d.detail
    assert all(d.origin.file != "evil.yaml" for d in loaded.documents)


def test_templates_render_with_values(make_repo) -> None:
    root = make_repo(
        {"p.yaml.j2": "{% for s in sites %}---\n" + RULE.replace("%s", "r-{{ s }}") + "{% endfor %}"}
    )
    loaded = load(["."], cwd=root, values={"sites": ["a", "b"]})
    assert [d.data["metadata"]["name"] for d in loaded.documents] == ["r-a", "r-b"]


def test_template_errors_name_the_template_file(make_repo) -> None:
    root = make_repo({"p.yaml.j2": "a: 1\nb: {{ nope }}\n"})
    [d] = load(["."], cwd=root).diagnostics
    assert (d.file, d.line, d.code) == ("p.yaml.j2", 2, "ALB003")


def test_parse_cache_is_used_and_invalidated_by_content(make_repo, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    root = make_repo({"a.yaml": RULE % "a"})
    first = load(["."], cwd=root, cache_dir=cache)
    assert list(cache.iterdir()), "the cache was written"
    second = load(["."], cwd=root, cache_dir=cache)
    assert [d.data for d in second.documents] == [d.data for d in first.documents]
    (root / "a.yaml").write_text(RULE % "changed")
    third = load(["."], cwd=root, cache_dir=cache)
    assert third.documents[0].data["metadata"]["name"] == "changed"


def test_cached_values_come_back_exactly(make_repo, tmp_path: Path) -> None:
    """The parse cache's fast encoder keeps every YAML value a plain parse gives (nan, big ints, text)."""
    import math

    import pydantic_core  # noqa: F401 - loaded, so the cache is written by its encoder

    from alabctl.spec.cache import ParseCache
    from alabctl.spec.loader import PARSER_ID

    cache = tmp_path / "c"
    text = (
        'a: .nan\nb: -.inf\nc: 123456789012345678901234567890\nd: 1.0e+300\ne: "\\u00e9\\u2028\\0 x"\n'
        "f: [1, 2.5, true, null, '']\n"
    )
    load(["."], cwd=make_repo({"a.yaml": text}), cache_dir=cache)
    [row] = ParseCache.open(cache, PARSER_ID).entries.values()
    value = row[0][0]
    assert math.isnan(value["a"]) and value["b"] == -math.inf
    assert value["c"] == 123456789012345678901234567890 and value["d"] == 1.0e300
    assert value["e"] == "\u00e9\u2028\x00 x" and value["f"] == [1, 2.5, True, None, ""]


def test_cached_files_still_locate_diagnostics(make_repo, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    root = make_repo({"a.yaml": "a: 1\na: 2\n" + RULE % "a"})
    load(["."], cwd=root, cache_dir=cache)
    [d] = load(["."], cwd=root, cache_dir=cache).diagnostics
    assert (d.code, d.line, d.column) == ("ALB002", 2, 1)


def test_a_poisoned_cache_is_ignored(make_repo, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    root = make_repo({"a.yaml": RULE % "a"})
    load(["."], cwd=root, cache_dir=cache)
    for f in cache.iterdir():
        f.write_text("{not json")
    assert load(["."], cwd=root, cache_dir=cache).documents[0].data["metadata"]["name"] == "a"


def test_values_files_and_set(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("site: {name: north, beds: 10}\nenv: dev\n")
    merged = parse_values([values], ["site.beds=12", "env=prod", "flag=true"])
    assert merged == {"site": {"name": "north", "beds": 12}, "env": "prod", "flag": True}
    with pytest.raises(UsageError):
        parse_values([], ["no-equals-sign"])


def test_alabctlignore_skips_paths_unless_named(make_repo) -> None:
    root = make_repo(
        {
            "a.yaml": RULE % "a",
            ".alabctlignore": "# comment\nbroken/\n*.draft.yaml\n",
            "broken/b.yaml": "not: [valid",
            "sub/c.draft.yaml": RULE % "c",
            "sub/.alabctlignore": "d.yaml\n",
            "sub/d.yaml": RULE % "d",
            "sub/e.yaml": RULE % "e",
        }
    )
    loaded = load(["."], cwd=root)
    assert sorted(d.data["metadata"]["name"] for d in loaded.documents) == ["a", "e"]
    named = load(["broken/"], cwd=root)
    assert [d.code for d in named.diagnostics] == ["ALB001"]


def test_set_values_are_yaml_as_in_helm() -> None:
    values = parse_values([], ["sites=[north,south,east]", "beds=12", "on=true", "site=north", "a.b={c: 1}"])
    assert values == {
        "sites": ["north", "south", "east"],
        "beds": 12,
        "on": True,
        "site": "north",
        "a": {"b": {"c": 1}},
    }
    with pytest.raises(UsageError, match="not valid YAML"):
        parse_values([], ["sites=[north"])


def test_the_readme_template_example_renders_one_project_per_site(capsys) -> None:
    from alabctl.cli.main import main
    from tests.conftest import EXAMPLES

    assert main(["validate", "-f", str(EXAMPLES), "--set", "sites=[north,south,east]", "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and not [d for d in report["diagnostics"] if d["code"] in ("ALB001", "ALB010")]


def test_a_template_looping_over_a_string_is_warned_at_its_line(make_repo) -> None:
    template = (
        "{% for site in sites %}\n---\n" + RULE.replace("name: %s", "name: r-{{ site }}") + "{% endfor %}\n"
    )
    root = make_repo({"t.yaml.j2": template})
    loaded = load(["."], cwd=root, values=parse_values([], ["sites=north"]))
    [warning] = loaded.diagnostics
    assert (warning.code, warning.severity, warning.line) == ("ALB010", "warning", 1)
    assert "'north'" in warning.summary
    assert loaded.sources.lines_of(warning)[0] == "{% for site in sites %}"  # the template's line
    listed = load(["."], cwd=root, values=parse_values([], ["sites=[north]"]))
    assert listed.diagnostics == [] and len(listed.documents) == 1
