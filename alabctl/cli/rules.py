"""``alabctl rules import|export``: move rules between Annotation Lab and the repository.

- ``import FILE.json|FILE.zip --out DIR``: every rule becomes ``DIR/<name>.yaml`` (plus
  ``DIR/dictionaries/<name>.csv``). Everything is read and checked first; existing files are refused
  unless ``--force``; then each file is written atomically. Nothing is written when anything fails.
- ``export -f DIR --out rules.zip``: loads and checks the manifests (refusing when there are errors)
  and writes a ZIP with one JSON (and CSV) per rule, which Annotation Lab imports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alabctl import api
from alabctl.cli.common import add_actions, add_input_options, inputs_from, output_file
from alabctl.spec.diagnostics import Diagnostic
from alabctl.spec.errors import UsageError, UserError

HELP = "import rules from Annotation Lab (JSON or ZIP) as manifests, or export manifests as a rules ZIP"

EPILOG = """\
examples:
  alabctl rules import exported_rules.zip --out rules/
  alabctl rules import height.json --out rules/ --force
  alabctl rules export -f rules/ --out rules.zip
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "rules",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = add_actions(parser, "rules_action")
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
    importer.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the manifests (created if new), e.g. --out rules/",
    )
    importer.add_argument("--force", action="store_true", help="overwrite existing files")
    importer.set_defaults(run=run)
    exporter = actions.add_parser(
        "export",
        help="write a ZIP of rule JSONs (and CSVs) that Annotation Lab imports",
        description="Load and check the manifests, then write one JSON (and CSV) per Rule into a ZIP.",
        epilog="example:\n  alabctl rules export -f rules/ --out rules.zip\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(exporter)
    exporter.add_argument(
        "--out",
        type=output_file,
        default=Path("rules.zip"),
        metavar="FILE",
        help="the ZIP, in an existing folder (default: rules.zip), e.g. --out dist/rules.zip",
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
    report = api.import_rules(file, out, force=force)
    for note in report.notes:
        print(f"warning: {note}", file=sys.stderr)
    for path in report.written:
        print(f"wrote {path}")
    print(f"imported {report.rules} rule(s); run 'alabctl validate -f {out}' to check them")
    return 0


# --- export -------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    report = api.export_rules(inputs_from(args), args.out)
    if report.errors:
        for d in report.errors:
            print(_one_line(d), file=sys.stderr)
        raise UserError(
            f"{len(report.errors)} error(s) in the manifests; nothing was exported",
            "fix them ('alabctl validate' shows each with its source line)",
        )
    print(f"exported {report.rules} rule(s) to {args.out}")
    return 0


def _one_line(d: Diagnostic) -> str:
    where = f"{d.file}:{d.line}:{d.column}: " if d.file else ""
    return f"{where}{d.severity}[{d.code}]: {d.summary}" + (f" ({d.detail})" if d.detail else "")
