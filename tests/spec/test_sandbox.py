"""The template budget estimates a call's result from its inputs before the call runs.

Refusals are checked with small caps, so a broken estimate builds kilobytes here, not gigabytes
(the full-size cases run in limited subprocesses in ``tests/test_hostile_input.py``).
"""

from __future__ import annotations

import pytest

from alabctl.spec.sandbox import Budget, Caps
from alabctl.spec.template import render_template

SMALL = Caps(value=10_000, items=1_000, width=100, range=1_000, pieces=100, written=50_000)

OUTGROWING = {
    # a capped width, but times the lines, tabs or fields it applies to
    "indent": ("{{ ('a\\n' * 200)|indent(60)|length }}", "'indent'"),
    "indent-string": ("{{ ('a\\n' * 200)|indent('x' * 60)|length }}", "'indent'"),
    "indent-lines": ("{{ ('\\n' * 900 ~ '\\n' * 900)|indent(1)|length }}", "the lines of 'indent'"),
    "expandtabs": ("{{ ('\\t' * 200).expandtabs(60)|length }}", "'expandtabs'"),
    "expandtabs-bytes": ("{{ ('\\t' * 200).encode().expandtabs(60)|length }}", "'expandtabs'"),
    "format-widths": ("{{ ('{0:90}' * 200).format(1)|length }}", "a formatted string"),
    "format-precisions": ("{{ ('{0:.90}' * 200).format('a' * 100)|length }}", "a formatted string"),
    "format-values": ("{{ ('{0}' * 200).format('a' * 90)|length }}", "a formatted string"),
    "format-map": ("{{ ('{a:90}' * 200).format_map({'a': 1})|length }}", "a formatted string"),
    "percent-widths": ("{{ ('%(a)90s' * 200) % {'a': 1} }}", "a %-formatted string"),
    "percent-values": ("{{ ('%(a)s' * 200) % {'a': 'b' * 90} }}", "a %-formatted string"),
    "percent-tuple": ("{{ ('%s%s' * 100) % (('x' * 99, 'y') * 100) }}", "a %-formatted string"),
    "percent-filter": ("{{ ('%90s' * 200)|format(*range(200)) }}", "a %-formatted string"),
    "percent-nested-key": ("{{ '%(a(b)c)90s' % {'a(b)c': 1} }}", "parentheses in a %(key)"),
    # a count or padding argument
    "batch-padding": ("{{ ([1]|batch(5000, 'x')|list)|length }}", "'batch' with fill_with"),
    "batch-fill-size": ("{{ ([1]|batch(900, 'x' * 100)|list)|length }}", "the padding of 'batch'"),
    "slice-count": ("{{ ([1]|slice(5000)|list)|length }}", "'slice' would make"),
    "slice-fill-size": ("{{ ([1]|slice(90, 'x' * 500)|list)|length }}", "the padding of 'slice'"),
    # an indent times the nesting
    "tojson-indent": ("{{ [[[[1]]]]|tojson(indent=5000)|length }}", "'tojson'"),
    "tojson-nesting": (
        "{% set x = [1] * 90 %}{% set x = [[[[x]]]] %}{{ x|tojson(indent=30)|length }}",
        "'tojson'",
    ),
    "tojson-escapes": ("{{ ('<<<<<<<<<<' * 200)|tojson|length }}", "'tojson'"),
    "pprint-items": ("{{ (range(500)|list)|pprint|length }}", "'pprint'"),
    # a separator times the items, one piece per character or word
    "join-generator": ("{{ ('xxxxxxxxxx' * 500).join(range(50)|map('string'))|length }}", "a joined string"),
    "join-filter-generator": (
        "{{ range(50)|map('string')|join('xxxxxxxxxx' * 500)|length }}",
        "a joined string",
    ),
    "join-string": ("{{ ('a' * 100)|join('x' * 500)|length }}", "a joined string"),
    "translate": ("{{ ('a' * 1000).translate({97: 'b' * 50})|length }}", "a translated string"),
    "split": ("{{ ('ab ' * 900).split()|length }}", "'split'"),
    "splitlines": ("{{ ('ab\\n' * 1000).splitlines()|length }}", "'splitlines'"),
    "list-of-string": ("{{ ('ab' * 900)|list|length }}", "'list' of a string"),
    "wordwrap-words": ("{{ ('a ' * 300)|wordwrap(5)|length }}", "'wordwrap'"),
    "wordwrap-long-word": ("{{ ('aaaaaaaaaa' * 500)|wordwrap(1)|length }}", "'wordwrap'"),
    "wordwrap-wrapstring": ("{{ ('a ' * 40)|wordwrap(1, wrapstring='x' * 500)|length }}", "'wordwrap'"),
    "title": ("{{ ('a ' * 300)|title|length }}", "the words of"),
    "urlize": ("{{ ('a ' * 300)|urlize|length }}", "the words of 'urlize'"),
    "wordcount": ("{{ ('a ' * 900)|wordcount }}", "the words of"),
    "sum-of-lists": ("{{ ([[1]] * 300)|sum(start=[])|length }}", "'sum' of lists"),
    # numbers and containers turned into text
    "integer-product": ("{{ (2 ** 2000) * (2 ** 2000) * (2 ** 2000) > 1 }}", "a product with more than"),
    "integer-from-hex": (
        "{{ ('ffffffff' * 200)|int(base=16) > 1 }}",
        "an integer of more than 4096 bits from 'int'",
    ),
    "integer-digits": ("{{ [2 ** 2000] * 30 }}", "a repeated value would hold more than 10000 characters"),
    "container-as-text": ("{{ ['\\U000e0000' * 400] * 3 }}", "an output value as text"),
    "container-concat": ("{{ (['\\U000e0000' * 400] * 3) ~ '' }}", "the text of a '~' concatenation"),
    # text gathered in a block or macro, which the output cap only sees when it is printed
    "set-block": (
        "{% set x %}{% for i in range(100) %}{{ 'xxxxxxxxxx' * 100 }}{% endfor %}{% endset %}{{ x|length }}",
        "expressions wrote more than 50000 characters",
    ),
    "macro-text": (
        "{% macro m() %}{% for i in range(100) %}" + "A" * 200 + "{% endfor %}{% endmacro %}{{ m()|length }}",
        "the text of a macro",
    ),
    "escape": ("{{ ('&&&&&&&&&&' * 300)|e|length }}", "an escaped string"),
    "urlencode": ("{{ ('\\u00e9' * 1000)|urlencode|length }}", "'urlencode'"),
}


@pytest.mark.parametrize("name", sorted(OUTGROWING))
def test_a_call_whose_result_would_pass_the_caps_is_refused_before_it_runs(name: str) -> None:
    source, refusal = OUTGROWING[name]
    out = render_template(source, "t", {}, caps=SMALL)
    assert out.text is None
    [d] = out.diagnostics
    # refused by the call's own estimate, not by measuring what it built afterwards
    assert d.code == "ALB008" and "over its limits" in d.summary and refusal in d.summary, d.summary


BOUNDED = {
    "{{ 'a\\nb\\n\\nc'|indent(2) }}": "a\n  b\n\n  c",
    "{{ 'a\\nb'|indent('> ', first=true) }}": "> a\n> b",
    "{{ 'a\\tb'.expandtabs(4) }}": "a   b",
    "{{ '{0:>5}|{1:.2f}|{name}'.format('x', 1.5, name='n') }}": "    x|1.50|n",
    "{{ '{a}-{b}'.format_map({'a': 1, 'b': 2}) }}": "1-2",
    "{{ '%(a)03d %(b)s' % {'a': 7, 'b': [1]} }}": "007 [1]",
    "{{ '%5.1f%%|%.s|%s' % (1.25, 'x', [1]) }}": "  1.2%||[1]",
    "{{ '%s-%s'|format('a', 'b') }}": "a-b",
    "{{ [1, 2, 3]|batch(2, 0)|list }}": "[[1, 2], [3, 0]]",
    "{{ [1, 2, 3]|slice(2)|list }}": "[[1, 2], [3]]",
    "{{ {'a': [1]}|tojson(indent=2) }}": '{\n  "a": [\n    1\n  ]\n}',
    "{{ [1, [2]]|pprint }}": "[1, [2]]",
    "{{ range(3)|map('string')|join(', ') }}": "0, 1, 2",
    "{{ '-'.join(range(3)|map('string')) }}": "0-1-2",
    "{{ 'abc'|join('.') }}": "a.b.c",
    "{{ {'a': 1, 'b': 2}|join('+') }}": "a+b",
    "{{ 'abc'.translate({97: 'xy'}) }}": "xybc",
    "{{ 'a b,c'.split() }} {{ 'a,b'.split(',', 1) }} {{ 'a\\nb'.splitlines() }}": "['a', 'b,c'] ['a', 'b'] ['a', 'b']",
    "{{ 'one two three'|wordwrap(7) }}": "one two\nthree",
    "{{ 'a-b c'|title }} {{ 'a b'|wordcount }}": "A-B C 2",
    "{{ [[1], [2, 3]]|sum(start=[]) }}": "[1, 2, 3]",
    "{{ dict(a=1) }} {{ 2 ** 10 * 3 }}": "{'a': 1} 3072",
    "{{ 'a<b'|e }} {{ 'a b'|urlencode }}": "a&lt;b a%20b",
}


@pytest.mark.parametrize("source", sorted(BOUNDED))
def test_the_same_calls_within_the_caps_render(source: str) -> None:
    out = render_template(source, "t", {})
    assert out.diagnostics == []
    assert out.text == BOUNDED[source]


def test_dict_cannot_change_a_given_value() -> None:
    out = render_template("{{ dict.clear(d) }}{{ d }}", "t", {"d": {"a": 1}})
    assert out.text is None and out.diagnostics[0].code == "ALB003"


def test_text_size_is_an_upper_bound_of_the_text() -> None:
    budget = Budget(Caps())
    values = [
        "plain",
        ["a", 1, 2**3000, None, 1.5, ("b", {"k": "v\n\x00\U000e0000"})],
        {"x": [True, b"\x00\xff"]},
        "<a href='x'>\u00e9\n",
    ]
    for value in values:
        assert budget.text_size(value) >= len(str(value))
        assert budget.text_size(value, escaped=True) >= len(
            render_template("{{ v|tojson }}", "t", {"v": value}).text or ""
        )


@pytest.mark.parametrize("source", ["{{ x % y }}", "{{ x // y }}", "{{ x is divisibleby(y) }}"])
def test_long_division_of_two_large_integers_is_refused(source: str) -> None:
    # long division takes the product of the sizes: 16 Mi-bit values would take hours
    out = render_template(source, "t", {"x": 2**9000, "y": 2**5000 + 1})
    assert out.text is None and "a division of integers" in out.diagnostics[0].summary
    small = render_template(source, "t", {"x": 2**9000, "y": 7})
    assert small.diagnostics == [] and small.text in ("1", str(2**9000 // 7), "False")


@pytest.mark.parametrize("codec", ["punycode", "idna"])
def test_codecs_written_in_python_are_refused(codec: str) -> None:
    # punycode takes time quadratic in the text: ten thousand distinct characters times their count
    source = (
        "{% set s = ('%c' * 10000)|format(*range(256, 10256)) %}{{ (s * 100).encode('"
        + codec
        + "')|length }}"
    )
    [d] = render_template(source, "t", {}).diagnostics
    assert d.code == "ALB008" and f"the {codec!r} codec is not allowed" in d.summary


def test_linear_codecs_and_unknown_ones() -> None:
    ok = render_template("{{ 'é'.encode('latin1') }} {{ 'é'.encode().decode('UTF8') }}", "t", {})
    assert ok.text == "b'\\xe9' é"
    [d] = render_template("{{ 'x'.encode('nope') }}", "t", {}).diagnostics
    assert d.code == "ALB003" and "unknown encoding: nope" in d.summary
