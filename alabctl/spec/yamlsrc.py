"""YAML text -> plain values plus a source map.

The node tree comes from libyaml through ruamel.yaml's C parser when it is installed (the pure-Python
composer otherwise); the conversion to Python values is ours, so that it can

* record where every key and value sits (1-based line and column) for diagnostics,
* report duplicate keys instead of silently keeping the last one,
* resolve scalars by the YAML 1.2 core schema (``yes`` is a string, ``3.10`` is a float),
* refuse tags and constructs that could build arbitrary objects, and cap alias expansion.

Nothing here executes anything that is in the document.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from alabctl.spec.diagnostics import Diagnostic, Path, Position, Severity

try:  # libyaml through ruamel.yaml.clib: about six times faster than the pure composer
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    from ruamel.yaml.resolver import BaseResolver

    class _CLoader(CParser, BaseResolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            BaseResolver.__init__(self)

        # BaseResolver has no implicit or path resolvers, so every untagged node gets its kind's
        # default tag; saying so directly saves a Python call chain per node
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            return _DEFAULT_TAGS[kind]

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    assert not BaseResolver.yaml_implicit_resolvers and not BaseResolver.yaml_path_resolvers
    _DEFAULT_TAGS = {
        ScalarNode: BaseResolver.DEFAULT_SCALAR_TAG,
        SequenceNode: BaseResolver.DEFAULT_SEQUENCE_TAG,
        MappingNode: BaseResolver.DEFAULT_MAPPING_TAG,
    }

    C_PARSER = True
except ImportError:  # pragma: no cover - depends on the installation
    C_PARSER = False

MAX_DEPTH = 64
"""How deeply collections may nest: deeper input is refused before Python's recursion limit."""
MAX_NODES = 200_000
"""Nodes one document may expand to (aliases included): a guard against alias bombs."""
_SCAN_ABOVE = 1000
"""Text that could nest deeper than this is scanned for depth before libyaml composes it.

libyaml's parser keeps its own stack, but the composer of ruamel.yaml.clib recurses in C, one
frame per level: about 28,000 levels overflow an 8 MB stack and kill the process (a thread's
stack may be far smaller). Every level opens with one of ``[ { - : ?``, so text with fewer of
those cannot nest deeper, and almost every manifest skips the scan."""

_TAG = "tag:yaml.org,2002:"
_SAFE_TAGS: set[str | None] = {
    f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")
}
_SAFE_TAGS |= {"!", "?", None}

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


_MAYBE_TYPED = frozenset("~nNtTfF-+.0123456789")
"""First characters of every plain scalar that is not a string (null, bools, numbers, .inf, .nan)."""


MAX_INT_DIGITS = 64
"""Digits an integer may have: far beyond any field's values, well below Python's own limit
(4,300 decimal digits, past which ``int()`` refuses) and what hex and octal would build."""


class IntegerTooLong(ValueError):
    """A plain scalar reads as an integer with more than :data:`MAX_INT_DIGITS` digits."""


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar by the YAML 1.2 core schema.

    Raises :class:`IntegerTooLong` for an integer of more than :data:`MAX_INT_DIGITS` digits.
    """
    if text and text[0] not in _MAYBE_TYPED:
        return text  # most scalars are words: no pattern can match them
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if len(text) > MAX_INT_DIGITS and (_INT.match(text) or _OCT.match(text) or _HEX.match(text)):
        digits = text.lstrip("+-")
        if len(digits[2:] if digits[1:2] in ("o", "x") else digits) > MAX_INT_DIGITS:
            raise IntegerTooLong(text)
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


class SourceMap(NamedTuple):
    """Where each value (and each mapping key) of one document sits."""

    values: dict[Path, Position]
    keys: dict[Path, Position]

    def locate(self, path: Path, *, key: bool = False) -> Position:
        """The position of ``path``; for a path that does not exist, its nearest parent."""
        if key and path in self.keys:
            return self.keys[path]
        probe = path
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Position(1, 1))

    def exists(self, path: Path) -> bool:
        return path in self.values


class ParsedDocument(NamedTuple):
    data: Any
    source_map: SourceMap


class ParseResult(NamedTuple):
    documents: list[ParsedDocument]
    diagnostics: list[Diagnostic]


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.summary)
        self.diagnostic = diagnostic


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _is_plain(node: ScalarNode) -> bool:
    return not node.style  # None (pure composer) or "" (libyaml) for plain scalars


class _Converter:
    """Walks one composed document, building values, the source map and diagnostics."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path, Position] = {}
        self.keys: dict[Path, Position] = {}
        self.diagnostics: list[Diagnostic] = []
        self.count = 0
        self.stack: set[int] = set()

    def refuse(self, node: Node, code: str, summary: str, detail: str) -> _Refused:
        p = _pos(node)
        return _Refused(Diagnostic(code, Severity.ERROR, summary, detail, self.file, p.line, p.column))

    def convert(self, node: Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.refuse(
                node,
                "ALB006",
                f"document expands to more than {MAX_NODES} nodes",
                "aliases that repeat large structures make a document explode in size; "
                "write the values out or split the document",
            )
        if len(path) > MAX_DEPTH:
            raise self.refuse(
                node,
                "ALB006",
                f"document nests more than {MAX_DEPTH} levels deep",
                "manifests are shallow data; flatten the structure",
            )
        self.values.setdefault(path, _pos(node))
        if node.tag not in _SAFE_TAGS:
            self.diagnostics.append(
                self.refuse(
                    node,
                    "ALB006",
                    f"unsupported YAML tag '{node.tag}'",
                    "manifests are plain data: remove the tag (only the standard !!str, !!int, "
                    "!!float, !!bool, !!null, !!map and !!seq are accepted)",
                ).diagnostic
            )
            return None
        if isinstance(node, ScalarNode):
            return self.checked_scalar(node)
        if id(node) in self.stack:
            raise self.refuse(node, "ALB006", "recursive alias", "an alias may not refer to its own parent")
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.stack.discard(id(node))
        raise self.refuse(node, "ALB006", "unsupported YAML node", "")  # pragma: no cover

    def checked_scalar(self, node: ScalarNode) -> Any:
        try:
            return self.scalar(node)
        except IntegerTooLong:
            raise self.refuse(
                node,
                "ALB006",
                f"integer with more than {MAX_INT_DIGITS} digits",
                "no field takes a number this long; quote it if it is text",
            ) from None

    @staticmethod
    def scalar(node: ScalarNode) -> Any:
        tag = node.tag
        if tag in (f"{_TAG}str",) and not _is_plain(node):
            return node.value
        if tag == f"{_TAG}str" or tag in (None, "?"):
            return resolve_plain(node.value) if _is_plain(node) else node.value
        value = resolve_plain(node.value)
        if tag == f"{_TAG}int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if tag == f"{_TAG}float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if tag == f"{_TAG}bool" and isinstance(value, bool):
            return value
        if tag == f"{_TAG}null":
            return None
        return node.value

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Position] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.refuse(
                    key_node, "ALB006", "complex mapping key", "mapping keys must be plain strings"
                )
            if key_node.tag == f"{_TAG}merge" or (key_node.value == "<<" and _is_plain(key_node)):
                merged.update(self.merge(value_node, path))
                continue
            raw = self.checked_scalar(key_node)
            key = raw if isinstance(raw, str) else key_node.value
            kpos = _pos(key_node)
            if key in seen:
                first = seen[key]
                self.diagnostics.append(
                    Diagnostic(
                        "ALB002",
                        Severity.ERROR,
                        f"duplicate key '{key}'",
                        f"'{key}' is already set at line {first.line}; YAML keeps only one of them, "
                        "so remove or rename one",
                        self.file,
                        kpos.line,
                        kpos.column,
                        (*path, key),
                    )
                )
                continue
            seen[key] = kpos
            self.keys[(*path, key)] = kpos
            out[key] = self.convert(value_node, (*path, key))
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def merge(self, node: Node, path: Path) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        result: dict[str, Any] = {}
        for source in sources:
            if not isinstance(source, MappingNode):
                raise self.refuse(source, "ALB006", "'<<' needs a mapping", "merge only mappings with '<<'")
            for key, value in self.mapping(source, path).items():
                result.setdefault(key, value)
        return result


class _Slow(Exception):
    """The document needs the full converter: a tag, a merge key, a duplicate key, deep nesting."""


_SCALAR_TAG: object = object()  # the libyaml loader's default tags; never matched without it
_SEQUENCE_TAG: object = object()
_MAPPING_TAG: object = object()
if C_PARSER:
    _SCALAR_TAG, _SEQUENCE_TAG, _MAPPING_TAG = (
        _DEFAULT_TAGS[k] for k in (ScalarNode, SequenceNode, MappingNode)
    )


class _Values:
    """The values of one document and nothing else: no positions, no paths, no diagnostics.

    It covers the common case (plain mappings, lists and scalars, untagged) and gives up with
    :class:`_Slow` on anything else, which :class:`_Converter` then handles in full. Its values are
    the converter's values, so which one ran never shows. Untagged nodes from libyaml carry their
    kind's default tag object itself (see ``_CLoader.resolve``), so a tag check is an identity test.
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def convert(self, node: Node, depth: int) -> Any:
        try:
            return self._convert(node, depth)
        except IntegerTooLong:
            raise _Slow from None

    def _convert(self, node: Node, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            raise _Slow
        cls = node.__class__
        if cls is ScalarNode:
            if node.ctag is _SCALAR_TAG:
                return node.value if node.style else resolve_plain(node.value)  # type: ignore[attr-defined]
            raise _Slow
        if cls is MappingNode and node.ctag is _MAPPING_TAG:
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not ScalarNode or key_node.ctag is not _SCALAR_TAG:
                    raise _Slow
                key = key_node.value
                if not key_node.style:
                    if key == "<<":
                        raise _Slow
                    raw = resolve_plain(key)
                    key = raw if isinstance(raw, str) else key
                if key in out:
                    raise _Slow
                out[key] = self._convert(value_node, depth + 1)
            return out
        if cls is SequenceNode and node.ctag is _SEQUENCE_TAG:
            return [self._convert(item, depth + 1) for item in node.value]
        raise _Slow


def _nesting_bound(text: str) -> int:
    """A bound on how deeply ``text`` can nest, for text with many of ``[ { - : ?`` (a lock file).

    Flow collections open with ``[`` or ``{``. A block collection starts at the column of its
    first ``-``, ``?`` or key, which lies within its line's leading run of spaces, ``-`` and ``?``
    (``- - - x`` opens three), and at most two block collections share a column (a sequence as a
    mapping's value may sit under its key). ``splitlines`` breaks at every character YAML does.
    """
    lead = max((len(line) - len(line.lstrip(" -?")) for line in text.splitlines()), default=0)
    return text.count("[") + text.count("{") + 2 * (lead + 1) + 1


def _too_deep(text: str) -> Position | None:
    """Where ``text`` first nests deeper than :data:`MAX_DEPTH`, found from libyaml's events.

    Events come from an iterative parser, so this is safe at any depth; it runs only on text
    that could nest past :data:`_SCAN_ABOVE`. A syntax error ends the scan: the composer stops
    at the same event, no deeper than the scan went.
    """
    if sum(map(text.count, "[{-:?")) <= _SCAN_ABOVE or _nesting_bound(text) <= _SCAN_ABOVE:
        return None
    from ruamel.yaml.events import (
        CollectionEndEvent,
        CollectionStartEvent,
        StreamEndEvent,
    )

    parser = CParser(text)
    depth = 0
    try:
        while True:
            event = parser.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return Position(event.start_mark.line + 1, event.start_mark.column + 1)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            elif isinstance(event, StreamEndEvent):
                return None
    except YAMLError:
        return None
    finally:
        parser.dispose()


def _compose(text: str, fast: bool = True) -> Iterator[Node]:
    if C_PARSER and fast:
        loader = _CLoader(text)
        try:
            while loader.check_node():
                yield loader.get_node()
        finally:
            loader.dispose()
        return
    from ruamel.yaml import YAML

    yield from YAML(typ="safe", pure=True).compose_all(text)


def _syntax_diagnostic(file: str, exc: YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem_text = getattr(exc, "problem", None) or ""
    context_mark = getattr(exc, "context_mark", None)
    if "end of stream" in problem_text and context_mark is not None:
        mark = context_mark  # an unclosed quote or bracket: point where it was opened
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    summary = f"YAML syntax error: {problem}"
    detail = f"{context}; " if context else ""
    detail += "fix the YAML at this position (check indentation, quoting and ':' after keys)"
    return Diagnostic("ALB001", Severity.ERROR, summary, detail, file, line, column)


def parse_yaml(text: str, file: str, *, positions: bool = True) -> ParseResult:
    """Every document of ``text`` as plain values with its source map.

    A syntax error ends the file (later documents cannot be trusted); a refused construct drops
    only its own document. libyaml reads YAML 1.1, which rejects a few YAML 1.2 forms (``[a:b]`` in
    flow style); a file it rejects is read again by the pure-Python YAML 1.2 parser before any
    syntax error is reported.

    With ``positions=False`` the source maps are left empty (a caller that needs them later parses
    again): values and diagnostics are the same, and plain documents convert about twice as fast.
    """
    result = _parse(text, file, fast=True, positions=positions)
    if C_PARSER and any(d.code == "ALB001" for d in result.diagnostics):
        return _parse(text, file, fast=False, positions=positions)
    return result


_NO_MAP = SourceMap({}, {})


def _too_deep_diagnostic(file: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        "ALB006",
        Severity.ERROR,
        f"document nests more than {MAX_DEPTH} levels deep",
        "manifests are shallow data; flatten the structure",
        file,
        line,
        column,
    )


def _parse(text: str, file: str, *, fast: bool, positions: bool = True) -> ParseResult:
    documents: list[ParsedDocument] = []
    diagnostics: list[Diagnostic] = []
    if C_PARSER and fast and (deep := _too_deep(text)) is not None:
        return ParseResult(documents, [_too_deep_diagnostic(file, *deep)])
    try:
        for node in _compose(text, fast):
            if not positions:
                try:
                    documents.append(ParsedDocument(_Values().convert(node, 0), _NO_MAP))
                    continue
                except _Slow:
                    pass
            converter = _Converter(file)
            try:
                data = converter.convert(node, ())
            except _Refused as refused:
                diagnostics.append(refused.diagnostic)
                documents.append(ParsedDocument(None, SourceMap({(): _pos(node)}, {})))
                continue
            diagnostics.extend(converter.diagnostics)
            documents.append(ParsedDocument(data, SourceMap(converter.values, converter.keys)))
    except MarkedYAMLError as exc:
        diagnostics.append(_syntax_diagnostic(file, exc))
    except YAMLError as exc:  # pragma: no cover - unmarked libyaml errors
        diagnostics.append(_syntax_diagnostic(file, exc))
    except RecursionError:
        diagnostics.append(_too_deep_diagnostic(file))
    return ParseResult(documents, diagnostics)
