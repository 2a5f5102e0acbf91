"""Benchmark: validate + compile of a generated repository, time per phase.

    .venv/bin/python bench/compile.py                      # 1,000 projects, 5,000 rules, 200 servers
    .venv/bin/python bench/compile.py --projects 200 --rules 1000 --servers 40

The repository comes from ``bench/gen_repo.py`` (deterministic for a seed). Phases are timed in one
process with ``time.perf_counter()``, each the median of ``--repeat`` runs, with no cache (a cold
parse every time): load (find, read, parse YAML, schema-check, cross-check), the compiler's checks
(limits, embeddings, licenses, labels, rules, labeling configs), compile (every artifact in memory),
and write (the build folder, swapped in atomically). Then the whole ``alabctl compile`` command as a
fresh process, cold and with the cache warm. The goal is under 10 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_repo

from alabctl import __version__
from alabctl.api import write_tree
from alabctl.compile.build import compile_repository, read_dictionaries
from alabctl.compile.verify import verify
from alabctl.spec.validate import load_repository

GOAL_SECONDS = 10.0


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_cli(args: list[str], cwd: Path, env: dict[str, str], repeat: int) -> float:
    exe = str(Path(sys.executable).with_name("alabctl"))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(
                f"alabctl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}{proc.stderr}"
            )
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--rules", type=int, default=5000)
    ap.add_argument("--servers", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="alabctl-bench-compile-"))
    root = args.keep or work / "repo"
    env = gen_repo.bench_env(dict(os.environ))
    env["ALABCTL_CACHE_DIR"] = str(work / "cache")
    os.environ["JSL_LICENSE"] = env["JSL_LICENSE"]
    try:
        start = time.perf_counter()
        info = gen_repo.generate(root, args.projects, args.seed, rules=args.rules, servers=args.servers)
        generated = time.perf_counter() - start
        now = datetime.now(UTC)

        t_load, spec = timed(lambda: load_repository([str(root)], cwd=root), args.repeat)
        repo = spec.repository
        t_checks, found = timed(lambda: verify(repo, env=env, now=now), args.repeat)
        errors = [d for d in [*spec.diagnostics, *found] if d.is_error]
        if errors:
            raise SystemExit(f"the generated repository is invalid: {errors[:3]}")
        t_compile, build = timed(lambda: compile_repository(repo, read_dictionaries(repo)), args.repeat)
        out = work / "build"

        def write() -> Any:
            shutil.rmtree(out, ignore_errors=True)
            return write_tree(out, build.files)

        t_write, _ = timed(write, args.repeat)
        in_process = t_load + t_checks + t_compile + t_write

        cli = ["compile", "-f", ".", "--out", str(work / "cli-build")]
        t_cli_cold = run_cli([*cli, "--no-cache"], root, env, args.repeat)
        run_cli(cli, root, env, 1)  # fill the cache
        t_cli_warm = run_cli(cli, root, env, args.repeat)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    kinds = info["kinds"]
    artifacts = len(build.files)
    print(f"alabctl {__version__}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(
        f"repository: {kinds['Project']} projects, {kinds['Rule']} rules, {kinds['Server']} servers, "
        f"{kinds['Model']} models, {info['files']} files ({info['bytes'] / 1e6:.1f} MB), generated in {generated:.1f} s"
    )
    print(f"compiled: {artifacts} artifacts ({sum(len(b) for b in build.files.values()) / 1e6:.1f} MB)\n")
    print(f"| phase (median of {args.repeat}, in one process, no cache) | seconds |")
    print("|---|---:|")
    for name, seconds in [
        ("load: find, read, parse, schema, references", t_load),
        ("checks: limits, embeddings, licenses, labels, rules, XML", t_checks),
        ("compile: configs, pipelines, rule JSON, manifest.json", t_compile),
        ("write: build folder, swapped in atomically", t_write),
        ("total", in_process),
    ]:
        print(f"| {name} | {seconds:.2f} |")
    print()
    print("| `alabctl compile` as a fresh process | seconds |\n|---|---:|")
    print(f"| cold (`--no-cache`) | {t_cli_cold:.2f} |")
    print(f"| warm (no change, cache filled) | {t_cli_warm:.2f} |")
    verdict = "meets" if t_cli_cold < GOAL_SECONDS else "MISSES"
    print(f"\ngoal: cold compile under {GOAL_SECONDS:.0f} s: {verdict} ({t_cli_cold:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
