"""The ``alabctl`` entry point and its one error boundary.

Start-up stays light: ``alabctl --help`` and ``--version`` import no command module (and so no
pydantic, lxml or requests). ``COMMANDS`` maps each command to the module that registers it and its
one-line help; only the module of the command being run (or whose own ``--help`` is asked) is
imported. A new command joins with one line::

    "serve": ("alabctl.cli.serve", "run pre-annotation servers"),

Its module keeps heavy imports out of module level (``alabctl.api`` loads implementations lazily).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import types
from collections.abc import Sequence
from typing import TYPE_CHECKING

from alabctl import __version__
from alabctl.spec.errors import AlabctlError, TransientError, UsageError, UserError

if TYPE_CHECKING:
    from pathlib import Path

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("alabctl.cli.validate", "check manifests: schema, references, limits, licenses, rules"),
    "compile": ("alabctl.cli.compile", "validate, then write labeling configs, pipelines and rule JSON"),
    "schema": ("alabctl.cli.schema", "print the JSON Schema of the manifests (all kinds, or one)"),
    "rules": ("alabctl.cli.rules", "import Annotation Lab rules as manifests, or export a rules ZIP"),
    "hub": ("alabctl.cli.hub", "search the Models Hub and download models and embeddings"),
    "lock": ("alabctl.cli.lock", "resolve every hub asset the manifests need and write alabctl.lock"),
    "jars": ("alabctl.cli.jars", "fetch the Spark NLP jars the sparknlp engine needs (from Maven Central)"),
    "get": (
        "alabctl.cli.store",
        "list installed models or embeddings, running servers, or Label Studio projects",
    ),
    "describe": ("alabctl.cli.store", "everything the store knows about one installed asset"),
    "delete": ("alabctl.cli.store", "remove an installed asset (refused while something needs it)"),
    "models": ("alabctl.cli.store", "manage local models (upload a Spark NLP model)"),
    "serve": (
        "alabctl.cli.serve",
        "run a pre-annotation server (Label Studio ML-backend protocol) in the foreground",
    ),
    "preannotate": (
        "alabctl.cli.preannotate",
        "pre-annotate a file of tasks with a project's compiled pipeline",
    ),
    "plan": (
        "alabctl.cli.plan",
        "show what apply would download, deploy, redeploy, restart or prune, and why",
    ),
    "apply": ("alabctl.cli.apply", "download what is missing and deploy, redeploy or repair the servers"),
    "diff": ("alabctl.cli.diff", "how the compiled files differ from what each server was deployed with"),
    "status": ("alabctl.cli.status", "the pre-annotation servers: health, sync, URL, model_version, pid"),
    "wait": ("alabctl.cli.wait", "wait until the servers (or one) are Healthy"),
    "logs": ("alabctl.cli.logs", "print a server's log (-f: keep printing as it grows)"),
    "down": ("alabctl.cli.down", "stop every deployed server, or one; assets stay installed"),
    "watch": ("alabctl.cli.watch", "reconcile on every edit and restart servers that die"),
}
"""Each command: the module that registers it, and its one-line help for ``alabctl --help``."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, f"see '{self.prog} --help'")


def _command_of(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the named command's module registers it in full, every other command
    is a one-line stub. With no ``argv``, every command is registered in full (docs and tests)."""
    parser = _Parser(
        prog="alabctl",
        description="Declarative annotation projects: validate, compile and deploy NLP pre-annotation "
        "setups from YAML manifests.",
    )
    parser.add_argument("--version", action="version", version=f"alabctl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = COMMANDS if argv is None else [_command_of(argv)]
    for name in wanted:
        if name in COMMANDS and name not in sub.choices:
            importlib.import_module(COMMANDS[name][0]).register(sub)
    if argv and argv[0] in COMMANDS:
        return parser  # no top-level option before it: only the command's own parser is ever shown
    for name, (_, helptext) in COMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=helptext, add_help=False)
    return parser


def _crash_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    import datetime  # only after a crash: start-up stays light
    import os
    import platform
    import tempfile
    import traceback
    from pathlib import Path

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
        args, extra = build_parser(argv).parse_known_args(argv)
        if extra:
            command = getattr(args, "command", None)
            raise UsageError(
                f"unrecognized arguments: {' '.join(extra)}",
                f"see 'alabctl {command} --help'" if command else "see 'alabctl --help'",
            )
        if getattr(args, "run", None) is None:
            build_parser([]).print_help(sys.stderr)
            return 2
        return int(args.run(args))
    except UsageError as exc:
        print(f"alabctl: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  {exc.hint}", file=sys.stderr)
        return 1 if _command_of(argv) in CHANGES_EXIT else 2
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


CHANGES_EXIT = frozenset({"plan", "diff"})
"""Commands whose exit code 2 means "there are changes" (as Terraform's ``plan -detailed-exitcode``):
a usage error there exits 1, so a script never takes a mistyped option for pending changes."""

FAST_EXIT = frozenset({"validate", "schema", "compile"})
"""Commands that leave nothing to clean up once they return (no threads, children or atexit work):
their process ends without the interpreter's teardown of every module and object, which is about a
fifth of a one-file ``validate`` and 0.3-0.4 s of a 4,000-project ``compile``."""


def _skip_plugin_loader() -> None:
    """With every pydantic plugin disabled, pydantic's plugin loader answers "none" without looking,
    yet importing it imports ``importlib.metadata`` (and with it email, socket, zipfile: about 8 ms of
    a one-file ``validate``). Give pydantic that answer in its place."""
    name = "pydantic.plugin._loader"
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") != "__all__" or name in sys.modules:
        return
    loader = types.ModuleType(name, "pydantic's plugin loader with every plugin disabled")
    setattr(loader, "get_plugins", tuple)  # noqa: B010 - what get_plugins() returns when disabled: ()
    sys.modules[name] = loader


def entry() -> None:
    """The ``alabctl`` executable and ``python -m alabctl``: :func:`main`, then exit with its code."""
    argv = sys.argv[1:]
    one_shot = _command_of(argv) in FAST_EXIT
    if one_shot:
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # else it scans every distribution
        _skip_plugin_loader()
        gc.disable()  # what a one-shot command builds is freed by reference counting (see spec.collector)
    code = main(argv)
    threading = sys.modules.get("threading")
    if one_shot and (threading is None or threading.active_count() == 1):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe: the output has nowhere to go, the exit code still counts
            pass
        os._exit(code)
    raise SystemExit(code)
