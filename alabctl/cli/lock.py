"""``alabctl lock``: pin every hub asset the manifests need in ``alabctl.lock`` (SPEC §5)."""

from __future__ import annotations

import argparse
from pathlib import Path

from alabctl.assets.lockgen import Locker
from alabctl.cli.hub import add_hub_options, session_from
from alabctl.spec.errors import UsageError
from alabctl.spec.lock import DEFAULT_LOCKFILE, write_lock

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
        "--lockfile", type=Path, metavar="FILE", help="the lock file (default: ./alabctl.lock)"
    )
    parser.add_argument("--no-head", action="store_true", help="do not ask the hub for sizes the index lacks")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.inputs:
        raise UsageError("alabctl lock needs -f with the manifests", "e.g. alabctl lock -f examples/")
    path = args.lockfile or Path.cwd() / DEFAULT_LOCKFILE
    args.refresh = True  # the lock is a fresh look at the hub, never the 1 h index cache
    session = session_from(args)
    assert session.repository is not None
    lock = Locker(session.client, session.lib_version, session.spark_version, head=not args.no_head).lock(
        session.repository
    )
    changed = write_lock(path, lock)
    print(f"{path}: {len(lock.assets)} assets, {'updated' if changed else 'unchanged'}")
    return 0
