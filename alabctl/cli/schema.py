"""``alabctl schema [KIND]``: the JSON Schema of the manifests, for editors and other tools."""

from __future__ import annotations

import argparse
import json
import sys

from alabctl import api
from alabctl.spec.errors import UsageError

HELP = "print the JSON Schema of the manifests (all kinds, or one)"

EPILOG = """\
examples:
  alabctl schema > alabctl.schema.json
  alabctl schema Rule

editor support (yaml-language-server), first line of a manifest:
  # yaml-language-server: $schema=./alabctl.schema.json
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "schema",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "kind", nargs="?", help="Project, Rule, Model, Embeddings, Server, License, Hub or LabelStudio"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        schema = api.schema(args.kind)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from exc
    sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    return 0
