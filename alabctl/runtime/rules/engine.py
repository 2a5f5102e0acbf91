"""The native rules engine: a compiled build's regex and dictionary rules, run on plain texts.

``RuleEngine.from_build(build, ["gender", "height"])`` loads ``<build>/rules/<name>.json`` (and a
dictionary rule's file next to it) once: regexes compiled, automata built. ``annotate(text)`` then
returns every rule's chunks. See ``docs/rules.md`` ("How rules run") for every semantic decision.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alabctl.runtime.engine import Chunk
from alabctl.runtime.rules.context import BARE, Context
from alabctl.runtime.rules.dictionary import DictionaryMatcher, parse_entries
from alabctl.runtime.rules.document import Document
from alabctl.runtime.rules.merge import merge_chunks, resolve_rule
from alabctl.runtime.rules.multiscan import Backend, MultiScan, choose_backend
from alabctl.runtime.rules.regex import RegexMatcher
from alabctl.runtime.rules.spec import RuleScope, RuleSpec, read_spec
from alabctl.spec.errors import UserError

__all__ = ["RuleEngine", "merge_chunks"]

log = logging.getLogger(__name__)

_NO_METADATA: Mapping[str, str] = MappingProxyType({})
_MAX_RULE_FILE = 16 << 20
"""A rule JSON or dictionary bigger than this is refused (16 MiB)."""


class _Rule:
    """One loaded rule: its spec, its matcher and its context check."""

    __slots__ = ("context", "dictionary", "regex", "sentence_scope", "spec")

    def __init__(self, spec: RuleSpec, entries: dict[str, list[str]] | None, where: str) -> None:
        self.spec = spec
        self.regex = RegexMatcher(spec, where) if spec.regex is not None else None
        self.dictionary = (
            DictionaryMatcher(entries or {}, case_sensitive=spec.case_sensitive)
            if spec.regex is None
            else None
        )
        self.context = Context(spec) if spec.has_context else None
        self.sentence_scope = spec.rule_scope is RuleScope.SENTENCE


class RuleEngine:
    """Regex and dictionary rules with ContextualParser semantics, loaded once, run on any text."""

    def __init__(self, rules: Sequence[_Rule], *, backend: str = "auto") -> None:
        names = [r.spec.name for r in rules]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            raise UserError(f"rule '{duplicate}' is given twice; each rule name must be unique")
        self._rules = list(rules)
        regex_rules = [(i, r.regex) for i, r in enumerate(self._rules) if r.regex is not None]
        self._scan: MultiScan | None = choose_backend(backend, regex_rules)

    @property
    def backend(self) -> Backend:
        """The regex backend in use: ``re``, or ``hyperscan`` (prefilter, then ``re``)."""
        return Backend.RE if self._scan is None else Backend.HYPERSCAN

    @property
    def rule_names(self) -> list[str]:
        return [r.spec.name for r in self._rules]

    # --- loading ----------------------------------------------------------------------------------

    @classmethod
    def from_specs(
        cls,
        specs: Sequence[Mapping[str, Any]],
        dictionaries: Mapping[str, str] = MappingProxyType({}),
        *,
        backend: str = "auto",
    ) -> RuleEngine:
        """An engine from rule JSON objects (as compiled) and dictionary texts by file name."""
        rules: list[_Rule] = []
        for i, data in enumerate(specs):
            where = f"rule {i + 1}" + (
                f" ('{data['name']}')" if isinstance(data, Mapping) and "name" in data else ""
            )
            spec = read_spec(data, where=where)
            entries = None
            if spec.dictionary is not None:
                if spec.dictionary not in dictionaries:
                    raise UserError(f"{where}: its dictionary '{spec.dictionary}' was not given")
                entries = parse_entries(
                    dictionaries[spec.dictionary],
                    filename=spec.dictionary,
                    orientation=spec.orientation,
                    delimiter=spec.delimiter,
                )
            rules.append(_Rule(spec, entries, where))
        return cls(rules, backend=backend)

    @classmethod
    def from_build(cls, build: Path, rules: Sequence[str], *, backend: str = "auto") -> RuleEngine:
        """An engine for the named rules of a compiled build (``<build>/rules/<name>.json``)."""
        folder = Path(build) / "rules"
        options = _dictionary_options(Path(build))
        specs: list[dict[str, Any]] = []
        texts: dict[str, str] = {}
        for name in rules:
            if not _plain_name(name):
                raise UserError(f"rule name {name!r} is not a plain name (letters, digits, '.', '_', '-')")
            path = folder / f"{name}.json"
            data = _read_json(path)
            data.setdefault("name", name)
            dictionary = data.get("dictionary")
            if isinstance(dictionary, str) and dictionary:
                if not _plain_name(dictionary):
                    raise UserError(
                        f"{path}: 'dictionary' must be a file name in the same folder, not {dictionary!r}"
                    )
                texts[dictionary] = _read_text(folder / dictionary)
                if f"rules/{name}.json" in options and "dictionaryOptions" not in data:
                    data["dictionaryOptions"] = options[f"rules/{name}.json"]
            specs.append(data)
        return cls.from_specs(specs, texts, backend=backend)

    # --- running ----------------------------------------------------------------------------------

    def annotate(self, text: str) -> list[Chunk]:
        """Every rule's chunks, each rule's overlaps resolved, sorted by ``(start, end)``.

        Never raises: a text that is not a string finds nothing, and a rule that fails on a text
        (which would be a bug) is logged and finds nothing there.
        """
        if not isinstance(text, str) or not text:
            return []
        doc = Document(text)
        scan = self._scan
        hints = scan.scan(text) if scan is not None else None
        out: list[Chunk] = []
        for i, rule in enumerate(self._rules):
            hint = None
            if hints is not None and scan is not None and i in scan.indices:
                hint = hints.get(i, _NONE)
            try:
                out.extend(self._run(rule, doc, hint))
            except Exception:  # one rule's bug must not lose the other rules' chunks
                log.exception("rule '%s' failed on a text of %d characters", rule.spec.name, len(text))
        if len(self._rules) > 1:
            out.sort(key=lambda c: (c.start, c.end))
        return out

    @staticmethod
    def _run(rule: _Rule, doc: Document, hint: Sequence[int] | None) -> list[Chunk]:
        spec = rule.spec
        text = doc.text
        normalized: dict[tuple[int, int], str] = {}
        if rule.regex is not None:
            spans = rule.regex.find(doc, hint)
        else:
            assert rule.dictionary is not None
            spans = []
            for s, e, norm in rule.dictionary.find(doc):
                if rule.sentence_scope and " " in text[s:e] and doc.sentence_span(s, e) is None:
                    continue  # a multi-token entry never crosses a sentence end in sentence scope
                spans.append((s, e))
                normalized[(s, e)] = norm
        if not spans:
            return []
        chunks: list[Chunk] = []
        label = spec.entity
        name = spec.name
        context = rule.context
        for s, e in spans:
            score = BARE if context is None else context.score(doc, s, e)
            if score is None:
                continue
            chunks.append(Chunk(s, e, text[s:e], label, score, name, normalized.get((s, e)), _NO_METADATA))
        return resolve_rule(chunks)


_NONE: tuple[int, ...] = ()


def _plain_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and all(c.isalnum() or c in "._-" for c in name)


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > _MAX_RULE_FILE:
            raise UserError(f"{path} is bigger than {_MAX_RULE_FILE >> 20} MiB; is it the right file?")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(
            f"{path} does not exist; compile the build again ('alabctl compile --out ...')"
        ) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UserError(f"{path} cannot be read: {exc.strerror}") from None


def _read_json(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: a rule file holds one JSON object, not {type(data).__name__}")
    return data


def _dictionary_options(build: Path) -> dict[str, dict[str, str]]:
    """``{"rules/<name>.json": {"orientation", "delimiter"}}`` from the build's pipelines, where given."""
    out: dict[str, dict[str, str]] = {}
    servers = build / "servers"
    if not servers.is_dir():
        return out
    for pipeline in sorted(servers.glob("*/pipeline.json")):
        try:
            data = json.loads(pipeline.read_text(encoding="utf-8"))
            for stage in data.get("stages", []):
                params = stage.get("params", {})
                json_path, dictionary = params.get("jsonPath"), params.get("dictionary")
                if isinstance(json_path, str) and isinstance(dictionary, dict):
                    given = dictionary.get("options", {})
                    out[json_path] = {
                        k: str(v) for k, v in given.items() if k in ("orientation", "delimiter")
                    }
        except (OSError, ValueError, AttributeError):
            continue  # the pipeline's own reader reports a broken file; options are then guessed
    return out
