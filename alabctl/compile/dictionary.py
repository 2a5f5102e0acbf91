"""Dictionary files of dictionary rules: parse, check and write them (ContextualParser CSV/TSV).

Two layouts, as in Spark NLP for Healthcare's ContextualParser:

- *horizontal*: one row per entry, ``normalized,word1,word2,...``;
- *vertical*: the normalized value on the first line, then one word per line.

:func:`parse_dictionary` reads a file's text into ``{normalized: [words]}`` and reports, by file line,
empty entries, a delimiter that looks wrong, duplicates and stray spaces. :func:`check_entries` does
the same for inline ``entries``; :func:`render_dictionary` writes entries back as CSV text;
:func:`sniff_dictionary` guesses the layout of a file that came without one (rule import).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from alabctl.spec.diagnostics import Path, Severity
from alabctl.spec.kinds.rule import Orientation

UNREADABLE = "ALB335"
EMPTY = "ALB336"
DELIMITER = "ALB337"
DUPLICATE = "ALB338"
SPACES = "ALB339"
MALFORMED = "ALB340"

_OTHER_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


class DictionaryFinding(NamedTuple):
    """A problem in a dictionary: at a file ``line`` (1-based), or at an inline entry's node ``path``."""

    code: str
    severity: Severity
    summary: str
    detail: str
    line: int = 0
    path: Path = ()


@dataclass(frozen=True)
class ParsedDictionary:
    """Entries in file order (duplicates merged) and what was wrong on the way."""

    entries: dict[str, list[str]] = field(default_factory=dict)
    findings: tuple[DictionaryFinding, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def words(self) -> list[str]:
        return [w for words in self.entries.values() for w in words]


def normalise_text(text: str) -> str:
    """No BOM, ``\\n`` line ends, exactly one final newline (empty stays empty)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.rstrip("\n")
    return stripped + "\n" if stripped else ""


def _rows(text: str, delimiter: str) -> tuple[list[tuple[int, list[str]]], DictionaryFinding | None]:
    """Non-blank rows with the file line each starts on; stops at the first CSV syntax error."""
    reader = csv.reader(io.StringIO(normalise_text(text)), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows, None
        except csv.Error as exc:
            return rows, DictionaryFinding(
                MALFORMED,
                Severity.ERROR,
                "dictionary line does not parse",
                f"{exc}; check the quotes on this line (a '\"' opens a quoted value that must be closed)",
                reader.line_num or line,
            )
        if len(row) > 1 or (row and row[0] != ""):
            rows.append((line, row))
        line = reader.line_num + 1


def parse_dictionary(
    text: str, *, orientation: Orientation = Orientation.HORIZONTAL, delimiter: str = ","
) -> ParsedDictionary:
    """``{normalized: [words]}`` from a dictionary file's text, with findings by file line."""
    rows, broken = _rows(text, delimiter)
    findings: list[DictionaryFinding] = [broken] if broken else []
    if orientation is Orientation.VERTICAL:
        pairs, problems = _vertical(rows, delimiter)
    else:
        pairs, problems = _horizontal(rows, delimiter)
    findings.extend(problems)
    entries, merged = _merge(pairs)
    findings.extend(merged)
    if not entries and not findings:
        findings.append(
            DictionaryFinding(
                EMPTY,
                Severity.ERROR,
                "dictionary has no entries",
                "write one entry per row: normalized,word1,word2 (or, vertical: the normalized value, then "
                "one word per line)",
                1,
            )
        )
    return ParsedDictionary(entries, tuple(sorted(findings, key=lambda f: (f.line, f.code))))


def _horizontal(
    rows: list[tuple[int, list[str]]], delimiter: str
) -> tuple[list[tuple[int, str, list[str]]], list[DictionaryFinding]]:
    pairs: list[tuple[int, str, list[str]]] = []
    findings: list[DictionaryFinding] = []
    wrong = _wrong_delimiter(rows, delimiter)
    if wrong is not None:
        return [], [wrong]
    for line, row in rows:
        findings.extend(_cell_findings(line, row))
        normalized, words = row[0].strip(), [w.strip() for w in row[1:] if w.strip()]
        if not normalized:
            continue
        if not words and len(row) == 1:  # empty cells are reported above
            findings.append(
                DictionaryFinding(
                    EMPTY,
                    Severity.ERROR,
                    f"entry '{normalized}' has no words",
                    f"a horizontal row is normalized{delimiter}word1{delimiter}word2...; add the words that "
                    f"map to '{normalized}' (repeat '{normalized}' if it should match itself) or delete the row",
                    line,
                )
            )
            continue
        if words:
            pairs.append((line, normalized, words))
    return pairs, findings


def _cell_findings(line: int, row: list[str]) -> list[DictionaryFinding]:
    out: list[DictionaryFinding] = []
    for i, cell in enumerate(row):
        what = "normalized value" if i == 0 else f"word {i}"
        if not cell.strip():
            out.append(
                DictionaryFinding(
                    EMPTY,
                    Severity.ERROR,
                    f"empty {what}",
                    f"cell {i + 1} is empty (two delimiters in a row, or one at the end of the line); "
                    "ContextualParser would match an empty string: remove the extra delimiter",
                    line,
                )
            )
        elif cell != cell.strip():
            out.append(
                DictionaryFinding(
                    SPACES,
                    Severity.WARNING,
                    f"{what} '{cell.strip()}' has surrounding spaces",
                    "spaces are part of the value and will not match a token; remove them "
                    "(no space after the delimiter)",
                    line,
                )
            )
    return out


def _wrong_delimiter(rows: list[tuple[int, list[str]]], delimiter: str) -> DictionaryFinding | None:
    single = [(line, row[0]) for line, row in rows if len(row) == 1]
    if not rows or len(single) != len(rows):
        return None
    for other, name in _OTHER_DELIMITERS.items():
        if other != delimiter and all(other in cell for _, cell in single):
            mine = _OTHER_DELIMITERS.get(delimiter, repr(delimiter))
            return DictionaryFinding(
                DELIMITER,
                Severity.ERROR,
                f"rows are {name}-separated but the delimiter is {mine}",
                f"no row contains the {mine} delimiter and every row contains a {name}; set "
                f"'delimiter: {other!r}' on the rule's dictionary, or rewrite the file",
                single[0][0],
            )
    return None


def _vertical(
    rows: list[tuple[int, list[str]]], delimiter: str
) -> tuple[list[tuple[int, str, list[str]]], list[DictionaryFinding]]:
    findings: list[DictionaryFinding] = []
    values: list[tuple[int, str]] = []
    for line, row in rows:
        if len(row) > 1:
            findings.append(
                DictionaryFinding(
                    MALFORMED,
                    Severity.ERROR,
                    f"vertical dictionary line has {len(row)} values",
                    f"a vertical dictionary has one value per line, but this line contains the delimiter "
                    f"{delimiter!r}; quote the value or use 'orientation: horizontal'",
                    line,
                )
            )
            continue
        findings.extend(_cell_findings(line, row))
        if row[0].strip():
            values.append((line, row[0].strip()))
    if not values:
        return [], findings
    (line, normalized), words = values[0], [w for _, w in values[1:]]
    if not words:
        findings.append(
            DictionaryFinding(
                EMPTY,
                Severity.ERROR,
                f"entry '{normalized}' has no words",
                "a vertical dictionary is the normalized value on the first line, then one word per line",
                line,
            )
        )
        return [], findings
    return [(line, normalized, words)], findings


def _merge(
    pairs: list[tuple[int, str, list[str]]],
) -> tuple[dict[str, list[str]], list[DictionaryFinding]]:
    entries: dict[str, list[str]] = {}
    first: dict[str, tuple[int, str]] = {}
    findings: list[DictionaryFinding] = []
    for line, normalized, words in pairs:
        for word in words:
            seen = first.get(word)
            if seen is None:
                first[word] = (line, normalized)
                entries.setdefault(normalized, []).append(word)
                continue
            where = f"line {seen[0]}" + (f" (entry '{seen[1]}')" if seen[1] != normalized else "")
            findings.append(
                DictionaryFinding(
                    DUPLICATE,
                    Severity.WARNING,
                    f"'{word}' is listed twice",
                    f"already at {where}; "
                    + (
                        "a word maps to one normalized value, so remove one"
                        if seen[1] != normalized
                        else "remove the repeat"
                    ),
                    line,
                )
            )
    return entries, findings


def check_entries(entries: Mapping[str, Sequence[str]]) -> list[DictionaryFinding]:
    """The same checks for inline ``entries``, located at their node paths under ``entries``."""
    findings: list[DictionaryFinding] = []
    if not entries:
        findings.append(
            DictionaryFinding(
                EMPTY,
                Severity.ERROR,
                "dictionary has no entries",
                "list entries as 'normalized: [word1, word2]', or give a dictionary file instead",
            )
        )
    first: dict[str, str] = {}
    for normalized, words in entries.items():
        if not normalized.strip():
            findings.append(
                DictionaryFinding(
                    EMPTY,
                    Severity.ERROR,
                    "empty normalized value",
                    "give the entry a name",
                    path=(normalized,),
                )
            )
        if not words:
            findings.append(
                DictionaryFinding(
                    EMPTY,
                    Severity.ERROR,
                    f"entry '{normalized}' has no words",
                    "list the words that map to it, or remove the entry",
                    path=(normalized,),
                )
            )
        for i, word in enumerate(words):
            if not word.strip():
                findings.append(
                    DictionaryFinding(
                        EMPTY, Severity.ERROR, "empty word", "remove the blank word", path=(normalized, i)
                    )
                )
            elif word in first:
                findings.append(
                    DictionaryFinding(
                        DUPLICATE,
                        Severity.WARNING,
                        f"'{word}' is listed twice",
                        f"already a word of '{first[word]}'; remove one",
                        path=(normalized, i),
                    )
                )
            else:
                first[word] = normalized
    return findings


def render_dictionary(
    entries: Mapping[str, Sequence[str]],
    *,
    orientation: Orientation = Orientation.HORIZONTAL,
    delimiter: str = ",",
) -> str:
    """Entries as dictionary text, ``\\n`` line ends, quoting only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for normalized, words in entries.items():
        if orientation is Orientation.VERTICAL:
            for value in (normalized, *words):
                writer.writerow([value])
        else:
            writer.writerow([normalized, *words])
    return out.getvalue()


def sniff_dictionary(text: str, filename: str = "") -> tuple[Orientation, str]:
    """The layout of a dictionary that came without one: tab or comma; vertical when every row has one cell."""
    text = normalise_text(text)
    lines = [line for line in text.split("\n") if line.strip()]
    if filename.lower().endswith(".tsv") or (
        any("\t" in line for line in lines) and not any("," in line for line in lines)
    ):
        delimiter = "\t"
    else:
        delimiter = ","
    rows, _ = _rows(text, delimiter)
    vertical = len(rows) >= 2 and all(len(row) == 1 for _, row in rows)
    return (Orientation.VERTICAL if vertical else Orientation.HORIZONTAL), delimiter
