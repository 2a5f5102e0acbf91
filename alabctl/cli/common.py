"""Options shared by the commands that read manifests, and small rendering helpers."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from alabctl.api import Inputs
from alabctl.spec.loader import parse_values


def add_input_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_argument_group("inputs")
    group.add_argument(
        "-f",
        "--filename",
        dest="inputs",
        action="append",
        metavar="PATH",
        required=required,
        help="a manifest file, a folder (walked recursively) or - for stdin; repeatable",
    )
    group.add_argument(
        "--values",
        action="append",
        default=[],
        metavar="FILE",
        type=Path,
        help="YAML values for *.yaml.j2 templates; repeatable, later files win",
    )
    group.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template value (dotted keys nest: a.b=1); repeatable, wins over --values",
    )
    group.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="the repository root manifests' paths must stay in (default: common root of -f)",
    )
    group.add_argument(
        "--lockfile", type=Path, metavar="FILE", help="the lock file (default: ./alabctl.lock)"
    )
    group.add_argument("--no-cache", action="store_true", help="parse every file again (no parse cache)")


def add_license_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-license-check",
        action="store_true",
        help="report license problems as warnings (pull requests from forks have no secrets)",
    )


def inputs_from(args: argparse.Namespace) -> Inputs:
    return Inputs(
        paths=list(args.inputs),
        values=parse_values(args.values, args.assignments),
        root=args.root,
        lockfile=args.lockfile,
        cache=not args.no_cache and os.environ.get("ALABCTL_NO_CACHE", "") in ("", "0"),
    )


def use_color(stream: TextIO = sys.stdout) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()
