"""``alabctl get|describe|delete`` for models and embeddings, and ``alabctl models upload``."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from alabctl import api
from alabctl.cli.common import add_actions, add_filename_option
from alabctl.cli.hub import print_table

_TYPES = {"model": "model", "models": "model", "embedding": "embeddings", "embeddings": "embeddings"}
"""Singular or plural, as kubectl takes them."""
_OTHERS = {"server": "servers", "servers": "servers", "project": "projects", "projects": "projects"}
"""What ``get`` lists besides the store's assets."""


def _home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home", type=Path, metavar="DIR", help="the asset store (default: $ALABCTL_HOME or ~/.alabctl)"
    )


def _what(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what",
        choices=list(_TYPES),
        help="model(s) or embeddings (singular or plural, as kubectl takes them)",
    )


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, helptext: str, examples: str
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=helptext,
        description=helptext,
        epilog=f"examples:\n{examples}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    get = _command(
        sub,
        "get",
        "list installed models or embeddings (source, status, size, labels, and the store's disk "
        "usage), running servers, or Label Studio projects",
        "  alabctl get models\n  alabctl get embeddings -o json\n  alabctl get servers -f examples/\n"
        "  alabctl get projects -f examples/ -f examples-labelstudio/\n",
    )
    get.add_argument(
        "what",
        choices=[*_TYPES, *_OTHERS],
        help="model(s), embeddings, server(s) or project(s) (singular or plural, as kubectl takes them)",
    )
    add_filename_option(
        get,
        "servers: manifests to compare with (adds the SYNC column); projects: the manifests (required); repeatable",
    )
    get.add_argument(
        "-o",
        "--output",
        choices=["table", "json", "yaml"],
        default="table",
        help="table (default), json or yaml",
    )
    _home_option(get)
    get.set_defaults(run=run_get)

    describe = _command(
        sub,
        "describe",
        "everything the store knows about one asset: versions, key, folder, labels, servers using it",
        "  alabctl describe model ner_posology\n  alabctl describe embeddings embeddings_clinical\n",
    )
    _what(describe)
    describe.add_argument("name", help="the asset's name, as 'alabctl get' lists it")
    _home_option(describe)
    describe.set_defaults(run=run_describe)

    delete = _command(
        sub,
        "delete",
        "remove an installed asset; refused while a server, an installed model (for embeddings) or a "
        "server of the -f manifests needs it",
        "  alabctl delete model ner_posology -f examples/\n  alabctl delete embeddings glove_100d --force\n",
    )
    _what(delete)
    delete.add_argument("name", help="the asset's name, as 'alabctl get' lists it")
    add_filename_option(
        delete, "manifests whose servers must not lose the asset (refused when one loads it); repeatable"
    )
    delete.add_argument(
        "--force", action="store_true", help="delete even while a server or another asset uses it"
    )
    _home_option(delete)
    delete.set_defaults(run=run_delete)

    models_help = "manage local models (upload a Spark NLP model you trained or got elsewhere)"
    models = sub.add_parser(
        "models",
        help=models_help,
        description=models_help,
        epilog="example:\n  alabctl models upload ./my_ner/ --name my_ner --task ner --labels PER,ORG\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    models_sub = add_actions(models, "models_command")
    up = _command(
        models_sub,
        "upload",
        "install a saved Spark NLP model folder or zip into the store, and print the Model manifest to commit",
        "  alabctl models upload models/my_ner.zip --name my_ner --task ner --labels PER,ORG\n"
        "  alabctl models upload ./my_ner/ --name my_ner --task ner --labels PER --embeddings glove_100d\n",
    )
    up.add_argument("path", type=Path, help="the model folder (model.write().save(path)) or a zip of it")
    up.add_argument("--name", required=True, help="the manifest name (made valid: lowercase, '_', '.', '-')")
    up.add_argument(
        "--task",
        required=True,
        choices=["ner", "assertion", "classification", "relation"],
        help="what the model does",
    )
    up.add_argument("--labels", required=True, help="the labels it predicts: A,B,C")
    up.add_argument("--embeddings", help="the storageRef it was trained with (checked against its metadata)")
    up.add_argument("--language", default="en", help="its language (default: en)")
    _home_option(up)
    up.set_defaults(run=run_upload)


def _version(row: api.AssetRow) -> str:
    return "/".join(v for v in (row.lib_version, row.spark_version) if v) or "-"


def _public(row: api.AssetRow) -> dict[str, object]:
    data = asdict(row)
    data["labels"] = list(row.labels) if row.labels is not None else None
    return {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}


def yaml_rows(rows: list[dict[str, object]]) -> str:
    """Rows as a YAML list of mappings (each value as JSON, which YAML reads)."""
    if not rows:
        return "[]\n"
    lines = []
    for row in rows:
        for i, (key, value) in enumerate(row.items()):
            lines.append(f"{'- ' if i == 0 else '  '}{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def run_get(args: argparse.Namespace) -> int:
    if _OTHERS.get(args.what) == "projects":
        from alabctl.cli import projects

        return projects.run(args)
    if _OTHERS.get(args.what) == "servers":
        from alabctl.cli import status

        args.values, args.assignments, args.root, args.lockfile, args.no_cache = [], [], None, None, False
        args.server = None
        return status.run(args)
    inventory = api.installed_assets(args.home, _TYPES[args.what])
    rows = inventory.rows
    if args.output == "json":
        print(json.dumps([_public(r) for r in rows], indent=2))
        return 0
    if args.output == "yaml":
        print(yaml_rows([_public(r) for r in rows]), end="")
        return 0
    print_table(
        ["NAME", "SOURCE", "STATUS", "SIZE", "LANGUAGE", "VERSION", "EDITION", "LABELS"],
        [
            [
                r.name,
                r.source.value,
                r.status.value,
                api.human(r.size),
                r.language or "-",
                _version(r),
                r.edition or "-",
                ",".join(r.labels or ()) or "-",
            ]
            for r in rows
        ],
    )
    print(
        f"\ndisk: store {api.human(inventory.used)} in {inventory.root}, "
        f"{api.human(inventory.free)} free of {api.human(inventory.total)}"
    )
    return 0


def run_describe(args: argparse.Namespace) -> int:
    info = api.describe_asset(args.home, _TYPES[args.what], args.name)
    for key, value in _public(info.row).items():
        print(f"{key + ':':15} {value if value is not None else '-'}")
    print(f"{'path:':15} {info.path}")
    print(f"{'servers:':15} {', '.join(info.servers) or '-'}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    row, folder = api.delete_asset(
        args.home, _TYPES[args.what], args.name, inputs=args.inputs, force=args.force
    )
    print(f"deleted {row.type.value} {row.name} ({folder})")
    return 0


def run_upload(args: argparse.Namespace) -> int:
    report = api.upload_model(
        args.path,
        name=args.name,
        task=args.task,
        labels=args.labels,
        embeddings=args.embeddings,
        language=args.language,
        home=args.home,
    )
    row = report.row
    print(f"# installed {row.type.value} {row.name} ({api.human(row.size)}) in {report.path}")
    if report.name != args.name:
        print(
            f"# named '{report.name}': '{args.name}' is not a valid name (lowercase letters, digits, '_', '.', '-')"
        )
    print(f"# commit this manifest; {report.where}:")
    print(report.manifest, end="")
    return 0
