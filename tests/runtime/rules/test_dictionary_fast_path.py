"""The dictionary scan (padded automaton, batches, local boundary checks) against a straightforward
matcher that tokenises every text in full, on a generated corpus."""

from __future__ import annotations

import random
from typing import Any

import pytest

from alabctl.runtime.rules import RuleEngine
from alabctl.runtime.rules import text as seg
from alabctl.runtime.rules.dictionary import DictionaryMatcher
from alabctl.runtime.rules.document import Document, fold, text_view
from tests.runtime.rules.conftest import rule

WORDS = [
    "kidney disease",
    "chronic kidney disease",
    "disease",
    "aspirin",
    "Aspirin 100",
    "co-amilofruse",
    "b.i.d",
    "(acute)",
    "-x",
    "x.",
    "x",
    "a-b",
    "a b",
    "stra\u00dfe",
    "e\u0301t\u00e9",
    "\U0001f600 pain",
    "man",
    "'s",
]
FILLER = ["man", "manhattan", "woman", "the", "x", "a", "b", "10", "mg", "\u0130", "Stra\u00dfe", "DISEASE"]
GAPS = [" ", " ", " ", "  ", "\t", "\r\n", "\n\n", " (", ") ", ", ", ". ", "-", "/", "'", '"', ".", ""]


def corpus(seed: int, size: int) -> list[str]:
    rnd = random.Random(seed)
    texts = []
    for _ in range(size):
        parts = []
        for _ in range(rnd.randint(0, 12)):
            word = rnd.choice(WORDS + FILLER)
            parts.append(word.upper() if rnd.random() < 0.1 else word)
            parts.append(rnd.choice(GAPS))
        texts.append("".join(parts))
    return texts


def reference(entries: dict[str, list[str]], caseless: bool, text: str) -> list[tuple[int, int, str]]:
    """Every key found with ``str.find``, kept at whole-token boundaries of the fully tokenised
    view, then leftmost-longest."""
    view, where = text_view(text, caseless)
    spans = seg.tokens(view)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    keys: dict[str, str] = {}
    for normalized, words in entries.items():
        for word in words:
            key = " ".join(word.split())
            keys.setdefault(fold(key) if caseless else key, normalized)
    found = []
    for key, normalized in keys.items():
        at = view.find(key)
        while at >= 0:
            if at in starts and at + len(key) in ends:
                found.append((at, at + len(key), normalized))
            at = view.find(key, at + 1)
    found.sort(key=lambda h: (h[0], -h[1]))
    kept, last = [], -1
    for s, e, normalized in found:
        if s >= last:
            kept.append((s, e, normalized))
            last = e
    if where is None:
        return kept
    return [(where[s], where[e - 1] + 1, n) for s, e, n in kept]


ENTRIES = {"N1": WORDS[:9], "N2": WORDS[9:]}
# no word ends with a context character: the scan keeps leftmost-longest as the hits come
ORDERED = {
    "N1": [w for w in WORDS[:9] if w[-1] not in seg.CONTEXT_CHARS] + ["kidney", "chronic kidney"],
    "N2": [w for w in WORDS[9:] if w[-1] not in seg.CONTEXT_CHARS] + ["disease man", "(x"],
}


@pytest.mark.parametrize("entries", [ENTRIES, ORDERED], ids=["any", "ordered"])
def test_scan_matches_the_full_tokenisation_on_a_generated_corpus(entries: dict[str, list[str]]) -> None:
    texts = [t for t in corpus(7, 3000) if t]
    for caseless in (True, False):
        matcher = DictionaryMatcher(entries, case_sensitive=not caseless)
        assert matcher.ordered is (entries is ORDERED)
        for at in range(0, len(texts), 256):  # in batches, as the engine scans them
            batch = texts[at : at + 256]
            many = matcher.find_many(batch)
            for i, text in enumerate(batch):
                expected = reference(entries, caseless, text)
                assert matcher.find(Document(text)) == expected, text
                assert many.get(i, []) == expected, text
        assert sum(len(matcher.find(Document(t))) > 1 for t in texts) > 100  # many texts, many hits


NESTED = {"N": ["a b", "d", "b c d e", "kidney", "chronic kidney disease", "kidney disease", "disease", "c"]}
NESTED_TEXTS = [
    "a b c d e",  # "a b", "c", "d" kept; "b c d e" is not: it starts inside "a b"
    "b c d e",  # "c", "d" kept, then both dropped for the longer, earlier "b c d e"
    "x a b, c d e. chronic kidney disease",
    "chronic kidney disease",  # "kidney" kept, then dropped for "chronic kidney disease"
    "kidney disease d a b c d e b c d e",
    "c d e (a b) b c d e!",
]


def test_leftmost_longest_as_the_hits_come() -> None:
    """Hits inside a later, longer one; a later hit that starts inside a kept one."""
    for caseless in (True, False):
        matcher = DictionaryMatcher(NESTED, case_sensitive=not caseless)
        assert matcher.ordered
        many = matcher.find_many(NESTED_TEXTS)
        for i, text in enumerate(NESTED_TEXTS):
            expected = reference(NESTED, caseless, text)
            assert matcher.find(Document(text)) == expected, text
            assert many.get(i, []) == expected, text
    assert many[0] == [(0, 3, "N"), (4, 5, "N"), (6, 7, "N")]
    assert many[1] == [(0, 7, "N")]
    assert many[3] == [(0, 22, "N")]


def _dictionary_file(entries: dict[str, list[str]]) -> str:
    return "\n".join("\t".join([n, *words]) for n, words in entries.items()) + "\n"


RULES: list[dict[str, Any]] = [
    rule(name="d-doc", dictionary="d.tsv", caseSensitive=False, ruleScope="document"),
    rule(name="d-sent", dictionary="d.tsv", caseSensitive=True),
    rule(name="d-ctx", dictionary="d.tsv", caseSensitive=False, prefix=["the"], contextLength=20),
    rule(name="num", regex=r"\d+", ruleScope="document", matchScope="sub-token"),
]


@pytest.mark.parametrize("entries", [ENTRIES, ORDERED], ids=["any", "ordered"])
def test_annotate_many_gives_annotate_s_chunks(entries: dict[str, list[str]]) -> None:
    texts: list[Any] = corpus(11, 1500)
    texts[3:3] = ["", None, 5]  # unreadable texts find nothing, in place
    for specs in ([RULES[0]], RULES[:3], RULES):
        for backend in ("re", "auto"):
            engine = RuleEngine.from_specs(specs, {"d.tsv": _dictionary_file(entries)}, backend=backend)
            expected = [engine.annotate(t) for t in texts]
            assert engine.annotate_many(texts) == expected
            assert engine.annotate_many(texts[:1]) == expected[:1]
            assert sum(map(len, expected)) > 100


def test_a_batch_with_any_whitespace_reads_each_text_s_view() -> None:
    """Runs of whitespace read as one space, in a batch that is all single spaces but one text."""
    plain = ["chronic kidney disease", "x kidney disease", "disease"]
    for odd in [
        "kidney\x0bdisease",
        "kidney\x1cdisease",
        "kidney  disease",
        "kidney\u00a0disease",
        "a\tdisease",
    ]:
        texts = [*plain, odd]
        matcher = DictionaryMatcher(ORDERED, case_sensitive=False)
        many = matcher.find_many(texts)
        for i, text in enumerate(texts):
            assert many.get(i, []) == reference(ORDERED, True, text), text
        assert many[3], odd  # the odd text matches too, across its whitespace
