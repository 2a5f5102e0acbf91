"""``alabctl compile``: manifests -> labeling configs, Spark NLP pipelines, rule JSON, manifest.json."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alabctl import api
from alabctl.cli.common import add_input_options, add_license_option, inputs_from, use_color
from alabctl.cli.formats import RENDERERS
from alabctl.spec.diagnostics import counted

HELP = "validate, then write labeling configs, Spark NLP pipelines and rule JSON to --out"

EPILOG = """\
outputs (byte-identical for the same input):
  projects/<project>/config.xml    labeling config, Annotation Lab dialect of Label Studio XML
  servers/<server>/pipeline.json   Spark NLP pipeline spec: stages, columns, cache keys, label mapping
  servers/<server>/pipeline.py     the same pipeline as a runnable Spark NLP script (offline)
  rules/<rule>.json (+ .csv)       ContextualParser rule JSON (and dictionary), importable in Annotation Lab
  manifest.json                    every resource with the sha256 of its compiled form and its dependencies

example:
  alabctl compile -f examples/ --out build/
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "compile",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("build"),
        metavar="DIR",
        help="output folder, replaced as a whole (default: build/)",
    )
    parser.add_argument(
        "-o", "--output", choices=["text", "json"], default="text", help="report format (default: text)"
    )
    add_license_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = api.compile(
        inputs_from(args), args.out, skip_license_check=args.skip_license_check, keep_files=False
    )
    validation = report.validation
    if args.output == "json":
        payload = {
            "valid": validation.valid,
            "diagnostics": [d.to_json() for d in validation.diagnostics],
            "out": str(args.out),
            "written": report.written,
            "unchanged": report.unchanged,
            "removed": report.removed,
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0 if validation.valid else 1
    if validation.diagnostics or not validation.valid:
        sys.stdout.write(RENDERERS["text"](validation, use_color()))
    if not validation.valid:
        print(f"nothing written to {args.out}: fix the errors above", file=sys.stderr)
        return 1
    files = report.paths
    projects = sum(1 for p in files if p.startswith("projects/"))
    servers = sum(1 for p in files if p.endswith("pipeline.json"))
    rules = sum(1 for p in files if p.startswith("rules/") and p.endswith(".json"))
    change = (
        f"{len(report.written)} written, {len(report.unchanged)} unchanged, {len(report.removed)} removed"
        if report.written or report.removed
        else "no changes"
    )
    made = f"{counted(projects, 'project')}, {counted(servers, 'server')}, {counted(rules, 'rule')}"
    print(f"compiled {made} into {args.out}/ ({change})")
    return 0
