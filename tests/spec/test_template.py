from pathlib import Path

import pytest

from alabctl import api
from alabctl.spec.template import render_template
from alabctl.spec.templatemap import TemplateMap


def test_renders_values() -> None:
    out = render_template("name: {{ site }}\nn: {{ n + 1 }}\n", "t", {"site": "north", "n": 1})
    assert out.text == "name: north\nn: 2\n"
    assert out.diagnostics == []


def test_undefined_variable_points_at_its_line() -> None:
    out = render_template("a: 1\nb: {{ missing }}\n", "t", {})
    [d] = out.diagnostics
    assert (d.code, d.line) == ("ALB003", 2)
    assert "missing" in d.summary


def test_syntax_error_line() -> None:
    [d] = render_template("a: 1\n{% for x in %}\n", "t", {}).diagnostics
    assert (d.code, d.line) == ("ALB003", 2)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ x.__init__.__globals__ }}",
        "{{ x.append(1) }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ lipsum.__globals__['os'].system('id') }}",
    ],
)
def test_sandbox_refuses_python_internals(source: str) -> None:
    out = render_template(source, "t", {"x": []})
    assert out.text is None
    [d] = out.diagnostics
    assert d.code in ("ALB008", "ALB003")


@pytest.mark.parametrize(
    "source", ['{% include "/etc/passwd" %}', '{% import "os" as os %}', '{% extends "base.yaml" %}']
)
def test_templates_cannot_read_files(source: str) -> None:
    out = render_template(source, "t", {})
    assert out.text is None
    assert out.diagnostics[0].code == "ALB008"


def test_output_size_is_capped() -> None:
    out = render_template("{% for i in range(90000) %}{{ 'x' * 100 }}{% endfor %}", "t", {})
    assert out.text is None
    assert out.diagnostics[0].code == "ALB008"


LOOP = """{%- for s in sites %}
apiVersion: alabctl/v1
kind: Project
metadata: {name: "t-{{ s }}"}
spec:
  server: {{ s }}-srv
---
{%- endfor %}
apiVersion: alabctl/v1
kind: Rule
metadata: {name: num}
spec: {entity: N, regex: x, bogus: 1}
"""


def _template_map(source: str, values: dict[str, object]) -> tuple[str, TemplateMap]:
    out = render_template(source, "t.yaml.j2", values)
    assert out.text is not None and out.diagnostics == []
    return out.text, TemplateMap(out.pieces, out.text, source)


def test_rendered_positions_map_back_to_the_template_line_and_column() -> None:
    text, where = _template_map(LOOP, {"sites": ["a", "bbb"]})
    rendered = text.splitlines()
    second = next(i for i, line in enumerate(rendered, 1) if line == 'metadata: {name: "t-bbb"}')
    # the template's own text keeps its column; every iteration lands on the loop body's line
    assert where.position(second, 11) == (4, 11)
    assert where.position(second + 1, 1) == (5, 1)
    # what an expression wrote points at its '{{'
    assert where.position(second, 21) == (4, 21)
    assert where.position(second + 2, 11) == (6, 11)
    # text after the loop, shifted in the rendered output by both iterations
    bogus = next(i for i, line in enumerate(rendered, 1) if "bogus" in line)
    assert bogus != 12 and where.position(bogus, 29) == (12, 29)


def test_validate_reports_template_lines(tmp_path: Path) -> None:
    (tmp_path / "t.yaml.j2").write_text(LOOP)
    report = api.validate(api.Inputs(paths=["."], cwd=tmp_path, values={"sites": ["a", "b"]}, cache=False))
    got = sorted({(d.code, d.line, d.column) for d in report.diagnostics if d.code in ("ALB104", "ALB202")})
    # both projects' servers are undefined at the same template line; the Rule's field at its own
    assert got == [("ALB104", 12, 29), ("ALB202", 6, 11)]
    (d,) = [d for d in report.diagnostics if d.code == "ALB104"]
    assert report.sources.lines_of(d)[d.line - 1] == "spec: {entity: N, regex: x, bogus: 1}"


def test_a_yaml_error_in_the_output_is_at_the_template_line(tmp_path: Path) -> None:
    source = "{% for i in [1, 2] %}\nk{{ i }}: v\n{% endfor %}\nbad: [unclosed\nok: 1\n"
    (tmp_path / "t.yaml.j2").write_text(source)
    report = api.validate(api.Inputs(paths=["."], cwd=tmp_path, cache=False))
    (d,) = report.diagnostics
    assert (d.code, d.line, d.column) == ("ALB001", 5, 3)  # libyaml stops at 'ok:' after the open '['
    assert report.sources.lines_of(d)[d.line - 1] == "ok: 1"
