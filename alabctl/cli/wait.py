"""``alabctl wait --for healthy [SERVER]``: block until servers are healthy (exit 1 on timeout)."""

from __future__ import annotations

import argparse
import sys

from alabctl import api
from alabctl.cli.planview import add_home_option, duration

HELP = "wait until the servers (or one) are Healthy; exit 1 naming the others after --timeout"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "wait",
        help=HELP,
        description=HELP,
        epilog="example:\n  alabctl wait --for healthy quickstart --timeout 60s",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "server", nargs="?", help="one server (default: every deployed server but those stopped with 'down')"
    )
    parser.add_argument(
        "--for", dest="condition", choices=["healthy"], default="healthy", help="the condition"
    )
    parser.add_argument("--timeout", default="60s", metavar="DURATION", help="default: 60s")
    add_home_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    found = api.wait_healthy(home=args.home, server=args.server, timeout=duration(args.timeout))
    for status in found:
        print(f"server/{status.name} {status.health.value} {status.url}")
    if not found:
        print("no servers to wait for: none deployed, or all stopped with 'alabctl down'", file=sys.stderr)
    return 0
