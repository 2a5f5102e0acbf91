"""Regenerate the Spark NLP training data in this folder (deterministic; run from the repo root).

``python tests/sparknlp/data/make_data.py`` writes:

- ``vectors.txt``: 100-dimensional word vectors (GloVe text format) whose directions carry each
  word's entity type or topic, so a few epochs are enough for a model to learn from them;
- ``train.conll``: a CoNLL-2003 file with PER, LOC and ORG entities;
- ``classes.csv``: short texts labelled ``sports`` or ``business``.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIM = 100
SEED = 11

FIRST = [
    "john",
    "mary",
    "ahmed",
    "li",
    "sofia",
    "pierre",
    "anna",
    "kenji",
    "olga",
    "diego",
    "fatima",
    "peter",
]
LAST = ["smith", "garcia", "chen", "müller", "rossi", "tanaka", "novak", "silva", "brown", "dubois"]
PLACES = ["paris", "london", "berlin", "tokyo", "madrid", "cairo", "lima", "oslo", "rome", "boston", "sydney"]
ORGS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne"]
ORG_TAIL = ["corp", "bank", "labs"]
VERBS = ["visited", "met", "left", "joined", "called", "praised", "admired"]
FILLER = ["the", "a", "in", "at", "on", "with", "for", "and", "to", "of", "from", "yesterday", "today", "."]
SPORTS = ["match", "goal", "team", "coach", "league", "striker", "season", "won", "scored", "final"]
BUSINESS = [
    "shares",
    "profit",
    "market",
    "investors",
    "revenue",
    "merger",
    "stock",
    "quarter",
    "deal",
    "bank",
]

TEMPLATES = [
    "{per} visited {loc} .",
    "{per} joined {org} in {loc} .",
    "{org} opened an office in {loc} yesterday .",
    "Yesterday {per} met {per} at {org} .",
    "{per} left {loc} for {loc} today .",
    "The {org} team praised {per} .",
    "{per} called {org} from {loc} .",
]


def _unit(rng: random.Random) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(DIM)]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def vectors(rng: random.Random) -> dict[str, list[float]]:
    """Each word: its group's direction plus a little noise of its own."""
    groups = {
        "per": FIRST + LAST,
        "loc": PLACES,
        "org": ORGS + ORG_TAIL,
        "sports": SPORTS,
        "business": BUSINESS,
        "other": VERBS + FILLER + ["opened", "an", "office", "team", "yesterday", "for", "an"],
    }
    out: dict[str, list[float]] = {}
    for words in groups.values():
        centre = _unit(rng)
        for word in words:
            noise = _unit(rng)
            out.setdefault(word, [c + 0.3 * n for c, n in zip(centre, noise, strict=True)])
    return out


def sentence(rng: random.Random) -> list[tuple[str, str]]:
    """One templated sentence as (token, IOB tag) pairs."""
    tokens: list[tuple[str, str]] = []
    for part in rng.choice(TEMPLATES).split():
        if part == "{per}":
            tokens += [(rng.choice(FIRST).title(), "B-PER"), (rng.choice(LAST).title(), "I-PER")]
        elif part == "{loc}":
            tokens.append((rng.choice(PLACES).title(), "B-LOC"))
        elif part == "{org}":
            tokens += [(rng.choice(ORGS).title(), "B-ORG"), (rng.choice(ORG_TAIL).title(), "I-ORG")]
        else:
            tokens.append((part, "O"))
    return tokens


def conll(rng: random.Random, n: int) -> str:
    lines = ["-DOCSTART- -X- -X- O", ""]
    for _ in range(n):
        lines += [f"{tok} NN NN {tag}" for tok, tag in sentence(rng)]
        lines.append("")
    return "\n".join(lines) + "\n"


def classes(rng: random.Random, n: int) -> list[tuple[str, str]]:
    rows = []
    for i in range(n):
        label = "sports" if i % 2 == 0 else "business"
        words = SPORTS if label == "sports" else BUSINESS
        body = [rng.choice(words) for _ in range(4)] + [rng.choice(FILLER[:-1]) for _ in range(2)]
        rng.shuffle(body)
        rows.append((" ".join(["The", *body]) + " .", label))
    return rows


def main() -> None:
    rng = random.Random(SEED)
    with (HERE / "vectors.txt").open("w", encoding="utf-8") as out:
        for word, vec in vectors(rng).items():
            out.write(word + " " + " ".join(f"{x:.4f}" for x in vec) + "\n")
    (HERE / "train.conll").write_text(conll(rng, 300), encoding="utf-8")
    with (HERE / "classes.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        writer.writerows(classes(rng, 200))


if __name__ == "__main__":
    main()
