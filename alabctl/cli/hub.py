"""``alabctl hub search|pull|redownload``: the Models Hub from the command line (SPEC §5)."""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from alabctl.assets.pull import Puller, PullOptions, Target
from alabctl.assets.resolve import search
from alabctl.assets.session import HubSession, open_session
from alabctl.assets.store import Status
from alabctl.spec.errors import UserError
from alabctl.spec.kinds.model import PUBLIC_REPOSITORY
from alabctl.spec.lock import EDITION_REPOSITORIES, Edition

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
        group.add_argument(
            "-f",
            "--filename",
            dest="inputs",
            action="append",
            default=[],
            metavar="PATH",
            help="manifests with the Hub and License to use; repeatable",
        )
        group.add_argument(
            "--license", metavar="NAME", help="the License manifest to sign licensed folders with"
        )
    group.add_argument(
        "--refresh", action="store_true", help="fetch hub indexes again (ignore the 1 h cache)"
    )


def session_from(args: argparse.Namespace) -> HubSession:
    """Open the store and hub the options name."""
    return open_session(
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
  alabctl hub pull ner_posology --repository clinical/models -f examples/
"""

REDOWNLOAD_EPILOG = """\
example:
  alabctl hub redownload glove_100d
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "hub", help=HELP, description=HELP, epilog=f"{SEARCH_EPILOG}\n{PULL_EPILOG}", formatter_class=_RAW
    )
    hub_sub = parser.add_subparsers(dest="hub_command", metavar="COMMAND", parser_class=type(parser))

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
        choices=[str(e) for e in Edition],
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
        ("pull", "download an asset and the embeddings it needs", PULL_EPILOG),
        (
            "redownload",
            "download an asset again (e.g. a failed one), replacing what is installed",
            REDOWNLOAD_EPILOG,
        ),
    ):
        pull = hub_sub.add_parser(
            name, help=helptext, description=helptext, epilog=epilog, formatter_class=_RAW
        )
        pull.add_argument("name", help="the asset's hub name, e.g. ner_dl")
        pull.add_argument("--language", default=None, help="default: en, or what the store recorded")
        pull.add_argument("--repository", default=None, help="hub folder (default: public/models)")
        pull.add_argument("--workers", type=int, default=4, help="parallel downloads (default: 4)")
        add_hub_options(pull)
        pull.set_defaults(run=run_pull, force=name == "redownload")
    parser.set_defaults(run=None)


def _date(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d")


def run_search(args: argparse.Namespace) -> int:
    session = session_from(args)
    folders = args.repository or (
        list(EDITION_REPOSITORIES[Edition(args.edition)]) if args.edition else [PUBLIC_REPOSITORY]
    )
    records = [r for folder in folders for r in session.client.index(folder)]
    versions = (session.lib_version, session.spark_version) if args.compatible else None
    hits = search(
        records, args.text, language=args.language, edition=args.edition, task=args.task, compatible=versions
    )
    rows: list[dict[str, str]] = [
        {
            "name": h.newest.name,
            "language": h.newest.language or "",
            "edition": h.newest.effective_edition.value,
            "task": h.newest.task or ("embeddings" if h.newest.is_embeddings else ""),
            "repository": h.newest.repository,
            "versions": ",".join(h.versions),
            "date": _date(h.newest.time_ms),
        }
        for h in hits
    ]
    if args.output == "json":
        print(json.dumps(rows, indent=2))
        return 0
    print_table(
        ["NAME", "LANGUAGE", "EDITION", "TASK", "VERSIONS", "DATE"],
        [[r["name"], r["language"], r["edition"], r["task"], r["versions"], r["date"]] for r in rows],
    )
    return 0


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def run_pull(args: argparse.Namespace) -> int:
    session = session_from(args)
    known = session.store.get(args.name)
    if args.force and known is None and args.repository is None:
        raise UserError(f"'{args.name}' is not in the store", f"use 'alabctl hub pull {args.name}'")
    target = Target(
        args.name,
        args.language or (known.language if known else None) or "en",
        args.repository or (known.repository if known else None) or PUBLIC_REPOSITORY,
        known.type if known else None,
    )
    puller = Puller(
        session.home,
        session.client,
        session.store,
        PullOptions(
            lib_version=session.lib_version,
            spark_version=session.spark_version,
            workers=args.workers,
            report=lambda line: print(line, flush=True),
        ),
    )
    results = puller.pull([target], force=args.force)
    for result in results:
        row = result.row
        state = "downloaded" if result.downloaded else "present"
        print(f"{row.type.value} {row.name} {row.key} {state} -> {result.path}")
    return 0 if all(r.row.status is Status.READY for r in results) else 1
