"""The sparknlp engine's figures: JVM start, load, one-text latency, and batch throughput.

    .venv/bin/python bench/spark.py                       # 200 and 1,000 docs
    .venv/bin/python bench/spark.py --sizes 1000,5000 --repeat 200

Uses the test-built models (``tests/sparknlp/models.py``: trained on first use, then cached) and
the jars of ``ALABCTL_SPARK_JARS`` (``scripts/fetch-sparknlp-jars``). Documents are the peer
benchmarks' corpus when ``../shared/bench-peers/make_corpus.py`` is there, else generated
sentences. Prints a table with the machine's facts; batch rows compare the engine's
``LightPipeline`` (one process, the server's path) with the same fitted pipeline on a DataFrame
on ``local[2]`` (``preannotate --engine spark``).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alabctl.assets.home import Home  # noqa: E402
from tests.sparknlp.data.make_data import sentence  # noqa: E402
from tests.sparknlp.models import EMBEDDINGS, NER, TrainedModels, trained_models  # noqa: E402

PEERS = REPO.parent.parent / "shared" / "bench-peers" / "make_corpus.py"


def corpus(n: int, tmp: Path) -> list[str]:
    if PEERS.is_file():
        subprocess.run(
            [sys.executable, str(PEERS), "--docs", str(n), "--out", str(tmp)], check=True, capture_output=True
        )
        return (tmp / "corpus.txt").read_text(encoding="utf-8").splitlines()[:n]
    rng = random.Random(3)
    return [" ".join(t for t, _ in sentence(rng)) for _ in range(n)]


def pipeline(home: Home, models: TrainedModels) -> dict[str, object]:
    """A compiled-style pipeline.json for the test NER model, pinned to keys in ``home``."""
    for name in (EMBEDDINGS, NER):
        target = home.asset_dir(f"{name}_bench")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(models.root / name, target)
    stage = {"licensed": False, "module": "sparknlp.annotator", "params": {}}
    return {
        "server": "bench",
        "sparkNlpVersion": "5.5.3",
        "stages": [
            {
                **stage,
                "name": "document",
                "class": "DocumentAssembler",
                "module": "sparknlp.base",
                "inputCols": ["text"],
                "outputCol": "document",
                "params": {"cleanupMode": "disabled"},
            },
            {
                **stage,
                "name": "sentence",
                "class": "SentenceDetector",
                "inputCols": ["document"],
                "outputCol": "sentence",
            },
            {**stage, "name": "token", "class": "Tokenizer", "inputCols": ["sentence"], "outputCol": "token"},
            {
                **stage,
                "name": "emb",
                "class": "WordEmbeddingsModel",
                "inputCols": ["sentence", "token"],
                "outputCol": "emb",
                "storageRef": EMBEDDINGS,
                "pretrained": {"name": EMBEDDINGS, "key": f"{EMBEDDINGS}_bench"},
            },
            {
                **stage,
                "name": "ner",
                "class": "NerDLModel",
                "inputCols": ["sentence", "token", "emb"],
                "outputCol": "ner",
                "storageRef": EMBEDDINGS,
                "params": {"includeConfidence": True},
                "pretrained": {"name": NER, "key": f"{NER}_bench"},
            },
            {
                **stage,
                "name": "chunks",
                "class": "NerConverter",
                "inputCols": ["sentence", "token", "ner"],
                "outputCol": "chunks",
            },
        ],
        "outputs": [
            {
                "kind": "ner",
                "column": "chunks",
                "labelKey": "entity",
                "scoreKey": "confidence",
                "predictor": NER,
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="200,1000", help="batch sizes in documents (default: 200,1000)")
    parser.add_argument("--repeat", type=int, default=100, help="one-text predictions timed (default: 100)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from alabctl.runtime.sparknlp.engine import SparkNlpEngine
    from alabctl.runtime.sparknlp.session import SessionOptions, spark_session, stop_session

    with tempfile.TemporaryDirectory(prefix="alabctl-bench-spark-") as tmp:
        home = Home(Path(tmp) / "home")
        began = time.perf_counter()
        session = spark_session(home.root, SessionOptions(master="local[2]"))
        jvm = time.perf_counter() - began
        models = trained_models(session)
        began = time.perf_counter()
        engine = SparkNlpEngine(pipeline(home, models), home)
        engine.predict(["Anna Novak visited Oslo ."])
        load = time.perf_counter() - began
        one = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            engine.predict(["Peter Chen met Li Tanaka at Globex Labs in Paris today ."])
            one.append(time.perf_counter() - t)
        one.sort()
        rows = []
        texts = corpus(max(sizes), Path(tmp) / "corpus")
        for n in sizes:
            docs = texts[:n]
            t = time.perf_counter()
            for i in range(0, n, 256):
                engine.predict(docs[i : i + 256])
            light = n / (time.perf_counter() - t)
            frame = session.createDataFrame([(d,) for d in docs], "text STRING").repartition(2)
            t = time.perf_counter()
            count = sum(1 for _ in engine.model.transform(frame).select("chunks").toLocalIterator())
            spark_rate = count / (time.perf_counter() - t)
            rows.append((n, light, spark_rate))
        engine.close()
        stop_session()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    print(f"{'figure':<44}{'value':>14}")
    print(f"{'JVM start (Spark session, local[2])':<44}{jvm:>12.1f} s")
    print(f"{'pipeline load + first prediction':<44}{load:>12.1f} s")
    print(f"{'one short text, p50':<44}{statistics.median(one) * 1000:>11.1f} ms")
    print(f"{'one short text, p99':<44}{one[int(0.99 * (len(one) - 1))] * 1000:>11.1f} ms")
    for n, light, spark_rate in rows:
        print(f"{f'{n:,} docs: LightPipeline (one process)':<44}{light:>9,.0f} docs/s")
        print(f"{f'{n:,} docs: DataFrame on local[2]':<44}{spark_rate:>9,.0f} docs/s")


if __name__ == "__main__":
    main()
