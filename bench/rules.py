"""Benchmark: the native rules engine against its peers, same corpus, same rules, same run.

    .venv/bin/python bench/rules.py                 # 200k docs, 50k-phrase dictionary, 20 regex rules
    .venv/bin/python bench/rules.py --quick         # 20k docs (about 30 s)
    .venv/bin/python bench/rules.py --data DIR      # an existing make_corpus.py output

The corpus is the peer benchmarks' (``make_corpus.py`` from ``../shared/bench-peers``, or ``--peers``):
one clinical-style sentence per document, a 50,000-phrase dictionary (``phrase<TAB>label``) and 20
regex rules. It is generated into a temporary folder unless ``--data`` is given.

Every engine scans the same documents in this process, one document at a time, on one core
(alabctl's engines also in batches of 256 documents per ``RuleEngine.annotate_many`` call, as
``alabctl preannotate`` and a ``/predict`` with many tasks call it):

- **dictionary**: alabctl's ``RuleEngine`` with one dictionary rule (caseless, normalized value =
  the label; ``ruleScope: document`` and, separately, ``sentence``), returning ``Chunk`` objects;
  raw pyahocorasick with a whole-word filter (the peers' ``aho_pyfilter``, the reference);
  flashtext; spaCy's ``PhraseMatcher`` when spaCy is installed (on a sample: it is slow).
- **regex**: alabctl with the 20 rules as ``ruleScope: document``, ``matchScope: sub-token``
  (``(?i)`` where the rule is caseless) on the ``re`` backend and on the ``hyperscan`` backend;
  raw ``re.finditer`` per rule (the reference) and raw hyperscan (one database, SOM leftmost).

Each engine is built, then the heap is collected and frozen (``gc.freeze``, as ``alabctl serve``
and ``preannotate`` workers do once loaded), so the collections a scan triggers do not walk the
corpus, the engines or the earlier rows' results. Each figure is the median of ``--repeat`` runs of wall time (``perf_counter``), with CPU time
(``process_time``) beside it: on a shared machine CPU time is the steadier one. "agree" compares
the (document, start, end) spans with the reference: recall/precision.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alabctl.runtime.rules import RuleEngine  # noqa: E402

WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
Span = tuple[int, int, int]  # (document, start, end)


@dataclass
class Result:
    kind: str
    engine: str
    docs: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    matches: int = 0
    build_s: float = 0.0
    spans: set[Span] = field(default_factory=set)
    note: str = ""

    @property
    def docs_per_s(self) -> float:
        return self.docs / statistics.median(self.wall)

    @property
    def cpu_docs_per_s(self) -> float:
        return self.docs / statistics.median(self.cpu)


# --- data ----------------------------------------------------------------------------------------------


def peers_folder(given: str | None) -> Path:
    candidates = (
        [Path(given)]
        if given
        else [ROOT.parent / "shared" / "bench-peers", ROOT.parent.parent / "shared" / "bench-peers"]
    )
    for folder in candidates:
        if (folder / "make_corpus.py").is_file():
            return folder
    raise SystemExit("make_corpus.py not found: pass --peers DIR (the bench-peers folder) or --data DIR")


def load(data: Path) -> tuple[list[str], list[tuple[str, str]], list[dict[str, Any]]]:
    docs = (data / "corpus.txt").read_text(encoding="utf-8").split("\n")
    if docs and docs[-1] == "":
        docs.pop()
    phrases = [
        (p, lab)
        for p, lab in (
            line.split("\t") for line in (data / "dict.tsv").read_text(encoding="utf-8").splitlines() if line
        )
    ]
    rules = json.loads((data / "rules.json").read_text(encoding="utf-8"))
    return docs, phrases, rules


# --- engines: each returns (build seconds, scan function docs -> spans) ------------------------------------

Scan = Callable[[Sequence[str]], list[Span]]


BATCH = 256
"""Texts per ``annotate_many`` call in the batched rows: ``alabctl preannotate``'s chunk size."""


def batched(engine: RuleEngine, batch: int) -> Scan:
    """Every document through ``engine``: one ``annotate`` call each, or ``annotate_many`` on
    ``batch`` documents at a time."""

    def scan(docs: Sequence[str]) -> list[Span]:
        if not batch:
            annotate = engine.annotate
            return [(i, c.start, c.end) for i, doc in enumerate(docs) for c in annotate(doc)]
        many = engine.annotate_many
        out: list[Span] = []
        for at in range(0, len(docs), batch):
            for i, chunks in enumerate(many(docs[at : at + batch]), at):
                out.extend([(i, c.start, c.end) for c in chunks])
        return out

    return scan


def alabctl_dictionary(phrases: list[tuple[str, str]], scope: str, batch: int = 0) -> Scan:
    by_label: dict[str, list[str]] = {}
    for phrase, label in phrases:
        by_label.setdefault(label, []).append(phrase)
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    for label, words in by_label.items():
        writer.writerow([label, *words])
    spec = {
        "name": "dictionary",
        "entity": "ENTITY",
        "dictionary": "dict.tsv",
        "dictionaryOptions": {"orientation": "horizontal", "delimiter": "\t"},
        "caseSensitive": False,
        "ruleScope": scope,
        "matchScope": "sub-token",
    }
    engine = RuleEngine.from_specs([spec], {"dict.tsv": out.getvalue()})
    return batched(engine, batch)


def alabctl_regex(rules: list[dict[str, Any]], backend: str, batch: int = 0) -> Scan:
    specs = [
        {
            "name": r["name"],
            "entity": r["name"],
            "regex": ("(?i)" if r["ignore_case"] else "") + r["pattern"],
            "ruleScope": "document",
            "matchScope": "sub-token",
        }
        for r in rules
    ]
    engine = RuleEngine.from_specs(specs, backend=backend)
    if str(engine.backend) != backend:
        raise SystemExit(f"backend {backend} is not in use (got {engine.backend})")
    return batched(engine, batch)


def raw_aho(phrases: list[tuple[str, str]]) -> Scan:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for phrase, label in phrases:
        automaton.add_word(phrase.lower(), (len(phrase), label))
    automaton.make_automaton()

    def scan(docs: Sequence[str]) -> list[Span]:
        it, out = automaton.iter, []
        for i, doc in enumerate(docs):
            low = doc.lower()
            n = len(low)
            cands = []
            for end, (length, label) in it(low):
                s, e = end - length + 1, end + 1
                if (s == 0 or low[s - 1] not in WORD) and (e == n or low[e] not in WORD):
                    cands.append((s, e, label))
            if cands:
                cands.sort(key=lambda t: (t[0], -t[1]))
                last = -1
                for s, e, _ in cands:
                    if s >= last:
                        out.append((i, s, e))
                        last = e
        return out

    return scan


def flashtext(phrases: list[tuple[str, str]]) -> Scan:
    from flashtext import KeywordProcessor

    processor = KeywordProcessor(case_sensitive=False)
    for phrase, label in phrases:
        processor.add_keyword(phrase, (label,))

    def scan(docs: Sequence[str]) -> list[Span]:
        extract = processor.extract_keywords
        return [(i, s, e) for i, doc in enumerate(docs) for _, s, e in extract(doc, span_info=True)]

    return scan


def spacy_phrasematcher(phrases: list[tuple[str, str]]) -> Scan:
    import spacy
    from spacy.matcher import PhraseMatcher
    from spacy.util import filter_spans

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    by_label: dict[str, list[str]] = {}
    for phrase, label in phrases:
        by_label.setdefault(label, []).append(phrase)
    for label, words in by_label.items():
        matcher.add(label, list(nlp.tokenizer.pipe(words, batch_size=1000)))

    def scan(docs: Sequence[str]) -> list[Span]:
        out = []
        for i, doc in enumerate(nlp.tokenizer.pipe(docs, batch_size=1000)):
            spans = matcher(doc, as_spans=True)
            out.extend((i, sp.start_char, sp.end_char) for sp in filter_spans(spans))
        return out

    return scan


def raw_re(rules: list[dict[str, Any]]) -> Scan:
    compiled = [re.compile(r["pattern"], re.I if r["ignore_case"] else 0).finditer for r in rules]

    def scan(docs: Sequence[str]) -> list[Span]:
        return [(i, *m.span()) for i, doc in enumerate(docs) for finditer in compiled for m in finditer(doc)]

    return scan


def raw_hyperscan(rules: list[dict[str, Any]]) -> Scan:
    import hyperscan as hs

    db = hs.Database()
    db.compile(
        expressions=[r["pattern"].encode() for r in rules],
        ids=list(range(len(rules))),
        elements=len(rules),
        flags=[hs.HS_FLAG_SOM_LEFTMOST | (hs.HS_FLAG_CASELESS if r["ignore_case"] else 0) for r in rules],
    )

    def scan(docs: Sequence[str]) -> list[Span]:
        out: list[Span] = []
        hits: list[tuple[int, int, int]] = []

        def on(rule: int, start: int, end: int, flags: int, context: Any) -> None:
            hits.append((rule, start, end))

        for i, doc in enumerate(docs):
            hits.clear()
            db.scan(doc.encode(), match_event_handler=on)
            if hits:  # longest per (rule, start), then non-overlapping per rule, as re's finditer
                hits.sort()
                prev, last, pending = -1, -1, None
                for rule, s, e in hits:
                    if rule != prev:
                        if pending:
                            out.append(pending)
                        prev, last, pending = rule, -1, None
                    if pending and s == pending[1]:
                        pending = (i, s, e)
                        continue
                    if s >= last:
                        if pending:
                            out.append(pending)
                        pending = (i, s, e)
                        last = e
                if pending:
                    out.append(pending)
        return out

    return scan


# --- running -------------------------------------------------------------------------------------------


def measure(
    kind: str, name: str, make: Callable[[], Scan], docs: list[str], repeat: int, budget: float
) -> Result | None:
    try:
        start = time.perf_counter()
        scan = make()
        build = time.perf_counter() - start
    except ImportError as exc:
        print(f"  skip {name}: {exc}", file=sys.stderr)
        return None
    # as ``alabctl serve`` and ``preannotate`` workers do once loaded: what is alive now (the engine,
    # the corpus, earlier rows' results) stays out of the collections the timed scans trigger
    gc.collect()
    gc.freeze()
    try:
        return _timed(kind, name, scan, build, docs, repeat, budget)
    finally:
        gc.unfreeze()


def _timed(
    kind: str, name: str, scan: Scan, build: float, docs: list[str], repeat: int, budget: float
) -> Result:
    sample = docs
    t0 = time.perf_counter()
    scan(docs[:500])
    per_doc = (time.perf_counter() - t0) / min(500, len(docs))
    note = ""
    if per_doc * len(docs) > budget:
        sample = docs[: max(500, int(budget / per_doc))]
        note = f"sample of {len(sample):,} docs"
    result = Result(kind, name, len(sample), build_s=build, note=note)
    for _ in range(repeat if not note else 1):
        w0, c0 = time.perf_counter(), time.process_time()
        spans = scan(sample)
        result.wall.append(time.perf_counter() - w0)
        result.cpu.append(time.process_time() - c0)
    result.matches = len(spans)
    result.spans = set(spans)
    print(f"  {name}: {result.docs_per_s:,.0f} docs/s", file=sys.stderr, flush=True)
    return result


def agreement(result: Result, reference: Result) -> str:
    if result is reference:
        return "ref"
    ref = {s for s in reference.spans if s[0] < result.docs}
    got = {s for s in result.spans if s[0] < reference.docs}
    both = len(ref & got)
    return f"{both / max(1, len(ref)):.3f}/{both / max(1, len(got)):.3f}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    versions = []
    for module in ("ahocorasick", "hyperscan", "flashtext", "spacy"):
        try:
            mod = __import__(module)
            versions.append(f"{module} {getattr(mod, '__version__', 'installed')}")
        except ImportError:
            versions.append(f"{module} missing")
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.1f} at start; "
        + ", ".join(versions)
    )


def table(results: list[Result]) -> str:
    lines = [
        "| kind | engine | docs | build s | docs/s (wall) | docs/s (CPU) | matches | agree R/P | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    refs = {r.kind: r for r in results if r.engine in ("pyahocorasick (raw)", "re finditer (raw)")}
    for r in results:
        ref = refs.get(r.kind)
        agree = agreement(r, ref) if ref else ""
        lines.append(
            f"| {r.kind} | {r.engine} | {r.docs:,} | {r.build_s:.2f} | {r.docs_per_s:,.0f} | {r.cpu_docs_per_s:,.0f} | "
            f"{r.matches:,} | {agree} | {r.note} |"
        )
    return "\n".join(lines)


def ratios(results: list[Result]) -> str:
    lines = []
    for ours_name, kind in (
        ("alabctl dictionary (document)", "dictionary"),
        (f"alabctl dictionary (document, batches of {BATCH})", "dictionary"),
        ("alabctl regex, re", "regex"),
        ("alabctl regex, hyperscan", "regex"),
        (f"alabctl regex, hyperscan (batches of {BATCH})", "regex"),
    ):
        ours = next((r for r in results if r.engine == ours_name), None)
        if ours is None:
            continue
        parts = [
            f"{ours.cpu_docs_per_s / p.cpu_docs_per_s:.2f}x {p.engine}"
            for p in results
            if p.kind == kind and not p.engine.startswith("alabctl")
        ]
        lines.append(f"- {ours_name}: " + ", ".join(parts) + " (CPU time)")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="an existing make_corpus.py output folder")
    ap.add_argument("--peers", help="the bench-peers folder holding make_corpus.py")
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--phrases", type=int, default=50_000)
    ap.add_argument("--quick", action="store_true", help="20k docs")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--budget", type=float, default=30.0, help="seconds one scan may take; slower engines get a sample"
    )
    ap.add_argument("--only", choices=["dictionary", "regex"], help="run one kind")
    ap.add_argument("--json", help="also write the figures as JSON")
    a = ap.parse_args()
    if a.quick:
        a.docs = 20_000
    with tempfile.TemporaryDirectory(prefix="alabctl-bench-rules-") as tmp:
        data = Path(a.data) if a.data else Path(tmp)
        if not a.data:
            script = peers_folder(a.peers) / "make_corpus.py"
            subprocess.run(
                [
                    sys.executable,
                    str(script),
                    "--out",
                    str(data),
                    "--docs",
                    str(a.docs),
                    "--phrases",
                    str(a.phrases),
                ],
                check=True,
                capture_output=True,
            )
        docs, phrases, rules = load(data)
    docs = docs[: a.docs]
    print(f"machine: {machine()}")
    print(
        f"corpus: {len(docs):,} docs, {sum(map(len, docs)) / 1e6:.1f} M characters, {len(phrases):,} phrases, {len(rules)} rules"
    )
    plan: list[tuple[str, str, Callable[[], Scan]]] = []
    if a.only in (None, "dictionary"):
        plan += [
            ("dictionary", "pyahocorasick (raw)", lambda: raw_aho(phrases)),
            ("dictionary", "alabctl dictionary (document)", lambda: alabctl_dictionary(phrases, "document")),
            (
                "dictionary",
                f"alabctl dictionary (document, batches of {BATCH})",
                lambda: alabctl_dictionary(phrases, "document", BATCH),
            ),
            ("dictionary", "alabctl dictionary (sentence)", lambda: alabctl_dictionary(phrases, "sentence")),
            (
                "dictionary",
                f"alabctl dictionary (sentence, batches of {BATCH})",
                lambda: alabctl_dictionary(phrases, "sentence", BATCH),
            ),
            ("dictionary", "flashtext", lambda: flashtext(phrases)),
            ("dictionary", "spaCy PhraseMatcher", lambda: spacy_phrasematcher(phrases)),
        ]
    if a.only in (None, "regex"):
        plan += [
            ("regex", "re finditer (raw)", lambda: raw_re(rules)),
            ("regex", "alabctl regex, re", lambda: alabctl_regex(rules, "re")),
            ("regex", "hyperscan (raw)", lambda: raw_hyperscan(rules)),
            ("regex", "alabctl regex, hyperscan", lambda: alabctl_regex(rules, "hyperscan")),
            (
                "regex",
                f"alabctl regex, hyperscan (batches of {BATCH})",
                lambda: alabctl_regex(rules, "hyperscan", BATCH),
            ),
        ]
    results = [
        r
        for kind, name, make in plan
        if (r := measure(kind, name, make, docs, a.repeat, a.budget)) is not None
    ]
    print()
    print(table(results))
    print()
    print(ratios(results))
    if a.json:
        Path(a.json).write_text(
            json.dumps(
                [
                    {
                        "kind": r.kind,
                        "engine": r.engine,
                        "docs": r.docs,
                        "build_s": r.build_s,
                        "wall_s": r.wall,
                        "cpu_s": r.cpu,
                        "docs_per_s": r.docs_per_s,
                        "cpu_docs_per_s": r.cpu_docs_per_s,
                        "matches": r.matches,
                        "note": r.note,
                    }
                    for r in results
                ],
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
