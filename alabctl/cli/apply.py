"""``alabctl apply``: make what runs match the manifests (or carry out a saved plan)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alabctl import api
from alabctl.cli.common import add_input_options, add_license_option, cache_from, inputs_from
from alabctl.cli.planview import (
    add_home_option,
    duration,
    labelstudio_text,
    outcome_line,
    plan_text,
    print_invalid,
)
from alabctl.spec.errors import UsageError

if TYPE_CHECKING:
    from alabctl.reconcile.apply import Outcome
    from alabctl.reconcile.labelstudio import LabelStudioPlan
    from alabctl.reconcile.plan import Plan

HELP = "download what is missing and deploy, redeploy or repair the servers the manifests declare"

EPILOG = """\
One line per resource: created, configured, unchanged, pruned or failed. Exit status 0 when
everything converged, 1 when something failed (the rest still converge) or the input is invalid.

examples:
  alabctl apply -f examples/
  alabctl apply -f examples/ --prune --yes -o json
  alabctl apply plan.json            # exactly a plan saved by 'alabctl plan --out plan.json'

A saved plan records the inputs it was made from (absolute -f paths, --root, --lockfile, the
--values/--set template values, --prune): 'apply PLAN' reads exactly those again, from any
folder, and refuses those options.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "apply",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "plan_file", nargs="?", type=Path, metavar="PLAN", help="a plan saved by 'plan --out'"
    )
    add_input_options(parser, required=False)
    parser.add_argument(
        "--prune",
        action="store_true",
        help="stop servers no manifest declares any more, and delete tasks alabctl imported into Label "
        "Studio that left the task files (tasks annotators worked on are kept); e.g. --prune --yes",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask before acting on a terminal")
    parser.add_argument(
        "--dry-run", action="store_true", help="only show the plan (the same as 'alabctl plan')"
    )
    parser.add_argument(
        "--timeout",
        default="60s",
        metavar="DURATION",
        help="how long a server may take to become healthy (60s)",
    )
    parser.add_argument(
        "--lock-timeout",
        default="0s",
        metavar="DURATION",
        help="wait this long for another apply to finish (default: refuse at once)",
    )
    parser.add_argument("-o", "--output", choices=["text", "json"], default="text", help="default: text")
    add_home_option(parser)
    add_license_option(parser)
    parser.set_defaults(run=run)


def _confirm(plan: Plan, studio: LabelStudioPlan | None) -> bool:
    """Show what apply will do, Label Studio's side too (--prune deletes tasks there), and ask."""
    sys.stdout.write(plan_text(plan))
    if studio is not None:
        sys.stdout.write(labelstudio_text(studio))
    sys.stdout.write("Apply these changes? [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _fixed_by_plan(args: argparse.Namespace) -> list[str]:
    """The options given that would change what a saved plan was made from."""
    given = (
        ("-f", args.inputs),
        ("--values", args.values),
        ("--set", args.assignments),
        ("--root", args.root),
        ("--lockfile", args.lockfile),
        ("--prune", args.prune),
    )
    return [flag for flag, value in given if value]


def run(args: argparse.Namespace) -> int:
    if args.plan_file is not None and (fixed := _fixed_by_plan(args)):
        raise UsageError(
            f"{', '.join(fixed)}: the saved plan {args.plan_file} fixes its inputs (the -f paths, "
            "--values/--set template values, --root, --lockfile and --prune it was made with)",
            "apply it as it is ('alabctl apply PLAN'), or make a new one: 'alabctl plan -f REPO ... --out PLAN'",
        )
    if args.plan_file is None and not args.inputs:
        raise UsageError(
            "give either -f REPO or a saved plan file", "alabctl apply -f REPO | alabctl apply plan.json"
        )
    if args.dry_run:
        if args.plan_file is not None:
            raise UsageError("--dry-run takes -f REPO, not a saved plan", "alabctl apply -f REPO --dry-run")
        from alabctl.cli import plan as plan_command

        args.out = None
        return plan_command.run(args)
    saved = api.load_plan(args.plan_file) if args.plan_file is not None else None
    text = args.output == "text"

    def report(outcome: Outcome) -> None:
        if text:
            print(outcome_line(outcome), flush=True)

    ask = text and not args.yes and saved is None and sys.stdin.isatty() and sys.stdout.isatty()
    inputs = inputs_from(args) if saved is None else api.plan_inputs(saved, cache=cache_from(args))
    result = api.apply(
        inputs,
        saved=saved,
        home=args.home,
        prune=args.prune,
        skip_license_check=args.skip_license_check,
        timeout=duration(args.timeout),
        lock_timeout=duration(args.lock_timeout),
        report=report,
        confirm=_confirm if ask else None,
    )
    if result.validation is not None and not result.validation.valid:
        if text:
            print_invalid(result.validation, "apply")
        else:
            diags = [d.to_json() for d in result.validation.diagnostics]
            sys.stdout.write(json.dumps({"valid": False, "diagnostics": diags}, indent=2) + "\n")
        return 1
    if not text:
        payload = {
            "valid": True,
            "stale": result.stale,
            "recovered": result.recovered,
            "outcomes": [o.to_json() for o in result.outcomes]
            + [
                {"kind": "Server", "name": n, "result": "unchanged", "message": ""}
                for n in (result.plan.unchanged if result.plan else ())
            ],
            "missing": [m.ref for m in result.plan.missing] if result.plan else [],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 1 if result.failed else 0
    for line in result.recovered:
        print(line)
    if result.stale:
        print(
            f"alabctl: error: the saved plan {args.plan_file} is stale: " + "; ".join(result.stale),
            file=sys.stderr,
        )
        print("  make a new plan with 'alabctl plan --out', or run 'alabctl apply -f REPO'", file=sys.stderr)
        return 1
    plan = result.plan
    assert plan is not None
    for name in plan.unchanged:
        print(f"server/{name} unchanged")
    if not result.outcomes and not plan.missing:
        print("nothing to do: everything is up to date")
        return 0
    if result.outcomes:
        failed = sum(1 for o in result.outcomes if o.result.value == "failed")
        same = sum(1 for o in result.outcomes if o.result.value == "unchanged")  # Label Studio projects
        done = len(result.outcomes) - failed - same
        print(f"applied: {done} done, {failed} failed, {len(plan.unchanged) + same} unchanged")
    elif plan.missing:
        for missing in plan.missing:
            print(f"{missing.ref.lower()} missing: {missing.reason}")
    return 1 if result.failed else 0
