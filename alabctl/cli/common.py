"""Options shared by the commands that read manifests, and small rendering helpers."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import TextIO

from alabctl import api
from alabctl.spec.errors import UsageError


def output_file(text: str) -> Path:
    """An argparse ``type`` for an output FILE option: ``results/`` (a trailing slash) names a
    folder, which ``Path`` would forget; the rest is checked before work by ``api.check_output_file``."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"'{text}' is a folder (it ends with /); give a file path")
    return Path(text)


def add_filename_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup, helptext: str) -> None:
    """``-f/--filename PATH``, optional and repeatable, into ``args.inputs`` (``[]`` when not given)."""
    parser.add_argument(
        "-f", "--filename", dest="inputs", action="append", default=[], metavar="PATH", help=helptext
    )


def add_actions(
    parser: argparse.ArgumentParser, dest: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """A command group's actions (``alabctl hub search``, ``alabctl rules import``). The group with
    no action prints its own help on stderr and exits 2, as ``alabctl`` with no command does."""
    actions = parser.add_subparsers(dest=dest, metavar="ACTION", parser_class=type(parser))
    parser.set_defaults(run=functools.partial(_group_help, parser))
    return actions


def workers(text: str) -> int:
    """``--workers N``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least 1 (e.g. --workers 2)")
    return value


def _group_help(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    parser.print_help(sys.stderr)
    return 2


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
        help="a template value, read as YAML: sites=[north,south], beds=12 (dotted keys nest: a.b=1); "
        "repeatable, wins over --values",
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


def cache_from(args: argparse.Namespace) -> bool:
    """Whether the parse and validation caches may be used (not with --no-cache or ALABCTL_NO_CACHE)."""
    return not args.no_cache and os.environ.get("ALABCTL_NO_CACHE", "") in ("", "0")


def inputs_from(args: argparse.Namespace) -> api.Inputs:
    if args.lockfile is not None:
        _check_lockfile(args.lockfile)
    return api.Inputs(
        paths=list(args.inputs),
        values=api.template_values(args.values, args.assignments),
        root=args.root,
        lockfile=args.lockfile,
        cache=cache_from(args),
    )


def _check_lockfile(path: Path) -> None:
    """A ``--lockfile`` given on purpose must be one: a wrong path would silently mean "no lock"."""
    if path.is_dir():
        raise UsageError(
            f"--lockfile {path}: is a folder", "name the lock file, e.g. --lockfile deploy/alabctl.lock"
        )
    if not path.exists():
        raise UsageError(
            f"--lockfile {path}: no such file",
            "check the path, or create it with 'alabctl lock -f . --lockfile PATH'",
        )


def use_color(stream: TextIO = sys.stdout) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def add_document_options(parser: argparse.ArgumentParser) -> None:
    """Visual NER (image / PDF projects): where task documents may come from, and their bounds."""
    group = parser.add_argument_group("Visual NER documents (image and PDF projects)")
    group.add_argument(
        "--documents",
        type=Path,
        metavar="DIR",
        help="read tasks' local PDFs and images only from under DIR (e.g. --documents scans/); default: none",
    )
    group.add_argument(
        "--allow-remote", action="store_true", help="fetch http(s):// documents named by tasks (default: off)"
    )
    group.add_argument(
        "--dpi", type=int, default=300, metavar="N", help="render PDF pages for OCR at N dpi (default: 300)"
    )
    group.add_argument(
        "--max-pages", type=int, default=500, metavar="N", help="refuse documents over N pages (default: 500)"
    )
    group.add_argument(
        "--max-pixels",
        type=int,
        default=80_000_000,
        metavar="N",
        help="refuse images or rendered pages over N pixels (default: 80000000)",
    )
    group.add_argument(
        "--max-bytes",
        type=int,
        default=64 * 1024 * 1024,
        metavar="N",
        help="refuse documents over N bytes (default: 64 MiB)",
    )
    group.add_argument(
        "--document-timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds one document may take, download and OCR included (default: 120)",
    )
    group.add_argument(
        "--ocr-language",
        default="eng",
        metavar="LANG",
        help="Tesseract language(s), e.g. eng+deu (default: eng)",
    )


def documents_from(args: argparse.Namespace) -> api.DocumentOptions:
    for flag, value in (
        ("--dpi", args.dpi),
        ("--max-pages", args.max_pages),
        ("--max-pixels", args.max_pixels),
    ):
        if value < 1:
            raise UsageError(f"{flag} {value}: at least 1")
    if args.max_bytes < 1 or args.document_timeout <= 0:
        raise UsageError("--max-bytes and --document-timeout must be positive")
    if args.documents is not None and not args.documents.is_dir():
        raise UsageError(
            f"--documents {args.documents}: not a folder",
            "name the folder the tasks' documents are under, e.g. --documents scans/",
        )
    if args.ocr_language != "eng":  # asked for: checked once, not refused by every document
        api.check_ocr_language(args.ocr_language)
    return api.DocumentOptions(
        folder=args.documents,
        allow_remote=args.allow_remote,
        dpi=args.dpi,
        max_pages=args.max_pages,
        max_pixels=args.max_pixels,
        max_bytes=args.max_bytes,
        timeout=args.document_timeout,
        ocr_language=args.ocr_language,
    )
