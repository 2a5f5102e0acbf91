"""``alabctl serve``: run one pre-annotation server in the foreground (Label Studio ML backend)."""

from __future__ import annotations

import argparse
from pathlib import Path

from alabctl import api
from alabctl.cli.common import (
    add_document_options,
    add_input_options,
    add_license_option,
    documents_from,
    inputs_from,
)
from alabctl.spec.errors import UsageError

HELP = "run a pre-annotation server (Label Studio's ML-backend protocol) in the foreground"

EPILOG = """\
routes: GET /health, POST /setup, POST /predict, POST /webhook, GET /metrics,
        POST /admin/reload (Authorization: Bearer $ALABCTL_HOME/admin-token),
        each also under /p/<project>/ to name the project (Label Studio backend URL
        http://HOST:PORT/p/<project>); SIGHUP reloads the build without dropping a request.

examples:
  alabctl serve quickstart --build build/
  alabctl serve triage -f examples/ --port 8702
  curl -s localhost:8702/health
  alabctl serve invoices --build build/ --documents scans/   # Visual NER: PDFs and images under scans/
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "server", metavar="SERVER", help="the server to run (a project without 'server:' has its own)"
    )
    parser.add_argument(
        "--build", type=Path, metavar="DIR", help="a compiled build folder (alabctl compile --out)"
    )
    add_input_options(parser, required=False)
    parser.add_argument(
        "--host", metavar="HOST", help="listen address (default: the Server manifest's, 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        metavar="PORT",
        help="port (default: the Server manifest's, else a free one; 0 picks a free one)",
    )
    parser.add_argument(
        "--home", type=Path, metavar="DIR", help="alabctl home with admin-token (default: $ALABCTL_HOME)"
    )
    parser.add_argument(
        "--max-tasks", type=int, default=1000, metavar="N", help="tasks per /predict request (default: 1000)"
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=20 * 1024 * 1024,
        metavar="BYTES",
        help="request body cap (default: 20 MiB)",
    )
    add_license_option(parser)
    add_document_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.build is None) == (args.inputs is None):
        raise UsageError("give exactly one of --build DIR and -f REPO", "see 'alabctl serve --help'")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port (0-65535)")
    for flag, value in (("--max-tasks", args.max_tasks), ("--max-body", args.max_body)):
        if value < 1:
            raise UsageError(f"{flag} {value}: every request would be refused", f"give {flag} 1 or more")
    options = api.ServeOptions(
        server=args.server,
        build=args.build,
        inputs=inputs_from(args) if args.inputs else None,
        host=args.host,
        port=args.port,
        home=args.home,
        max_tasks=args.max_tasks,
        max_body=args.max_body,
        skip_license_check=args.skip_license_check,
        documents=documents_from(args),
    )
    api.serve(options)
    return 0
