"""``alabctl validate``: every check of SPEC §3, offline, for people and for CI."""

from __future__ import annotations

import argparse
import sys

from alabctl import api
from alabctl.cli.common import add_input_options, add_license_option, inputs_from, use_color
from alabctl.cli.formats import RENDERERS

HELP = "check manifests: schema, references, limits, embeddings, licenses, rules (exit 1 when invalid)"

EPILOG = """\
exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error, 3 internal error

examples:
  alabctl validate -f examples/
  alabctl validate -f projects/ -f rules/ -o github      # in a GitHub Actions step
  alabctl validate -f . --skip-license-check -o sarif > alabctl.sarif
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "validate",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(parser)
    parser.add_argument(
        "-o", "--output", choices=sorted(RENDERERS), default="text", help="output format (default: text)"
    )
    add_license_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = api.validate(inputs_from(args), skip_license_check=args.skip_license_check)
    sys.stdout.write(RENDERERS[args.output](report, args.output == "text" and use_color()))
    return 0 if report.valid else 1
