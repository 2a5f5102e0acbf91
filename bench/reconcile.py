"""Benchmark: the reconciler on real server processes.

    .venv/bin/python bench/reconcile.py                         # 1,000 projects on 200 servers
    .venv/bin/python bench/reconcile.py --projects 200 --servers 40 --edits 10

Figures (each a fresh ``alabctl`` process, wall clock and the CPU it used):

1. ``apply`` from nothing: every server started (detached, ``alabctl serve``) and healthy.
2. no-op ``plan`` and ``apply`` once everything runs (median of ``--repeat``): the validation is
   replayed, the desired state read from the cache, every server asked ``/health``. Goal < 0.3 s.
3. ``watch``: a rule edited ``--edits`` times; the time from the write until the affected server
   answers with the new ``model_version`` (p50, max; goal p50 < 2 s), and the requests that a client
   sending ``/predict`` in a loop saw fail meanwhile (goal 0).
4. ``apply`` from nothing with downloads from a local hub (``tests/assets/hubserver.py``): the time
   until the last download finished and until the last server was up.

The repository is rule-only (native engine), so every server really runs on any machine. Every
server the benchmark starts is stopped at the end (``alabctl down``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alabctl import __version__  # noqa: E402
from alabctl.reconcile.health import request  # noqa: E402

GOAL_NOOP = 0.3
GOAL_WATCH_P50 = 2.0


def write_repo(root: Path, projects: int, servers: int) -> None:
    """A rule-only repository: ``projects`` projects, one regex rule each, spread over ``servers``."""
    for sub in ("servers", "rules", "projects"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for s in range(servers):
        (root / "servers" / f"s{s:03d}.yaml").write_text(
            f"apiVersion: alabctl/v1\nkind: Server\nmetadata: {{name: s{s:03d}}}\nspec: {{engine: native}}\n"
        )
    for p in range(projects):
        (root / "rules" / f"r{p:04d}.yaml").write_text(
            f"apiVersion: alabctl/v1\nkind: Rule\nmetadata: {{name: r{p:04d}}}\n"
            f'spec:\n  entity: Dose\n  regex: "[0-9]{{1,3}} ?mg"\n  contextLength: 50\n'
        )
        (root / "projects" / f"p{p:04d}.yaml").write_text(
            f"apiVersion: alabctl/v1\nkind: Project\nmetadata: {{name: p{p:04d}}}\n"
            f"spec:\n  server: s{p % servers:03d}\n  ner:\n    labels: [{{value: Note}}]\n    rules: [r{p:04d}]\n"
        )


class Cli:
    def __init__(self, home: Path, cwd: Path) -> None:
        self.env = {**os.environ, "ALABCTL_HOME": str(home), "ALABCTL_CACHE_DIR": str(home.parent / "cache")}
        self.cwd = cwd

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
        """Wall seconds, CPU seconds of the child, and its stdout."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "alabctl", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in ok:
            sys.exit(f"alabctl {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, proc.stdout

    def servers(self) -> dict[str, Any]:
        return {s["name"]: s for s in json.loads(self.run("get", "servers", "-o", "json")[2])}


def noop(cli: Cli, repo: Path, repeat: int) -> dict[str, tuple[float, float]]:
    out = {}
    for command, ok in (("plan", (0,)), ("apply", (0,))):
        runs = [cli.run(command, "-f", str(repo), ok=ok) for _ in range(repeat)]
        assert "nothing to do" in runs[-1][2] or "No changes" in runs[-1][2], runs[-1][2]
        out[command] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
    return out


def watch_edits(cli: Cli, repo: Path, edits: int) -> tuple[list[float], int, int]:
    """Seconds from each edit to the new model_version, dropped and answered request counts."""
    server = cli.servers()["s000"]
    host, port = server["url"].removeprefix("http://").split(":")
    child = subprocess.Popen(
        [sys.executable, "-m", "alabctl", "watch", "-f", str(repo), "-o", "json", "--debounce", "100ms"],
        cwd=cli.cwd,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if json.loads(line)["event"] in ("synced", "apply"):
            break
    stop = threading.Event()
    dropped, answered = [0], [0]

    def hammer() -> None:
        while not stop.is_set():
            try:
                status, _ = request(
                    host, int(port), "POST", "/p/p0000/predict", {"tasks": [{"data": {"text": "5 mg"}}]}
                )
                answered[0] += 1
                dropped[0] += status != 200
            except OSError:
                dropped[0] += 1

    thread = threading.Thread(target=hammer)
    thread.start()
    times = []
    rule = repo / "rules" / "r0000.yaml"
    try:
        for i in range(edits):
            version = server["modelVersion"]
            rule.write_text(rule.read_text().replace(f"contextLength: {50 + i}", f"contextLength: {51 + i}"))
            start = time.perf_counter()
            while True:
                _, body = request(host, int(port), "GET", "/health")
                if body["model_version"] != version:
                    times.append(time.perf_counter() - start)
                    server["modelVersion"] = body["model_version"]
                    break
                if time.perf_counter() - start > 60:
                    sys.exit("watch: the server never got the new model_version")
                time.sleep(0.02)
    finally:
        stop.set()
        thread.join()
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=60)
    return times, dropped[0], answered[0]


def with_downloads(cli: Cli, tmp: Path, models: int, size: int) -> tuple[float, float, float, str]:
    """apply from nothing of ``models`` rule+model-free servers and hub downloads."""
    from tests.assets.hubserver import embeddings_zip, publish, serving, spark_model_zip

    lines: list[tuple[float, str]] = []
    with serving(tmp / "hub") as hub:
        repo = tmp / "dl-repo"
        write_repo(repo, 4, 2)
        docs = [
            f'apiVersion: alabctl/v1\nkind: Hub\nmetadata: {{name: h}}\nspec: {{url: "{hub.url}", sparkNlpVersion: "5.5.1"}}\n'
        ]
        publish(hub.state.root, "public/models", "glove_100d", embeddings_zip())
        for m in range(models):
            name = f"ner_{m}"
            publish(
                hub.state.root,
                "public/models",
                name,
                spark_model_zip(storage_ref=None, payload=os.urandom(size)),
                storageRef="glove_100d",
            )
            docs.append(
                f"apiVersion: alabctl/v1\nkind: Model\nmetadata: {{name: {name}}}\nspec: {{task: ner, labels: [L{m}]}}\n"
            )
        docs.append(
            "apiVersion: alabctl/v1\nkind: Project\nmetadata: {name: news}\nspec:\n  server: s000\n  ner:\n"
            "    labels: [{value: Note}]\n    models: ["
            + ", ".join(f"{{model: ner_{m}}}" for m in range(models))
            + "]\n"
        )
        (repo / "models.yaml").write_text("---\n".join(docs))
        cli.run("lock", "-f", str(repo))
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "alabctl", "apply", "-f", str(repo)],
            cwd=cli.cwd,
            env=cli.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.perf_counter() - start, line.strip()))
        proc.wait()
        total = time.perf_counter() - start
    downloads = max((t for t, line in lines if line.startswith("model/")), default=0.0)
    servers = max((t for t, line in lines if line.startswith("server/")), default=0.0)
    server_lines = [line for _, line in lines if line.startswith("server/")]
    return total, downloads, servers - downloads, "; ".join(server_lines)


@contextmanager
def stopping(cli: Cli) -> Iterator[None]:
    try:
        yield
    finally:
        cli.run("down", "--lock-timeout", "60s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", type=int, default=3, help="models to download in figure 4")
    parser.add_argument("--model-mb", type=float, default=20.0, help="size of each (MB)")
    args = parser.parse_args()
    print(f"alabctl {__version__}, Python {platform.python_version()}, {platform.platform()}")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="alabctl-bench-") as name:
        tmp = Path(name)
        repo = tmp / "repo"
        write_repo(repo, args.projects, args.servers)
        cli = Cli(tmp / "home", tmp)
        rows: list[tuple[str, str, str]] = []
        with stopping(cli):
            wall, cpu, _ = cli.run("apply", "-f", str(repo))
            rows.append(
                (
                    f"apply from nothing: {args.projects} projects, {args.servers} servers",
                    f"{wall:.2f} s",
                    f"CPU {cpu:.2f} s",
                )
            )
            for command, (w, c) in noop(cli, repo, args.repeat).items():
                verdict = "ok" if w < GOAL_NOOP else f"goal {GOAL_NOOP} s"
                rows.append(
                    (f"no-op {command} (median of {args.repeat})", f"{w:.3f} s", f"CPU {c:.3f} s ({verdict})")
                )
            times, dropped, answered = watch_edits(cli, repo, args.edits)
            p50 = statistics.median(times)
            rows.append(
                (
                    f"watch: edit -> new model_version ({args.edits} edits)",
                    f"p50 {p50:.2f} s, max {max(times):.2f} s",
                    "ok" if p50 < GOAL_WATCH_P50 else f"goal p50 {GOAL_WATCH_P50} s",
                )
            )
            rows.append(
                (
                    "watch: requests dropped during the redeploys",
                    f"{dropped} of {answered}",
                    "ok" if dropped == 0 else "goal 0",
                )
            )
        home2 = tmp / "home2"
        cli2 = Cli(home2, tmp)
        with stopping(cli2):
            total, downloads, servers, detail = with_downloads(
                cli2, tmp, args.models, int(args.model_mb * 1e6)
            )
        rows.append(
            (
                f"apply with downloads: {args.models} x {args.model_mb:g} MB from a local hub",
                f"{total:.2f} s",
                f"downloads {downloads:.2f} s, then servers {servers:.2f} s",
            )
        )
        rows.append(("  servers in that run", detail[:100], ""))
    width = max(len(r[0]) for r in rows)
    for label, figure, note in rows:
        print(f"{label:<{width}}  {figure:<28} {note}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
