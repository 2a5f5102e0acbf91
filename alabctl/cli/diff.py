"""``alabctl diff -f REPO``: unified diff of each server's compiled files against the deployed copy."""

from __future__ import annotations

import argparse
import sys

from alabctl import api
from alabctl.cli.common import add_input_options, add_license_option, inputs_from
from alabctl.cli.planview import add_home_option, print_invalid

HELP = "show how the compiled files differ from what each server was deployed with (like kubectl diff)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "diff",
        help=HELP,
        description=HELP,
        epilog="exit status: 0 no difference, 2 differences, 1 error\n\nexample:\n  alabctl diff -f examples/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(parser)
    add_home_option(parser)
    add_license_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    validation, diffs = api.diff(
        inputs_from(args), home=args.home, skip_license_check=args.skip_license_check
    )
    if not validation.valid:
        print_invalid(validation, "diff")
        return 1
    for item in diffs:
        sys.stdout.write(item.text if item.text.endswith("\n") else item.text + "\n")
    return 2 if diffs else 0
