"""``alabctl jars fetch``: the Spark NLP jars the ``sparknlp`` engine needs, from Maven Central."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alabctl import api
from alabctl.cli.common import add_actions, workers

HELP = "fetch the Spark NLP jars the sparknlp engine needs (from Maven Central)"

FETCH_HELP = "download the pinned Spark NLP jars and their dependencies into one folder"

FETCH_EPILOG = """\
The jars are the ones this alabctl is pinned to (Spark NLP 5.5.3 for Spark 3.5 / Scala 2.12, about
400 MB), each checked against its pinned sha256. Nothing in the folder changes until all of them are
verified; an interrupted run keeps what it fetched and the next one resumes. With nothing new to
fetch, nothing is downloaded. The folder's path is printed on stdout.

In the default folder, $ALABCTL_HOME/jars (~/.alabctl/jars), the sparknlp engine finds them by
itself; for another folder, set ALABCTL_SPARK_JARS to it.

environment:
  ALABCTL_MAVEN_URL   a Maven repository to fetch from instead of Maven Central (a mirror or proxy)

examples:
  alabctl jars fetch
  export ALABCTL_SPARK_JARS="$(alabctl jars fetch --dir /opt/sparknlp-jars)"
  alabctl jars fetch --maven https://maven.example.org/repository/maven-central
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "jars",
        help=HELP,
        description=HELP,
        epilog="examples:\n" + FETCH_EPILOG.split("examples:\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = add_actions(parser, "jars_command")
    fetch = actions.add_parser(
        "fetch",
        help=FETCH_HELP,
        description=FETCH_HELP,
        epilog=FETCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument(
        "--dir",
        type=Path,
        metavar="DIR",
        help="the folder (new, empty, or fetched before; default: $ALABCTL_HOME/jars), e.g. --dir /opt/jars",
    )
    fetch.add_argument(
        "--home", type=Path, metavar="DIR", help="the asset store (default: $ALABCTL_HOME or ~/.alabctl)"
    )
    fetch.add_argument(
        "--maven",
        metavar="URL",
        help="the Maven repository (default: $ALABCTL_MAVEN_URL, else Maven Central)",
    )
    fetch.add_argument(
        "--workers",
        type=workers,
        default=4,
        metavar="N",
        help="downloads at once, e.g. --workers 2 (default: 4)",
    )
    fetch.set_defaults(run=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    report = api.fetch_jars(args.dir, home=args.home, maven=args.maven, workers=args.workers)
    if report.unchanged:
        print(f"{report.folder}: the {report.kept} jars are up to date", file=sys.stderr)
    else:
        kept = f", {report.kept} already held" if report.kept else ""
        print(
            f"{report.folder}: fetched {report.fetched} jars ({api.human(report.downloaded)}){kept}",
            file=sys.stderr,
        )
    print(report.folder)
    return 0
