"""Benchmark: the pre-annotation server and batch pre-annotation on the peers' corpus and rules.

    .venv/bin/python bench/serve.py                          # 200k docs, 50k phrases, 20 regexes
    .venv/bin/python bench/serve.py --docs 20000 --duration 5 --json /tmp/serve.json

Data: ``/work/shared/bench-peers/make_corpus.py`` (``--corpus-script``): one sentence per document,
a 50k-phrase dictionary (one dictionary Rule per label, tab-separated, multi-word entries, so
``ruleScope: document`` + ``matchScope: sub-token``) and its 20 regex rules as Rule manifests (the
``ignore_case`` flag is dropped: ContextualParser regexes are case-sensitive). One project on one
``engine: native`` server uses them all; compiled once with ``alabctl compile``.

1. ``/predict`` with one short task, from ``wrk`` (Debian's, when on PATH, with ``--latency``) or a
   bounded Python client (``--connections`` processes, keep-alive, closed loop): p50, p99, requests/s.
2. Hot reload under that load: a Python client drives ``/predict`` while ``/admin/reload`` reloads
   the build (the 50k-phrase automaton included) every ``--reload-every`` seconds; requests that did
   not get a 200 (goal 0), and the longest request while reloads ran (the stall).
3. ``alabctl preannotate`` of the documents as a JSON array of tasks (the export format, parsed
   as a stream), a tenth of them with 1 worker (memory stays flat: same peak RSS), all of them with
   1 and 2 workers: docs/s (wall clock of the process, start-up and rule loading included) and peak
   RSS (``VmHWM`` of the main process and of the largest worker, polled every 50 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from loadgen import predict_loop

from alabctl import __version__

CORPUS_SCRIPT = Path("/work/shared/bench-peers/make_corpus.py")
SHORT = "Patient is a 5'11 male on aspirin 100 mg twice daily, seen 2024-01-02 at 10:30."
P99_GOAL_MS = 20.0


# -- data -----------------------------------------------------------------------------------------


def make_data(out: Path, docs: int, phrases: int, script: Path) -> Path:
    cmd = [sys.executable, str(script), "--docs", str(docs), "--phrases", str(phrases), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def make_repo(data: Path, root: Path) -> list[str]:
    """Rule manifests (dictionaries per label + the regexes), one project, one native server."""
    (root / "rules" / "dictionaries").mkdir(parents=True)
    by_label: dict[str, list[str]] = {}
    for line in (data / "dict.tsv").read_text().splitlines():
        phrase, label = line.split("\t")
        by_label.setdefault(label, []).append(phrase)
    names: list[str] = []
    for label, entries in sorted(by_label.items()):
        name = f"dict-{_slug(label)}"
        (root / "rules" / "dictionaries" / f"{name}.tsv").write_text("".join(f"{p}\t{p}\n" for p in entries))
        (root / "rules" / f"{name}.yaml").write_text(
            f"apiVersion: alabctl/v1\nkind: Rule\nmetadata: {{name: {name}}}\nspec:\n  entity: {label}\n"
            f'  dictionary: {{file: dictionaries/{name}.tsv, orientation: horizontal, delimiter: "\\t"}}\n'
            "  caseSensitive: false\n  ruleScope: document\n  matchScope: sub-token\n"
        )
        names.append(name)
    for rule in json.loads((data / "rules.json").read_text()):
        name = f"re-{_slug(rule['name'])}"
        pattern = json.dumps(rule["pattern"])
        (root / "rules" / f"{name}.yaml").write_text(
            f"apiVersion: alabctl/v1\nkind: Rule\nmetadata: {{name: {name}}}\nspec:\n  entity: {rule['name']}\n"
            f"  regex: {pattern}\n  ruleScope: document\n  matchScope: sub-token\n"
        )
        names.append(name)
    (root / "bench.yaml").write_text(
        "apiVersion: alabctl/v1\nkind: Server\nmetadata: {name: bench}\nspec: {engine: native}\n---\n"
        "apiVersion: alabctl/v1\nkind: Project\nmetadata: {name: bench}\nspec:\n  server: bench\n"
        f"  ner:\n    labels: [{{value: Note}}]\n    rules: [{', '.join(names)}]\n"
    )
    return names


def compile_build(alabctl: Path, root: Path, out: Path) -> None:
    done = subprocess.run(
        [str(alabctl), "compile", "-f", str(root), "--out", str(out), "--no-cache"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"compile failed:\n{done.stdout}\n{done.stderr}")


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(alabctl: Path, build: Path, home: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "ALABCTL_HOME": str(home)}
    cmd = [str(alabctl), "serve", "bench", "--build", str(build), "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"serve exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("serve did not become healthy in 120 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


BODY = json.dumps({"tasks": [{"id": 1, "data": {"text": SHORT}}]}).encode()


def _client(port: int, stop_at: float, out: list[tuple[float, float, int]]) -> None:
    predict_loop(port, BODY, stop_at, out, timeout=30)


def _client_process(port: int, stop_at: float) -> list[tuple[float, float, int]]:
    samples: list[tuple[float, float, int]] = []
    _client(port, stop_at, samples)
    return samples


def python_load(port: int, seconds: float, connections: int) -> list[tuple[float, float, int]]:
    """A closed-loop client: ``connections`` processes (no GIL shared between them), each one
    request at a time on a kept-alive connection (``perf_counter`` is the system's monotonic clock,
    the same in every process)."""
    with ProcessPoolExecutor(connections, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(time.sleep, [0.0] * connections))  # the processes exist before the clock starts
        stop_at = time.perf_counter() + seconds
        runs = [pool.submit(_client_process, port, stop_at) for _ in range(connections)]
        return [sample for run in runs for sample in run.result()]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wrk_load(port: int, seconds: float, connections: int, tmp: Path) -> dict[str, Any] | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = tmp / "post.lua"
    body = BODY.decode().replace("\\", "\\\\").replace('"', '\\"')
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = "{body}"\nwrk.headers["Content-Type"] = "application/json"\n'
    )
    cmd = [
        wrk,
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{int(seconds)}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/predict",
    ]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        assert found, text
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "tool": f"wrk ({connections} connections)",
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "rps": rps,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_side(port: int) -> dict[str, float]:
    """p50 / p99 of /predict as the server measured it (upper bounds of its histogram buckets, ms)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    buckets = [
        (float(le), int(n))
        for le, n in re.findall(
            r'alabctl_request_seconds_bucket\{route="predict",le="([\d.]+)"\} (\d+)', text
        )
    ]
    total = int(re.search(r'alabctl_request_seconds_count\{route="predict"\} (\d+)', text).group(1))  # type: ignore[union-attr]

    def quantile(q: float) -> float:
        return next((le * 1000 for le, n in buckets if n >= q * total), float("inf"))

    return {"p50_ms_at_most": quantile(0.5), "p99_ms_at_most": quantile(0.99), "requests": total}


def latency(port: int, seconds: float, connections: int, tmp: Path) -> list[dict[str, Any]]:
    rows = []
    for clients in sorted({1, connections}):
        found = wrk_load(port, seconds, clients, tmp)
        if found:
            rows.append(found)
    samples = python_load(port, seconds, connections)
    times = [(end - began) * 1000 for began, end, status in samples if status == 200]
    span = max(end for _, end, _ in samples) - min(began for began, _, _ in samples)
    rows.append(
        {
            "tool": f"python ({connections} processes)",
            "p50_ms": statistics.median(times),
            "p99_ms": _percentile(times, 0.99),
            "rps": len(samples) / span,
            "non_2xx": sum(1 for *_, status in samples if status != 200),
        }
    )
    return rows


def reload_under_load(
    port: int, home: Path, seconds: float, every: float, connections: int
) -> dict[str, Any]:
    token = (home / "admin-token").read_text().strip()
    samples: list[tuple[float, float, int]] = []
    stop_at = time.perf_counter() + seconds
    threads = [threading.Thread(target=_client, args=(port, stop_at, samples)) for _ in range(connections)]
    for thread in threads:
        thread.start()
    reloads: list[tuple[float, float, int]] = []
    time.sleep(every / 2)
    while time.perf_counter() + every / 2 < stop_at:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        began = time.perf_counter()
        conn.request("POST", "/admin/reload", b"{}", {"Authorization": f"Bearer {token}"})
        status = conn.getresponse().status
        reloads.append((began, time.perf_counter(), status))
        conn.close()
        time.sleep(every)
    for thread in threads:
        thread.join()
    during = [
        end - began
        for began, end, _ in samples
        if any(began <= r_end and end >= r_began for r_began, r_end, _ in reloads)
    ]
    return {
        "requests": len(samples),
        "dropped": sum(1 for *_, status in samples if status != 200),
        "reloads": len(reloads),
        "reloads_ok": sum(1 for *_, status in reloads if status == 200),
        "reload_s": statistics.median([end - began for began, end, _ in reloads]) if reloads else 0.0,
        "stall_ms": max(during, default=0.0) * 1000,
        "p50_ms_outside": statistics.median(end - began for began, end, _ in samples) * 1000,
    }


# -- batch ----------------------------------------------------------------------------------------


def _hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in task.read_text().split()]
    return found


def preannotate(
    alabctl: Path, build: Path, tasks: Path, out: Path, workers: int, docs: int
) -> dict[str, Any]:
    cmd = [str(alabctl), "preannotate", "--project", "bench", "--build", str(build), "--tasks", str(tasks)]
    cmd += ["--out", str(out), "--workers", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    main_kb, worker_kb = 0, 0
    while process.poll() is None:
        main_kb = max(main_kb, _hwm(process.pid))
        for child in _children(process.pid):
            worker_kb = max(worker_kb, _hwm(child))
        time.sleep(0.05)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    err = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        sys.exit(f"preannotate failed ({process.returncode}):\n{err}")
    results = re.search(r"\(([\d,]+) results", err)
    return {
        "workers": workers,
        "seconds": seconds,
        "docs_per_s": docs / seconds,
        "cpu_seconds": cpu,
        "docs_per_cpu_s": docs / cpu if cpu else 0.0,
        "main_mb": main_kb / 1024,
        "worker_mb": worker_kb / 1024,
        "results": int(results.group(1).replace(",", "")) if results else 0,
    }


def write_tasks(corpus: Path, out: Path, count: int) -> None:
    """The first ``count`` documents as a JSON array of Label Studio tasks."""
    with corpus.open() as src, out.open("w") as dst:
        dst.write("[")
        for i, line in enumerate(src):
            if i == count:
                break
            dst.write(("," if i else "") + "\n" + json.dumps({"id": i, "data": {"text": line.rstrip("\n")}}))
        dst.write("\n]\n")


# -- main -----------------------------------------------------------------------------------------


def _facts() -> str:
    cpu = "unknown cpu"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"alabctl {__version__}, Python {platform.python_version()}, {os.cpu_count()} cores ({cpu}), "
        f"{platform.system()}, load average {load} at start"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--phrases", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load run (default 10)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--reload-every", type=float, default=2.0, help="seconds between reloads (default 2)")
    parser.add_argument("--corpus-script", type=Path, default=CORPUS_SCRIPT)
    parser.add_argument("--alabctl", type=Path, default=Path(sys.executable).parent / "alabctl")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    figures: dict[str, Any] = {"machine": _facts(), "docs": args.docs, "phrases": args.phrases}
    print(figures["machine"])
    with tempfile.TemporaryDirectory(prefix="alabctl-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        data = make_data(tmp / "data", args.docs, args.phrases, args.corpus_script)
        rules = make_repo(data, tmp / "repo")
        build = tmp / "build"
        began = time.perf_counter()
        compile_build(args.alabctl, tmp / "repo", build)
        print(
            f"{len(rules)} rules ({args.phrases:,} phrases), compiled in {time.perf_counter() - began:.1f} s"
        )

        if not args.skip_server:
            home = tmp / "home"
            process, port = start_server(args.alabctl, build, home)
            try:
                python_load(port, 1.0, args.connections)  # warm-up
                cpu_before = cpu_seconds(process.pid)
                rows = latency(port, args.duration, args.connections, tmp)
                cpu_used = cpu_seconds(process.pid) - cpu_before
                figures["predict"] = rows
                figures["predict_server_side"] = inside = server_side(port)
                served = sum(r["rps"] * args.duration for r in rows)
                inside["cpu_ms_per_request"] = 1000 * cpu_used / served if served else 0.0
                print(f"\n/predict, one short task, {args.duration:.0f} s per row")
                print(f"{'client':<28} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'non-200':>8}")
                for row in rows:
                    print(
                        f"{row['tool']:<28} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['rps']:>8.0f} {row['non_2xx']:>8}"
                    )
                print(
                    f"inside the server (its /metrics histogram, all rows): p50 <= {inside['p50_ms_at_most']:g} ms, "
                    f"p99 <= {inside['p99_ms_at_most']:g} ms over {inside['requests']:,} requests; "
                    f"server CPU {inside['cpu_ms_per_request']:.2f} ms per request"
                )
                print(f"goal: p99 < {P99_GOAL_MS:.0f} ms")
                hot = reload_under_load(port, home, args.duration, args.reload_every, args.connections)
                figures["reload"] = hot
                print(
                    f"\nhot reload under load: {hot['reloads_ok']}/{hot['reloads']} reloads "
                    f"(median {hot['reload_s']:.2f} s each), {hot['requests']:,} requests, "
                    f"{hot['dropped']} dropped (goal 0), longest request during a reload {hot['stall_ms']:.0f} ms"
                )
            finally:
                stop(process)

        if not args.skip_batch:
            small = max(1, args.docs // 10)
            files = {n: tmp / f"tasks-{n}.json" for n in (small, args.docs)}
            for count, path in files.items():
                write_tasks(data / "corpus.txt", path, count)
            runs = [(small, 1), (args.docs, 1), (args.docs, 2)]
            rows = [
                preannotate(args.alabctl, build, files[n], tmp / f"out-{n}-{w}.jsonl", w, n) | {"tasks": n}
                for n, w in runs
            ]
            figures["preannotate"] = rows
            print("\nalabctl preannotate, tasks as a JSON array (export format), dictionary + regex rules")
            print(
                f"{'tasks':>8} {'workers':>7} {'seconds':>8} {'docs/s':>9} {'CPU s':>7} {'docs/CPU-s':>10} {'results':>9} "
                f"{'main RSS MB':>12} {'worker RSS MB':>14}"
            )
            for row in rows:
                print(
                    f"{row['tasks']:>8,} {row['workers']:>7} {row['seconds']:>8.1f} {row['docs_per_s']:>9,.0f} "
                    f"{row['cpu_seconds']:>7.1f} {row['docs_per_cpu_s']:>10,.0f} "
                    f"{row['results']:>9,} {row['main_mb']:>12.0f} {row['worker_mb']:>14.0f}"
                )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
