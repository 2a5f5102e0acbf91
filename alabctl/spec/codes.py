"""The stable diagnostic codes: one catalog, declared here and nowhere else.

Codes never change meaning once released; new problems get new codes. ``ALB0xx`` are about reading
files, ``ALB1xx`` about the shape of one manifest, ``ALB2xx`` about references between manifests,
``ALB3xx`` about the compiler's checks (limits, embeddings, licenses, labels, rules, versions, XML)
and ``ALB4xx`` about the lock file and the Models Hub. Each has a title (SARIF's rule name), a
one-line summary of the problem and the docs page and anchor that explain it. The modules that
report a code name it with a constant (``BACKTRACKING = "ALB332"``); nothing registers a code at
import time, so every output format knows every code whichever modules a run imported.
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    """One diagnostic code."""

    code: str
    title: str
    summary: str = ""
    docs: str = ""
    """Where it is explained: ``docs/<page>.md#<anchor>``."""


_CODES = [
    Code(
        "ALB001",
        "YAML syntax error",
        "YAML syntax error (an unclosed quote is reported where it opens)",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB002",
        "duplicate key",
        "duplicate key in a mapping (YAML would silently keep one)",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB003",
        "template error",
        "template error: Jinja2 syntax, an undefined value, a failing expression (at the template's line)",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB004",
        "file cannot be read",
        "a file cannot be read, is not UTF-8, or is over 16 MiB",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB005",
        "document is not a mapping",
        "a document is not a mapping",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB006",
        "unsupported YAML construct",
        "an unsupported YAML construct: a tag such as '!!python/object', a complex key, a recursive alias, an alias bomb",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB007",
        "path leaves the repository",
        "a path (dictionary, model folder, a linked manifest) leaves the repository",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB008",
        "template refused by the sandbox",
        "a template refused by the sandbox (Python internals, 'include'/'import', output over 8 MiB)",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB009",
        "no manifests found",
        "no manifest files found (warning)",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB010",
        "template loops over a string",
        "a template loops over the characters of a string where a list was almost certainly meant ('--set sites=north'; warning, at the template's line)",
        "docs/diagnostics.md#reading-files-alb0xx",
    ),
    Code(
        "ALB101",
        "missing required field",
        "missing required field",
        "docs/diagnostics.md#one-manifest-alb1xx",
    ),
    Code(
        "ALB102",
        "wrong type",
        "wrong type (with a hint to quote numbers such as '\"3.10\"')",
        "docs/diagnostics.md#one-manifest-alb1xx",
    ),
    Code(
        "ALB103",
        "value not allowed",
        'value not in the allowed set (with "did you mean")',
        "docs/diagnostics.md#one-manifest-alb1xx",
    ),
    Code(
        "ALB104",
        "unknown field",
        'unknown field (with "did you mean")',
        "docs/diagnostics.md#one-manifest-alb1xx",
    ),
    Code("ALB105", "invalid name", "invalid name", "docs/diagnostics.md#one-manifest-alb1xx"),
    Code(
        "ALB106",
        "invalid value",
        "invalid value (range, length, pattern, pair syntax)",
        "docs/diagnostics.md#one-manifest-alb1xx",
    ),
    Code("ALB107", "unknown kind", "unknown kind", "docs/diagnostics.md#one-manifest-alb1xx"),
    Code(
        "ALB108",
        "unsupported apiVersion",
        "unsupported 'apiVersion'; a manifest without 'apiVersion', or with one close to 'alabctl/…' such as 'alabctI/v1' (warnings, with a did-you-mean: skipped)",
        "docs/diagnostics.md#one-manifest-alb1xx",
    ),
    Code(
        "ALB109",
        "conflicting fields",
        "conflicting fields ('regex' and 'dictionary', 'fromEnv' and 'fromFile', 'url' without 'sha256')",
        "docs/diagnostics.md#one-manifest-alb1xx",
    ),
    Code(
        "ALB201",
        "duplicate name",
        "duplicate name within a kind",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB202",
        "reference to nothing",
        'a reference to nothing: project → server, license, model, rule; model → embeddings (with "did you mean")',
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB203",
        "duplicate label value",
        "duplicate label value in one control, or one label bound to two predictors",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB204",
        "label both manual and model-bound",
        "a label both manual and bound to a model",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB205",
        "rename onto an existing label",
        "a 'rename' onto an existing label",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB206",
        "referenced file missing",
        "a file named by a manifest does not exist",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB207",
        "duplicate control name",
        "a classification block's name collides with another control",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB208",
        "two servers on one port",
        "two Servers declare the same port on the same host (or one listens on every address)",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB230",
        "task file unusable",
        "a Label Studio task file cannot be read or is not JSON, JSONL or CSV tasks (at the file's line:column)",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB231",
        "task lacks a data key its config reads",
        "a task lacks a data key its project's labeling config reads ($text, $image), or holds a value there "
        "Label Studio does not import (null, an object), at the task's line:column",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB232",
        "label renamed from a label that still exists",
        "a label is renamedFrom a label that is still declared",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB233",
        "two projects with one Label Studio title",
        "two projects have the same Label Studio title in one instance (projects are found by title)",
        "docs/diagnostics.md#between-manifests-alb2xx",
    ),
    Code(
        "ALB300",
        "too many models on one server",
        "the distinct models of the projects on one server exceed maxModels (at most 5)",
        "docs/validation.md#alb300--too-many-models-on-one-server-error",
    ),
    Code(
        "ALB301",
        "mixed embeddings on a strict server",
        "models on a server under embeddingsPolicy: strict use different embeddings storageRefs",
        "docs/validation.md#alb301--mixed-embeddings-on-a-strict-server-error",
    ),
    Code(
        "ALB302",
        "model embeddings unknown",
        "a model's embeddings are not known from its manifest, the lock file or its metadata",
        "docs/validation.md#alb302--model-embeddings-unknown-warning",
    ),
    Code(
        "ALB303",
        "declared embeddings differ from the model's own",
        "a Model manifest's embeddings differ from the storageRef in the model's own metadata",
        "docs/validation.md#alb303--declared-embeddings-differ-from-the-models-own-error",
    ),
    Code(
        "ALB304",
        "model metadata cannot be read",
        "a model folder's metadata/part-00000 cannot be read",
        "docs/validation.md#alb304--model-metadata-cannot-be-read-warning",
    ),
    Code(
        "ALB310",
        "license needed but none named",
        "a licensed model, ContextualParser rules on Spark NLP or Visual NER need a License, and none is named",
        "docs/validation.md#alb310--license-needed-but-none-named-error",
    ),
    Code(
        "ALB311",
        "license material cannot be read",
        "the License's environment variable or file cannot be read",
        "docs/validation.md#alb311--license-material-cannot-be-read-error",
    ),
    Code(
        "ALB312",
        "license material is malformed",
        "the license material is not a well-formed John Snow Labs license",
        "docs/validation.md#alb312--license-material-is-malformed-error",
    ),
    Code(
        "ALB313",
        "license expired",
        "the license has expired",
        "docs/validation.md#alb313--license-expired-error",
    ),
    Code(
        "ALB314",
        "license lacks a needed scope",
        "the license lacks a scope the project needs",
        "docs/validation.md#alb314--license-lacks-a-needed-scope-error",
    ),
    Code(
        "ALB315",
        "declared scope not granted by the license",
        "a License manifest declares a scope the license does not grant",
        "docs/validation.md#alb315--declared-scope-not-granted-by-the-license-warning",
    ),
    Code(
        "ALB320",
        "label not predicted by the model",
        "a project takes a label its model does not predict",
        "docs/validation.md#alb320--label-not-predicted-by-the-model-error",
    ),
    Code(
        "ALB321",
        "assertion or relations without a NER source",
        "assertion or relations without a NER model or rule to give them chunks",
        "docs/validation.md#alb321--assertion-or-relations-without-a-ner-source-error",
    ),
    Code(
        "ALB322",
        "model task does not fit where it is bound",
        "a model is bound where its task does not fit (a NER model under assertion ...)",
        "docs/validation.md#alb322--model-task-does-not-fit-where-it-is-bound-error",
    ),
    Code(
        "ALB323",
        "relation pair names an unknown label",
        "a relation's allowed pair names a label the project does not have",
        "docs/validation.md#alb323--relation-pair-names-an-unknown-label-error",
    ),
    Code(
        "ALB324",
        "rename targets collide",
        "two labels are renamed onto the same name",
        "docs/validation.md#alb324--rename-targets-collide-error",
    ),
    Code(
        "ALB325",
        "model labels unknown",
        "the labels a model predicts are not known, so they cannot be checked",
        "docs/validation.md#alb325--model-labels-unknown-warning",
    ),
    Code(
        "ALB326",
        "relation model needs NER labels the project lacks",
        "a relation model needs NER labels the project does not have",
        "docs/validation.md#alb326--relation-model-needs-ner-labels-the-project-lacks-error",
    ),
    Code(
        "ALB327",
        "models of different languages",
        "the models of one project have different languages",
        "docs/validation.md#alb327--models-of-different-languages-warning",
    ),
    Code(
        "ALB330",
        "regex does not compile",
        "the regex does not compile with Python 're' (message and offset from 're.error')",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB331",
        "regex construct not portable between Java and Python",
        "a construct Java and Python read differently (table below)",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB332",
        "regex risks catastrophic backtracking",
        "catastrophic backtracking risk: a repeated group whose body can split the same text many ways",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB333",
        "regex needs whitespace but runs per token",
        "'ruleScope: sentence' tests one token at a time, but the regex needs whitespace",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB335",
        "dictionary file cannot be read",
        "the dictionary file cannot be read (too large, not UTF-8)",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB336",
        "empty dictionary entry",
        "an empty dictionary entry: empty cell, blank normalized value, a row with no words, an empty file",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB337",
        "dictionary delimiter looks wrong",
        "the dictionary's delimiter looks wrong (a comma rule over a tab-separated file, ...)",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB338",
        "duplicate dictionary word",
        "a word listed twice (in one entry, or under two normalized values)",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB339",
        "dictionary value has surrounding spaces",
        "a dictionary value with spaces around it (it would not match a token)",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB340",
        "dictionary file does not parse",
        "a dictionary line does not parse (unclosed quote; several values on a vertical line)",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB341",
        "context word is not a single token",
        "a 'prefix' / 'suffix' / 'contextException' entry is not a single token",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB342",
        "multi-word dictionary entry needs document scope",
        "multi-word dictionary entries without 'ruleScope: document' + 'matchScope: sub-token'",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB343",
        "vertical dictionary with several entries",
        "inline 'entries' with 'orientation: vertical' and more than one entry",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB345",
        "malformed rule import annotation",
        "a malformed 'alabctl.io/contextual-parser-*' annotation (written by 'rules import')",
        "docs/rules.md#checks-alabctlcompilechecksrulecheckcheck_rules",
    ),
    Code(
        "ALB350",
        "hub asset incompatible with the Hub's versions",
        "a locked hub asset does not fit the Hub's Spark NLP or Spark version",
        "docs/validation.md#alb350--hub-asset-incompatible-with-the-hubs-versions-error",
    ),
    Code(
        "ALB351",
        "unsupported Spark NLP and Spark versions",
        "the Hub's Spark NLP and Spark versions are not a supported pair",
        "docs/validation.md#alb351--unsupported-spark-nlp-and-spark-versions-warning",
    ),
    Code(
        "ALB360",
        "labeling config is not well-formed XML",
        "not well-formed XML, empty, or has a 'DOCTYPE'",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB361",
        "labeling config has a wrong structure",
        "the root is not '<View>', or there is no control tag",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB362",
        "unknown tag in labeling config",
        "a tag Label Studio does not register",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB363",
        "missing attribute in labeling config",
        "a missing 'name'/'toName' (controls), 'name' (objects) or 'value' ('Label', 'Choice', 'Relation')",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB364",
        "toName does not name a compatible object tag",
        "'toName' names no tag, or a tag the control cannot control (a control tag; 'RectangleLabels' on a 'Text'; 'HyperTextLabels' on anything but 'HyperText' …)",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB365",
        "duplicate name in labeling config",
        "a 'name' used twice",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB366",
        "duplicate label value in a control",
        "a label value twice in one control",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB367",
        "tag in the wrong parent",
        "'<Label>' outside a labels control, '<Choice>' outside 'Choices'/'Taxonomy', '<Relation>' outside 'Relations'",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB368",
        "attribute value not allowed",
        "an attribute value not allowed: 'Choices@choice' (single, single-radio, multiple), 'Choices@layout' (select, inline, vertical), '*Labels@choice' (single, multiple), 'Text@granularity', 'Text@valueType', booleans ('assertion', 'visualNER', 'perRegion' …); an object 'value' that is not '$field'; 'perRegion' with 'perItem'; a 'name' with a space or comma; a malformed 'allowed'",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB369",
        "relation constraint names an unknown label",
        "a relation's 'allowed' names a label no labels control declares",
        "docs/labeling-config.md#checks-on-the-xml-spec-3-item-11",
    ),
    Code(
        "ALB401",
        "invalid lock file",
        "alabctl.lock cannot be read or is malformed (regenerate it with 'alabctl lock')",
        "docs/validation.md#alb401--invalid-lock-file-error",
    ),
    Code(
        "ALB402",
        "hub asset not locked",
        "a hub asset is not locked, so its facts come from its manifest alone",
        "docs/validation.md#alb402--hub-asset-not-locked-warning",
    ),
]

CODES: dict[str, Code] = {c.code: c for c in _CODES}

LICENSE_CODES = frozenset({"ALB310", "ALB311", "ALB312", "ALB313", "ALB314", "ALB315"})
TEMPLATE_CODES = frozenset({"ALB003", "ALB008", "ALB010"})
"""Codes of problems found while rendering: their line is the template's, not the rendered text's."""
"""License problems: ``--skip-license-check`` reports them as warnings (forks' pull requests have no secrets)."""


def register(code: str, title: str) -> None:
    """Check that a code a module names is the catalog's, with the same title.

    Kept for modules that declare their codes beside the check; a code missing from the catalog is
    added so the run still renders it, and a test (``tests/test_docs.py``) fails until it is
    declared above.
    """
    existing = CODES.get(code)
    if existing is not None and existing.title != title:
        raise ValueError(f"diagnostic code {code} registered twice with different titles")
    if existing is None:
        CODES[code] = Code(code, title)


def title(code: str) -> str:
    found = CODES.get(code)
    return found.title if found else code


def lookup(code: str) -> Code:
    """The catalog entry of a code (a bare one, titled by its code, when unknown)."""
    return CODES.get(code) or Code(code, code)
