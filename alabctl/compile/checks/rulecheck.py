"""The rule checks of SPEC §3 item 9, as located diagnostics.

For every Rule resource, in order:

1. the regex: :func:`~alabctl.compile.checks.regexcheck.check_regex` (compiles, portable Java/Python,
   no catastrophic backtracking), plus a warning when a sentence-scope regex needs whitespace;
2. the dictionary: the file (read here; a missing or escaping file is already reported by
   :mod:`alabctl.spec.refs`) or the inline entries, through :mod:`alabctl.compile.dictionary`;
   multi-word entries need ``ruleScope: document`` with ``matchScope: sub-token``;
3. prefix, suffix and contextException entries are single tokens;
4. the import pass-through annotations (:mod:`alabctl.compile.contextual`) are well-formed.

Pure: reads dictionary files, writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from alabctl.compile.checks.regexcheck import (
    Atom,
    Group,
    Item,
    RegexFinding,
    chars_of,
    check_regex,
    parse_regex,
)
from alabctl.compile.contextual import EXTRA_ANNOTATION, OMIT_ANNOTATION, read_annotations
from alabctl.compile.dictionary import UNREADABLE, ParsedDictionary, check_entries, parse_dictionary
from alabctl.compile.memo import Memo
from alabctl.spec.diagnostics import Diagnostic, Severity
from alabctl.spec.diagnostics import Path as NodePath
from alabctl.spec.kinds.rule import MatchScope, Orientation, RuleManifest, RuleScope
from alabctl.spec.loader import Origin
from alabctl.spec.names import Kind
from alabctl.spec.readfile import FileKind, FileReadError, read_bytes
from alabctl.spec.refs import check_file
from alabctl.spec.repository import Repository
from alabctl.spec.schema import Resource

SENTENCE_WHITESPACE = "ALB333"
NOT_A_TOKEN = "ALB341"
MULTI_WORD = "ALB342"
VERTICAL_ENTRIES = "ALB343"
ANNOTATION = "ALB345"

MAX_DICTIONARY_BYTES = 16 * 1024 * 1024
_WHITESPACE = frozenset(" \t\n\r\f\v")


def check_rules(repo: Repository, memo: Memo | None = None) -> list[Diagnostic]:
    """Every rule problem of SPEC §3 item 9 in the repository (regex analyses reused from ``memo``)."""
    out: list[Diagnostic] = []
    for resource in repo.of_kind(Kind.RULE):
        rule = resource.manifest
        assert isinstance(rule, RuleManifest)
        out.extend(_check_regex(resource.origin, rule, memo))
        out.extend(_check_dictionary(resource, rule, repo.root))
        out.extend(_check_context_words(resource.origin, rule))
        out.extend(_check_annotations(resource.origin, rule))
    return out


# --- regex --------------------------------------------------------------------------------------


def _regex_diagnostic(origin: Origin, finding: RegexFinding) -> Diagnostic:
    return origin.diagnostic(
        finding.code,
        finding.summary,
        f"at offset {finding.offset}: {finding.detail}",
        ("spec", "regex"),
        severity=finding.severity,
    )


def _is_count(value: object, *, optional: bool = False) -> bool:
    return (optional and value is None) or (
        isinstance(value, int) and not isinstance(value, bool) and value >= 0
    )


def _well_formed(finding: RegexFinding) -> bool:
    """Whether a finding read from the memo has the types this code writes."""
    texts = (finding.code, finding.summary, finding.detail)
    return all(isinstance(t, str) for t in texts) and _is_count(finding.offset) and _is_count(finding.length)


def analyse_regex(pattern: str, memo: Memo | None = None) -> tuple[list[RegexFinding], int | None]:
    """The pattern's findings and where it needs whitespace: pure, so kept in ``memo`` by the pattern."""
    key = "re:" + hashlib.sha256(pattern.encode()).hexdigest()
    cached = memo.get(key) if memo is not None else None
    if isinstance(cached, dict):
        try:
            found = [
                RegexFinding(**{**row, "severity": Severity(row["severity"])}) for row in cached["findings"]
            ]
            offset = cached["whitespace"]
            if _is_count(offset, optional=True) and all(_well_formed(f) for f in found):
                return found, offset
        except (KeyError, TypeError, ValueError):
            pass  # not the shape this code writes: recompute (and overwrite) below
    findings = check_regex(pattern)
    offset = None if findings else whitespace_offset(pattern)
    if memo is not None:
        memo.put(key, {"findings": [f._asdict() for f in findings], "whitespace": offset})
    return findings, offset


def _check_regex(origin: Origin, rule: RuleManifest, memo: Memo | None = None) -> Iterator[Diagnostic]:
    pattern = rule.spec.regex
    if pattern is None:
        return
    findings, offset = analyse_regex(pattern, memo)
    for finding in findings:
        yield _regex_diagnostic(origin, finding)
    if findings or rule.spec.rule_scope is not RuleScope.SENTENCE:
        return
    if offset is not None:
        yield origin.diagnostic(
            SENTENCE_WHITESPACE,
            "regex needs whitespace but 'ruleScope: sentence' tests one token at a time",
            f"at offset {offset}: tokens contain no whitespace, so this part never matches; set "
            "'ruleScope: document' (with 'matchScope: sub-token') to match across tokens",
            ("spec", "regex"),
            severity=Severity.WARNING,
        )


def whitespace_offset(pattern: str) -> int | None:
    """Where a pattern requires a whitespace character (outside optional parts), or None."""
    return _required_whitespace(parse_regex(pattern))


def _required_whitespace(branches: tuple[tuple[Item, ...], ...]) -> int | None:
    for branch in branches:
        for item in branch:
            if item.low == 0:
                continue
            node = item.node
            if isinstance(node, Group):
                if node.kind in ("lookahead", "lookbehind"):
                    continue
                found = _required_whitespace(node.branches)
                if found is not None:
                    return found
            elif _is_whitespace_atom(node, chars_of(node)):
                return node.start
    return None


def _is_whitespace_atom(atom: Atom, chars: frozenset[str]) -> bool:
    """A space, ``\\s`` or a class of spaces and punctuation: not ``.``, ``\\W`` or ``[^...]``."""
    if atom.negated or atom.text in (".", "\\W", "\\D") or " " not in chars:
        return False
    return not any(c.isalnum() for c in chars)


# --- dictionary ---------------------------------------------------------------------------------


def _check_dictionary(resource: Resource, rule: RuleManifest, root: Path) -> Iterator[Diagnostic]:
    dictionary = rule.spec.dictionary
    if dictionary is None:
        return
    origin = resource.origin
    if dictionary.entries is not None:
        base: NodePath = ("spec", "dictionary", "entries")
        for finding in check_entries(dictionary.entries):
            yield origin.diagnostic(
                finding.code,
                finding.summary,
                finding.detail,
                (*base, *finding.path),
                key=len(finding.path) == 1,
                severity=finding.severity,
            )
        if dictionary.orientation is Orientation.VERTICAL and len(dictionary.entries) > 1:
            yield origin.diagnostic(
                VERTICAL_ENTRIES,
                f"a vertical dictionary holds one entry, these entries have {len(dictionary.entries)}",
                "remove 'orientation: vertical' (inline entries need no orientation)",
                ("spec", "dictionary", "orientation"),
            )
        yield from _multi_word(origin, rule, [w for ws in dictionary.entries.values() for w in ws])
        return
    assert dictionary.file is not None
    if check_file(origin, root, dictionary.file, ("spec", "dictionary", "file"), "dictionary file"):
        return  # reported by alabctl.spec.refs
    text, problem = read_dictionary(origin.directory / dictionary.file)
    path: NodePath = ("spec", "dictionary", "file")
    if text is None:
        yield origin.diagnostic(
            UNREADABLE, f"dictionary file '{dictionary.file}' cannot be read", problem, path
        )
        return
    parsed = parse_dictionary(text, orientation=dictionary.orientation, delimiter=dictionary.delimiter)
    yield from _file_findings(origin, dictionary.file, parsed)
    yield from _multi_word(origin, rule, parsed.words())


def read_dictionary(path: Path) -> tuple[str | None, str]:
    """A dictionary file's text, or None and why not."""
    try:
        raw = read_bytes(path, FileKind.DICTIONARY, limit=MAX_DICTIONARY_BYTES)
    except FileReadError as exc:
        return None, f"{exc.reason}; {exc.hint or 'check that it is a readable file'}"
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return None, f"byte {exc.start} is not UTF-8; save the file as UTF-8"


def _file_findings(origin: Origin, file: str, parsed: ParsedDictionary) -> Iterator[Diagnostic]:
    for finding in parsed.findings:
        yield origin.diagnostic(
            finding.code,
            f"{finding.summary} ({file} line {finding.line})",
            f"{file}:{finding.line}: {finding.detail}",
            ("spec", "dictionary", "file"),
            severity=finding.severity,
        )


def _multi_word(origin: Origin, rule: RuleManifest, words: list[str]) -> Iterator[Diagnostic]:
    spec = rule.spec
    multi = [w for w in words if any(c in _WHITESPACE for c in w.strip())]
    if not multi or (spec.rule_scope is RuleScope.DOCUMENT and spec.match_scope is MatchScope.SUB_TOKEN):
        return
    path: NodePath = ("spec", "ruleScope") if origin.exists(("spec", "ruleScope")) else ("spec", "dictionary")
    more = f" and {len(multi) - 1} more" if len(multi) > 1 else ""
    yield origin.diagnostic(
        MULTI_WORD,
        f"multi-word dictionary entry '{multi[0]}'{more} cannot match with this scope",
        "ContextualParser matches entries with spaces only with 'ruleScope: document' and "
        "'matchScope: sub-token'; set both, or keep single-word entries",
        path,
        severity=Severity.WARNING,
    )


# --- context words, annotations -----------------------------------------------------------------


def _check_context_words(origin: Origin, rule: RuleManifest) -> Iterator[Diagnostic]:
    spec = rule.spec
    for field, words in (
        ("prefix", spec.prefix),
        ("suffix", spec.suffix),
        ("contextException", spec.context_exception),
    ):
        for i, word in enumerate(words):
            if word.strip() and not any(c in _WHITESPACE for c in word):
                continue
            yield origin.diagnostic(
                NOT_A_TOKEN,
                f"{field} entry '{word}' is not a single token",
                f"each {field} entry is compared with one token, as in Annotation Lab; "
                + (
                    f"split it into separate entries: {', '.join(repr(w) for w in word.split())}"
                    if word.split()
                    else "remove the blank entry"
                ),
                ("spec", field, i),
            )


def _check_annotations(origin: Origin, rule: RuleManifest) -> Iterator[Diagnostic]:
    try:
        read_annotations(rule.metadata.annotations)
    except ValueError as exc:
        key = EXTRA_ANNOTATION if EXTRA_ANNOTATION in str(exc) else OMIT_ANNOTATION
        yield origin.diagnostic(
            ANNOTATION,
            f"annotation '{key}' is malformed",
            f"{exc}; it is written by 'alabctl rules import' to restore the original JSON on export: "
            "fix it or delete it",
            ("metadata", "annotations", key),
        )
