"""A pre-annotation server's Spark NLP pipeline spec (SPEC §4 ``build/servers/<server>/pipeline.json``).

Steps, in order:

1. ``_uses``: what the server's projects need: NER, assertion, relation and classification models,
   and rules, each with the projects that bind it.
2. ``_Stages``: the stages, shared ones once, in a fixed order: document, sentence, token; one
   embeddings stage per distinct storageRef (word, then sentence); POS and dependency parsing when a
   relation model needs them; NER models, each with its converter; rules (ContextualParser); chunk
   merges; assertion; relation; classification. Every pretrained stage names its cache key from the
   lock, so the runtime loads it offline from ``$ALABCTL_HOME/cache/<key>``.
3. ``_outputs``: from each project's label map (:func:`~alabctl.compile.labelconfig.label_map`, the
   same one its labeling config is built from), which output column feeds which control and labels.
4. :func:`check_pipeline` type-checks the result (research notes §3.5); ``compile_pipeline`` output
   always passes it.

Pure: the same repository gives an equal dict; nothing is read or written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alabctl.compile.annotators import ANNOTATORS, RAW_TEXT, Annotator, AnnotatorType, Storage
from alabctl.compile.labelconfig import PredictorKind, PredictorLabels, Section, label_map
from alabctl.spec.kinds import ProjectManifest
from alabctl.spec.kinds.model import PUBLIC_REPOSITORY, EmbeddingsType
from alabctl.spec.kinds.server import Engine
from alabctl.spec.lock import AssetType, LockedAsset
from alabctl.spec.repository import DEFAULT_EMBEDDINGS, ModelFacts, Repository

PIPELINE_SCHEMA_VERSION = 1
DEFAULT_SENTENCE_EMBEDDINGS = "tfhub_use"
"""The storageRef assumed for a classifier that names none (ClassifierDL's usual encoder)."""
POS_MODEL = ("pos_clinical", "en", "clinical/models")
DEPENDENCY_MODEL = ("dependency_conllu", "en", PUBLIC_REPOSITORY)
UPLOADED_NOTE = "a model from a path or URL: not a hub asset, so not in alabctl.lock"
UNPINNED_NOTE = "not pinned in alabctl.lock: run 'alabctl lock' (or 'alabctl apply') and compile again"

Stage = dict[str, Any]
Spec = dict[str, Any]


# -- step 1: what the projects need --------------------------------------------------------------


@dataclass
class _Uses:
    """Model and rule names a server needs, each with the projects that bind it (sorted)."""

    ner: dict[str, list[str]] = field(default_factory=dict)
    assertion: dict[str, list[str]] = field(default_factory=dict)
    relation: dict[str, list[str]] = field(default_factory=dict)
    classification: dict[str, list[str]] = field(default_factory=dict)
    rules: dict[str, list[str]] = field(default_factory=dict)

    @property
    def models(self) -> bool:
        return bool(self.ner or self.assertion or self.relation or self.classification)

    @property
    def empty(self) -> bool:
        return not (self.models or self.rules)


def _add(table: dict[str, list[str]], name: str, project: str) -> None:
    owners = table.setdefault(name, [])
    if project not in owners:
        owners.append(project)


def _uses(projects: Iterable[ProjectManifest]) -> _Uses:
    uses = _Uses()
    for project in projects:
        spec, name = project.spec, project.name
        if spec.ner:
            for binding in spec.ner.models:
                _add(uses.ner, binding.model, name)
            for rule in spec.ner.rules:
                _add(uses.rules, rule, name)
        if spec.assertion:
            for binding in spec.assertion.models:
                _add(uses.assertion, binding.model, name)
        if spec.relations:
            for binding in spec.relations.models:
                _add(uses.relation, binding.model, name)
        for block in spec.classification:
            if block.model:
                _add(uses.classification, block.model, name)
    return uses


def resolve_engine(engine: Engine, uses_models: bool) -> Engine:
    """``auto`` runs natively when the server has only rules, on Spark NLP otherwise."""
    if engine is not Engine.AUTO:
        return engine
    return Engine.SPARKNLP if uses_models else Engine.NATIVE


# -- step 2: the stages --------------------------------------------------------------------------


def column_name(*parts: str) -> str:
    """A Spark-safe column name: lowercase letters, digits and ``_`` (no dots, which Spark reads as fields)."""
    return re.sub(r"[^a-z0-9_]", "_", "_".join(parts).lower())


def pretrained(
    name: str, language: str, repository: str | None, locked: LockedAsset | None, note: str = UNPINNED_NOTE
) -> dict[str, Any]:
    """Where a pretrained stage comes from, pinned to its cache key when the lock has it."""
    out: dict[str, Any] = {
        "name": name,
        "language": language,
        "repository": repository,
        "key": locked.key if locked else None,
    }
    if locked is None:
        out["note"] = note
    return out


def _model_pretrained(name: str, facts: ModelFacts | None) -> dict[str, Any]:
    if facts is None:
        return pretrained(name, "en", None, None)
    if facts.hub_name is None:
        return pretrained(name, facts.language, None, None, UPLOADED_NOTE)
    return pretrained(facts.hub_name, facts.language, facts.repository, facts.locked)


def embeddings_class(ref: str, type_: EmbeddingsType) -> str:
    """The producer class for an embeddings asset, by its type and name."""
    lowered = ref.lower()
    if type_ is EmbeddingsType.SENTENCE:
        return "BertSentenceEmbeddings" if "bert" in lowered else "UniversalSentenceEncoder"
    if "roberta" in lowered:
        return "RoBertaEmbeddings"
    return "BertEmbeddings" if "bert" in lowered else "WordEmbeddingsModel"


def _embeddings_type(repo: Repository, ref: str, default: EmbeddingsType) -> EmbeddingsType:
    manifest = repo.embeddings(ref)
    return manifest.spec.type if manifest else default


def _embeddings_pretrained(repo: Repository, ref: str) -> dict[str, Any]:
    manifest = repo.embeddings(ref)
    if manifest is not None:
        hub = manifest.spec.source.hub
        name = (hub.name or ref) if hub else ref
        language = hub.language if hub else manifest.spec.language
        repository = hub.repository if hub else None
        return pretrained(name, language, repository, repo.locked(name, AssetType.EMBEDDINGS))
    locked = repo.locked(ref, AssetType.EMBEDDINGS)
    repository = locked.repository if locked else PUBLIC_REPOSITORY
    return pretrained(ref, locked.language if locked else "en", repository, locked)


@dataclass
class _Stages:
    """The ordered stage list under construction, with unique column names."""

    stages: list[Stage] = field(default_factory=list)

    def add(
        self,
        base: str,
        cls: str,
        inputs: Sequence[str],
        params: dict[str, Any] | None = None,
        source: dict[str, Any] | None = None,
        storage_ref: str | None = None,
    ) -> str:
        row = ANNOTATORS[cls]
        name = self._unique(base)
        stage: Stage = {
            "name": name,
            "class": cls,
            "module": row.module,
            "licensed": row.licensed,
            "inputCols": list(inputs),
            "outputCol": name,
            "outputType": str(row.output),
            "params": dict(params or {}),
        }
        if source is not None:
            stage["pretrained"] = source
        if storage_ref is not None:
            stage["storageRef"] = storage_ref
        self.stages.append(stage)
        return name

    def _unique(self, base: str) -> str:
        taken = {s["name"] for s in self.stages} | {RAW_TEXT}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        return name


@dataclass
class _Columns:
    """Output columns by what they are, for wiring later stages and the outputs."""

    word: dict[str, str] = field(default_factory=dict)
    sentence: dict[str, str] = field(default_factory=dict)
    ner: dict[str, str] = field(default_factory=dict)
    chunks: dict[str, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    assertion: dict[str, str] = field(default_factory=dict)
    relation: dict[str, str] = field(default_factory=dict)
    classification: dict[str, str] = field(default_factory=dict)
    merges: dict[tuple[str, ...], str] = field(default_factory=dict)
    pos: str | None = None
    dependency: str | None = None


def _ref(facts: ModelFacts | None, default: str) -> str:
    return facts.embeddings if facts is not None and facts.embeddings else default


def _licensed(facts: ModelFacts | None) -> bool:
    return facts is not None and facts.edition.licensed


def _embeddings_stages(out: _Stages, cols: _Columns, repo: Repository, uses: _Uses) -> None:
    facts = repo.model_facts
    word_refs = {_ref(facts(m), DEFAULT_EMBEDDINGS) for m in [*uses.ner, *uses.assertion, *uses.relation]}
    sentence_refs = set()
    for model in uses.classification:
        ref = _ref(facts(model), DEFAULT_SENTENCE_EMBEDDINGS)
        if _embeddings_type(repo, ref, EmbeddingsType.SENTENCE) is EmbeddingsType.WORD:
            word_refs.add(ref)
        sentence_refs.add(ref)
    for ref in sorted(word_refs):
        cls = embeddings_class(ref, EmbeddingsType.WORD)
        source = _embeddings_pretrained(repo, ref)
        cols.word[ref] = out.add(
            column_name("embeddings", ref), cls, ["sentence", "token"], None, source, ref
        )
    for ref in sorted(sentence_refs):
        base = column_name("sentence_embeddings", ref)
        if ref in cols.word:
            params = {"poolingStrategy": "AVERAGE", "storageRef": ref}
            cols.sentence[ref] = out.add(
                base, "SentenceEmbeddings", ["sentence", cols.word[ref]], params, None, ref
            )
        else:
            cls = embeddings_class(ref, EmbeddingsType.SENTENCE)
            source = _embeddings_pretrained(repo, ref)
            cols.sentence[ref] = out.add(base, cls, ["document"], None, source, ref)


def _syntax_stages(out: _Stages, cols: _Columns, repo: Repository) -> None:
    pos_name, pos_lang, pos_repo = POS_MODEL
    dep_name, dep_lang, dep_repo = DEPENDENCY_MODEL
    pos_source = pretrained(pos_name, pos_lang, pos_repo, repo.locked(pos_name, AssetType.MODEL))
    dep_source = pretrained(dep_name, dep_lang, dep_repo, repo.locked(dep_name, AssetType.MODEL))
    cols.pos = out.add("pos_tags", "PerceptronModel", ["sentence", "token"], None, pos_source)
    cols.dependency = out.add(
        "dependencies", "DependencyParserModel", ["sentence", cols.pos, "token"], None, dep_source
    )


def _whitelist(maps: Sequence[PredictorLabels], model: str) -> list[str]:
    return sorted(
        {
            pair.output
            for m in maps
            if m.predictor == model and m.kind is PredictorKind.MODEL and m.section is Section.NER
            for pair in m.labels
        }
    )


def _ner_stages(
    out: _Stages, cols: _Columns, repo: Repository, uses: _Uses, maps: Sequence[PredictorLabels]
) -> None:
    for model in sorted(uses.ner):
        facts = repo.model_facts(model)
        ref = _ref(facts, DEFAULT_EMBEDDINGS)
        licensed = _licensed(facts)
        ner = out.add(
            column_name("ner", model),
            "MedicalNerModel" if licensed else "NerDLModel",
            ["sentence", "token", cols.word[ref]],
            {"includeConfidence": True},
            _model_pretrained(model, facts),
            ref,
        )
        whitelist = _whitelist(maps, model)
        cols.ner[model] = ner
        cols.chunks[model] = out.add(
            column_name("ner_chunk", model),
            "NerConverterInternal" if licensed else "NerConverter",
            ["sentence", "token", ner],
            {"whiteList": whitelist} if whitelist else None,
        )


def _rule_stages(out: _Stages, cols: _Columns, repo: Repository, uses: _Uses) -> None:
    for name in sorted(uses.rules):
        rule = repo.rule(name)
        if rule is None:
            continue
        spec = rule.spec
        params: dict[str, Any] = {
            "jsonPath": f"rules/{name}.json",
            "caseSensitive": spec.case_sensitive,
            "prefixAndSuffixMatch": spec.prefix_and_suffix_match,
        }
        if spec.dictionary is not None:
            dictionary = spec.dictionary
            options = {"delimiter": dictionary.delimiter, "orientation": str(dictionary.orientation)}
            params["dictionary"] = {"path": f"rules/{name}.csv", "options": options}
        cols.rules[name] = out.add(
            column_name("rule", name), "ContextualParserApproach", ["sentence", "token"], params
        )


def _project_chunks(project: ProjectManifest, cols: _Columns) -> list[str]:
    ner = project.spec.ner
    if ner is None:
        return []
    found = [cols.chunks[b.model] for b in ner.models if b.model in cols.chunks]
    return found + [cols.rules[r] for r in ner.rules if r in cols.rules]


def _chunk_input(out: _Stages, cols: _Columns, projects: Sequence[ProjectManifest]) -> str | None:
    """The chunk column a model reads: its projects' NER chunks, merged when there are several."""
    order = {s["name"]: i for i, s in enumerate(out.stages)}
    found = sorted({c for p in projects for c in _project_chunks(p, cols)}, key=order.__getitem__)
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    key = tuple(found)
    if key not in cols.merges:
        cols.merges[key] = out.add("ner_chunk_merged", "ChunkMergeApproach", found)
    return cols.merges[key]


def _chunk_models(
    out: _Stages, cols: _Columns, repo: Repository, uses: _Uses, projects: dict[str, ProjectManifest]
) -> None:
    for model in sorted(uses.assertion):
        facts = repo.model_facts(model)
        ref = _ref(facts, DEFAULT_EMBEDDINGS)
        chunk = _chunk_input(out, cols, [projects[p] for p in uses.assertion[model]])
        if chunk is None:
            continue
        cols.assertion[model] = out.add(
            column_name("assertion", model),
            "AssertionDLModel",
            ["sentence", chunk, cols.word[ref]],
            None,
            _model_pretrained(model, facts),
            ref,
        )
    for model in sorted(uses.relation):
        facts = repo.model_facts(model)
        ref = _ref(facts, DEFAULT_EMBEDDINGS)
        chunk = _chunk_input(out, cols, [projects[p] for p in uses.relation[model]])
        if chunk is None or cols.pos is None or cols.dependency is None:
            continue
        cols.relation[model] = out.add(
            column_name("relations", model),
            "RelationExtractionModel",
            [cols.word[ref], cols.pos, chunk, cols.dependency],
            None,
            _model_pretrained(model, facts),
            ref,
        )


def _classifier_stages(out: _Stages, cols: _Columns, repo: Repository, uses: _Uses) -> None:
    for model in sorted(uses.classification):
        facts = repo.model_facts(model)
        ref = _ref(facts, DEFAULT_SENTENCE_EMBEDDINGS)
        cols.classification[model] = out.add(
            column_name("class", model),
            "ClassifierDLModel",
            [cols.sentence[ref]],
            None,
            _model_pretrained(model, facts),
            ref,
        )


def _stages(
    repo: Repository, projects: Sequence[ProjectManifest], maps: Sequence[PredictorLabels]
) -> tuple[list[Stage], _Columns]:
    uses = _uses(projects)
    out, cols = _Stages(), _Columns()
    if uses.empty:
        return out.stages, cols
    out.add("document", "DocumentAssembler", [RAW_TEXT], {"cleanupMode": "disabled"})
    out.add("sentence", "SentenceDetector", ["document"])
    out.add("token", "Tokenizer", ["sentence"])
    _embeddings_stages(out, cols, repo, uses)
    if uses.relation:
        _syntax_stages(out, cols, repo)
    _ner_stages(out, cols, repo, uses, maps)
    _rule_stages(out, cols, repo, uses)
    _chunk_models(out, cols, repo, uses, {p.name: p for p in projects})
    _classifier_stages(out, cols, repo, uses)
    return out.stages, cols


# -- step 3: the outputs -------------------------------------------------------------------------

_LABEL_KEYS = {
    "ner": "entity",
    "rule": "field",
    "assertion": "result",
    "relation": "result",
    "classification": "result",
}
_SCORE_KEYS = {"ner": "confidence", "rule": "confidenceValue", "assertion": "confidence"}


def _output_kind(entry: PredictorLabels) -> str:
    if entry.kind is PredictorKind.RULE:
        return "rule"
    return {
        Section.NER: "ner",
        Section.ASSERTION: "assertion",
        Section.RELATIONS: "relation",
        Section.CLASSIFICATION: "classification",
    }[entry.section]


def _output_column(cols: _Columns, kind: str, predictor: str) -> str | None:
    table = {
        "ner": cols.chunks,
        "rule": cols.rules,
        "assertion": cols.assertion,
        "relation": cols.relation,
        "classification": cols.classification,
    }[kind]
    return table.get(predictor)


def _output(
    project: str, entry: PredictorLabels, cols: _Columns, stages: Sequence[Stage]
) -> dict[str, Any] | None:
    kind = _output_kind(entry)
    column = _output_column(cols, kind, entry.predictor)
    if column is None:
        return None
    out: dict[str, Any] = {
        "project": project,
        "predictor": entry.predictor,
        "column": column,
        "kind": kind,
        "labelKey": _LABEL_KEYS[kind],
        "scoreKey": _SCORE_KEYS.get(kind),
        "labels": {pair.output: pair.label for pair in entry.labels},
        "fromName": entry.from_name,
        "toName": entry.to_name,
        "type": str(entry.type),
    }
    if kind in ("assertion", "relation"):
        stage = next(s for s in stages if s["name"] == column)
        out["chunkColumn"] = next(c for c in stage["inputCols"] if _type_of(stages, c) == AnnotatorType.CHUNK)
    return out


def _type_of(stages: Sequence[Stage], column: str) -> str | None:
    return next((s["outputType"] for s in stages if s["outputCol"] == column), None)


def _outputs(
    maps: dict[str, tuple[PredictorLabels, ...]], cols: _Columns, stages: Sequence[Stage]
) -> list[dict[str, Any]]:
    found = [
        out
        for project, entries in maps.items()
        for entry in entries
        if (out := _output(project, entry, cols, stages)) is not None
    ]
    return sorted(found, key=lambda o: (o["project"], o["column"], o["fromName"], o["kind"]))


# -- the compiler --------------------------------------------------------------------------------


def compile_pipeline(server: str, repo: Repository) -> Spec:
    """The JSON-serialisable pipeline spec of one pre-annotation server (all projects on it)."""
    projects = [p for p, _ in repo.projects_on(server)]
    uses = _uses(projects)
    maps = {p.name: label_map(p, repo).predictors for p in projects}
    stages, cols = _stages(repo, projects, [e for entries in maps.values() for e in entries])
    hub = repo.hub()
    manifest = repo.server(server)
    return {
        "schemaVersion": PIPELINE_SCHEMA_VERSION,
        "server": server,
        "host": manifest.host,
        "port": manifest.port,
        "engine": str(resolve_engine(manifest.engine, uses.models)),
        "sparkNlpVersion": hub.spark_nlp_version,
        "sparkVersion": hub.spark_version,
        "licensed": any(s["licensed"] for s in stages),
        "projects": sorted(p.name for p in projects),
        "stages": stages,
        "outputs": _outputs(maps, cols, stages),
    }


# -- step 4: the type check ----------------------------------------------------------------------


def _check_inputs(where: str, row: Annotator, inputs: Sequence[str], types: dict[str, str]) -> Iterable[str]:
    if row.single_input:
        if list(inputs) != [RAW_TEXT]:
            yield f"{where}: reads the raw '{RAW_TEXT}' column, not {list(inputs)}"
        return
    given: list[str] = []
    for column in inputs:
        if column not in types:
            yield f"{where}: input column '{column}' is not the output of an earlier stage"
            continue
        given.append(types[column])
        if types[column] not in row.inputs:
            allowed = ", ".join(row.inputs)
            yield f"{where}: input column '{column}' has type {types[column]}, expected one of: {allowed}"
    missing = [t for t in row.inputs if t not in given]
    if missing:
        yield f"{where}: no input column of type {', '.join(missing)}"
    if not row.many_inputs and len(set(inputs)) != len(inputs):
        yield f"{where}: an input column is named twice"


def _check_storage(where: str, stage: Stage, row: Annotator, producers: dict[str, Stage]) -> Iterable[str]:
    ref = stage.get("storageRef")
    if row.storage is not None and not ref:
        yield f"{where}: a storageRef {row.storage} needs 'storageRef'"
        return
    if row.storage is not Storage.CONSUMER or row.storage_input is None:
        return
    for column in stage.get("inputCols", []):
        producer = producers.get(column)
        if producer is None or producer.get("outputType") != row.storage_input:
            continue
        if producer.get("storageRef") != ref:
            yield (
                f"{where}: needs embeddings with storageRef '{ref}' but '{column}' has "
                f"storageRef '{producer.get('storageRef')}'"
            )


def _check_stage(
    index: int, stage: Stage, types: dict[str, str], producers: dict[str, Stage]
) -> Iterable[str]:
    cls = stage.get("class", "")
    where = f"stage {index} '{stage.get('name')}' ({cls})"
    row = ANNOTATORS.get(cls)
    if row is None:
        yield f"{where}: unknown annotator class '{cls}'"
        return
    if stage.get("module") != row.module or stage.get("licensed") != row.licensed:
        yield f"{where}: module must be '{row.module}' (licensed: {row.licensed})"
    if stage.get("outputType") != row.output:
        yield f"{where}: output type is {row.output}, not {stage.get('outputType')}"
    if stage.get("name") != stage.get("outputCol"):
        yield f"{where}: name and outputCol differ ('{stage.get('outputCol')}')"
    yield from _check_inputs(where, row, stage.get("inputCols", []), types)
    yield from _check_storage(where, stage, row, producers)


def check_pipeline(spec: Spec) -> list[str]:
    """Type-check a pipeline spec's stages; the empty list when they are sound (research §3.5)."""
    problems: list[str] = []
    types: dict[str, str] = {}
    producers: dict[str, Stage] = {}
    for index, stage in enumerate(spec.get("stages", [])):
        problems.extend(_check_stage(index, stage, types, producers))
        column = stage.get("outputCol")
        if column in types or column == RAW_TEXT:
            problems.append(f"stage {index} '{stage.get('name')}': output column '{column}' is not unique")
            continue
        types[column] = stage.get("outputType", "")
        producers[column] = stage
    for output in spec.get("outputs", []):
        if output.get("column") not in types:
            problems.append(
                f"output of {output.get('project')}: column '{output.get('column')}' has no stage"
            )
    return problems
