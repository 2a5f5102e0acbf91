"""One rule as the engine runs it, read from its compiled ContextualParser JSON (checked, never trusted)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from alabctl.spec.errors import UserError


class RuleScope(StrEnum):
    """What a regex is tested against, and where context is looked for."""

    SENTENCE = "sentence"
    """Each token on its own; context within the match's sentence."""
    DOCUMENT = "document"
    """The whole text (a match may span tokens and sentences); context anywhere in the text."""


class MatchScope(StrEnum):
    """What a regex match returns."""

    TOKEN = "token"
    """The whole tokens the match touches."""
    SUB_TOKEN = "sub-token"
    """Only the matched characters."""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """The fields of one compiled rule that shape what it finds."""

    name: str
    entity: str
    regex: str | None = None
    dictionary: str | None = None
    """The dictionary file's name (next to the rule's JSON in the build's ``rules/``)."""
    rule_scope: RuleScope = RuleScope.SENTENCE
    match_scope: MatchScope = MatchScope.TOKEN
    complete_match: bool = False
    case_sensitive: bool = True
    prefix: tuple[str, ...] = ()
    suffix: tuple[str, ...] = ()
    context_length: int = 100
    context_exception: tuple[str, ...] = ()
    exception_distance: int = 40
    prefix_and_suffix: bool = False
    orientation: str = ""
    """``horizontal`` | ``vertical`` | empty (guess from the file)."""
    delimiter: str = ""
    """The dictionary's delimiter; empty: guess from the file."""

    @property
    def has_context(self) -> bool:
        return bool(self.prefix or self.suffix or self.context_exception)


def _bool(data: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise UserError(f"{where}: '{key}' must be true or false, not {value!r}")


def _int(data: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = data.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise UserError(f"{where}: '{key}' must be a whole number >= 0, not {value!r}")


def _words(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    raise UserError(f"{where}: '{key}' must be a list of non-empty words, not {value!r}")


def _choice(data: Mapping[str, Any], key: str, kind: type[RuleScope] | type[MatchScope], where: str) -> str:
    value = data.get(key, next(iter(kind)).value)
    allowed = [k.value for k in kind]
    if value not in allowed:
        raise UserError(f"{where}: '{key}' must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UserError(f"{where}: '{key}' must be a string, not {value!r}")
    return value


def read_spec(data: Any, *, where: str, fallback_name: str = "") -> RuleSpec:
    """A :class:`RuleSpec` from a rule's JSON object; :class:`UserError` naming the field otherwise."""
    if not isinstance(data, Mapping):
        raise UserError(f"{where}: a rule is a JSON object, not {type(data).__name__}")
    name = _text(data, "name", where) or fallback_name
    entity = _text(data, "entity", where)
    if not name:
        raise UserError(f"{where}: the rule has no 'name'")
    if entity is None:
        raise UserError(f"{where}: the rule has no 'entity' (the label it produces)")
    regex = _text(data, "regex", where)
    dictionary = _text(data, "dictionary", where)
    if (regex is None) == (dictionary is None):
        raise UserError(
            f"{where}: a rule has either a 'regex' or a 'dictionary' file name, not both or neither"
        )
    options = data.get("dictionaryOptions", {})
    if not isinstance(options, Mapping):
        options = {}
    return RuleSpec(
        name=name,
        entity=entity,
        regex=regex,
        dictionary=dictionary,
        rule_scope=RuleScope(_choice(data, "ruleScope", RuleScope, where)),
        match_scope=MatchScope(_choice(data, "matchScope", MatchScope, where)),
        complete_match=_bool(data, "completeMatchRegex", False, where),
        # regex rules are always case-sensitive, as in Annotation Lab
        case_sensitive=True if regex is not None else _bool(data, "caseSensitive", True, where),
        prefix=_words(data, "prefix", where),
        suffix=_words(data, "suffix", where),
        context_length=_int(data, "contextLength", 100, where),
        context_exception=_words(data, "contextException", where),
        exception_distance=_int(data, "exceptionDistance", 40, where),
        prefix_and_suffix=_bool(data, "prefixAndSuffixMatch", False, where),
        orientation=str(options.get("orientation", "")),
        delimiter=str(options.get("delimiter", "")),
    )
