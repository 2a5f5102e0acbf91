"""Rule manifests <-> ContextualParser JSON, the format Annotation Lab imports and exports (SPEC §4).

:func:`to_contextual_parser` compiles a Rule into its JSON (the ContextualParser fields exactly as
Spark NLP for Healthcare reads them, ``completeMatchRegex`` as the string ``"true"``/``"false"``, plus
the rule's ``name``, ``type``, ``caseSensitive``, ``prefixAndSuffixMatch`` and, for dictionary rules,
the ``dictionary`` file name) and its dictionary CSV text.

:func:`from_contextual_parser` is the reverse, for ``alabctl rules import``. Annotation Lab's exported
JSON is not documented, so the import is tolerant: a key it does not map, or maps to a different
value than it would generate, is kept verbatim in ``metadata.annotations`` (as JSON), and the keys it
would generate but the original lacked are listed there too. Export applies both, so
import -> export gives back the original JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from alabctl.compile.dictionary import normalise_text, render_dictionary, sniff_dictionary
from alabctl.spec.diagnostics import format_path
from alabctl.spec.errors import UserError
from alabctl.spec.kinds.rule import MatchScope, Orientation, RuleManifest, RuleScope
from alabctl.spec.names import API_VERSION, Kind

EXTRA_ANNOTATION = "alabctl.io/contextual-parser-extra"
"""JSON object: keys of the imported JSON that export must write back verbatim."""
OMIT_ANNOTATION = "alabctl.io/contextual-parser-omit"
"""JSON list: keys export would generate that the imported JSON did not have."""
DICTIONARY_FOLDER = "dictionaries"


def dictionary_filename(name: str) -> str:
    """The dictionary file's name next to a rule's JSON: ``<name>.csv``."""
    return f"{name}.csv"


def archive_dictionary_name(data: Mapping[str, Any], name: str) -> str:
    """The CSV's name in an export archive: the one the JSON's ``dictionary`` key names, if it is a
    plain ``.csv``/``.tsv`` file name, else ``<name>.csv``."""
    named = data.get("dictionary")
    if (
        isinstance(named, str)
        and re.fullmatch(r"[^/\\\x00:]+\.(csv|tsv)", named, re.IGNORECASE)
        and not named.startswith(".")
    ):
        return named
    return dictionary_filename(name)


def render_json(data: Mapping[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, UTF-8 as is, final newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def read_annotations(annotations: Mapping[str, str]) -> tuple[dict[str, Any], set[str]]:
    """The pass-through keys and the omitted keys a Rule carries; ValueError when they are malformed."""
    extra: dict[str, Any] = {}
    omit: set[str] = set()
    if EXTRA_ANNOTATION in annotations:
        try:
            parsed = json.loads(annotations[EXTRA_ANNOTATION])
        except json.JSONDecodeError as exc:
            raise ValueError(f"'{EXTRA_ANNOTATION}' is not JSON: {exc.msg}") from exc
        if not isinstance(parsed, dict):
            raise ValueError(f"'{EXTRA_ANNOTATION}' must be a JSON object")
        extra = parsed
    if OMIT_ANNOTATION in annotations:
        try:
            listed = json.loads(annotations[OMIT_ANNOTATION])
        except json.JSONDecodeError as exc:
            raise ValueError(f"'{OMIT_ANNOTATION}' is not JSON: {exc.msg}") from exc
        if not isinstance(listed, list) or not all(isinstance(k, str) for k in listed):
            raise ValueError(f"'{OMIT_ANNOTATION}' must be a JSON list of key names")
        omit = set(listed)
    return extra, omit


def _generate(rule: RuleManifest) -> dict[str, Any]:
    spec = rule.spec
    out: dict[str, Any] = {
        "entity": spec.entity,
        "ruleScope": spec.rule_scope.value,
        "completeMatchRegex": "true" if spec.complete_match_regex else "false",
        "matchScope": spec.match_scope.value,
        "prefix": list(spec.prefix),
        "suffix": list(spec.suffix),
        "contextLength": spec.context_length,
        "contextException": list(spec.context_exception),
        "exceptionDistance": spec.exception_distance,
        "name": rule.name,
        "type": "regex" if spec.regex is not None else "dictionary",
        "caseSensitive": spec.case_sensitive,
        "prefixAndSuffixMatch": spec.prefix_and_suffix_match,
    }
    if spec.regex is not None:
        out["regex"] = spec.regex
    if spec.dictionary is not None:
        out["dictionary"] = dictionary_filename(rule.name)
    return out


def to_contextual_parser(
    rule: RuleManifest, dictionary_text: str | None
) -> tuple[dict[str, Any], str | None]:
    """The rule's JSON (sorted keys) and its dictionary CSV text (None for a regex rule).

    ``dictionary_text`` is the content of ``spec.dictionary.file``; inline entries are rendered.
    Raises ValueError when the rule's pass-through annotations are malformed or a file's text is missing.
    """
    extra, omit = read_annotations(rule.metadata.annotations)
    generated = _generate(rule)
    data = {k: v for k, v in generated.items() if k not in omit} | extra
    dictionary = rule.spec.dictionary
    csv_text: str | None = None
    if dictionary is not None:
        if dictionary.entries is not None:
            csv_text = render_dictionary(
                dictionary.entries, orientation=dictionary.orientation, delimiter=dictionary.delimiter
            )
        elif dictionary_text is None:
            raise ValueError(f"rule '{rule.name}': the text of '{dictionary.file}' is needed")
        else:
            csv_text = normalise_text(dictionary_text)
    return dict(sorted(data.items())), csv_text


# --- import -------------------------------------------------------------------------------------

_NAME_BAD = re.compile(r"[^a-z0-9_.-]+")


def rule_name(candidate: str) -> str | None:
    """A valid manifest name from a rule's name or file stem (``"Gender Rule"`` -> ``gender-rule``)."""
    name = _NAME_BAD.sub("-", candidate.strip().lower())
    name = re.sub(r"^[^a-z0-9]+|[^a-z0-9]+$", "", name)[:63]
    name = re.sub(r"[^a-z0-9]+$", "", name)
    return name or None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError('expected true or false (or the strings "true"/"false")')


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError("expected a whole number")


def _words(value: Any) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError("expected a list of strings")


def _choice(options: type[RuleScope] | type[MatchScope]) -> Callable[[Any], str]:
    allowed = [o.value for o in options]

    def convert(value: Any) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        raise ValueError(f"expected one of {', '.join(repr(a) for a in allowed)}")

    return convert


def _text(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    raise ValueError("expected a non-empty string")


_FIELDS: dict[str, Callable[[Any], Any]] = {
    "entity": _text,
    "regex": _text,
    "ruleScope": _choice(RuleScope),
    "matchScope": _choice(MatchScope),
    "completeMatchRegex": _bool,
    "prefix": _words,
    "suffix": _words,
    "contextLength": _int,
    "contextException": _words,
    "exceptionDistance": _int,
    "caseSensitive": _bool,
    "prefixAndSuffixMatch": _bool,
}


def _spec_from(data: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for key, convert in _FIELDS.items():
        if key not in data or (key == "regex" and data[key] in ("", None)):
            continue
        try:
            spec[key] = convert(data[key])
        except ValueError as exc:
            problems.append(f"'{key}': {exc}")
    if "entity" not in data:
        problems.append("'entity' is missing: every rule needs the label it produces")
    return spec


def from_contextual_parser(
    name: str, data: Mapping[str, Any], csv_text: str | None, *, csv_filename: str = ""
) -> tuple[dict[str, Any], str | None]:
    """A Rule manifest (plain data, ready to write as YAML) and its dictionary CSV from a rule's JSON.

    Raises :class:`UserError` naming every problem when the JSON cannot become a valid Rule.
    """
    problems: list[str] = []
    spec = _spec_from(data, problems)
    if csv_text is not None:
        if "regex" in spec:
            problems.append("it has both a 'regex' and a dictionary CSV; a rule is one or the other")
        orientation, delimiter = sniff_dictionary(csv_text, csv_filename)
        dictionary: dict[str, Any] = {"file": f"{DICTIONARY_FOLDER}/{dictionary_filename(name)}"}
        if orientation is not Orientation.HORIZONTAL:
            dictionary["orientation"] = orientation.value
        if delimiter != ",":
            dictionary["delimiter"] = delimiter
        spec["dictionary"] = dictionary
    elif "regex" not in spec:
        problems.append("it has no 'regex' and no dictionary CSV next to it (expected <name>.csv)")
    if spec.get("caseSensitive") is False and "regex" in spec:
        spec.pop("caseSensitive")  # regex rules are always case-sensitive; the value is kept verbatim
    manifest: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": str(Kind.RULE),
        "metadata": {"name": name},
        "spec": {k: spec[k] for k in _ORDER if k in spec},
    }
    rule = _validated(manifest, problems)
    if rule is None or problems:
        raise UserError(f"rule '{name}' cannot be imported: " + "; ".join(problems))
    annotations = _pass_through(_generate(rule), data)
    if annotations:
        manifest["metadata"]["annotations"] = annotations
    return manifest, (normalise_text(csv_text) if csv_text is not None else None)


_ORDER = [
    "entity",
    "regex",
    "dictionary",
    "ruleScope",
    "matchScope",
    "completeMatchRegex",
    "caseSensitive",
    "prefix",
    "suffix",
    "contextLength",
    "contextException",
    "exceptionDistance",
    "prefixAndSuffixMatch",
]


def _validated(manifest: Mapping[str, Any], problems: list[str]) -> RuleManifest | None:
    try:
        return RuleManifest.model_validate(manifest)
    except ValidationError as exc:
        for error in exc.errors():
            where = format_path(tuple(p for p in error["loc"] if isinstance(p, (str, int))))
            problems.append(f"{where}: {error['msg']}")
        return None


def _pass_through(generated: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, str]:
    """The annotations that make export give back ``data`` exactly."""
    extra = {k: v for k, v in data.items() if k not in generated or _canonical(generated[k]) != _canonical(v)}
    omit = sorted(k for k in generated if k not in data)
    out: dict[str, str] = {}
    if extra:
        out[EXTRA_ANNOTATION] = _canonical(dict(sorted(extra.items())))
    if omit:
        out[OMIT_ANNOTATION] = _canonical(omit)
    return out
