"""``alabctl logs SERVER [-f]``: a server's log file from the home."""

from __future__ import annotations

import argparse
import sys
import time

from alabctl import api
from alabctl.cli.planview import add_home_option
from alabctl.spec.errors import UsageError

HELP = "print a server's log (-f: keep printing as it grows)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "logs",
        help=HELP,
        description=HELP,
        epilog="examples:\n  alabctl logs quickstart\n  alabctl logs quickstart -f --tail 20",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("server", help="the Server manifest's name, as 'alabctl status' lists it")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines (Ctrl-C stops)")
    parser.add_argument("--tail", type=int, default=None, metavar="N", help="only the last N lines")
    add_home_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.tail is not None and args.tail < 0:
        raise UsageError(f"--tail {args.tail}: give a number of lines, 0 or more", "e.g. --tail 20")
    path = api.log_path(args.server, home=args.home)
    with path.open("r", encoding="utf-8", errors="replace") as log:
        lines = log.readlines()
        sys.stdout.writelines(lines[len(lines) - args.tail :] if args.tail is not None else lines)
        sys.stdout.flush()
        while args.follow:
            line = log.readline()
            if line:
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                time.sleep(0.2)
    return 0
