"""The ``alabctl`` entry point and its one error boundary."""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from alabctl import __version__
from alabctl.spec.errors import AlabctlError, TransientError, UsageError, UserError

COMMANDS = {
    "validate": "alabctl.cli.validate",
    "compile": "alabctl.cli.compile",
    "schema": "alabctl.cli.schema",
    "rules": "alabctl.cli.rules",
    "hub": "alabctl.cli.hub",
    "lock": "alabctl.cli.lock",
    "get": "alabctl.cli.inventory",
    "describe": "alabctl.cli.inventory",
    "delete": "alabctl.cli.inventory",
    "models": "alabctl.cli.inventory",
    "serve": "alabctl.cli.serve",
    "preannotate": "alabctl.cli.preannotate",
}
"""Each command and the module that registers it. Only the module of the command being run is
imported (all of them for ``--help``), so ``alabctl validate`` does not pay for the hub client."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, f"see '{self.prog} --help'")


def _modules_for(argv: Sequence[str]) -> list[str]:
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in COMMANDS:
        return [COMMANDS[command]]
    return list(dict.fromkeys(COMMANDS.values()))


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alabctl",
        description="Declarative annotation projects: validate, compile and deploy NLP pre-annotation "
        "setups from YAML manifests.",
    )
    parser.add_argument("--version", action="version", version=f"alabctl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _modules_for(argv):
        importlib.import_module(name).register(sub)
    return parser


def _crash_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    report = "\n".join(
        [
            "# alabctl crash report",
            "",
            f"- alabctl {__version__}, Python {platform.python_version()}, {platform.platform()}",
            f"- command: alabctl {' '.join(argv)}",
            f"- time: {datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}",
            "",
            "```",
            "".join(traceback.format_exception(exc)).rstrip(),
            "```",
            "",
        ]
    )
    try:
        fd, name = tempfile.mkstemp(prefix="alabctl-crash-", suffix=".md")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(report)
        return Path(name)
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(argv).parse_args(argv)
        if getattr(args, "run", None) is None:
            build_parser().print_help(sys.stderr)
            return 2
        return int(args.run(args))
    except UsageError as exc:
        print(f"alabctl: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  {exc.hint}", file=sys.stderr)
        return 2
    except (UserError, TransientError, AlabctlError) as exc:
        print(f"alabctl: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  {exc.hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("alabctl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        log = _crash_log(exc, argv)
        print(f"alabctl: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "  this is a bug in alabctl, not in your manifests. Please report it with the crash log"
            + (f": {log}" if log else "."),
            file=sys.stderr,
        )
        return 3
