"""``alabctl watch -f REPO``: reconcile on every edit, restart what dies, until SIGTERM / Ctrl-C."""

from __future__ import annotations

import argparse
import datetime
import json
import signal
import sys
import threading
from typing import Any

from alabctl import api
from alabctl.cli.common import add_input_options, add_license_option, inputs_from
from alabctl.cli.planview import add_home_option, duration
from alabctl.spec.errors import UsageError

HELP = "reconcile on every edit (debounced) and restart servers that die; servers outlive it"

EPILOG = """\
One log line per event and action (-o json: one JSON object per line). A broken edit is reported
with its diagnostics and changes nothing that runs. SIGTERM or Ctrl-C stops watching and leaves
the servers running (--down-on-exit stops them too).

examples:
  alabctl watch -f examples/
  alabctl watch -f examples/ -o json --down-on-exit
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "watch",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(parser)
    parser.add_argument("--prune", action="store_true", help="stop servers no manifest declares any more")
    parser.add_argument(
        "--debounce", default="300ms", metavar="DURATION", help="quiet time before acting (300ms)"
    )
    parser.add_argument(
        "--interval", default="2s", metavar="DURATION", help="how often to look for dead servers (2s)"
    )
    parser.add_argument(
        "--timeout", default="60s", metavar="DURATION", help="how long a server may take to start"
    )
    parser.add_argument("--down-on-exit", action="store_true", help="stop the servers when watch exits")
    parser.add_argument("-o", "--output", choices=["text", "json"], default="text", help="default: text")
    add_home_option(parser)
    add_license_option(parser)
    parser.set_defaults(run=run)


def _text(entry: dict[str, Any]) -> str:
    event = entry["event"]
    if event in ("apply", "down"):
        message = f": {entry['message']}" if entry.get("message") else ""
        return f"{entry['kind'].lower()}/{entry['name']} {entry['result']}{message}"
    if event == "error":
        return f"error: {entry['message']}" + (f"\n  {entry['hint']}" if entry.get("hint") else "")
    if event == "stop":
        return "stopped watching"
    if event == "invalid":
        lines = [
            f"invalid manifests ({entry['reason']}): nothing changed, the servers keep their last good build"
        ]
        lines += [
            f"  {d['file']}:{d['line']}:{d['column']}: error[{d['code']}]: {d['summary']}"
            for d in entry["diagnostics"]
        ]
        return "\n".join(lines)
    if event == "change":
        return "changed: " + ", ".join(entry["paths"])
    if event == "drift":
        return "drift: " + ", ".join(entry["servers"]) + " not healthy"
    if event == "backoff":
        return f"retrying in {entry['seconds']:g}s ({entry['failures']} failed)"
    if event == "synced":
        return f"in sync ({entry['reason']})"
    if event == "start":
        return "watching " + ", ".join(entry["paths"])
    rest = {k: v for k, v in entry.items() if k != "event"}
    return f"{event}" + (f": {rest}" if rest else "")


def run(args: argparse.Namespace) -> int:
    from alabctl.reconcile.watch import WatchOptions

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def log(entry: dict[str, Any]) -> None:
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        if args.output == "json":
            sys.stdout.write(json.dumps({"time": stamp, **entry}) + "\n")
        else:
            sys.stdout.write(f"{stamp[11:23]} {_text(entry)}\n")
        sys.stdout.flush()

    options = WatchOptions(debounce=duration(args.debounce), interval=duration(args.interval))
    if options.interval < 0.1:  # it would look for dead servers without pause, a core at 100 %
        raise UsageError(f"--interval {args.interval} is too short", "give 100ms or more, e.g. --interval 2s")
    api.watch(
        inputs_from(args),
        home=args.home,
        log=log,
        stop=stop,
        prune=args.prune,
        timeout=duration(args.timeout),
        skip_license_check=args.skip_license_check,
        options=options,
        down_on_exit=args.down_on_exit,
    )
    return 0
