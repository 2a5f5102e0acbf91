"""The sparknlp engine's figures: a real server, batch pre-annotation, the driver's memory.

    .venv/bin/python bench/spark.py                     # defaults: about 10 minutes on 2 quiet cores
    .venv/bin/python bench/spark.py --sizes 500,2000 --rss-sizes 5000 --duration 5 --cluster 500
    .venv/bin/python bench/spark.py --rss-sizes 100000,300000,1000000 --skip-server --skip-batch

Model: the test-built NER model and its word embeddings (``tests/sparknlp/models.py``: trained on
first use, then cached in ``~/.cache/alabctl-ci/sparknlp-models``), served by a Models Hub on
127.0.0.1 and taken through the real chain: ``hub pull`` -> ``lock`` -> ``compile`` of one project
(NER only) on one ``engine: sparknlp`` server. Jars: ``ALABCTL_SPARK_JARS``
(``scripts/fetch-sparknlp-jars``). Documents: the peer benchmarks' corpus
(``/work/shared/bench-peers/make_corpus.py``, ``--docs`` sentences, default 200k), cycled when a
size asks for more tasks than there are sentences.

1. server: the time from spawning ``alabctl serve`` to its first healthy ``/health`` (JVM start,
   pipeline load, smoke test); ``/predict`` of one short task, one request at a time (p50, p99); and
   requests/s from a closed-loop client (``--connections`` threads, one request each at a time).
2. batch: ``alabctl preannotate --engine spark --master local[2]`` against the same build through
   ``LightPipeline`` in one process (``alabctl preannotate --workers 1``: the engine a server runs),
   interleaved, at each of ``--sizes``; docs/s of the whole process (JVM start included) and its
   CPU seconds. A straight line ``t = start + n / rate`` is fitted to each and the crossover (the
   number of tasks from which Spark finishes first) computed from the two lines.
3. memory: peak RSS (``VmHWM``, polled) of the driver's Python process and of its JVM, for
   ``preannotate --engine spark`` at each of ``--rss-sizes``; flat means the same at every size.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from loadgen import predict_loop  # noqa: E402

from tests.assets.hubserver import HubServer  # noqa: E402
from tests.runtime.conftest import free_port, stop  # noqa: E402
from tests.sparknlp.cluster import ClusterError, standalone  # noqa: E402
from tests.sparknlp.models import (  # noqa: E402
    EMBEDDINGS,
    NER,
    SPARK_NLP_VERSION,
    TrainedModels,
    ci_cache,
    digest,
    trained_models,
)
from tests.sparknlp.published import publish_trained  # noqa: E402

CORPUS_SCRIPT = Path("/work/shared/bench-peers/make_corpus.py")
SHORT = "Peter Chen met Li Tanaka at Globex Labs in Paris today ."
PROJECT = "bench"
SERVER = "bench"


# -- setup ------------------------------------------------------------------------------------------


def models() -> TrainedModels:
    """The cached test models; trained here (one JVM, then stopped) only when the cache has none."""
    root = ci_cache() / "sparknlp-models" / digest()
    if (root / ".complete").is_file():
        return TrainedModels(root)
    from alabctl.runtime.sparknlp.session import SessionOptions, spark_session, stop_session

    with tempfile.TemporaryDirectory() as home:
        try:
            return trained_models(spark_session(Path(home), SessionOptions(master="local[2]")))
        finally:
            stop_session()


MANIFESTS = """apiVersion: alabctl/v1
kind: Hub
metadata: {{name: default}}
spec: {{url: "{hub}", sparkNlpVersion: "5.5.3", sparkVersion: "3.5"}}
---
apiVersion: alabctl/v1
kind: Embeddings
metadata: {{name: {emb}}}
spec: {{type: word, dimension: 100}}
---
apiVersion: alabctl/v1
kind: Model
metadata: {{name: {ner}}}
spec: {{task: ner, labels: [PER, LOC, ORG], embeddings: {emb}}}
---
apiVersion: alabctl/v1
kind: Server
metadata: {{name: {server}}}
spec: {{engine: sparknlp, port: 8790}}
---
apiVersion: alabctl/v1
kind: Project
metadata: {{name: {project}}}
spec:
  server: {server}
  ner:
    models:
      - model: {ner}
        labels: [PER, LOC, ORG]
"""


def alabctl() -> list[str]:
    return [sys.executable, "-m", "alabctl"]


def run(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run([*alabctl(), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"alabctl {' '.join(args)} -> {done.returncode}\n{done.stdout}{done.stderr}")


def build(trained: TrainedModels, tmp: Path, env: dict[str, str]) -> Path:
    """Hub on 127.0.0.1 -> ``hub pull`` -> ``lock`` -> ``compile``; the build folder."""
    hub_root = tmp / "hub"
    publish_trained(hub_root, trained)
    hub = HubServer(hub_root)
    repo = tmp / "repo"
    repo.mkdir()
    try:
        text = MANIFESTS.format(hub=hub.url, emb=EMBEDDINGS, ner=NER, server=SERVER, project=PROJECT)
        (repo / "bench.yaml").write_text(text, encoding="utf-8")
        run(["hub", "pull", NER, "-f", "."], repo, env)
        run(["lock", "-f", "."], repo, env)
        run(["compile", "-f", ".", "--out", "build"], repo, env)
    finally:
        hub.close()
    return repo / "build"


def corpus(docs: int, tmp: Path) -> list[str]:
    if not CORPUS_SCRIPT.is_file():
        sys.exit(f"no corpus generator at {CORPUS_SCRIPT}")
    out = tmp / "corpus"
    cmd = [sys.executable, str(CORPUS_SCRIPT), "--docs", str(docs), "--phrases", "5000", "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return (out / "corpus.txt").read_text(encoding="utf-8").splitlines()


def write_tasks(texts: list[str], count: int, path: Path) -> Path:
    """``count`` tasks as JSONL, the corpus cycled."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps({"id": i, "data": {"text": texts[i % len(texts)]}}) + "\n")
    return path


# -- processes --------------------------------------------------------------------------------------


def hwm_kb(pid: int) -> int:
    """``VmHWM`` (peak resident set) of a live process, in kB; 0 once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a live process has used; 0 once it is gone."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in (int(c) for c in task.read_text().split()):
                found += [child, *descendants(child)]
    return found


# -- 1. server --------------------------------------------------------------------------------------


@contextlib.contextmanager
def server(build_dir: Path, env: dict[str, str], timeout: float = 300.0) -> Iterator[tuple[int, float]]:
    """``alabctl serve`` on a free port; yields (port, seconds from spawn to healthy); stopped by pid."""
    port = free_port()
    began = time.perf_counter()
    process = subprocess.Popen(
        [*alabctl(), "serve", SERVER, "--build", str(build_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                sys.exit(f"serve exited with {process.returncode}:\n{err[-3000:]}")
            if time.perf_counter() - began > timeout:
                sys.exit(f"serve was not healthy after {timeout:.0f} s")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            time.sleep(0.1)
        yield port, time.perf_counter() - began
    finally:
        stop(process)


BODY = json.dumps({"tasks": [{"id": 1, "data": {"text": SHORT}}]}).encode()


def _client(port: int, stop_at: float, out: list[tuple[float, float, int]]) -> None:
    predict_loop(port, BODY, stop_at, out, timeout=60)


def load(port: int, seconds: float, connections: int) -> dict[str, float]:
    """A closed loop: ``connections`` threads, each one request at a time on a kept-alive connection."""
    samples: list[tuple[float, float, int]] = []
    stop_at = time.perf_counter() + seconds
    threads = [threading.Thread(target=_client, args=(port, stop_at, samples)) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ok = sorted(ended - began for began, ended, status in samples if status == 200)
    if not ok:
        sys.exit("no /predict request succeeded")
    return {
        "p50_ms": statistics.median(ok) * 1000,
        "p99_ms": ok[min(len(ok) - 1, int(0.99 * len(ok)))] * 1000,
        "rps": len(ok) / wall,
        "failed": float(len(samples) - len(ok)),
    }


def bench_server(build_dir: Path, env: dict[str, str], seconds: float, connections: int) -> dict[str, float]:
    with server(build_dir, env) as (port, healthy):
        load(port, 2.0, 1)  # warm-up: the first requests compile TensorFlow's kernels
        one = load(port, seconds, 1)
        many = load(port, seconds, connections)
    return {
        "healthy_s": healthy,
        "p50_ms": one["p50_ms"],
        "p99_ms": one["p99_ms"],
        "rps_1": one["rps"],
        "rps_n": many["rps"],
        "p99_n_ms": many["p99_ms"],
        "failed": one["failed"] + many["failed"],
    }


# -- 2. and 3. preannotate --------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    engine: str
    tasks: int
    seconds: float
    cpu_seconds: float
    python_mb: float
    jvm_mb: float
    results: int


def preannotate(
    build_dir: Path, tasks: Path, count: int, out: Path, env: dict[str, str], spark: str | None
) -> Run:
    """One ``alabctl preannotate`` process; wall and CPU time, peak RSS of it and of its JVM."""
    cmd = [*alabctl(), "preannotate", "--project", PROJECT, "--build", str(build_dir)]
    cmd += ["--tasks", str(tasks), "--out", str(out)]
    cmd += ["--engine", "spark", "--master", spark] if spark else ["--workers", "1"]
    began = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    python_kb, jvm_kb = 0, 0
    cpu: dict[int, float] = {}
    while process.poll() is None:
        python_kb = max(python_kb, hwm_kb(process.pid))
        cpu[process.pid] = max(cpu.get(process.pid, 0.0), cpu_s(process.pid))
        for child in descendants(process.pid):
            jvm_kb = max(jvm_kb, hwm_kb(child))
            cpu[child] = max(cpu.get(child, 0.0), cpu_s(child))
        time.sleep(0.1)
    seconds = time.perf_counter() - began
    err = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        sys.exit(f"{' '.join(cmd)} -> {process.returncode}:\n{err[-3000:]}")
    found = re.search(r"pre-annotated ([\d,]+) of [\d,]+ tasks \(([\d,]+) results", err)
    if not found or int(found.group(1).replace(",", "")) != count:
        sys.exit(f"preannotate wrote fewer tasks than {count}:\n{err[-2000:]}")
    return Run(
        "spark " + spark if spark else "LightPipeline",
        count,
        seconds,
        sum(cpu.values()),
        python_kb / 1024,
        jvm_kb / 1024,
        int(found.group(2).replace(",", "")),
    )


def line_fit(runs: list[Run], cost: str) -> tuple[float, float]:
    """Least squares ``cost = start + tasks * per_task`` (cost: "seconds" or "cpu_seconds")."""
    xs, ys = [r.tasks for r in runs], [float(getattr(r, cost)) for r in runs]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - slope * mx, slope


def crossover(light: list[Run], spark: list[Run], cost: str) -> str:
    """From how many tasks Spark costs less than LightPipeline, by the two fitted lines."""
    if len({r.tasks for r in light}) < 2:
        return "n/a (give two sizes or more)"
    (a_l, b_l), (a_s, b_s) = line_fit(light, cost), line_fit(spark, cost)
    unit = "s" if cost == "seconds" else "CPU s"
    lines = f"LightPipeline {a_l:.0f} {unit} + {b_l * 1e3:.1f} ms/task, Spark {a_s:.0f} {unit} + {b_s * 1e3:.1f} ms/task"
    if b_l <= 0 or b_s <= 0:
        return f"not measurable: the cost fell as the size grew, the machine's load changed ({lines})"
    if b_s >= b_l:
        return f"never ({lines})"
    return f"~{max(0.0, (a_s - a_l) / (b_l - b_s)):,.0f} tasks ({lines})"


# -- 4. a standalone cluster on 127.0.0.1 ---------------------------------------------------------


def bench_cluster(
    build_dir: Path, texts: list[str], count: int, tmp: Path, env: dict[str, str]
) -> dict[str, Any]:
    """``preannotate --engine spark`` on ``local[2]`` and on a standalone cluster; the outputs compared."""
    tasks = write_tasks(texts, count, tmp / "tasks-cluster.jsonl")
    local = preannotate(build_dir, tasks, count, tmp / "local.jsonl", env, "local[2]")
    began = time.perf_counter()
    try:
        with standalone(tmp / "cluster") as url:
            up = time.perf_counter() - began
            remote = preannotate(build_dir, tasks, count, tmp / "cluster.jsonl", env, url)
    except ClusterError as exc:
        sys.exit(str(exc))
    same = (tmp / "local.jsonl").read_bytes() == (tmp / "cluster.jsonl").read_bytes()
    return {"master_worker_up_s": up, "local": local.__dict__, "cluster": remote.__dict__, "identical": same}


# -- report -----------------------------------------------------------------------------------------


def facts() -> str:
    cpu = "unknown cpu"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    import pyspark

    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, {java[0] if java else 'java ?'}, pyspark {pyspark.__version__}, "
        f"Spark NLP {SPARK_NLP_VERSION}"
    )


def loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200_000, help="corpus sentences (default 200000)")
    parser.add_argument(
        "--sizes", default="250,1000,4000", help="batch sizes in tasks (default 250,1000,4000)"
    )
    parser.add_argument(
        "--rss-sizes", default="10000,40000", help="tasks for the driver's memory (default 10000,40000)"
    )
    parser.add_argument(
        "--master", default="local[2]", help="Spark master of the batch runs (default local[2])"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per server load (default 10)")
    parser.add_argument("--connections", type=int, default=4, help="closed-loop clients (default 4)")
    parser.add_argument("--skip-server", action="store_true", help="leave out the server figures")
    parser.add_argument("--skip-batch", action="store_true", help="leave out the batch comparison")
    parser.add_argument(
        "--cluster",
        type=int,
        default=0,
        metavar="N",
        help="also run N tasks on a standalone master + worker on 127.0.0.1 and compare with local[2]",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rss_sizes = [int(s) for s in args.rss_sizes.split(",") if s]

    jars = os.environ.get("ALABCTL_SPARK_JARS") or str(ci_cache() / "sparknlp-jars" / SPARK_NLP_VERSION)
    if not Path(jars).is_dir():
        sys.exit("no Spark NLP jars: run scripts/fetch-sparknlp-jars and set ALABCTL_SPARK_JARS")
    print(f"machine: {facts()}")
    print(f"load average at start: {loadavg()}", flush=True)
    figures: dict[str, Any] = {"facts": facts(), "load_start": loadavg()}
    with tempfile.TemporaryDirectory(prefix="alabctl-bench-spark-") as name:
        tmp = Path(name)
        env = {
            **os.environ,
            "ALABCTL_HOME": str(tmp / "home"),
            "ALABCTL_SPARK_JARS": jars,
            "NO_COLOR": "1",
        }
        build_dir = build(models(), tmp, env)
        texts = corpus(args.docs, tmp)
        print(f"corpus: {len(texts):,} sentences; build: {build_dir}", flush=True)
        rows: list[tuple[str, str]] = []
        if not args.skip_server:
            s = bench_server(build_dir, env, args.duration, args.connections)
            figures["server"] = s
            rows += [
                ("serve: spawn -> healthy (JVM, load, smoke test)", f"{s['healthy_s']:.1f} s"),
                ("/predict one short task, 1 client: p50", f"{s['p50_ms']:.1f} ms"),
                ("/predict one short task, 1 client: p99", f"{s['p99_ms']:.1f} ms"),
                ("/predict, 1 client", f"{s['rps_1']:.1f} req/s"),
                (f"/predict, {args.connections} closed-loop clients", f"{s['rps_n']:.1f} req/s"),
                (f"/predict, {args.connections} clients: p99", f"{s['p99_n_ms']:.1f} ms"),
                ("/predict failures", f"{s['failed']:.0f}"),
            ]
            print(json.dumps(s), flush=True)
        light: list[Run] = []
        spark: list[Run] = []
        if not args.skip_batch:
            for n in sizes:
                tasks = write_tasks(texts, n, tmp / f"tasks-{n}.jsonl")
                for engine in (None, args.master):
                    r = preannotate(build_dir, tasks, n, tmp / "out.jsonl", env, engine)
                    (spark if engine else light).append(r)
                    print(json.dumps(r.__dict__), flush=True)
                if light[-1].results != spark[-1].results:
                    print(
                        f"note: {n} tasks: {light[-1].results} results through LightPipeline, {spark[-1].results} on Spark"
                    )
            for lr, sr in zip(light, spark, strict=True):
                for r in (lr, sr):
                    rows.append(
                        (
                            f"preannotate {r.tasks:,} tasks, {r.engine}",
                            f"{r.tasks / r.seconds:,.0f} docs/s ({r.seconds:.1f} s, {r.cpu_seconds:.0f} CPU s)",
                        )
                    )
            figures["batch"] = [r.__dict__ for r in light + spark]
            figures["crossover"] = {c: crossover(light, spark, c) for c in ("seconds", "cpu_seconds")}
            rows.append(("Spark pays off from (wall clock)", figures["crossover"]["seconds"]))
            rows.append(("Spark pays off from (CPU time)", figures["crossover"]["cpu_seconds"]))
        memory: list[Run] = []
        for n in rss_sizes:
            tasks = write_tasks(texts, n, tmp / "tasks-rss.jsonl")
            r = preannotate(build_dir, tasks, n, tmp / "out.jsonl", env, args.master)
            memory.append(r)
            print(json.dumps(r.__dict__), flush=True)
            rows.append(
                (
                    f"preannotate {n:,} tasks, {r.engine}: peak RSS",
                    f"Python {r.python_mb:,.0f} MB, JVM {r.jvm_mb:,.0f} MB ({r.tasks / r.seconds:,.0f} docs/s)",
                )
            )
        figures["memory"] = [r.__dict__ for r in memory]
        if args.cluster:
            c = bench_cluster(build_dir, texts, args.cluster, tmp, env)
            figures["cluster"] = c
            print(json.dumps(c), flush=True)
            rows += [
                ("standalone master + worker: start -> registered", f"{c['master_worker_up_s']:.1f} s"),
                (
                    f"preannotate {args.cluster:,} tasks, local[2] / standalone cluster",
                    f"{c['local']['seconds']:.1f} s / {c['cluster']['seconds']:.1f} s, "
                    f"output {'byte-identical' if c['identical'] else 'DIFFERENT'}",
                ),
            ]
    figures["load_end"] = loadavg()
    print()
    width = max(len(k) for k, _ in rows) + 2 if rows else 10
    print(f"{'figure':<{width}}value")
    for key, value in rows:
        print(f"{key:<{width}}{value}")
    print(f"load average at end: {figures['load_end']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
