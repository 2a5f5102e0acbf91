import math

import pytest

from alabctl.spec.yamlsrc import MAX_NODES, parse_yaml, resolve_plain


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", None),
        ("~", None),
        ("null", None),
        ("true", True),
        ("False", False),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("42", 42),
        ("-7", -7),
        ("0o17", 15),
        ("0x1f", 31),
        ("3.10", 3.1),
        ("1e3", 1000.0),
        (".inf", math.inf),
        ("-.inf", -math.inf),
        ("5.5.3", "5.5.3"),
        ("abc", "abc"),
    ],
)
def test_core_schema_scalars(text: str, value: object) -> None:
    assert resolve_plain(text) == value


def test_quoted_scalars_stay_strings() -> None:
    doc = parse_yaml("a: \"42\"\nb: 'true'\nc: 42\n", "f").documents[0]
    assert doc.data == {"a": "42", "b": "true", "c": 42}


def test_source_map_positions_are_one_based() -> None:
    doc = parse_yaml("a: 1\nb:\n  c: [x, y]\n", "f").documents[0]
    assert doc.source_map.locate(("b", "c", 1)).line == 3
    assert doc.source_map.locate(("b", "c", 1)).column == 10
    assert doc.source_map.locate(("b",), key=True).column == 1
    # a path that does not exist points at its nearest parent
    assert doc.source_map.locate(("b", "missing")) == doc.source_map.locate(("b",))


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    result = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    [d] = result.diagnostics
    assert (d.code, d.line, d.column, d.path) == ("ALB002", 3, 1, ("a",))
    assert "line 1" in d.detail
    assert result.documents[0].data == {"a": 1, "b": 2}


def test_multi_document_and_empty_documents() -> None:
    result = parse_yaml("a: 1\n---\n---\nb: 2\n", "f")
    assert [d.data for d in result.documents] == [{"a": 1}, None, {"b": 2}]


def test_python_tags_are_refused_not_constructed() -> None:
    result = parse_yaml("a: !!python/object/apply:os.system ['echo hacked']\nb: 1\n", "f")
    [d] = result.diagnostics
    assert d.code == "ALB006"
    assert result.documents[0].data == {"a": None, "b": 1}


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    result = parse_yaml("\n".join(lines) + "\n", "f")
    assert any(d.code == "ALB006" and str(MAX_NODES) in d.summary for d in result.diagnostics)


@pytest.mark.parametrize("nest", ["[" * 50_000 + "]" * 50_000, "\n" + "  - " * 1 + "- " * 50_000 + "x"])
def test_nesting_too_deep_for_the_c_stack_is_found_first(nest: str) -> None:
    result = parse_yaml("a: 1\nb: " + nest + "\n", "f.yaml")
    (d,) = result.diagnostics
    assert d.code == "ALB006" and "64 levels" in d.summary and d.line >= 2
    assert result.documents == []


def test_merge_keys() -> None:
    doc = parse_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "f").documents[0]
    assert doc.data["d"] == {"x": 1, "y": 3}


def test_yaml_12_colons_in_flow_sequences() -> None:
    # libyaml (YAML 1.1) rejects this; the YAML 1.2 parser reads it
    doc = parse_yaml("scopes: [healthcare:inference, ocr:inference]\n", "f").documents[0]
    assert doc.data == {"scopes": ["healthcare:inference", "ocr:inference"]}


def test_syntax_error_points_at_the_opening_quote() -> None:
    [d] = parse_yaml('a: 1\nb: "open\nc: 2\n', "f").diagnostics
    assert (d.code, d.line, d.column) == ("ALB001", 2, 4)


VALUE_CASES = [
    "a: 1\nb: yes\nc: 0x1F\nd: .inf\ne: ~\nf: 3.10\ng: '3'\nh: \"true\"\n",
    "base: &x {b: 1, c: [1, 2]}\nother: *x\n<<: {h: 1}\n",
    "a: 1\na: 2\n",
    "k: !!int '3'\nj: !!str 4\n",
    "? [a]\n: 1\n",
    "a: [1, 2, {b: null}]\nTrue: x\n1: y\nnull: z\n",
    "- -1\n- +.5\n- 0o17\n- .NaN\n- -.inf\n- 1e3\n- 1.e3\n- ''\n- Null\n",
    "a: b\n---\n- 1\n---\nplain\n",
    "x: !custom 1\n",
    "a:\n" + "".join(f"  {'  ' * i}k{i}:\n" for i in range(70)),
]


@pytest.mark.parametrize("text", VALUE_CASES)
def test_values_without_positions_are_the_same(text: str) -> None:
    full = parse_yaml(text, "f.yaml")
    fast = parse_yaml(text, "f.yaml", positions=False)
    assert repr([d.data for d in fast.documents]) == repr([d.data for d in full.documents])
    assert fast.diagnostics == full.diagnostics


@pytest.mark.parametrize("number", ["1" * 5000, "-" + "9" * 70, "0x" + "f" * 50_000, "0o" + "7" * 100])
def test_integers_too_long_to_be_a_value_are_refused(number: str) -> None:
    """Python refuses int() past 4,300 digits, and hex or octal would build any size: both stop here."""
    (d,) = parse_yaml(f"a: {number}\n", "f.yaml").diagnostics
    assert (d.code, d.line, d.column) == ("ALB006", 1, 4) and "more than 64 digits" in d.summary
    (key,) = parse_yaml(f"{number[:80]}: a\n", "f.yaml").diagnostics  # implicit keys end at 1,024 characters
    assert (key.code, key.line, key.column) == ("ALB006", 1, 1)
    assert parse_yaml(f"a: '{number}'\n", "f.yaml").documents[0].data == {"a": number}
    for edge in ("9" * 64, "-" + "9" * 64, "0x" + "f" * 64):
        assert parse_yaml(f"a: {edge}\n", "f.yaml").diagnostics == []
    assert parse_yaml("a: " + "9" * 65 + "\n", "f.yaml").diagnostics[0].code == "ALB006"


def _depth(node: object) -> int:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, SequenceNode):
        return 1 + max((_depth(n) for n in node.value), default=0)
    if isinstance(node, MappingNode):
        return 1 + max((max(_depth(k), _depth(v)) for k, v in node.value), default=0)
    return 0


@pytest.mark.parametrize(
    "text",
    [
        "- - - - - x\n",
        "a:\n  b:\n    c:\n      - - d: [[e, {f: g}]]\n",
        "a:\n- b:\n  - c:\n    - d\n",  # sequences as mapping values, under their keys
        "? - - x\n: y\n",
        "a: &x\n  b:\n    - c\r  d:\r    - - e\r",  # carriage returns are line breaks too
        "a:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(40)) + " " * 42 + "v\n",
    ],
)
def test_the_nesting_bound_is_never_below_the_real_depth(text: str) -> None:
    from ruamel.yaml import YAML

    from alabctl.spec.yamlsrc import _nesting_bound

    depth = max(_depth(node) for node in YAML(typ="safe", pure=True).compose_all(text))
    assert depth >= 3 and _nesting_bound(text) >= depth
