"""``alabctl get|describe|delete`` for models and embeddings, and ``alabctl models upload``."""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import asdict
from pathlib import Path

from alabctl.assets.download import disk_free, human
from alabctl.assets.home import Home, resolve_home
from alabctl.assets.pull import remove_tree
from alabctl.assets.store import AssetRow, Store
from alabctl.assets.upload import Upload, manifest_yaml, split_labels, upload
from alabctl.cli.hub import print_table
from alabctl.spec.errors import UserError
from alabctl.spec.lock import AssetType

_TYPES = {"model": AssetType.MODEL, "models": AssetType.MODEL, "embeddings": AssetType.EMBEDDINGS}


def _home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home", type=Path, metavar="DIR", help="the asset store (default: $ALABCTL_HOME or ~/.alabctl)"
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    get = sub.add_parser(
        "get",
        help="list installed models or embeddings (with disk usage), servers, or Label Studio projects",
        epilog="examples:\n  alabctl get models\n  alabctl get projects -f examples/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    get.add_argument("what", choices=["models", "embeddings", "servers", "projects"])
    get.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    get.add_argument(
        "-f",
        "--filename",
        dest="inputs",
        action="append",
        default=[],
        metavar="PATH",
        help="servers: manifests to compare with (adds the SYNC column); projects: the manifests",
    )
    _home_option(get)
    get.set_defaults(run=run_get)

    describe = sub.add_parser("describe", help="everything the store knows about one asset")
    describe.add_argument("what", choices=["model", "embeddings"])
    describe.add_argument("name")
    _home_option(describe)
    describe.set_defaults(run=run_describe)

    delete = sub.add_parser("delete", help="remove an installed asset (refused while a server uses it)")
    delete.add_argument("what", choices=["model", "embeddings"])
    delete.add_argument("name")
    delete.add_argument("--force", action="store_true", help="delete even while a server uses it")
    _home_option(delete)
    delete.set_defaults(run=run_delete)

    models = sub.add_parser("models", help="manage local models")
    models_sub = models.add_subparsers(dest="models_command", metavar="COMMAND", parser_class=type(models))
    up = models_sub.add_parser("upload", help="install a Spark NLP model folder or zip (prints its manifest)")
    up.add_argument("path", type=Path)
    up.add_argument("--name", required=True)
    up.add_argument("--task", required=True, choices=["ner", "assertion", "classification", "relation"])
    up.add_argument("--labels", required=True, help="the labels it predicts: A,B,C")
    up.add_argument("--embeddings", help="the storageRef it was trained with (checked against its metadata)")
    up.add_argument("--language", default="en")
    _home_option(up)
    up.set_defaults(run=run_upload)
    models.set_defaults(run=None)


def _open(args: argparse.Namespace) -> tuple[Home, Store]:
    home = resolve_home(args.home)
    return home, Store(home.db)


def _version(row: AssetRow) -> str:
    return "/".join(v for v in (row.lib_version, row.spark_version) if v) or "-"


def _public(row: AssetRow) -> dict[str, object]:
    data = asdict(row)
    data["labels"] = list(row.labels) if row.labels is not None else None
    return {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}


def _yaml(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "[]\n"
    lines = []
    for row in rows:
        for i, (key, value) in enumerate(row.items()):
            lines.append(f"{'- ' if i == 0 else '  '}{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def run_get(args: argparse.Namespace) -> int:
    if args.what == "projects":
        from alabctl.cli import projects

        return projects.run(args)
    if args.what == "servers":
        from alabctl.cli import status

        args.output = "json" if args.output == "json" else "table"
        args.values, args.assignments, args.root, args.lockfile, args.no_cache = [], [], None, None, False
        args.server = None
        return status.run(args)
    home, store = _open(args)
    rows = store.rows(_TYPES[args.what])
    if args.output == "json":
        print(json.dumps([_public(r) for r in rows], indent=2))
        return 0
    if args.output == "yaml":
        print(_yaml([_public(r) for r in rows]), end="")
        return 0
    print_table(
        ["NAME", "SOURCE", "STATUS", "SIZE", "LANGUAGE", "VERSION", "EDITION", "LABELS"],
        [
            [
                r.name,
                r.source.value,
                r.status.value,
                human(r.size),
                r.language or "-",
                _version(r),
                r.edition or "-",
                ",".join(r.labels or ()) or "-",
            ]
            for r in rows
        ],
    )
    used = sum(r.size or 0 for r in store.rows())
    total = shutil.disk_usage(home.root).total if home.root.exists() else 0
    print(f"\ndisk: store {human(used)} in {home.root}, {human(disk_free(home.root))} free of {human(total)}")
    return 0


def _find(store: Store, args: argparse.Namespace) -> AssetRow:
    row = store.get(args.name, _TYPES[args.what])
    if row is None:
        raise UserError(
            f"no {args.what} named '{args.name}' in the store",
            f"see 'alabctl get {args.what}s'".replace("ss'", "s'"),
        )
    return row


def run_describe(args: argparse.Namespace) -> int:
    home, store = _open(args)
    row = _find(store, args)
    for key, value in _public(row).items():
        print(f"{key + ':':15} {value if value is not None else '-'}")
    print(f"{'path:':15} {home.asset_dir(row.key)}")
    print(f"{'servers:':15} {', '.join(store.servers_using(row.name)) or '-'}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    home, store = _open(args)
    row = _find(store, args)
    servers = store.servers_using(row.name)
    if servers and not args.force:
        raise UserError(
            f"'{row.name}' is used by the server(s) {', '.join(servers)}",
            "remove it from those projects and apply first, or pass --force",
        )
    remove_tree(home.asset_dir(row.key))
    store.delete(row.name, row.type)
    print(f"deleted {row.type.value} {row.name} ({home.asset_dir(row.key)})")
    return 0


def run_upload(args: argparse.Namespace) -> int:
    home, store = _open(args)
    request = Upload(
        path=args.path,
        name=args.name,
        task=args.task,
        labels=split_labels(args.labels),
        embeddings=args.embeddings,
        language=args.language,
    )
    row = upload(request, home, store)
    print(f"# installed {row.type.value} {row.name} ({human(row.size)}) in {home.asset_dir(row.key)}")
    print("# commit this manifest:")
    print(manifest_yaml(request, row, str(args.path)), end="")
    return 0
