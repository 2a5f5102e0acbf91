"""``alabctl hub search|pull|redownload``: the Models Hub from the command line (SPEC §5)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from alabctl import api
from alabctl.cli.common import add_actions, add_filename_option, workers

HELP = "search the Models Hub and download models and embeddings into the local store"


def add_hub_options(parser: argparse.ArgumentParser, *, inputs: bool = True) -> None:
    """``--home``, ``--hub``, ``-f`` (Hub/License manifests), ``--license``, ``--refresh``."""
    group = parser.add_argument_group("hub and store")
    group.add_argument(
        "--home", type=Path, metavar="DIR", help="the asset store (default: $ALABCTL_HOME or ~/.alabctl)"
    )
    group.add_argument(
        "--hub", metavar="URL", help="the hub (default: Hub manifest, $ALABCTL_HUB_URL, public bucket)"
    )
    if inputs:
        add_filename_option(group, "manifests with the Hub and License to use; repeatable")
        group.add_argument(
            "--license", metavar="NAME", help="the License manifest to sign licensed folders with"
        )
    group.add_argument(
        "--refresh", action="store_true", help="fetch hub indexes again (ignore the 1 h cache)"
    )


def hub_options(args: argparse.Namespace) -> api.HubOptions:
    """The store and hub the options name."""
    return api.HubOptions(
        home=args.home,
        hub=args.hub,
        inputs=getattr(args, "inputs", []) or [],
        license=getattr(args, "license", None),
        refresh=args.refresh,
        lockfile=getattr(args, "lockfile", None),
    )


_RAW = argparse.RawDescriptionHelpFormatter

SEARCH_EPILOG = """\
examples:
  alabctl hub search ner --language en
  alabctl hub search posology --edition healthcare --task ner --compatible -f examples/
"""

PULL_EPILOG = """\
examples:
  alabctl hub pull ner_dl
  alabctl hub pull ner_dl glove_100d onto_100 --workers 3
  alabctl hub pull ner_posology --repository clinical/models -f examples/
"""

REDOWNLOAD_EPILOG = """\
example:
  alabctl hub redownload glove_100d
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "hub",
        help=HELP,
        description=HELP,
        epilog=SEARCH_EPILOG + PULL_EPILOG.removeprefix("examples:\n"),
        formatter_class=_RAW,
    )
    hub_sub = add_actions(parser, "hub_command")

    search_help = "list hub assets like the Models Hub page"
    found = hub_sub.add_parser(
        "search",
        help=search_help,
        description=search_help + ": one row per name, with every version the hub has",
        epilog=SEARCH_EPILOG,
        formatter_class=_RAW,
    )
    found.add_argument("text", nargs="?", help="a part of the name, e.g. posology")
    found.add_argument("--language", help="e.g. en")
    found.add_argument(
        "--edition",
        choices=api.editions(),
        help="only this edition, searched in its hub folders (healthcare: clinical/models)",
    )
    found.add_argument("--task", help="e.g. ner, embeddings")
    found.add_argument(
        "--compatible", action="store_true", help="only versions the Hub's Spark NLP/Spark can load"
    )
    found.add_argument(
        "--repository",
        action="append",
        metavar="FOLDER",
        help="hub folders; repeatable (default: the --edition's folders, else public/models)",
    )
    found.add_argument(
        "-o", "--output", choices=["table", "json"], default="table", help="table (default) or json"
    )
    add_hub_options(found)
    found.set_defaults(run=run_search)

    for name, helptext, epilog in (
        ("pull", "download assets and the embeddings they need", PULL_EPILOG),
        (
            "redownload",
            "download an asset again (e.g. a failed one), replacing what is installed",
            REDOWNLOAD_EPILOG,
        ),
    ):
        pull = hub_sub.add_parser(
            name, help=helptext, description=helptext, epilog=epilog, formatter_class=_RAW
        )
        pull.add_argument(
            "names",
            nargs="+",
            metavar="NAME",
            help="hub names, e.g. ner_dl; several download at once (see --workers)",
        )
        pull.add_argument("--language", default=None, help="default: en, or what the store recorded")
        pull.add_argument("--repository", default=None, help="hub folder (default: public/models)")
        pull.add_argument(
            "--workers", type=workers, default=4, help="downloads at once, e.g. --workers 2 (default: 4)"
        )
        add_hub_options(pull)
        pull.set_defaults(run=run_pull, force=name == "redownload")


def run_search(args: argparse.Namespace) -> int:
    hits = api.hub_search(
        hub_options(args),
        args.text,
        language=args.language,
        edition=args.edition,
        task=args.task,
        compatible=args.compatible,
        repositories=args.repository or (),
    )
    if args.output == "json":
        print(json.dumps([asdict(h) for h in hits], indent=2))
        return 0
    print_table(
        ["NAME", "LANGUAGE", "EDITION", "TASK", "VERSIONS", "DATE"],
        [[h.name, h.language, h.edition, h.task, h.versions, h.date] for h in hits],
    )
    return 0


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def run_pull(args: argparse.Namespace) -> int:
    results = api.hub_pull(
        hub_options(args),
        args.names,
        language=args.language,
        repository=args.repository,
        workers=args.workers,
        force=args.force,
        report=lambda line: print(line, flush=True),
    )
    for result in results:
        row = result.row
        state = "downloaded" if result.downloaded else "present"
        print(f"{row.type.value} {row.name} {row.key} {state} -> {result.path}")
    return 0 if all(r.row.status == "ready" for r in results) else 1
