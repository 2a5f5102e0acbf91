#!/usr/bin/env python3
"""How fast is ``alabctl validate`` on a realistic repository, against check-jsonschema?

    .venv/bin/python bench/validate.py [--projects 2000] [--repeat 3] [--keep DIR] [--seed 7]

1. Generates a repository with ``bench/gen_repo.py`` (N projects, about as many rules, a few
   hundred models, servers, embeddings, a License and a Hub; all valid) into a temporary folder,
   or into DIR with ``--keep DIR`` (kept afterwards).
2. Times each command as a fresh subprocess (``time.perf_counter()`` around ``subprocess.run``,
   median of ``--repeat`` runs), with ``ALABCTL_CACHE_DIR`` pointed at a temporary folder:

   a. ``alabctl validate -f ROOT -o json``, cold: the parse cache is emptied before each run;
   b. the same, warm: nothing changed since the previous run, the cache is populated
      (goal: under 1 s);
   c. ``check-jsonschema --schemafile schema.json <every manifest file>``, with schema.json from
      ``alabctl schema`` (one combined, discriminated schema for all kinds);

   plus the fixed cost of each tool on one file, and ``alabctl validate --no-cache``.
3. Prints a table (tool, files, manifests, seconds, files/s, manifests/s), the speed ratios
   alabctl / check-jsonschema, the alabctl and Python versions and whether the C YAML parser is used.

check-jsonschema only checks the shape of one document against one schema. alabctl does more in the
same run: line/column for every diagnostic, duplicate keys, cross-references between manifests,
label collisions, the five-model limit, embeddings per server, rule and dictionary files.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_repo import bench_env, generate  # noqa: E402

KIND_DIRS = {"Project": "projects", "Rule": "rules", "Server": "servers"}


def _exe(name: str, given: str | None) -> str:
    if given:
        return given
    local = Path(sys.executable).with_name(name)
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: run with the project's virtualenv python or pass --{name}")
    return found


def _run(
    cmd: list[str], *, cwd: Path, env: dict[str, str], expect: int | None = 0
) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if expect is not None and proc.returncode != expect:
        sys.exit(
            f"command failed (exit {proc.returncode}, expected {expect}): {' '.join(cmd[:6])} ...\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return elapsed, proc


def _median(runs: list[float]) -> float:
    return statistics.median(runs)


def _allow_string_labels(schema: dict) -> tuple[dict, list[str]]:
    """alabctl accepts ``labels: [present, absent]`` (strings) for assertion and relations (SPEC
    §2.1), but ``alabctl schema`` only allows objects there. Widen those items so that the JSON
    Schema accepts what alabctl accepts; return what was changed."""
    patched = copy.deepcopy(schema)
    changed = []
    for name in ("AssertionSpec", "RelationsSpec"):
        labels = patched.get("$defs", {}).get(name, {}).get("properties", {}).get("labels")
        if labels and "items" in labels and "anyOf" not in labels["items"]:
            labels["items"] = {"anyOf": [{"type": "string", "minLength": 1}, labels["items"]]}
            changed.append(f"$defs.{name}.properties.labels.items")
    return patched, changed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    ap.add_argument("--alabctl", help="the alabctl executable (default: next to this python)")
    ap.add_argument("--check-jsonschema", dest="cjs", help="the check-jsonschema executable")
    ap.add_argument(
        "--skip-license-check",
        action="store_true",
        help="pass --skip-license-check to alabctl (when $JSL_LICENSE is not a readable license)",
    )
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    a = ap.parse_args()

    alabctl = _exe("alabctl", a.alabctl)
    cjs = _exe("check-jsonschema", a.cjs)
    python = (
        str(Path(alabctl).with_name("python"))
        if Path(alabctl).with_name("python").exists()
        else sys.executable
    )
    extra = ["--skip-license-check"] if a.skip_license_check else []

    work = Path(tempfile.mkdtemp(prefix="alabctl-bench-"))
    root = a.keep.resolve() if a.keep else work / "repo"
    cache = work / "cache"
    env = {k: v for k, v in bench_env().items() if k not in ("ALABCTL_NO_CACHE",)}
    env["ALABCTL_CACHE_DIR"] = str(cache)
    env["NO_COLOR"] = "1"
    try:
        t0 = time.perf_counter()
        info = generate(root, a.projects, a.seed, alabctl=alabctl, extra_args=tuple(extra))
        print(
            f"generated {info['files']} files ({info['bytes'] / 1e6:.1f} MB, {info['manifests']} manifests: "
            + ", ".join(f"{v} {k}" for k, v in info["kinds"].items())
            + f"; project files {info['project_lines']['min']}-{info['project_lines']['max']} lines, "
            f"mean {info['project_lines']['mean']}) in {time.perf_counter() - t0:.1f} s; valid: yes",
            flush=True,
        )

        files = sorted(str(p.relative_to(root)) for p in root.rglob("*.yaml"))
        nfiles, nman = len(files), info["manifests"]
        rows: list[dict] = []

        def row(tool: str, runs: list[float], n_files: int, n_man: int) -> dict:
            med = _median(runs)
            r = {
                "tool": tool,
                "files": n_files,
                "manifests": n_man,
                "seconds": med,
                "runs": runs,
                "files_per_s": n_files / med,
                "manifests_per_s": n_man / med,
            }
            rows.append(r)
            print(f"  {tool}: {med:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in runs)})", flush=True)
            return r

        validate = [alabctl, "validate", "-f", str(root), "-o", "json", *extra]

        def check_valid(proc: subprocess.CompletedProcess[str]) -> None:
            out = json.loads(proc.stdout)
            if not out.get("valid"):
                sys.exit(f"alabctl reported the generated repository invalid:\n{proc.stdout[-4000:]}")

        # (a) cold
        runs = []
        for _ in range(a.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            t, proc = _run(validate, cwd=root, env=env)
            check_valid(proc)
            runs.append(t)
        cold = row("alabctl validate, cold cache", runs, nfiles, nman)
        if not any(cache.glob("parse-*.json")):
            print("  note: no parse cache was written to ALABCTL_CACHE_DIR", flush=True)

        # (b) warm: the cold run above left the cache populated
        _run(validate, cwd=root, env=env)
        runs = []
        for _ in range(a.repeat):
            t, proc = _run(validate, cwd=root, env=env)
            check_valid(proc)
            runs.append(t)
        warm = row("alabctl validate, warm cache", runs, nfiles, nman)

        runs = [_run([*validate, "--no-cache"], cwd=root, env=env)[0] for _ in range(a.repeat)]
        row("alabctl validate --no-cache", runs, nfiles, nman)

        # (c) check-jsonschema, one combined schema from `alabctl schema`
        schema_file = work / "schema.json"
        _, proc = _run([alabctl, "schema"], cwd=root, env=env)
        schema = json.loads(proc.stdout)
        schema_file.write_text(json.dumps(schema, indent=1))
        cjs_cmd = [cjs, "--schemafile", str(schema_file), *files]
        _, proc = _run(cjs_cmd, cwd=root, env=env, expect=None)
        schema_note = "combined schema of `alabctl schema` (all kinds, one oneOf with a 'kind' discriminator)"
        if proc.returncode != 0:
            patched, changed = _allow_string_labels(schema)
            _, probe = _run(
                [cjs, "-o", "json", "--schemafile", str(schema_file), *files], cwd=root, env=env, expect=None
            )
            try:
                rejected = len(json.loads(probe.stdout).get("errors", []))
            except ValueError:
                rejected = -1
            if not changed:
                sys.exit(f"check-jsonschema rejects the generated repository:\n{proc.stdout[-4000:]}")
            schema_file.write_text(json.dumps(patched, indent=1))
            _, proc = _run(cjs_cmd, cwd=root, env=env, expect=None)
            if proc.returncode != 0:
                sys.exit(
                    f"check-jsonschema rejects the generated repository even with the widened schema:\n"
                    f"{proc.stdout[-4000:]}"
                )
            schema_note += (
                f"; as printed it rejected {rejected} valid files (string shorthand "
                f"`labels: [present, absent]` that alabctl accepts), so {', '.join(changed)} "
                "were widened to string-or-object for the timed runs"
            )
        runs = [_run(cjs_cmd, cwd=root, env=env)[0] for _ in range(a.repeat)]
        peer = row("check-jsonschema --schemafile", runs, nfiles, nman)

        # fixed cost per invocation: one small file
        one = "hub.yaml"
        runs = []
        for _ in range(a.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            runs.append(_run([alabctl, "validate", "-f", one, "-o", "json", *extra], cwd=root, env=env)[0])
        row("alabctl validate, 1 file (fixed cost)", runs, 1, 1)
        runs = [
            _run([cjs, "--schemafile", str(schema_file), one], cwd=root, env=env)[0] for _ in range(a.repeat)
        ]
        row("check-jsonschema, 1 file (fixed cost)", runs, 1, 1)

        # environment
        _, v = _run([alabctl, "--version"], cwd=root, env=env)
        probe = (
            "import sys, ruamel.yaml, alabctl.spec.yamlsrc as y; "
            "p = ruamel.yaml.YAML(typ='safe', pure=False).Parser.__name__; "
            "print(sys.version.split()[0], y.C_PARSER, p, ruamel.yaml.__version__)"
        )
        _, env_out = _run([python, "-c", probe], cwd=root, env=env)
        py_version, c_parser, cjs_parser, ruamel_version = env_out.stdout.split()
        _, cjs_v = _run([cjs, "--version"], cwd=root, env=env)

        print()
        print("| tool | files | manifests | seconds | files/s | manifests/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['tool']} | {r['files']:,} | {r['manifests']:,} | {r['seconds']:.3f} | "
                f"{r['files_per_s']:,.0f} | {r['manifests_per_s']:,.0f} |"
            )
        print()
        ratio_cold = peer["seconds"] / cold["seconds"]
        ratio_warm = peer["seconds"] / warm["seconds"]
        print(
            f"speed ratio alabctl / check-jsonschema: cold {ratio_cold:.2f}x, warm {ratio_warm:.2f}x "
            f"({'faster' if ratio_cold >= 1 else 'SLOWER'} cold, {'faster' if ratio_warm >= 1 else 'SLOWER'} warm)"
        )
        print(
            f"warm run: {warm['seconds']:.3f} s ({'meets' if warm['seconds'] < 1 else 'MISSES'} the < 1 s goal)"
        )
        print(
            f"{v.stdout.strip()}; Python {py_version}; ruamel.yaml {ruamel_version}; "
            f"alabctl C parser (alabctl.spec.yamlsrc.C_PARSER): {c_parser}; "
            f"check-jsonschema {cjs_v.stdout.strip().split()[-1]} parser: {cjs_parser}"
        )
        print(f"check-jsonschema schema: {schema_note}; one invocation with all {nfiles} files")
        print(
            "note: alabctl does more than check-jsonschema in the same run: line/column for every diagnostic, "
            "duplicate keys, cross-references between manifests, label collisions, server model limits "
            "and embeddings, rule/dictionary files"
        )
        if a.keep:
            print(f"repository kept in {root}")
        if a.json:
            a.json.write_text(
                json.dumps(
                    {
                        "rows": rows,
                        "generated": info,
                        "alabctl": v.stdout.strip(),
                        "python": py_version,
                        "c_parser": c_parser == "True",
                        "cjs_parser": cjs_parser,
                        "schema_note": schema_note,
                    },
                    indent=1,
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
