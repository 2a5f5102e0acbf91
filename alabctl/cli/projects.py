"""``alabctl get projects -f REPO``: each project in Label Studio, with tasks, predictions and backend."""

from __future__ import annotations

import argparse
import json

from alabctl import api
from alabctl.cli.hub import print_table
from alabctl.cli.planview import show_invalid
from alabctl.spec.errors import UsageError


def run(args: argparse.Namespace) -> int:
    """List the projects with a ``labelStudio`` block as their Label Studio has them."""
    if not args.inputs:
        raise UsageError(
            "get projects needs -f PATH: the manifests name the projects and their Label Studio",
            "alabctl get projects -f examples/",
        )
    inputs = api.Inputs(paths=list(args.inputs))
    validation = api.validate(inputs)
    if not validation.valid:
        return show_invalid(validation, "get projects", "json" if args.output == "json" else "text")
    rows = api.labelstudio_projects(inputs, home=args.home, validation=validation)
    if args.output == "json":
        print(json.dumps([r.to_json() for r in rows], indent=2))
        return 0
    if args.output == "yaml":
        from alabctl.cli.store import yaml_rows

        print(yaml_rows([r.to_json() for r in rows]), end="")
        return 0
    if not rows:
        print("no project in these manifests has a labelStudio block (see docs/labelstudio.md)")
        return 0
    print_table(
        ["NAME", "INSTANCE", "ID", "URL", "TASKS", "ANNOTATED", "PREDICTED", "MODEL VERSION", "BACKEND"],
        [
            [
                r.name,
                r.instance,
                str(r.id) if r.id is not None else "-",
                r.url,
                str(r.tasks),
                str(r.annotated),
                str(r.predicted),
                r.model_version,
                r.backend,
            ]
            for r in rows
        ],
    )
    return 0
