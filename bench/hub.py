#!/usr/bin/env python3
"""Benchmark: the ``alabctl hub pull`` command against ``curl`` on the same files from the same hub.

Builds zips of random (incompressible) bytes, lists them in a hub ``metadata.json`` **with their
sha256** (so the pull verifies every byte), serves them from a local server in its own process
(sendfile), and times, as fresh processes and wall-clock:

* ``alabctl hub pull NAME`` (start-up, index, download, sha256 while streaming, safe unzip,
  install, store record) into an empty ``--home``;
* ``curl -s -o FILE URL`` alone (the wire floor), one process per file;
* with several archives, also one ``curl --parallel`` process for all of them (curl's own
  one-command form, the counterpart of ``alabctl hub pull A B C``);
* ``curl`` then ``sha256sum`` then ``unzip -q`` of the same file (the same work, by hand).

Beside the wall-clock figures, the CPU time (user + sys) the timed processes used: on a shared
machine it moves far less than the wall clock.

Two scenarios: one large archive (``--large-mb``), and ``--models`` archives of ``--each-mb``
pulled at once (each tool's processes run concurrently, as a script pulling several models would).
Each figure is the min and median of ``--repeat`` interleaved runs (each round starts with the next
tool; ``sync`` before every run, untimed, so no run pays for the writeback of the one before). Prints
the machine and a table.

    .venv/bin/python bench/hub.py                        # 1 x 500 MB, 5 x 100 MB, 3 runs
    .venv/bin/python bench/hub.py --large-mb 100 --each-mb 20 --repeat 2   # quick
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.request import urlopen

SERVER = r"""
import http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def copyfile(self, source, outputfile):
        outputfile.flush()
        self.connection.sendfile(source)
os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def build(folder: Path, prefix: str, count: int, size_mb: int, start: int) -> list[dict[str, object]]:
    """``count`` model zips of ``size_mb`` each, and their metadata rows (with sha256)."""
    rows = []
    for i in range(count):
        name = f"{prefix}_{i}"
        stamp = 1_690_000_000_000 + start + i
        path = folder / f"{name}_en_4.4.0_3.0_{stamp}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr(
                "metadata/part-00000", json.dumps({"class": "x.NerDLModel", "uid": name, "paramMap": {}})
            )
            with zf.open("fields/weights/part-00000", "w", force_zip64=True) as out:
                left = size_mb * 1_000_000
                while left > 0:
                    chunk = os.urandom(min(left, 1 << 22))
                    out.write(chunk)
                    left -= len(chunk)
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 22):
                digest.update(block)
        rows.append(
            {
                "name": name,
                "language": "en",
                "libVersion": {"parts": [4, 4, 0]},
                "sparkVersion": {"parts": [3, 0]},
                "readyToUse": True,
                "time": stamp,
                "isZipped": True,
                "size": path.stat().st_size,
                "sha256": digest.hexdigest(),
                "file": path.name,
            }
        )
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            with urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the bench server did not start")


CPU: list[float] = []
"""CPU seconds (user + sys) of each timed run's processes, in the order run_all ran them."""


def run_all(commands: list[list[str]], env: dict[str, str]) -> float:
    """Start every command at once; seconds until the last one ends. Any failure stops the bench.

    The CPU time (user + sys) its processes used is appended to :data:`CPU`.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands]
    failed = []
    for cmd, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate()
        if proc.returncode != 0:
            failed.append(
                f"{' '.join(cmd)[:200]} -> exit {proc.returncode}\n{out.decode()[-2000:]}{err.decode()[-2000:]}"
            )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if failed:
        raise SystemExit("a timed command failed:\n" + "\n".join(failed))
    return elapsed


def _bind(
    make: Callable[[str, list[dict[str, object]], bool], Callable[[Path], float]], exe: str, one: bool
) -> Callable[[list[dict[str, object]]], Callable[[Path], float]]:
    return lambda rows: make(exe, rows, one)


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError:
        return "missing"
    text = (out.stdout or out.stderr).strip()
    return " ".join(text.splitlines()[0].split()[:3]) if text else "?"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large-mb", type=int, default=500, help="the one large archive (default 500)")
    parser.add_argument("--models", type=int, default=5, help="archives pulled at once (default 5)")
    parser.add_argument("--each-mb", type=int, default=100, help="size of each of them (default 100)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per figure (default 3)")
    parser.add_argument("--alabctl", default=str(Path(sys.executable).with_name("alabctl")))
    parser.add_argument(
        "--baseline", help="another alabctl executable timed in the same rounds (an A/B against other code)"
    )
    parser.add_argument("--only", choices=["large", "many"], help="run one scenario only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    for tool in ("curl", "sha256sum", "unzip"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: the comparison needs curl, sha256sum and unzip")
    work = Path(tempfile.mkdtemp(prefix="alabctl-bench-hub-"))
    server = None
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env["NO_COLOR"] = "1"
    try:
        folder = work / "hub" / "public" / "models"
        folder.mkdir(parents=True)
        large = build(folder, "bench_large", 1, args.large_mb, 0)
        many = build(folder, "bench_many", args.models, args.each_mb, 100)
        (folder / "metadata.json").write_text("\n".join(json.dumps(r) for r in large + many) + "\n")
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(work / "hub")])
        url = f"http://127.0.0.1:{port}"
        wait_up(f"{url}/public/models/metadata.json")

        def alabctl(exe: str, rows: list[dict[str, object]], one_command: bool) -> Callable[[Path], float]:
            def run(scratch: Path) -> float:
                home = scratch / "home"
                env_run = {**env, "ALABCTL_CACHE_DIR": str(scratch / "cache")}
                tail = ["--hub", url, "--home", str(home)]
                names = [str(r["name"]) for r in rows]
                if one_command:
                    commands = [[exe, "hub", "pull", *names, "--workers", str(len(names)), *tail]]
                else:
                    commands = [[exe, "hub", "pull", name, *tail] for name in names]
                return run_all(commands, env_run)

            return run

        def curl(rows: list[dict[str, object]], then_check: bool) -> Callable[[Path], float]:
            def run(scratch: Path) -> float:
                cmds = []
                for r in rows:
                    target = scratch / str(r["file"])
                    fetch = f"curl -sf -o {target} {url}/public/models/{r['file']}"
                    if then_check:
                        unpack = scratch / f"{r['name']}.d"
                        fetch += (
                            f" && echo '{r['sha256']}  {target}' | sha256sum -c --quiet -"
                            f" && unzip -q {target} -d {unpack}"
                        )
                    cmds.append(["sh", "-c", fetch])
                return run_all(cmds, env)

            return run

        def curl_parallel(rows: list[dict[str, object]]) -> Callable[[Path], float]:
            """One ``curl --parallel`` process for all the files: curl's own one-command form."""

            def run(scratch: Path) -> float:
                cmd = ["curl", "-sf", "--parallel", "--parallel-max", str(len(rows))]
                for r in rows:
                    cmd += ["-o", str(scratch / str(r["file"])), f"{url}/public/models/{r['file']}"]
                return run_all([cmd], env)

            return run

        scenarios = [
            (f"1 x {args.large_mb} MB", large),
            (f"{args.models} x {args.each_mb} MB at once", many),
        ]
        scenarios = [s for s in scenarios if args.only is None or (s[1] is large) == (args.only == "large")]
        builds = [("alabctl", args.alabctl)] + ([("baseline", args.baseline)] if args.baseline else [])

        def tools_for(
            many: bool,
        ) -> list[tuple[str, Callable[[list[dict[str, object]]], Callable[[Path], float]]]]:
            """Each tool once; with several archives, alabctl as one command and as one process per name."""
            out: list[tuple[str, Callable[[list[dict[str, object]]], Callable[[Path], float]]]] = []
            for who, exe in builds:
                if many:
                    out.append((f"{who} hub pull NAME1 NAME2 ... (one command)", _bind(alabctl, exe, True)))
                if many:
                    out.append((f"{who} hub pull NAME, one process per name", _bind(alabctl, exe, False)))
                else:
                    out.append((f"{who} hub pull (sha256, unzip, install)", _bind(alabctl, exe, True)))
            out.append(("curl alone", lambda rows: curl(rows, False)))
            if many:
                out.append(("curl --parallel (one command)", curl_parallel))
            out.append(("curl + sha256sum + unzip", lambda rows: curl(rows, True)))
            return out

        results: list[dict[str, object]] = []
        for label, rows in scenarios:
            tools = tools_for(len(rows) > 1)
            megabytes = sum(int(str(r["size"])) for r in rows) / 1e6
            runs: dict[str, list[float]] = {t: [] for t, _ in tools}
            cpu: dict[str, list[float]] = {t: [] for t, _ in tools}
            for round_ in range(args.repeat):  # interleaved: every tool once per round
                # each round starts with another tool, and every run with no dirty pages left by the
                # one before (the kernel throttles writers while it writes those back)
                for tool, make in tools[round_ % len(tools) :] + tools[: round_ % len(tools)]:
                    scratch = work / "scratch"
                    shutil.rmtree(scratch, ignore_errors=True)
                    scratch.mkdir()
                    os.sync()
                    runs[tool].append(make(rows)(scratch))
                    cpu[tool].append(CPU[-1])
                    shutil.rmtree(scratch, ignore_errors=True)
            # curl's best form is the reference: five processes, or one --parallel process
            curl_best = min(min(runs[t]) for t in runs if t.startswith(("curl alone", "curl --parallel")))
            for tool, times in runs.items():
                best, median = min(times), statistics.median(times)
                results.append(
                    {
                        "scenario": label,
                        "tool": tool,
                        "mb": megabytes,
                        "min_s": best,
                        "median_s": median,
                        "mb_per_s": megabytes / best,
                        "of_curl": curl_best / best,
                        "runs": times,
                        "cpu_s": statistics.median(cpu[tool]),
                    }
                )
                print(f"  {label}: {tool}: min {best:.2f} s, median {median:.2f} s", flush=True)

        print()
        print(
            f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
            f"load {os.getloadavg()[0]:.1f}; {platform.platform()}; Python {platform.python_version()}"
        )
        print(
            f"{version([args.alabctl, '--version'])}; {version(['curl', '--version'])}; "
            f"{version(['sha256sum', '--version'])}; {version(['unzip', '-v'])}"
        )
        print(f"runs per figure: {args.repeat}, interleaved; the hub lists sha256 for every archive")
        if args.baseline:
            print(f"baseline: {args.baseline}")
        print()
        print(
            "| scenario | tool | MB | min s | median s | MB/s (min) | of curl alone (best form) | CPU s (median) |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for r in results:
            print(
                f"| {r['scenario']} | {r['tool']} | {r['mb']:.0f} | {r['min_s']:.2f} | {r['median_s']:.2f} | "
                f"{r['mb_per_s']:.0f} | {r['of_curl']:.2f} | {r['cpu_s']:.2f} |"
            )
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
