"""The native rules engine: a compiled build's regex and dictionary rules, run on plain texts.

``RuleEngine.from_build(build, ["gender", "height"])`` loads ``<build>/rules/<name>.json`` (and a
dictionary rule's file next to it) once: regexes compiled, automata built. ``annotate(text)`` then
returns every rule's chunks. See ``docs/rules.md`` ("How rules run") for every semantic decision.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alabctl.runtime.engine import Chunk
from alabctl.runtime.rules.chunks import NO_METADATA, hit_chunks, hit_chunks_into, make_chunk, rule_chunks
from alabctl.runtime.rules.context import BARE, Context
from alabctl.runtime.rules.dictionary import DictionaryMatcher, Hit, parse_entries
from alabctl.runtime.rules.document import Document
from alabctl.runtime.rules.merge import merge_chunks, resolve_rule
from alabctl.runtime.rules.multiscan import Backend, MultiScan, choose_backend
from alabctl.runtime.rules.regex import Hint, RegexMatcher
from alabctl.runtime.rules.spec import MatchScope, RuleScope, RuleSpec, read_spec
from alabctl.spec.errors import UserError

__all__ = ["RuleEngine", "merge_chunks"]

log = logging.getLogger(__name__)

_NO_HITS: list[Hit] = []
_NO_RULES: Mapping[int, list[Hit]] = MappingProxyType({})

_MAX_RULE_FILE = 16 << 20
"""A rule JSON or dictionary bigger than this is refused (16 MiB)."""


class _Rule:
    """One loaded rule: its spec, its matcher and its context check."""

    __slots__ = (
        "context",
        "dictionary",
        "label",
        "name",
        "plain",
        "regex",
        "sentence_scope",
        "spec",
        "width",
    )

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
        self.plain = (
            self.regex is not None
            and self.context is None
            and not self.sentence_scope
            and spec.match_scope is MatchScope.SUB_TOKEN
            and not spec.complete_match
        )
        """A document-scope sub-token regex without context: its matches are its chunks."""
        self.label = spec.entity
        self.name = spec.name
        self.width = self.regex.width if self.regex is not None else None
        """The longest a match can be (None: unbounded, or not a regex rule)."""

    def run(self, doc: Document, hint: Hint | None) -> list[Chunk]:
        """This rule's chunks in ``doc`` (``hint``: where its matches can end, from a prefilter)."""
        text = doc.text
        if self.regex is not None:
            spans = self.regex.find(doc, hint)
            if not spans:
                return []
            if self.context is None and self.regex.disjoint:  # already in order, without overlaps
                label, name = self.label, self.name
                return [make_chunk(s, e, text[s:e], label, BARE, name, None, NO_METADATA) for s, e in spans]
            return _chunks(self, doc, spans, None)
        assert self.dictionary is not None
        return self.chunks_of_hits(doc, self.dictionary.find(doc))

    def chunks_of_hits(self, doc: Document, hits: list[Hit]) -> list[Chunk]:
        """A dictionary rule's chunks from its hits in ``doc``."""
        if not hits:
            return []
        text = doc.text
        if self.sentence_scope:
            # a multi-token entry never crosses a sentence end in sentence scope
            hits = [
                h
                for h in hits
                if not _may_cross(text, h[0], h[1]) or doc.sentence_span(h[0], h[1]) is not None
            ]
        if self.context is None:  # the common case, kept tight: hits are already disjoint and in order
            label, name = self.label, self.name
            return hit_chunks(text, hits, label, name)
        return _chunks(self, doc, [(s, e) for s, e, _ in hits], [norm for _, _, norm in hits])


class RuleEngine:
    """Regex and dictionary rules with ContextualParser semantics, loaded once, run on any text."""

    def __init__(self, rules: Sequence[_Rule], *, backend: str = "auto") -> None:
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                raise UserError(f"rule '{rule.name}' is given twice; each rule name must be unique")
            seen.add(rule.name)
        self._rules = list(rules)
        self._rank = {r.spec.name: i for i, r in enumerate(self._rules)}
        regex_rules = [(i, r.regex) for i, r in enumerate(self._rules) if r.regex is not None]
        self._scan: MultiScan | None = choose_backend(backend, regex_rules)
        scanned = self._scan.indices if self._scan is not None else frozenset()
        self._exact = self._scan.exact if self._scan is not None else frozenset()
        self._unscanned = [(i, r) for i, r in enumerate(self._rules) if i not in scanned]
        self._searches = [r.regex.search if r.plain and r.regex is not None else None for r in self._rules]
        """A plain regex rule's ``search``, by rule index (None for the others)."""
        self._widths = [r.width for r in self._rules]
        self._labels = [r.label for r in self._rules]
        self._names = [r.name for r in self._rules]
        self._batched = [i for i, r in enumerate(self._rules) if r.dictionary is not None]
        """The dictionary rules: :meth:`annotate_many` scans a batch of texts at once for each."""

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
            data["name"] = (
                name  # the build's name for it (a JSON imported from Annotation Lab may say otherwise)
            )
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
        """Every rule's chunks, each rule's overlaps resolved, sorted by ``(start, end)`` (then rule order).

        Never raises: a text that is not a string finds nothing, and a rule that fails on a text
        (which would be a bug) is logged and finds nothing there.
        """
        if not isinstance(text, str) or not text:
            return []
        return self._annotate(text, None)

    def _annotate(self, text: str, given: Mapping[int, list[Hit]] | None) -> list[Chunk]:
        """:meth:`annotate` on a non-empty text; ``given``: the dictionary rules' hits, by rule
        index, when they were found already (a rule missing there found nothing)."""
        scan = self._scan
        hints = scan.scan(text) if scan is not None else None
        if hints is not None:
            return self._prefiltered(text, given, hints)
        doc = Document(text)
        out: list[Chunk] = []
        for r, rule in enumerate(self._rules):
            try:
                if given is None or rule.dictionary is None:
                    found = rule.run(doc, None)
                else:
                    found = rule.chunks_of_hits(doc, given.get(r, _NO_HITS))
            except Exception:  # one rule's bug must not lose the other rules' chunks
                _failed(rule, text)
                continue
            if not out:
                out = found
            elif found:
                out.extend(found)
        if len(out) > 1 and len(self._rules) > 1:
            rank = self._rank
            out.sort(key=lambda c: (c.start, c.end, rank[c.source]))
        return out

    def _prefiltered(
        self, text: str, given: Mapping[int, list[Hit]] | None, hints: Mapping[int, Hint]
    ) -> list[Chunk]:
        """:meth:`_annotate` once the prefilter read the text: the rules it covers run only where
        it saw a match; a plain rule's spans are its chunks, gathered as (start, end, rule index)
        and made into chunks once sorted."""
        doc: Document | None = None  # made for the rules that need more than their matches
        out: list[Chunk] = []
        if self._unscanned:
            doc = Document(text)
            for r, rule in self._unscanned:
                hits = None if given is None or rule.dictionary is None else given.get(r, _NO_HITS)
                out.extend(self._guarded(rule, doc, None, hits))
        rules = self._rules
        searches = self._searches
        plain: list[tuple[int, int, int]] = []
        widths = self._widths
        exact = self._exact
        for i, ends in hints.items():
            search = searches[i]
            try:
                if search is not None and len(ends) == 1:  # one place a match can end: one search
                    e, lowest = ends[0]
                    if i in exact and lowest >= 0:  # it is the match (see ``MultiScan.exact``)
                        plain.append((lowest, e, i))
                        continue
                    width = widths[i]
                    m = search(text, lowest if width is None or lowest > e - width else e - width)
                    if m is not None:
                        plain.append((m.start(), m.end(), i))
                    continue
                rule = rules[i]
                if search is not None and rule.regex is not None:
                    plain.extend([(s, e, i) for s, e in rule.regex.confirmed(text, ends)])
                else:
                    doc = doc or Document(text)
                    out.extend(rule.run(doc, ends))
            except Exception:  # one rule's bug must not lose the other rules' chunks
                _failed(rules[i], text)
        if len(plain) > 1:
            plain.sort()
        made = rule_chunks(text, plain, self._labels, self._names)
        if out:
            rank = self._rank
            made.extend(out)
            made.sort(key=lambda c: (c.start, c.end, rank[c.source]))
        return made

    def annotate_many(self, texts: Sequence[str]) -> list[list[Chunk]]:
        """:meth:`annotate` for each text, the same chunks; dictionary rules scan all the texts at
        once, so does the hyperscan prefilter when it may (:attr:`MultiScan.joinable`), and a text
        none of the rules can match costs next to nothing."""
        scan = self._scan if self._scan is not None and self._scan.joinable else None
        if not self._batched and scan is None:
            return [self.annotate(text) for text in texts]
        out: list[list[Chunk]] = [[] for _ in texts]
        todo: Sequence[int]
        if _all_readable(texts):
            todo, readable = range(len(texts)), texts
        else:
            todo = [i for i, text in enumerate(texts) if isinstance(text, str) and text]
            readable = [texts[i] for i in todo]
        rules = self._rules
        if len(rules) == 1 and self._batched and rules[0].context is None and not rules[0].sentence_scope:
            # one plain dictionary rule (the common case, kept tight): its hits are its chunks
            rule = rules[0]
            label, name = rule.label, rule.name
            if isinstance(todo, range):  # every text is readable: ``out`` is by the same index
                hit_chunks_into(out, readable, self._batch_hits(0, readable), label, name)
                return out
            for j, hits in self._batch_hits(0, readable).items():
                out[todo[j]] = hit_chunks(readable[j], hits, label, name)
            return out
        found: dict[int, dict[int, list[Hit]]] = {}  # text index -> rule index -> hits
        for r in self._batched:
            for j, hits in self._batch_hits(r, readable).items():
                found.setdefault(todo[j], {})[r] = hits
        if scan is not None:
            return self._prefiltered_many(scan, texts, todo, readable, found, out)
        if len(self._batched) == len(rules):  # only the texts with hits need any more work
            for i, by_rule in found.items():
                out[i] = self._annotate(texts[i], by_rule)
            return out
        for i in todo:
            out[i] = self._annotate(texts[i], found.get(i, _NO_RULES))
        return out

    def _prefiltered_many(
        self,
        scan: MultiScan,
        texts: Sequence[str],
        todo: Sequence[int],
        readable: Sequence[str],
        found: Mapping[int, Mapping[int, list[Hit]]],
        out: list[list[Chunk]],
    ) -> list[list[Chunk]]:
        """:meth:`annotate_many` once the dictionary rules ran, the prefilter reading all the texts
        in one pass; a text where no rule can match (no hint, no hit, no rule outside the
        prefilter) costs nothing more."""
        given: Mapping[int, list[Hit]] | None = None
        batched, unscanned = bool(self._batched), bool(self._unscanned)
        hinted: Iterable[Mapping[int, Hint] | None]
        try:
            hinted = scan.scan_many(readable)
        except Exception:  # as one text's: every rule then runs text by text
            log.exception("the prefilter failed on a batch of %d texts", len(readable))
            hinted = [None] * len(readable)
        for j, hints in enumerate(hinted):
            i = todo[j]
            if batched:
                given = found.get(i, _NO_RULES)
            if hints is None:  # not ASCII: ``re`` alone
                out[i] = self._annotate(texts[i], given)
            elif hints or unscanned:
                out[i] = self._prefiltered(texts[i], given, hints)
        return out

    def _batch_hits(self, r: int, texts: Sequence[str]) -> dict[int, list[Hit]]:
        """Dictionary rule ``r``'s hits in ``texts``, by text index (none when it fails, logged)."""
        rule = self._rules[r]
        assert rule.dictionary is not None
        try:
            return rule.dictionary.find_many(texts)
        except Exception:  # one rule's bug must not lose the other rules' chunks
            log.exception("rule '%s' failed on a batch of %d texts", rule.name, len(texts))
            return {}

    def _guarded(
        self, rule: _Rule, doc: Document, hint: Hint | None, hits: list[Hit] | None = None
    ) -> list[Chunk]:
        try:
            return rule.run(doc, hint) if hits is None else rule.chunks_of_hits(doc, hits)
        except Exception:  # one rule's bug must not lose the other rules' chunks
            _failed(rule, doc.text)
            return []


def _failed(rule: _Rule, text: str) -> None:
    log.exception("rule '%s' failed on a text of %d characters", rule.name, len(text))


def _all_readable(texts: Sequence[object]) -> bool:
    """Whether every one of ``texts`` is a non-empty string (checked in C: ``join`` refuses anything
    else, ``all`` an empty one)."""
    try:
        "".join(texts)  # type: ignore[arg-type]
    except TypeError:
        return False
    return all(texts)


def _may_cross(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` may hold a sentence end (one needs ``.``, ``!``, ``?`` or a line break)."""
    part = text[start:end]
    return "." in part or "!" in part or "?" in part or "\n" in part


def _chunks(
    rule: _Rule, doc: Document, spans: Sequence[tuple[int, int]], normalized: Sequence[str] | None
) -> list[Chunk]:
    """Chunks for a rule's spans whose context allows them, overlaps resolved."""
    if not spans:
        return []
    text = doc.text
    spec = rule.spec
    label, name, context = spec.entity, spec.name, rule.context
    chunks: list[Chunk] = []
    for i, (s, e) in enumerate(spans):
        score = BARE if context is None else context.score(doc, s, e)
        if score is not None:
            norm = None if normalized is None else normalized[i]
            chunks.append(make_chunk(s, e, text[s:e], label, score, name, norm, NO_METADATA))
    return resolve_rule(chunks)


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
