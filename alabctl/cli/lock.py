"""``alabctl lock``: pin every hub asset the manifests need in ``alabctl.lock`` (SPEC §5)."""

from __future__ import annotations

import argparse

from alabctl import api
from alabctl.cli.common import output_file
from alabctl.cli.hub import add_hub_options, hub_options
from alabctl.spec.diagnostics import counted

HELP = "resolve every hub asset the manifests need and write alabctl.lock"

EPILOG = """\
Everything a compiled pipeline loads is pinned (models, their embeddings, POS and dependency models).
Commit the lock file; validate and compile read it offline.

examples:
  alabctl lock -f examples/
  alabctl lock -f . --lockfile deploy/alabctl.lock --hub https://hub.example.org
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "lock",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_hub_options(parser)
    parser.add_argument(
        "--lockfile",
        type=output_file,
        metavar="FILE",
        help="the lock file, in an existing folder (default: ./alabctl.lock), e.g. --lockfile deploy/alabctl.lock",
    )
    parser.add_argument("--no-head", action="store_true", help="do not ask the hub for sizes the index lacks")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = api.lock(hub_options(args), head=not args.no_head)
    print(f"{report.path}: {counted(report.assets, 'asset')}, {'updated' if report.changed else 'unchanged'}")
    return 0
