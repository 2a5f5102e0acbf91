"""``alabctl rules import|export``: move rules between Annotation Lab and the repository.

- ``import FILE.json|FILE.zip --out DIR``: every rule becomes ``DIR/<name>.yaml`` (plus
  ``DIR/dictionaries/<name>.csv``). Everything is read and checked first; existing files are refused
  unless ``--force``; then each file is written atomically. Nothing is written when anything fails.
- ``export -f DIR --out rules.zip``: loads and checks the manifests (refusing when there are errors)
  and writes a ZIP with one JSON (and CSV) per rule, which Annotation Lab imports.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from alabctl.cli.common import add_input_options, inputs_from
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
from alabctl.compile.regexcheck import check_regex
from alabctl.compile.rulecheck import check_rules, read_dictionary
from alabctl.compile.rulesio import RuleFile, build_rule_archive, read_rules
from alabctl.spec.diagnostics import Diagnostic, sort_diagnostics
from alabctl.spec.errors import UsageError, UserError
from alabctl.spec.kinds import RuleManifest
from alabctl.spec.validate import load_repository

HELP = "import rules from Annotation Lab (JSON or ZIP) as manifests, or export manifests as a rules ZIP"

EPILOG = """\
examples:
  alabctl rules import exported_rules.zip --out rules/
  alabctl rules import height.json --out rules/ --force
  alabctl rules export -f rules/ --out build/rules.zip
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "rules",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    importer = actions.add_parser(
        "import",
        help="write one Rule manifest per rule of an Annotation Lab JSON or ZIP",
        description="Write one Rule manifest (and dictionary CSV) per rule. Nothing is written if any "
        "rule cannot be imported.",
        epilog="examples:\n  alabctl rules import exported_rules.zip --out rules/\n"
        "  alabctl rules import height.json --out rules/ --force\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    importer.add_argument("file", type=Path, metavar="FILE", help="a rule .json or a .zip of rule JSONs")
    importer.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the manifests")
    importer.add_argument("--force", action="store_true", help="overwrite existing files")
    importer.set_defaults(run=run)
    exporter = actions.add_parser(
        "export",
        help="write a ZIP of rule JSONs (and CSVs) that Annotation Lab imports",
        description="Load and check the manifests, then write one JSON (and CSV) per Rule into a ZIP.",
        epilog="example:\n  alabctl rules export -f rules/ --out build/rules.zip\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(exporter)
    exporter.add_argument(
        "--out", type=Path, default=Path("rules.zip"), metavar="FILE", help="the ZIP (default: rules.zip)"
    )
    exporter.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.rules_action == "import":
        return run_import(args.file, args.out, force=args.force)
    if args.rules_action == "export":
        return run_export(args)
    raise UsageError("choose an action: 'alabctl rules import' or 'alabctl rules export'")


# --- import -------------------------------------------------------------------------------------


def run_import(file: Path, out: Path, *, force: bool = False) -> int:
    if not file.exists():
        raise UsageError(f"{file}: no such file", "name an exported rule .json or .zip")
    planned: dict[Path, str] = {}
    problems: list[str] = []
    notes: list[str] = []
    names: dict[str, str] = {}
    for rule in read_rules(file):
        name = _name_of(rule)
        if name is None:
            problems.append(f"{rule.source}: no usable rule name (give the JSON a 'name')")
            continue
        if name in names:
            problems.append(f"{rule.source}: rule name '{name}' is also used by {names[name]}")
            continue
        names[name] = rule.source
        try:
            manifest, csv_text = from_contextual_parser(
                name, rule.data, rule.csv_text, csv_filename=rule.csv_name
            )
        except UserError as exc:
            problems.append(f"{rule.source}: {exc.message}")
            continue
        planned[out / f"{name}.yaml"] = render_yaml(manifest)
        if csv_text is not None:
            planned[out / DICTIONARY_FOLDER / dictionary_filename(name)] = csv_text
        notes.extend(_content_notes(name, rule, csv_text))
    if problems:
        raise UserError(
            f"{len(problems)} problem(s) in {file}; nothing was written:\n  " + "\n  ".join(problems),
            "fix the rule JSON, or import the other rules separately",
        )
    if not planned:
        raise UserError(f"{file}: no rules found")
    existing = sorted(str(p) for p in planned if p.exists())
    if existing and not force:
        raise UserError(
            "these files exist already; nothing was written:\n  " + "\n  ".join(existing),
            "pass --force to overwrite them, or choose another --out",
        )
    write_files(planned)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    for path in sorted(planned):
        print(f"wrote {path}")
    print(f"imported {len(names)} rule(s); run 'alabctl validate -f {out}' to check them")
    return 0


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


def write_files(files: Mapping[Path, str]) -> None:
    """Write every file through a temporary sibling and a rename; on failure, leave none of the temporaries."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in sorted(files.items()):
            staged.append((_stage(path, text.encode("utf-8")), path))
        for temporary, path in staged:
            temporary.replace(path)
    except OSError as exc:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise UserError(
            f"cannot write {exc.filename or 'output'}: {exc.strerror}", "check the folder"
        ) from exc


def _stage(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
    return Path(name)


# --- export -------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    inputs = inputs_from(args)
    result = load_repository(inputs.paths, values=inputs.values, root=inputs.root, lockfile=inputs.lockfile)
    diagnostics = [*result.diagnostics, *check_rules(result.repository)]
    errors = [d for d in sort_diagnostics(diagnostics) if d.is_error]
    if errors:
        for d in errors:
            print(_one_line(d), file=sys.stderr)
        raise UserError(
            f"{len(errors)} error(s) in the manifests; nothing was exported",
            "fix them ('alabctl validate' shows each with its source line)",
        )
    resources = sorted(result.repository.of_kind("Rule"), key=lambda r: r.name)
    if not resources:
        raise UserError("no Rule manifests found", "name the folder of the rules with -f")
    files: dict[str, str] = {}
    for resource in resources:
        rule = resource.manifest
        assert isinstance(rule, RuleManifest)
        for name, text in _export_rule(rule, resource.origin.directory).items():
            if name in files:
                raise UserError(
                    f"rule '{rule.name}': archive entry '{name}' is also written by another rule",
                    "rename the rule or its 'dictionary' file name",
                )
            files[name] = text
    _write_bytes(args.out, build_rule_archive(files))
    print(f"exported {len(resources)} rule(s) to {args.out}")
    return 0


def _export_rule(rule: RuleManifest, directory: Path) -> dict[str, str]:
    text = None
    dictionary = rule.spec.dictionary
    if dictionary is not None and dictionary.file is not None:
        text, why = read_dictionary(directory / dictionary.file)
        if text is None:
            raise UserError(f"rule '{rule.name}': cannot read '{dictionary.file}': {why}")
    try:
        data, csv_text = to_contextual_parser(rule, text)
    except ValueError as exc:
        raise UserError(f"rule '{rule.name}': {exc}") from exc
    out = {f"{rule.name}.json": render_json(data)}
    if csv_text is not None:
        out[archive_dictionary_name(data, rule.name)] = csv_text
    return out


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        temporary = _stage(path, data)
        temporary.replace(path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}", "check the folder") from exc


def _one_line(d: Diagnostic) -> str:
    where = f"{d.file}:{d.line}:{d.column}: " if d.file else ""
    return f"{where}{d.severity}[{d.code}]: {d.summary}" + (f" ({d.detail})" if d.detail else "")
