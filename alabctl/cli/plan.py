"""``alabctl plan``: what apply would do, and why (exit 0 nothing to do, 2 changes, 1 error)."""

from __future__ import annotations

import argparse
import json
import sys

from alabctl import api
from alabctl.cli.common import add_input_options, add_license_option, inputs_from, output_file
from alabctl.cli.planview import add_home_option, labelstudio_text, plan_text, print_invalid
from alabctl.spec.errors import UsageError

HELP = "show what apply would download, deploy, redeploy, restart or prune, with the reasons"

EPILOG = """\
exit status: 0 nothing would change, 2 something would, 1 error (invalid manifests, a Label Studio
change apply would refuse ...)

examples:
  alabctl plan -f examples/
  alabctl plan -f examples/ --out plan.json && alabctl apply plan.json
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "plan",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(parser)
    parser.add_argument(
        "--out",
        type=output_file,
        metavar="FILE",
        help="save the plan for 'alabctl apply FILE' (in an existing folder), with the inputs it was made "
        "from: absolute paths, root, lock file, template values; e.g. --out plan.json",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="also plan to stop servers no manifest declares, and to delete tasks alabctl imported into "
        "Label Studio that left the task files (tasks annotators worked on are kept); e.g. --prune",
    )
    parser.add_argument("-o", "--output", choices=["text", "json"], default="text", help="default: text")
    add_home_option(parser)
    add_license_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    inputs = inputs_from(args)
    if args.out is not None:
        api.check_output_file(args.out, "--out", "plan.json", inputs)
    report = api.plan(inputs, home=args.home, prune=args.prune, skip_license_check=args.skip_license_check)
    if report.plan is None:
        if args.output == "json":
            payload = {"valid": False, "diagnostics": [d.to_json() for d in report.validation.diagnostics]}
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        else:
            print_invalid(report.validation, "plan")
        return 1
    plan = report.plan
    if args.out is not None and plan.source is None:
        raise UsageError(
            "--out: this plan could not be applied later: it was made from stdin (-f -), or with "
            "template values a plan file can not hold exactly (mappings with non-string keys)",
            "name the manifests with -f PATH (and the values with string keys)",
        )
    if args.out is not None:
        api.write_output_file(args.out, json.dumps(plan.to_json(), indent=2) + "\n")
    ls = report.labelstudio
    if args.output == "json":
        payload = plan.to_json()
        if ls is not None:
            payload["labelStudio"] = ls.to_json()
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        sys.stdout.write(plan_text(plan))
        if ls is not None:
            sys.stdout.write(labelstudio_text(ls))
        if args.out is not None:
            print(f"saved to {args.out}; run it with 'alabctl apply {args.out}'")
    if ls is not None and ls.refused:
        return 1  # apply would refuse to start
    return 2 if plan.steps or plan.missing or (ls is not None and ls.changes) else 0
