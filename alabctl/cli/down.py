"""``alabctl down [SERVER]``: stop servers (their ports stay assigned, the assets stay installed)."""

from __future__ import annotations

import argparse

from alabctl import api
from alabctl.cli.planview import add_home_option, duration, outcome_line

HELP = "stop every deployed server, or one; assets stay installed and ports stay assigned"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "down",
        help=HELP,
        description=HELP,
        epilog="A stopped server shows as Stopped (status, get servers), is left out of 'wait' and\n"
        "stays stopped until the next 'alabctl apply' starts it again.\n\n"
        "examples:\n  alabctl down\n  alabctl down quickstart",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("server", nargs="?", help="one server (default: all)")
    parser.add_argument("--lock-timeout", default="0s", metavar="DURATION", help="wait for a running apply")
    add_home_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    outcomes = api.down(home=args.home, server=args.server, lock_timeout=duration(args.lock_timeout))
    for outcome in outcomes:
        print(outcome_line(outcome))
    if not outcomes:
        print("no servers deployed")
    return 0
