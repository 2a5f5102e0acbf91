"""Benchmark: ``alabctl compile`` of a generated repository: the command, and time per phase.

    .venv/bin/python bench/compile.py                      # 4,000 projects, 3 cold runs
    .venv/bin/python bench/compile.py --projects 500 --repeat 2

The repository comes from ``bench/gen_repo.py`` (deterministic for a seed). Every cold run starts
from a **fresh process, a cache folder and a build folder that do not exist yet**, so nothing from
an earlier run (a parsed repository in memory, a cache, an unchanged build that is not rewritten)
is reused, and after a ``sync`` and a 3 s pause, so it does not pay for the disk's work on the
runs before it (deleting the last round's 15,000 files slowed the next rounds' writes by seconds):

* the ``alabctl compile`` command itself, cold, with its wall time, CPU time and peak memory
  (``VmHWM`` of the process running alabctl's ``main``; worker processes it forks are not included);
* the same command again with nothing changed (cache filled, build up to date: it compiles
  nothing, see ``alabctl.compile.uptodate``);
* the cold command right after ``rm -rf`` of that build and cache folder (``--no-after-rm`` skips
  it): on ext4 without a journal, inodes allocated within seconds of many being freed cost more;
* the phases, timed inside one fresh process per run: load (find, read, parse YAML, schema-check,
  cross-check), the compiler's checks (limits, embeddings, licenses, labels, rules, labeling
  configs), compile (every artifact in memory) and write (the build folder, swapped in);
* the file system's floor for the write phase in the same round: the build's files (same folders,
  names and sizes) created with a bare ``os.open``/``os.write`` loop.

Each figure is the min and median of ``--repeat`` runs. Prints the machine and a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_repo

GOAL_SECONDS = 6.0
GOAL_MB = 200

CLI = r"""
import sys
from alabctl.cli.main import main
code = main(sys.argv[1:])
status = open("/proc/self/status").read()
peak = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM:"))
sys.stderr.write(f"\nVmHWM_KB={peak}\n")
sys.exit(code)
"""
"""alabctl's entry point, as the console script runs it, reporting its peak memory at the end."""

PHASES = """
import json, os, shutil, sys, time
from datetime import UTC, datetime
from pathlib import Path
t0 = time.perf_counter()
from alabctl.api import write_tree
from alabctl.compile.build import compile_repository, read_dictionaries
from alabctl.compile.verify import verify
from alabctl.spec.validate import load_repository
root, out = Path(sys.argv[1]), Path(sys.argv[2])
t = {"import": time.perf_counter() - t0}
t0 = time.perf_counter()
spec = load_repository([str(root)], cwd=root)
t["load"] = time.perf_counter() - t0
t0 = time.perf_counter()
configs = {}
found = verify(spec.repository, env=os.environ, now=datetime.now(UTC), configs=configs)
t["checks"] = time.perf_counter() - t0
errors = [d for d in [*spec.diagnostics, *found] if d.is_error]
if errors:
    sys.exit(f"the generated repository is invalid: {errors[:3]}")
t0 = time.perf_counter()
build = compile_repository(spec.repository, read_dictionaries(spec.repository), configs)
t["compile"] = time.perf_counter() - t0
t0 = time.perf_counter()
write_tree(out, build.files)
t["write"] = time.perf_counter() - t0
t["artifacts"] = len(build.files)
t["bytes"] = sum(len(b) for b in build.files.values())
print(json.dumps(t))
"""
"""The phases in one fresh process, as the command runs them (the checks hand their labeling configs
to the compile step), into a build folder that does not exist yet."""


CPU: list[float] = []
"""User + system CPU seconds of each command :func:`run` ran (its worker processes included)."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


SETTLE = 3.0
"""Seconds to wait after ``sync`` before a cold run, for the disk to finish the previous run's work."""


def settle() -> None:
    """Write back what earlier runs left dirty and let the disk finish with it (ext4 here discards
    freed blocks after the fact), so a run does not pay for the one before."""
    os.sync()
    time.sleep(SETTLE)


def bare_writes(like: Path, into: Path) -> float:
    """Seconds to create ``like``'s files (same folders, names and sizes) under ``into`` with bare
    ``os.open``/``os.write``: the file system's floor for the write phase, measured in the same run."""
    files = [(p.relative_to(like), p.stat().st_size) for p in like.rglob("*") if p.is_file()]
    settle()
    start = time.perf_counter()
    made: set[Path] = set()
    for rel, size in files:
        folder = into / rel.parent
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        fd = os.open(into / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"x" * size)
        os.close(fd)
    return time.perf_counter() - start


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str, str]:
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{proc.stdout[-4000:]}{proc.stderr}"
        )
    return elapsed, proc.stdout, proc.stderr


def peak_mb(stderr: str) -> float:
    line = next(x for x in stderr.splitlines() if x.startswith("VmHWM_KB="))
    return int(line.split("=")[1]) / 1024


def fmt(values: list[float]) -> str:
    return f"{min(values):.2f} | {statistics.median(values):.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=4000)
    ap.add_argument("--rules", type=int, default=None, help="default: about one per project")
    ap.add_argument("--servers", type=int, default=None, help="default: about 0.14 per project")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    ap.add_argument(
        "--no-after-rm",
        dest="after_rm",
        action="store_false",
        help="skip the cold run right after deleting the previous build and cache",
    )
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="alabctl-bench-compile-"))
    root = (args.keep or work / "repo").resolve()
    python = str(Path(sys.executable))
    env = {k: v for k, v in gen_repo.bench_env(dict(os.environ)).items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"

    def command(build: Path) -> list[str]:
        return [python, "-c", CLI, "compile", "-f", ".", "--out", str(build)]

    def with_cache(cache: Path) -> dict[str, str]:
        return {**env, "ALABCTL_CACHE_DIR": str(cache)}

    try:
        start = time.perf_counter()
        info = gen_repo.generate(root, args.projects, args.seed, rules=args.rules, servers=args.servers)
        generated = time.perf_counter() - start
        cold, cold_cpu, cold_mb, warm, phases, after_rm, floor = [], [], [], [], [], [], []
        run(command(work / "warm-up"), root, with_cache(work / "cache-warm-up"))  # bytecode, page cache
        for i in range(args.repeat):  # interleaved: cold, no change, the phases, cold after rm -rf
            # fresh folders that never existed: deleting 15,000 files just before a run would time
            # the file system's handling of that deletion (see "after rm -rf" below)
            build, cache = work / f"build-{i}", work / f"cache-{i}"
            settle()
            seconds, _, err = run(command(build), root, with_cache(cache))
            cold.append(seconds)
            cold_cpu.append(CPU[-1])
            cold_mb.append(peak_mb(err))
            warm.append(run(command(build), root, with_cache(cache))[0])
            phases.append(
                json.loads(
                    run(
                        [python, "-c", PHASES, str(root), str(work / f"phases-{i}")],
                        root,
                        with_cache(work / f"cache-phases-{i}"),
                    )[1]
                )
            )
            floor.append(bare_writes(work / "warm-up", work / f"bare-{i}"))
            if args.after_rm:
                settle()  # the deletion's cost is what this run measures, not the runs' before it
                shutil.rmtree(build)
                shutil.rmtree(cache)
                after_rm.append(run(command(build), root, with_cache(cache))[0])
        probe = "import alabctl, pydantic, lxml.etree as e; print(alabctl.__version__, pydantic.VERSION, e.__version__)"
        versions = run([python, "-c", probe], root, env)[1].split()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    kinds = info["kinds"]
    print(
        f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), load "
        f"{os.getloadavg()[0]:.1f}; {platform.platform()}; Python {platform.python_version()}"
    )
    print(
        f"alabctl {versions[0]}, pydantic {versions[1]}, lxml {versions[2]}; {args.repeat} runs, interleaved"
    )
    print(
        f"repository: {kinds['Project']} projects, {kinds['Rule']} rules, {kinds['Server']} servers, "
        f"{kinds['Model']} models, {info['files']} files ({info['bytes'] / 1e6:.1f} MB), generated in {generated:.1f} s"
    )
    print(f"compiled: {phases[-1]['artifacts']} artifacts ({phases[-1]['bytes'] / 1e6:.1f} MB)\n")
    print("| what (fresh process each run) | min s | median s |")
    print("|---|---:|---:|")
    print(f"| `alabctl compile`, cold (empty cache and build folder) | {fmt(cold)} |")
    print(f"| `alabctl compile`, no change (cache filled, build up to date) | {fmt(warm)} |")
    if after_rm:
        print(f"| `alabctl compile`, cold right after `rm -rf` of that build and cache | {fmt(after_rm)} |")
    for name, key in [
        ("phase: imports", "import"),
        ("phase: load (find, read, parse, schema, references)", "load"),
        ("phase: checks (limits, embeddings, licenses, labels, rules, XML)", "checks"),
        ("phase: compile (pipelines, scripts, rule JSON, manifest.json)", "compile"),
        ("phase: write (build folder, swapped in)", "write"),
    ]:
        print(f"| {name} | {fmt([p[key] for p in phases])} |")
    print(f"| floor: the same files created with bare `os.open`/`os.write` | {fmt(floor)} |")
    print(f"\nCPU (user + system, workers included) of the cold command: {fmt(cold_cpu)} s (min | median)")
    print(f"peak memory of the cold command: {max(cold_mb):.0f} MB (VmHWM, max of {args.repeat})")
    ok = min(cold) < GOAL_SECONDS and max(cold_mb) < GOAL_MB
    print(f"goal: cold compile under {GOAL_SECONDS:.0f} s and {GOAL_MB} MB: {'meets' if ok else 'MISSES'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
