"""``alabctl status`` and ``alabctl get servers``: each server's health, sync, URL and process."""

from __future__ import annotations

import argparse
import json

from alabctl import api
from alabctl.cli.common import add_filename_option, inputs_from
from alabctl.cli.planview import add_home_option, show_invalid
from alabctl.spec.errors import UserError

HELP = "the pre-annotation servers: health, sync with the manifests (with -f), URL, model_version, pid"

EPILOG = """\
examples:
  alabctl status
  alabctl status -f examples/          # also Synced / OutOfSync against the manifests
  alabctl get servers -o json
  curl -s "$(alabctl status quickstart -o url)/health"

HEALTH: Healthy, Progressing, Degraded, Unknown (runs, does not answer), Missing (not running:
never deployed, its process is gone, or it failed to start) or Stopped ('alabctl down'; the
next 'alabctl apply' starts it again). With -f, invalid manifests print their diagnostics (exit 1).
"""


def add_status_options(parser: argparse.ArgumentParser) -> None:
    add_filename_option(parser, "manifests to compare with (adds the SYNC column); repeatable")
    parser.add_argument(
        "-o",
        "--output",
        choices=["table", "json", "yaml", "url"],
        default="table",
        help="table (default), json, yaml, or url: one URL a line",
    )
    add_home_option(parser)
    parser.set_defaults(values=[], assignments=[], root=None, lockfile=None, no_cache=False, server=None)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "status",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("server", nargs="?", help="only this server")
    add_status_options(parser)
    parser.set_defaults(run=run)


def _version(value: object) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items())) or "-"
    return str(value) if value else "-"


def run(args: argparse.Namespace) -> int:
    from alabctl.cli.hub import print_table

    validation = api.validate(inputs_from(args)) if args.inputs else None
    if validation is not None and not validation.valid:
        return show_invalid(validation, "status", "json" if args.output == "json" else "text")
    found = api.servers(home=args.home, validation=validation)
    if args.server is not None:
        found = [s for s in found if s.name == args.server]
        if not found:
            raise UserError(f"no server named '{args.server}'", "see 'alabctl status'")
    if args.output == "url":
        for status in found:
            print(status.url)
        return 0
    if args.output == "json":
        print(json.dumps([s.to_json() for s in found], indent=2))
        return 0
    if args.output == "yaml":
        from alabctl.cli.store import yaml_rows

        print(yaml_rows([s.to_json() for s in found]), end="")
        return 0
    if not found:
        print("no servers deployed (alabctl apply -f REPO deploys them)")
        return 0
    print_table(
        ["NAME", "HEALTH", "SYNC", "URL", "MODEL_VERSION", "PID", "PROJECTS", "UPTIME", "LAST ERROR"],
        [
            [
                s.name,
                s.health.value,
                s.sync.value if s.sync else "-",
                s.url,
                _version(s.model_version),
                str(s.pid) if s.pid else "-",
                ",".join(s.projects) or "-",
                s.uptime(),
                (s.last_error or "-")[:80],
            ]
            for s in found
        ],
    )
    return 0
