import pytest

from alabctl.spec.template import render_template


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
