"""``alabctl preannotate``: a task file in, the same tasks with predictions out (Label Studio import)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alabctl import api
from alabctl.cli.common import (
    add_document_options,
    add_input_options,
    add_license_option,
    documents_from,
    inputs_from,
    output_file,
)
from alabctl.spec.errors import UsageError

HELP = (
    "pre-annotate a task file (JSON, JSONL, Annotation Lab / Label Studio export) with a project's pipeline"
)

EPILOG = """\
output: the same tasks, each with predictions: [{model_version, score, result}] appended; JSON
when --out ends in .json, else JSONL; stdout without --out. A task that cannot be read is reported
with its index and skipped (exit 1 after writing the others).

examples:
  alabctl preannotate --project quickstart --build build/ --tasks notes.jsonl --out notes.pre.json
  alabctl preannotate --project triage-north -f examples/ --tasks tasks.json --workers 2 > out.jsonl
  alabctl preannotate --project invoices --build build/ --tasks scans.json --documents scans/
  alabctl preannotate --project news --build build/ --tasks big.jsonl --engine spark \\
      --master spark://10.0.0.5:7077 --out big.pre.jsonl    # on a cluster: docs/engines.md
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "preannotate",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--project", required=True, metavar="P", help="the project whose config and rules to use"
    )
    parser.add_argument(
        "--tasks",
        required=True,
        type=Path,
        metavar="FILE",
        help="tasks: a JSON array, JSONL or one task object, e.g. --tasks notes.jsonl",
    )
    parser.add_argument(
        "--out",
        type=output_file,
        metavar="FILE",
        help="where to write (.json: a JSON array; else JSONL), in an existing folder, e.g. --out notes.pre.json",
    )
    parser.add_argument(
        "--build", type=Path, metavar="DIR", help="a compiled build folder (alabctl compile --out)"
    )
    add_input_options(parser, required=False)
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: every core)")
    parser.add_argument(
        "--engine",
        choices=["local", "spark"],
        default="local",
        help="local processes (default) or Apache Spark",
    )
    parser.add_argument(
        "--master",
        metavar="URL",
        help="Spark master with --engine spark (default: local[*]), e.g. spark://10.0.0.5:7077",
    )
    add_license_option(parser)
    add_document_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.build is None) == (args.inputs is None):
        raise UsageError("give exactly one of --build DIR and -f REPO", "see 'alabctl preannotate --help'")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: at least 1")
    if args.master and args.engine != "spark":
        raise UsageError("--master goes with --engine spark")
    options = api.PreannotateOptions(
        project=args.project,
        tasks=args.tasks,
        out=args.out,
        build=args.build,
        inputs=inputs_from(args) if args.inputs else None,
        workers=args.workers,
        engine=args.engine,
        master=args.master,
        progress=sys.stderr.isatty(),
        skip_license_check=args.skip_license_check,
        documents=documents_from(args),
    )
    report = api.preannotate(options)
    for problem in report.problems:
        print(f"alabctl preannotate: skipped {problem}", file=sys.stderr)
    if report.skipped > len(report.problems):
        print(f"  … and {report.skipped - len(report.problems)} more", file=sys.stderr)
    where = args.out or "stdout"
    print(
        f"pre-annotated {report.written:,} of {report.tasks:,} tasks ({report.results:,} results, "
        f"{report.dropped:,} dropped by the config check, {report.skipped:,} skipped) in {report.seconds:.1f} s "
        f"-> {where} [{report.model_version}]",
        file=sys.stderr,
    )
    return 1 if report.skipped else 0
