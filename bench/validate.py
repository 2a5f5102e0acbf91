#!/usr/bin/env python3
"""How fast is ``alabctl validate`` on a realistic repository, against check-jsonschema?

    .venv/bin/python bench/validate.py [--projects 2000] [--repeat 5] [--keep DIR] [--seed 7]

1. Generates a repository with ``bench/gen_repo.py`` (N projects, about as many rules, a few hundred
   models, servers, embeddings, a License and a Hub; all valid), or reuses DIR with ``--keep DIR``.
2. Times every case as a fresh process, wall-clock (``time.perf_counter()`` around
   ``subprocess.run``). The cases run **interleaved**: each round runs every case once, so the
   machine's load falls on all of them alike; the table gives the min and the median of
   ``--repeat`` rounds.

   * alabctl validate, cold: the cache folder emptied before each run (parses and checks all);
   * alabctl validate, no-change re-run: the same again with nothing changed;
   * alabctl validate --no-cache;
   * check-jsonschema, **best configuration**: one schema per kind (``alabctl schema KIND``), one
     invocation per kind over that kind's files, libyaml through ruamel.yaml.clib (the times of
     the invocations are added up);
   * check-jsonschema, **default configuration**: the combined schema of ``alabctl schema`` (all
     kinds, a ``oneOf``) in one invocation, with the pure-Python YAML parser that
     ``pip install check-jsonschema`` gives (ruamel.yaml.clib hidden from it);
   * one file from an empty folder (start-up and per-invocation cost): a Rule manifest copied alone
     into an empty folder, for alabctl (cold cache) and for check-jsonschema (its Rule schema);
   * ``alabctl --version`` and ``alabctl --help``.
3. Prints the machine (cores, load, Python, versions, parsers) and the table.

check-jsonschema only checks each document's shape. alabctl, in the same run, also gives the line
and column of every diagnostic, reports duplicate keys, checks references between manifests,
label collisions, the five-model limit, embeddings per server, rule and dictionary files, and
compiles and checks every project's labeling config.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_repo import bench_env, generate  # noqa: E402

HIDE_CLIB = """
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name in ("_ruamel_yaml", "ruamel.yaml.clib") or name.startswith("ruamel.yaml.clib."):
            raise ImportError(f"{name} hidden: the default, pure-Python install")
        return None
sys.meta_path.insert(0, _Hide())
"""
"""A ``sitecustomize`` that makes check-jsonschema run as a plain ``pip install`` leaves it."""


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


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], expect: int | None = 0) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if expect is not None and proc.returncode != expect:
        sys.exit(
            f"command failed (exit {proc.returncode}, expected {expect}): {' '.join(cmd[:6])} ...\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return elapsed, proc.stdout


def _allow_string_labels(schema: dict) -> dict:
    """alabctl accepts ``labels: [present, absent]`` (strings) for assertion and relations, which
    ``alabctl schema`` prints as objects only: widen those items so the peer accepts valid files."""
    patched = copy.deepcopy(schema)
    for name in ("AssertionSpec", "RelationsSpec"):
        labels = patched.get("$defs", {}).get(name, {}).get("properties", {}).get("labels")
        if labels and "items" in labels and "anyOf" not in labels["items"]:
            labels["items"] = {"anyOf": [{"type": "string", "minLength": 1}, labels["items"]]}
    return patched


_KIND = re.compile(r"^kind:\s*(\w+)", re.MULTILINE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    ap.add_argument("--alabctl", help="the alabctl executable (default: next to this python)")
    ap.add_argument("--check-jsonschema", dest="cjs", help="the check-jsonschema executable")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    a = ap.parse_args()

    alabctl = _exe("alabctl", a.alabctl)
    cjs = _exe("check-jsonschema", a.cjs)
    python = str(Path(alabctl).with_name("python"))
    work = Path(tempfile.mkdtemp(prefix="alabctl-bench-"))
    root = a.keep.resolve() if a.keep else work / "repo"
    cache = work / "cache"
    # what a user's machine does: bytecode is cached (a PYTHONDONTWRITEBYTECODE=1 shell would
    # measure compiling alabctl's sources on every start instead)
    env = {k: v for k, v in bench_env().items() if k not in ("ALABCTL_NO_CACHE", "PYTHONDONTWRITEBYTECODE")}
    env["ALABCTL_CACHE_DIR"] = str(cache)
    env["NO_COLOR"] = "1"
    try:
        info = generate(root, a.projects, a.seed, alabctl=alabctl)
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*.yaml"))
        by_kind: dict[str, list[str]] = {}
        for f in files:
            m = _KIND.search((root / f).read_text(encoding="utf-8"))
            by_kind.setdefault(m.group(1) if m else "?", []).append(f)
        nfiles = len(files)
        print(
            f"generated {nfiles} files, {info['manifests']} manifests ({info['bytes'] / 1e6:.1f} MB)",
            flush=True,
        )

        schemas = work / "schemas"
        schemas.mkdir()
        combined = schemas / "all.json"
        combined.write_text(
            json.dumps(_allow_string_labels(json.loads(_run([alabctl, "schema"], cwd=root, env=env)[1])))
        )
        for kind in by_kind:
            text = _run([alabctl, "schema", kind], cwd=root, env=env)[1]
            (schemas / f"{kind}.json").write_text(json.dumps(_allow_string_labels(json.loads(text))))
        pure = work / "pure"
        pure.mkdir()
        (pure / "sitecustomize.py").write_text(HIDE_CLIB)
        env_pure = {**env, "PYTHONPATH": str(pure)}
        one = work / "one"
        one.mkdir()
        rule = by_kind["Rule"][0]
        shutil.copy(root / rule, one / "rule.yaml")

        validate = [alabctl, "validate", "-f", str(root), "-o", "json"]

        def cold() -> float:
            shutil.rmtree(cache, ignore_errors=True)
            t, out = _run(validate, cwd=root, env=env)
            if not json.loads(out).get("valid"):
                sys.exit(f"alabctl reported the generated repository invalid:\n{out[-4000:]}")
            return t

        def warm() -> float:
            return _run(validate, cwd=root, env=env)[0]  # right after cold(): nothing changed

        def best_peer() -> float:
            return sum(
                _run([cjs, "--schemafile", str(schemas / f"{k}.json"), *fs], cwd=root, env=env)[0]
                for k, fs in by_kind.items()
            )

        def default_peer() -> float:
            return _run([cjs, "--schemafile", str(combined), *files], cwd=root, env=env_pure)[0]

        def one_alabctl() -> float:
            shutil.rmtree(cache, ignore_errors=True)
            return _run([alabctl, "validate", "-f", "rule.yaml"], cwd=one, env=env)[0]

        def one_peer() -> float:
            return _run([cjs, "--schemafile", str(schemas / "Rule.json"), "rule.yaml"], cwd=one, env=env)[0]

        cases: list[tuple[str, int, Callable[[], float]]] = [
            ("alabctl validate, cold", nfiles, cold),
            ("alabctl validate, no-change re-run", nfiles, warm),
            (
                "alabctl validate --no-cache",
                nfiles,
                lambda: _run([*validate, "--no-cache"], cwd=root, env=env)[0],
            ),
            ("check-jsonschema, best (per-kind schema, C parser)", nfiles, best_peer),
            ("check-jsonschema, default (combined schema, pure-Python parser)", nfiles, default_peer),
            ("alabctl validate, 1 file from an empty folder", 1, one_alabctl),
            ("check-jsonschema, 1 file (Rule schema, C parser)", 1, one_peer),
            ("alabctl --version", 0, lambda: _run([alabctl, "--version"], cwd=one, env=env)[0]),
            ("alabctl --help", 0, lambda: _run([alabctl, "--help"], cwd=one, env=env)[0]),
        ]
        for _, _, case in cases:  # warm-up: bytecode written, page cache filled
            case()
        runs: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for r in range(a.repeat):
            for name, _, case in cases:
                runs[name].append(case())
            print(f"  round {r + 1}/{a.repeat} done", flush=True)

        probe = (
            "import sys, ruamel.yaml, pydantic, alabctl, alabctl.spec.yamlsrc as y; "
            "print(sys.version.split()[0], alabctl.__version__, y.C_PARSER, ruamel.yaml.__version__, "
            "pydantic.VERSION)"
        )
        py, version, c_parser, ruamel_version, pyd = _run([python, "-c", probe], cwd=root, env=env)[1].split()
        cjs_version = _run([cjs, "--version"], cwd=root, env=env)[1].split()[-1]
        rows = []
        print()
        print(
            f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), load "
            f"{os.getloadavg()[0]:.1f}; {platform.platform()}; Python {py}"
        )
        print(
            f"alabctl {version} (libyaml: {c_parser}, pydantic {pyd}); check-jsonschema {cjs_version}; "
            f"ruamel.yaml {ruamel_version}; {a.repeat} interleaved rounds"
        )
        print(
            f"repository: {nfiles} files, {info['manifests']} manifests, {a.projects} projects (seed {a.seed})"
        )
        print()
        print("| case | files | min s | median s | files/s (min) |")
        print("|---|---:|---:|---:|---:|")
        for name, n, _ in cases:
            best, med = min(runs[name]), statistics.median(runs[name])
            rows.append({"case": name, "files": n, "min_s": best, "median_s": med, "runs": runs[name]})
            rate = f"{n / best:,.0f}" if n > 1 else ""
            print(f"| {name} | {n or ''} | {best:.3f} | {med:.3f} | {rate} |")
        cold_min = min(runs["alabctl validate, cold"])
        for peer in (
            "check-jsonschema, best (per-kind schema, C parser)",
            "check-jsonschema, default (combined schema, pure-Python parser)",
        ):
            print(
                f"alabctl cold vs {peer}: {min(runs[peer]) / cold_min:.2f}x (min), "
                f"{statistics.median(runs[peer]) / statistics.median(runs['alabctl validate, cold']):.2f}x (median)"
            )
        if a.keep:
            print(f"repository kept in {root}")
        if a.json:
            a.json.write_text(json.dumps({"rows": rows, "generated": info}, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
