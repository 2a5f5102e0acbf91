#!/usr/bin/env python3
"""Generate a realistic, valid alabctl repository for benchmarks.

    python bench/gen_repo.py OUT_DIR [--projects 2000] [--seed 7] [--no-check]

Layout (one manifest per file)::

    hub.yaml, license.yaml          one Hub, one License (fromEnv)
    models/<model>.yaml             a few hundred Models (ner, assertion, classification, relation)
    models/embeddings/<emb>.yaml    the Embeddings they use
    servers/<server>.yaml           pre-annotation servers: <= 5 distinct models, one embeddings
                                    storageRef per server under 'strict'
    rules/<rule>.yaml               about one Rule per project: regex, or dictionary with inline
                                    entries; a few use CSV files under rules/dictionaries/
    projects/<project>.yaml         N Projects of 30-60 lines: labels with colors and hotkeys,
                                    model bindings with label subsets and renames, rules, and
                                    sometimes assertion, classification and relations

Every manifest is meant to pass ``alabctl validate`` (references resolve, no duplicate labels, the
five-model limit, embeddings consistent per server, task types fit). ``generate`` runs
``alabctl validate -f ROOT`` at the end and raises if it does not exit 0.

The output depends only on (projects, seed).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARKER = ".alabctl-bench"

# ---------------------------------------------------------------------------------------------- vocab
# embeddings families: (storageRef, hub repository, type, dimension)
WORD_EMBEDDINGS = [
    ("embeddings_clinical", "clinical/models", "word", 200),
    ("embeddings_healthcare_100d", "clinical/models", "word", 100),
    ("biobert_pubmed_base_cased", "clinical/models", "word", 768),
    ("glove_6b_300", "public/models", "word", 300),
    ("bert_base_cased", "public/models", "word", 768),
    ("roberta_embeddings_legal_base", "legal/models", "word", 768),
    ("finance_word_embeddings", "finance/models", "word", 300),
]
SENTENCE_EMBEDDINGS = [
    ("sent_biobert_pubmed_base_cased", "clinical/models", "sentence", 768),
    ("tfhub_use", "public/models", "sentence", 512),
]
DOMAIN_OF = {
    "clinical/models": "clinical",
    "public/models": "general",
    "legal/models": "legal",
    "finance/models": "finance",
}
NER_LABELS = {
    "clinical": [
        "DRUG",
        "DOSAGE",
        "FREQUENCY",
        "ROUTE",
        "STRENGTH",
        "DURATION",
        "FORM",
        "PROBLEM",
        "TEST",
        "TREATMENT",
        "SYMPTOM",
        "DISEASE",
        "PROCEDURE",
        "BODY_PART",
        "LAB_VALUE",
        "VITAL_SIGN",
        "ALLERGEN",
        "GENE",
        "CHEMICAL",
        "ANATOMY",
        "OBSERVATION",
        "DEVICE",
        "SMOKING",
        "ALCOHOL",
    ],
    "general": [
        "PER",
        "ORG",
        "LOC",
        "MISC",
        "DATE",
        "TIME",
        "MONEY",
        "PERCENT",
        "GPE",
        "EVENT",
        "PRODUCT",
        "LANGUAGE",
        "NORP",
        "FAC",
        "WORK_OF_ART",
        "LAW",
        "QUANTITY",
        "ORDINAL",
        "CARDINAL",
    ],
    "legal": [
        "PARTY",
        "EFFDATE",
        "DOC",
        "ALIAS",
        "COURT",
        "JUDGE",
        "STATUTE",
        "CLAUSE",
        "OBLIGATION",
        "JURISDICTION",
        "TERM",
        "SIGNER",
        "WITNESS",
        "AMOUNT",
    ],
    "finance": [
        "TICKER",
        "COMPANY",
        "REVENUE",
        "PROFIT",
        "EXPENSE",
        "FISCAL_YEAR",
        "CURRENCY",
        "AMOUNT",
        "PERCENTAGE",
        "EXCHANGE",
        "ROLE",
        "PERSON",
        "ADDRESS",
        "PHONE",
    ],
}
ASSERTION_LABELS = [
    "present",
    "absent",
    "possible",
    "conditional",
    "hypothetical",
    "associated_with_someone_else",
    "past",
    "family",
    "planned",
]
CLASS_LABELS = {
    "clinical": [
        "relevant",
        "irrelevant",
        "adverse",
        "not_adverse",
        "urgent",
        "routine",
        "oncology",
        "cardiology",
        "neurology",
        "other",
    ],
    "general": [
        "positive",
        "negative",
        "neutral",
        "joy",
        "anger",
        "fear",
        "sadness",
        "surprise",
        "spam",
        "ham",
    ],
    "legal": ["contract", "amendment", "nda", "lease", "employment", "license_agreement", "other"],
    "finance": ["earnings", "merger", "dividend", "guidance", "litigation", "esg", "other"],
}
RELATION_LABELS = {
    "clinical": [
        "dosage_of",
        "frequency_of",
        "route_of",
        "strength_of",
        "duration_of",
        "test_result",
        "treats",
        "causes",
        "located_in",
    ],
    "general": ["works_for", "located_in", "born_in", "founded", "member_of", "part_of"],
    "legal": ["signed_by", "party_of", "effective_on", "governed_by", "alias_of"],
    "finance": ["reported", "acquired", "ceo_of", "listed_on", "subsidiary_of"],
}
MODEL_PREFIX = {
    "ner": [
        "ner_jsl",
        "ner_posology",
        "ner_clinical",
        "ner_events",
        "ner_deid",
        "ner_bionlp",
        "ner_radiology",
        "ner_oncology",
        "ner_dl",
        "ner_contract",
        "ner_sec",
        "ner_ade",
    ],
    "assertion": ["assertion_dl", "assertion_jsl", "assertion_oncology", "assertion_radiology"],
    "classification": ["classifierdl", "classifier_ade", "multiclassifierdl", "classifier_topics"],
    "relation": ["re_posology", "re_clinical", "re_temporal_events", "re_bodypart", "redl_contract"],
}
MANUAL_LABELS = [
    "Frequency",
    "Route",
    "Strength",
    "Timing",
    "Severity",
    "Negation",
    "Section_Header",
    "Family",
    "Employment",
    "Relationship",
    "Vaccine",
    "Procedure_Note",
    "Follow_Up",
    "Side_Effect",
    "Unit",
    "Organism",
    "Specimen",
    "Setting",
    "Modifier",
    "Clause_Type",
    "Signature",
    "Currency_Note",
    "Risk",
    "Outcome",
    "Comment",
    "Uncertain",
    "Other",
]
RULE_ENTITIES = [
    "Height",
    "Weight",
    "Gender",
    "Age",
    "Phone",
    "Email",
    "Zip",
    "Mrn",
    "Ssn",
    "Blood_Pressure",
    "Temperature",
    "Date_Rule",
    "Dose_Amount",
    "Percent_Rule",
    "Icd10",
    "Cpt",
    "Ticker_Rule",
    "Case_Number",
    "Url",
    "Ip_Address",
]
REGEXES = [
    r"[0-7]'((0?[0-9])|(1(0|1)))",
    r"[0-9]{2,3}cm",
    r"[0-9]{1,3}(\.[0-9])?kg",
    r"[0-9]{1,4}(mg|ml|mcg|g)",
    r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}",
    r"[0-9]{3}-[0-9]{3}-[0-9]{4}",
    r"[A-Z][0-9]{2}\.[0-9]{1,2}",
    r"[0-9]{2,3}/[0-9]{2,3}",
    r"[0-9]{5}(-[0-9]{4})?",
    r"[0-9]{1,3}(\.[0-9]{1,2})?%",
    r"MRN[0-9]{6,8}",
    r"[A-Z]{2,5}",
    r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
    r"[a-z0-9._]{1,32}@[a-z0-9.]{1,32}\.[a-z]{2,6}",
]
DICT_WORDS = {
    "female": ["woman", "lady", "girl", "she", "her", "mother", "wife"],
    "male": ["man", "gentleman", "boy", "he", "him", "father", "husband"],
    "smoker": ["smokes", "smoking", "cigarettes", "tobacco"],
    "alcohol": ["drinks", "alcohol", "ethanol", "beer", "wine"],
    "fever": ["febrile", "pyrexia", "fever", "hyperthermia"],
    "pain": ["ache", "aching", "painful", "soreness", "tenderness"],
    "nausea": ["nauseous", "queasy", "nausea", "vomiting"],
    "buy": ["purchase", "acquire", "acquisition", "bought"],
    "sell": ["divest", "disposal", "sold", "selling"],
}
PREFIX_WORDS = [
    "height",
    "weight",
    "patient",
    "age",
    "dose",
    "tel",
    "phone",
    "dob",
    "temp",
    "bp",
    "mrn",
    "zip",
    "measured",
    "approximately",
    "about",
]
SUFFIX_WORDS = ["tall", "kg", "years", "old", "daily", "bid", "tid", "prn", "am", "pm"]
EXCEPTIONS = ["not", "no", "denies", "without", "negative", "never"]
TEAMS = [
    "pharmacy",
    "oncology",
    "radiology",
    "cardiology",
    "legal-ops",
    "finance-research",
    "deid",
    "research",
    "quality",
    "billing",
]
WORDS = [
    "drug",
    "dosage",
    "extraction",
    "oncology",
    "reports",
    "discharge",
    "summaries",
    "notes",
    "contracts",
    "filings",
    "adverse",
    "events",
    "radiology",
    "findings",
    "pathology",
    "labs",
    "deidentification",
    "clinical",
    "trials",
    "claims",
    "invoices",
    "emails",
    "triage",
]
HOTKEYS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _color(rng: random.Random) -> str:
    return f"#{rng.randrange(1 << 24):06x}"


def _q(value: str) -> str:
    """A YAML-safe scalar: JSON strings are valid YAML flow scalars."""
    return json.dumps(value)


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


# ---------------------------------------------------------------------------------------------- model
@dataclass
class Model:
    name: str
    task: str
    embeddings: str
    repository: str
    domain: str
    labels: list[str]


@dataclass
class Pool:
    """The models a server may host (<= 5 distinct, one embeddings storageRef when strict)."""

    name: str | None
    strict: bool
    models: dict[str, list[Model]] = field(default_factory=dict)  # task -> models

    def all(self) -> list[Model]:
        return [m for ms in self.models.values() for m in ms]


def _make_models(rng: random.Random, count: int) -> tuple[list[Model], list[Model]]:
    """Word-embedding families with every task, plus a few sentence-embedding classifiers."""
    models: list[Model] = []
    tasks = ["ner"] * 10 + ["assertion"] * 4 + ["classification"] * 3 + ["relation"] * 3
    per_family = max(len(tasks), count * 9 // 10 // len(WORD_EMBEDDINGS))
    serial = 0
    for emb, repo, _t, _d in WORD_EMBEDDINGS:
        domain = DOMAIN_OF[repo]
        for k in range(per_family):
            task = tasks[k % len(tasks)]
            serial += 1
            name = f"{rng.choice(MODEL_PREFIX[task])}_{serial:03d}"
            if task == "ner":
                labels = rng.sample(NER_LABELS[domain], rng.randint(3, min(10, len(NER_LABELS[domain]))))
            elif task == "assertion":
                labels = rng.sample(ASSERTION_LABELS, rng.randint(2, 6))
            elif task == "classification":
                labels = rng.sample(CLASS_LABELS[domain], rng.randint(2, 5))
            else:
                labels = rng.sample(RELATION_LABELS[domain], rng.randint(2, 4))
            models.append(Model(name, task, emb, repo, domain, labels))
    sentence: list[Model] = []
    for emb, repo, _t, _d in SENTENCE_EMBEDDINGS:
        domain = DOMAIN_OF[repo]
        for _ in range(max(2, count // 40)):
            serial += 1
            name = f"{rng.choice(MODEL_PREFIX['classification'])}_use_{serial:03d}"
            sentence.append(
                Model(
                    name,
                    "classification",
                    emb,
                    repo,
                    domain,
                    rng.sample(CLASS_LABELS[domain], rng.randint(2, 5)),
                )
            )
    return models, sentence


def _pool(
    rng: random.Random, name: str | None, models: list[Model], sentence: list[Model], lenient: bool
) -> Pool:
    emb = rng.choice(WORD_EMBEDDINGS)[0]
    family = [m for m in models if m.embeddings == emb]
    by_task = {
        t: [m for m in family if m.task == t] for t in ("ner", "assertion", "classification", "relation")
    }
    pool = Pool(name, strict=not lenient)
    pool.models["ner"] = rng.sample(by_task["ner"], rng.randint(1, 3))
    budget = 5 - len(pool.models["ner"])
    for task in ("assertion", "classification", "relation"):
        if budget and rng.random() < 0.6:
            source = by_task[task]
            if task == "classification" and lenient and rng.random() < 0.7:
                source = sentence
            pool.models[task] = [rng.choice(source)]
            budget -= 1
    return pool


# ---------------------------------------------------------------------------------------------- writers
def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _model_yaml(rng: random.Random, m: Model) -> str:
    hub_name = "" if rng.random() < 0.5 else f"\n      name: {m.name}"
    team = rng.choice(TEAMS)
    return f"""\
# {m.task} model, {m.domain} domain
apiVersion: alabctl/v1
kind: Model
metadata:
  name: {m.name}
  labels:
    team: {team}
    domain: {m.domain}
spec:
  task: {m.task}
  source:
    hub:{hub_name}
      language: en
      repository: {m.repository}
  labels: {_flow(m.labels)}
  embeddings: {m.embeddings}
  language: en
"""


def _embeddings_yaml(emb: tuple[str, str, str, int]) -> str:
    name, repo, typ, dim = emb
    return f"""\
apiVersion: alabctl/v1
kind: Embeddings
metadata:
  name: {name}
spec:
  source:
    hub:
      repository: {repo}
  type: {typ}
  dimension: {dim}
"""


def _server_yaml(rng: random.Random, pool: Pool, port: int) -> str:
    lines = [
        "apiVersion: alabctl/v1",
        "kind: Server",
        "metadata:",
        f"  name: {pool.name}",
        "  labels:",
        f"    team: {rng.choice(TEAMS)}",
        "spec:",
        f"  maxModels: {rng.choice([5, 5, 5, 5])}",
        f"  embeddingsPolicy: {'strict' if pool.strict else 'lenient'}",
        "  host: 127.0.0.1",
        f"  port: {port}",
        f"  engine: {rng.choice(['auto', 'auto', 'sparknlp'])}",
        f"  workers: {rng.choice([1, 2, 2, 4])}",
        f"  idleTimeout: {rng.choice(['30m', '15m', '1h', '90s'])}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Rule:
    name: str
    entity: str


def _rule_yaml(rng: random.Random, rule: Rule, csv_files: list[str]) -> str:
    lines = [
        "apiVersion: alabctl/v1",
        "kind: Rule",
        "metadata:",
        f"  name: {rule.name}",
        "  labels:",
        f"    team: {rng.choice(TEAMS)}",
        "spec:",
        f"  entity: {rule.entity}",
    ]
    r = rng.random()
    if r < 0.55:
        lines.append(f"  regex: {_q(rng.choice(REGEXES))}")
        lines.append(f"  matchScope: {rng.choice(['token', 'sub-token'])}")
        lines.append(f"  completeMatchRegex: {rng.choice(['false', 'true'])}")
    else:
        lines.append("  dictionary:")
        if csv_files and r > 0.97:
            lines.append(f"    file: {rng.choice(csv_files)}")
            lines.append("    orientation: horizontal")
            lines.append('    delimiter: ","')
        else:
            lines.append("    entries:")
            for key in rng.sample(sorted(DICT_WORDS), rng.randint(1, 3)):
                words = rng.sample(DICT_WORDS[key], rng.randint(2, len(DICT_WORDS[key])))
                lines.append(f"      {key}: {_flow(words)}")
        lines.append(f"  caseSensitive: {rng.choice(['false', 'true'])}")
        lines.append("  matchScope: token")
    lines.append("  ruleScope: sentence")
    if rng.random() < 0.6:
        lines.append(f"  prefix: {_flow(rng.sample(PREFIX_WORDS, rng.randint(1, 3)))}")
    if rng.random() < 0.4:
        lines.append(f"  suffix: {_flow(rng.sample(SUFFIX_WORDS, rng.randint(1, 3)))}")
    lines.append(f"  contextLength: {rng.choice([50, 100, 100, 150])}")
    if rng.random() < 0.3:
        lines.append(f"  contextException: {_flow(rng.sample(EXCEPTIONS, rng.randint(1, 3)))}")
        lines.append(f"  exceptionDistance: {rng.choice([20, 40, 60])}")
    lines.append(f"  prefixAndSuffixMatch: {rng.choice(['false', 'false', 'true'])}")
    return "\n".join(lines) + "\n"


def _csv(rng: random.Random) -> str:
    rows = []
    for key in rng.sample(sorted(DICT_WORDS), 5):
        rows.append(",".join([key, *rng.sample(DICT_WORDS[key], rng.randint(2, len(DICT_WORDS[key])))]))
    return "\n".join(rows) + "\n"


def _project_yaml(rng: random.Random, index: int, pool: Pool, rules: list[Rule]) -> tuple[str, str]:
    name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index:05d}"
    used: set[str] = set()  # every value of the NER <Labels> block (assertion included)
    hotkeys = list(HOTKEYS)
    rng.shuffle(hotkeys)
    visual = rng.random() < 0.03
    licensed = visual
    ner_models = [] if visual else rng.sample(pool.models["ner"], rng.randint(1, len(pool.models["ner"])))
    for m in ner_models:
        licensed |= m.repository != "public/models"

    out = [
        "apiVersion: alabctl/v1",
        "kind: Project",
        "metadata:",
        f"  name: {name}",
        "  labels:",
        f"    team: {rng.choice(TEAMS)}",
        f"    tier: {rng.choice(['gold', 'silver', 'bronze'])}",
    ]
    if rng.random() < 0.5:
        out += ["  annotations:", f"    owner: {_q(rng.choice(TEAMS) + '@example.com')}"]
    words = " ".join(rng.sample(WORDS, rng.randint(3, 6)))
    out += [
        "spec:",
        f"  description: {_q(words.capitalize() + f' (project {index})')}",
        f"  content: {'pdf' if visual and rng.random() < 0.5 else 'image' if visual else 'text'}",
    ]
    if pool.name is not None:
        out.append(f"  server: {pool.name}")
    license_line = len(out)  # filled in at the end, once we know whether anything is licensed

    # ---- ner
    out.append("  ner:")
    out.append("    labels:")
    for value in rng.sample(MANUAL_LABELS, rng.randint(5, 9) if visual else rng.randint(3, 6)):
        used.add(value)
        out.append(f"      - value: {value}")
        out.append(f'        color: "{_color(rng)}"')
        out.append(f'        hotkey: "{hotkeys.pop()}"')
    ner_values: list[str] = sorted(used)
    if ner_models:
        out.append("    models:")
    for m in ner_models:
        subset = rng.random() < 0.7
        taken = rng.sample(m.labels, rng.randint(1, len(m.labels))) if subset else list(m.labels)
        rename: dict[str, str] = {}
        for label in taken:
            final = label
            if label in used or (rng.random() < 0.2 and label.title() not in used):
                final = label.title() if label.title() not in used else f"{label.title()}_{m.name}"
                rename[label] = final
            used.add(final)
            ner_values.append(final)
        out.append(f"      - model: {m.name}")
        if subset:
            out.append(f"        labels: {_flow(taken)}")
        if rename:
            out.append("        rename:")
            out += [f"          {k}: {v}" for k, v in rename.items()]
    chosen_rules: list[Rule] = []
    if not visual:
        for rule in rng.sample(rules, rng.choice([0, 1, 1, 1, 2, 2])):
            if rule.entity not in used:
                used.add(rule.entity)
                chosen_rules.append(rule)
    if chosen_rules:
        out.append(f"    rules: {_flow([r.name for r in chosen_rules])}")
        licensed |= bool(ner_models)  # ContextualParser inside a Spark NLP pipeline

    # ---- assertion (needs a NER source: ner models or rules)
    if not visual and "assertion" in pool.models and rng.random() < 0.5:
        m = pool.models["assertion"][0]
        licensed |= m.repository != "public/models"
        out.append("  assertion:")
        bound = rng.sample(m.labels, rng.randint(1, len(m.labels)))
        free = [a for a in ASSERTION_LABELS if a not in m.labels and a not in used]
        manual = rng.sample(free, rng.randint(0, min(2, len(free))))
        if manual:
            out.append(f"    labels: {_flow(manual)}")
        out.append("    models:")
        out.append(f"      - model: {m.name}")
        out.append(f"        labels: {_flow(bound)}")
        used.update(manual + bound)
    elif not visual and rng.random() < 0.15:
        out.append("  assertion:")
        out.append(f"    labels: {_flow(rng.sample(['present', 'absent', 'possible'], 2))}")

    # ---- classification
    if not visual and rng.random() < 0.35:
        out.append("  classification:")
        blocks = ["category", "priority", "sentiment", "topic", "document_type"]
        m = pool.models.get("classification", [None])[0]
        for b, block in enumerate(rng.sample(blocks, rng.randint(1, 2))):
            out.append(f"    - name: {block}")
            if b == 0 and m is not None and rng.random() < 0.7:
                licensed |= m.repository != "public/models"
                out.append(f"      choices: {_flow(rng.sample(m.labels, rng.randint(2, len(m.labels))))}")
                out.append(f"      multiple: {rng.choice(['false', 'true'])}")
                out.append(f"      model: {m.name}")
            else:
                out.append(
                    f"      choices: {_flow(rng.sample(['yes', 'no', 'unsure', 'high', 'low', 'medium'], 3))}"
                )
                out.append("      multiple: false")

    # ---- relations (between NER labels of this project)
    if not visual and len(ner_values) >= 2 and rng.random() < 0.3:
        out.append("  relations:")
        out.append("    labels:")
        m = pool.models.get("relation", [None])[0]
        rel_names = [
            r for r in ("related_to", "refers_to", "same_as", "part_of_doc") if m is None or r not in m.labels
        ]
        for value in rng.sample(rel_names, rng.randint(1, 2)):
            a, b = rng.sample(ner_values, 2)
            sep = rng.choice([">", "<>"])
            out.append(f"      - value: {value}")
            out.append(f"        allowed: {_flow([f'{a}{sep}{b}'])}")
            out.append(f'        color: "{_color(rng)}"')
        if m is not None and ner_models and rng.random() < 0.7:
            licensed |= m.repository != "public/models"
            out.append(f"    models: [{{model: {m.name}}}]")

    if licensed:
        out.insert(license_line, "  license: jsl")
    return name, "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------- license
LICENSE_ENV = "JSL_LICENSE"
SCOPES = ["healthcare:inference", "finance:inference", "legal:inference", "ocr:inference"]


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def synthetic_license() -> str:
    """A test fixture, not a credential: license JSON whose tokens are *unsigned* JWTs carrying the
    scopes and a far-future expiry, the same shape tests/compile/checks/conftest.py builds.
    alabctl reads only the payload (John Snow Labs' libraries verify signatures at run time), so
    this lets the license check run in full during benchmarks. It unlocks nothing real."""
    token = ".".join(
        [
            _b64({"alg": "none", "typ": "JWT"}),
            _b64({"sub": "alabctl-benchmark", "exp": 4102444800, "scope": SCOPES}),
            "unsigned",
        ]
    )
    return json.dumps({"SPARK_NLP_LICENSE": token, "SPARK_OCR_LICENSE": token})


def bench_env(base: dict | None = None) -> dict:
    """The environment alabctl runs in for benchmarks: the synthetic license in $JSL_LICENSE."""
    env = dict(os.environ if base is None else base)
    env[LICENSE_ENV] = synthetic_license()
    return env


# ---------------------------------------------------------------------------------------------- main
def generate(
    root: Path,
    projects: int = 2000,
    seed: int = 7,
    *,
    rules: int | None = None,
    servers: int | None = None,
    check: bool = True,
    alabctl: str | None = None,
    extra_args: tuple[str, ...] = (),
) -> dict:
    """Write the repository under ``root`` (emptied first) and return counts.

    ``rules`` (default: one per project) and ``servers`` (default: about one per six projects) set
    those counts independently of ``projects``.

    With ``check`` (the default) run ``alabctl validate -f root`` and raise if it does not exit 0.
    """
    rng = random.Random(seed)
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise RuntimeError(
                f"{root} is not empty and was not made by gen_repo.py: refusing to overwrite it"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("generated by bench/gen_repo.py; safe to delete\n")
    counts: dict[str, int] = dict.fromkeys(
        ("Project", "Rule", "Model", "Embeddings", "Server", "License", "Hub"), 0
    )

    _write(
        root / "hub.yaml",
        """\
apiVersion: alabctl/v1
kind: Hub
metadata:
  name: default
spec:
  url: https://s3.amazonaws.com/auxdata.johnsnowlabs.com
  sparkNlpVersion: "5.5.3"
  sparkVersion: "3.5"
""",
    )
    _write(
        root / "license.yaml",
        """\
# the license itself is never in the repository: it is read from $JSL_LICENSE
apiVersion: alabctl/v1
kind: License
metadata:
  name: jsl
spec:
  fromEnv: JSL_LICENSE
  scopes: [healthcare:inference, finance:inference, legal:inference, ocr:inference]
""",
    )
    counts["Hub"] = counts["License"] = 1

    models, sentence = _make_models(rng, max(40, projects * 3 // 20))
    for m in models + sentence:
        _write(root / "models" / f"{m.name}.yaml", _model_yaml(rng, m))
    counts["Model"] = len(models) + len(sentence)
    for emb in WORD_EMBEDDINGS + SENTENCE_EMBEDDINGS:
        _write(root / "models" / "embeddings" / f"{emb[0]}.yaml", _embeddings_yaml(emb))
    counts["Embeddings"] = len(WORD_EMBEDDINGS) + len(SENTENCE_EMBEDDINGS)

    # alabctl.lock: every hub asset pinned, as `alabctl lock` would leave it (validate runs with the
    # repository as working directory, so it reads ./alabctl.lock)
    edition = {
        "clinical/models": "healthcare",
        "public/models": "opensource",
        "legal/models": "legal",
        "finance/models": "finance",
    }
    lock = ["version: 1", "assets:"]
    assets = [(m.name, "model", m.repository, m.task, m.embeddings, m.labels) for m in models + sentence]
    assets += [(e[0], "embeddings", e[1], None, e[0], None) for e in WORD_EMBEDDINGS + SENTENCE_EMBEDDINGS]
    for name, typ, repo, task, ref, labels in sorted(assets, key=lambda a: (a[1], a[0])):
        key = f"{name}_en_5.5.0_3.0_{1727000000000 + rng.randrange(10**9)}"
        lock += [
            f"  - name: {name}",
            f"    type: {typ}",
            "    language: en",
            f"    repository: {repo}",
            f"    key: {key}",
            "    libVersion: 5.5.0",
            '    sparkVersion: "3.0"',
            f"    url: https://s3.amazonaws.com/auxdata.johnsnowlabs.com/{repo}/{key}.zip",
            f"    size: {rng.randrange(10**7, 10**9)}",
            f"    edition: {edition[repo]}",
        ]
        if task:
            lock.append(f"    task: {task}")
        lock.append(f"    storageRef: {ref}")
        if labels:
            lock.append(f"    labels: {_flow(labels)}")
    _write(root / "alabctl.lock", "\n".join(lock) + "\n")

    csv_files = []
    for i in range(min(8, max(1, projects // 250))):
        rel = f"dictionaries/terms_{i:02d}.csv"
        _write(root / "rules" / rel, _csv(rng))
        csv_files.append(rel)
    rule_list = []
    for i in range(rules if rules is not None else projects):
        entity = rng.choice(RULE_ENTITIES)
        rule = Rule(f"{entity.lower().replace('_', '-')}-{i:05d}", entity)
        rule_list.append(rule)
        _write(root / "rules" / f"{rule.name}.yaml", _rule_yaml(rng, rule, csv_files))
    counts["Rule"] = len(rule_list)

    # servers: ~85% of projects share named servers (2-10 projects each); the rest get an
    # implicit server named after the project (no Server manifest)
    pools: list[Pool] = []
    port = 8700
    for i in range(servers if servers is not None else max(1, projects * 85 // 100 // 6)):
        pool = _pool(rng, f"preannotation-{i:04d}", models, sentence, lenient=rng.random() < 0.15)
        pools.append(pool)
        port += 1
        _write(root / "servers" / f"{pool.name}.yaml", _server_yaml(rng, pool, port))
    counts["Server"] = len(pools)

    lines = []
    for i in range(projects):
        pool = rng.choice(pools) if rng.random() < 0.85 else _pool(rng, None, models, sentence, lenient=False)
        name, text = _project_yaml(rng, i, pool, rule_list)
        _write(root / "projects" / f"{name}.yaml", text)
        lines.append(text.count("\n"))
    counts["Project"] = projects

    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.yaml"))
    info = {
        "root": str(root),
        "files": len(files),
        "manifests": sum(counts.values()),
        "kinds": counts,
        "dictionary_files": len(csv_files),
        "project_lines": {"min": min(lines), "mean": round(sum(lines) / len(lines), 1), "max": max(lines)},
        "bytes": sum((root / f).stat().st_size for f in files),
        "seed": seed,
    }
    if check:
        exe = alabctl or str(Path(sys.executable).with_name("alabctl"))
        env = bench_env()
        env["ALABCTL_NO_CACHE"] = "1"
        proc = subprocess.run(
            [exe, "validate", "-f", str(root), *extra_args], capture_output=True, text=True, env=env, cwd=root
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"generated repository {root} is not valid (alabctl validate exit {proc.returncode}):\n"
                + proc.stdout[-6000:]
                + proc.stderr[-3000:]
            )
        info["validated"] = True
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-check", action="store_true", help="do not run alabctl validate on the result")
    ap.add_argument(
        "--skip-license-check",
        action="store_true",
        help="pass --skip-license-check to the validity check (no readable $JSL_LICENSE)",
    )
    a = ap.parse_args()
    extra = ("--skip-license-check",) if a.skip_license_check else ()
    try:
        info = generate(a.out, a.projects, a.seed, check=not a.no_check, extra_args=extra)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
