"""Rules to and from Annotation Lab (pure): what ``rules import`` writes, what ``rules export`` packs.

- :func:`plan_import`: the rule files read from an export become ``<out>/<name>.yaml`` manifests
  (and ``<out>/dictionaries/<name>.csv``), with every problem and note found on the way. Nothing is
  written here; ``alabctl.api`` writes the plan when it has no problems.
- :func:`export_files`: each Rule manifest as ContextualParser JSON (and dictionary CSV), by archive
  entry name.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from alabctl.compile.checks.regexcheck import check_regex
from alabctl.compile.contextual import (
    DICTIONARY_FOLDER,
    archive_dictionary_name,
    dictionary_filename,
    from_contextual_parser,
    render_json,
    rule_name,
    to_contextual_parser,
)
from alabctl.compile.dictionary import parse_dictionary, sniff_dictionary
from alabctl.spec.errors import UserError
from alabctl.spec.kinds import RuleManifest


@dataclass(frozen=True)
class RuleFile:
    """One rule as read from an export: its file stem, the JSON object, and the dictionary text paired with it."""

    stem: str
    source: str
    data: dict[str, Any]
    csv_text: str | None = None
    csv_name: str = ""


@dataclass
class ImportPlan:
    """The files an import would write, and what stops it or deserves a look."""

    files: dict[Path, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Each stops the import: nothing is written."""
    notes: list[str] = field(default_factory=list)
    """Worth a look ('alabctl validate' reports them with locations); the import goes on."""
    names: dict[str, str] = field(default_factory=dict)
    """Rule name -> where it was read."""


def plan_import(rules: Sequence[RuleFile], out: Path) -> ImportPlan:
    """Every rule as a manifest under ``out``; a rule that cannot be imported is a problem."""
    plan = ImportPlan()
    for rule in rules:
        name = _name_of(rule)
        if name is None:
            plan.problems.append(f"{rule.source}: no usable rule name (give the JSON a 'name')")
            continue
        if name in plan.names:
            plan.problems.append(f"{rule.source}: rule name '{name}' is also used by {plan.names[name]}")
            continue
        plan.names[name] = rule.source
        try:
            manifest, csv_text = from_contextual_parser(
                name, rule.data, rule.csv_text, csv_filename=rule.csv_name
            )
        except UserError as exc:
            plan.problems.append(f"{rule.source}: {exc.message}")
            continue
        plan.files[out / f"{name}.yaml"] = render_yaml(manifest)
        if csv_text is not None:
            plan.files[out / DICTIONARY_FOLDER / dictionary_filename(name)] = csv_text
        plan.notes.extend(_content_notes(name, rule, csv_text))
    return plan


def _name_of(rule: RuleFile) -> str | None:
    named = rule.data.get("name")
    return (rule_name(named) if isinstance(named, str) else None) or rule_name(rule.stem)


def _content_notes(name: str, rule: RuleFile, csv_text: str | None) -> list[str]:
    """Problems that do not stop the import; 'alabctl validate' reports them with locations."""
    notes: list[str] = []
    regex = rule.data.get("regex")
    if isinstance(regex, str) and regex:
        notes.extend(f"rule '{name}': regex: {f.summary}" for f in check_regex(regex))
    if csv_text is not None:
        orientation, delimiter = sniff_dictionary(csv_text, rule.csv_name)
        parsed = parse_dictionary(csv_text, orientation=orientation, delimiter=delimiter)
        notes.extend(f"rule '{name}': dictionary line {f.line}: {f.summary}" for f in parsed.findings)
    return notes


def render_yaml(data: Mapping[str, Any]) -> str:
    """A manifest as block-style YAML, keys in the order given, long strings unfolded."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(_plain(data), buffer)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def export_files(rules: Sequence[RuleManifest], dictionaries: Mapping[str, str]) -> dict[str, str]:
    """Archive entry name -> text for every rule (``dictionaries``: rule name -> its CSV text)."""
    files: dict[str, str] = {}
    for rule in rules:
        for name, text in _export_rule(rule, dictionaries.get(rule.name)).items():
            if name in files:
                raise UserError(
                    f"rule '{rule.name}': archive entry '{name}' is also written by another rule",
                    "rename the rule or its 'dictionary' file name",
                )
            files[name] = text
    return files


def _export_rule(rule: RuleManifest, text: str | None) -> dict[str, str]:
    try:
        data, csv_text = to_contextual_parser(rule, text)
    except ValueError as exc:
        raise UserError(f"rule '{rule.name}': {exc}") from exc
    out = {f"{rule.name}.json": render_json(data)}
    if csv_text is not None:
        out[archive_dictionary_name(data, rule.name)] = csv_text
    return out
