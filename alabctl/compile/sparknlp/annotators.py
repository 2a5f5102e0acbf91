"""The Spark NLP annotators alabctl emits, with the facts the compiler checks them against.

One row per class: its real name and Python module, whether it needs Spark NLP for Healthcare
(``sparknlp_jsl``), the annotator types it takes and gives (research notes §3.1-3.3), and its part in
the ``storageRef`` contract (§2.2): producers stamp their vectors with a ref, consumers require it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Storage(StrEnum):
    """An annotator's part in the embeddings ``storageRef`` contract."""

    PRODUCER = "producer"
    """Writes vectors stamped with its storageRef (embeddings)."""
    CONSUMER = "consumer"
    """Requires vectors stamped with the storageRef it was trained with (models)."""


class AnnotatorType(StrEnum):
    """Spark NLP annotator type strings (``sparknlp.common.annotator_type``) we use."""

    DOCUMENT = "document"
    """A document or a sentence."""
    TOKEN = "token"
    """A token."""
    WORD_EMBEDDINGS = "word_embeddings"
    """One vector per token."""
    SENTENCE_EMBEDDINGS = "sentence_embeddings"
    """One vector per sentence or document."""
    NAMED_ENTITY = "named_entity"
    """An IOB tag per token."""
    CHUNK = "chunk"
    """A labelled span."""
    POS = "pos"
    """A part-of-speech tag per token."""
    DEPENDENCY = "dependency"
    """An unlabelled dependency head per token."""
    CATEGORY = "category"
    """A class (classification) or a relation between two chunks."""
    ASSERTION = "assertion"
    """The status of a chunk (licensed)."""


OPEN_BASE = "sparknlp.base"
OPEN_ANNOTATOR = "sparknlp.annotator"
LICENSED_ANNOTATOR = "sparknlp_jsl.annotator"
RAW_TEXT = "text"
"""The DataFrame column DocumentAssembler reads."""

T = AnnotatorType


@dataclass(frozen=True)
class Annotator:
    """One annotator class and its type signature."""

    cls: str
    module: str
    inputs: tuple[AnnotatorType, ...]
    """Required input types (each must be covered by some input column)."""
    output: AnnotatorType
    storage: Storage | None = None
    single_input: bool = False
    """Takes one raw column via ``setInputCol`` (DocumentAssembler) instead of ``setInputCols``."""
    many_inputs: bool = False
    """May take several columns of one required type (ChunkMerge)."""
    path_params: frozenset[str] = frozenset()
    """Params whose value is a path relative to the build directory."""

    @property
    def licensed(self) -> bool:
        return self.module.startswith("sparknlp_jsl")

    @property
    def storage_input(self) -> AnnotatorType | None:
        """The embeddings type a consumer validates its storageRef on."""
        for kind in (T.WORD_EMBEDDINGS, T.SENTENCE_EMBEDDINGS):
            if kind in self.inputs:
                return kind
        return None


_WORD_EMB = (T.DOCUMENT, T.TOKEN)
_NER = (T.DOCUMENT, T.TOKEN, T.WORD_EMBEDDINGS)
_CONVERTER = (T.DOCUMENT, T.TOKEN, T.NAMED_ENTITY)

_TABLE = (
    Annotator("DocumentAssembler", OPEN_BASE, (), T.DOCUMENT, single_input=True),
    Annotator("SentenceDetector", OPEN_ANNOTATOR, (T.DOCUMENT,), T.DOCUMENT),
    Annotator("SentenceDetectorDLModel", OPEN_ANNOTATOR, (T.DOCUMENT,), T.DOCUMENT),
    Annotator("Tokenizer", OPEN_ANNOTATOR, (T.DOCUMENT,), T.TOKEN),
    Annotator("WordEmbeddingsModel", OPEN_ANNOTATOR, _WORD_EMB, T.WORD_EMBEDDINGS, Storage.PRODUCER),
    Annotator("BertEmbeddings", OPEN_ANNOTATOR, _WORD_EMB, T.WORD_EMBEDDINGS, Storage.PRODUCER),
    Annotator("RoBertaEmbeddings", OPEN_ANNOTATOR, _WORD_EMB, T.WORD_EMBEDDINGS, Storage.PRODUCER),
    Annotator(
        "UniversalSentenceEncoder", OPEN_ANNOTATOR, (T.DOCUMENT,), T.SENTENCE_EMBEDDINGS, Storage.PRODUCER
    ),
    Annotator(
        "BertSentenceEmbeddings", OPEN_ANNOTATOR, (T.DOCUMENT,), T.SENTENCE_EMBEDDINGS, Storage.PRODUCER
    ),
    Annotator(
        "SentenceEmbeddings",
        OPEN_ANNOTATOR,
        (T.DOCUMENT, T.WORD_EMBEDDINGS),
        T.SENTENCE_EMBEDDINGS,
        Storage.PRODUCER,
    ),
    Annotator("NerDLModel", OPEN_ANNOTATOR, _NER, T.NAMED_ENTITY, Storage.CONSUMER),
    Annotator("MedicalNerModel", LICENSED_ANNOTATOR, _NER, T.NAMED_ENTITY, Storage.CONSUMER),
    Annotator("NerConverter", OPEN_ANNOTATOR, _CONVERTER, T.CHUNK),
    Annotator("NerConverterInternal", LICENSED_ANNOTATOR, _CONVERTER, T.CHUNK),
    Annotator("ChunkMergeApproach", LICENSED_ANNOTATOR, (T.CHUNK,), T.CHUNK, many_inputs=True),
    Annotator(
        "AssertionDLModel",
        LICENSED_ANNOTATOR,
        (T.DOCUMENT, T.CHUNK, T.WORD_EMBEDDINGS),
        T.ASSERTION,
        Storage.CONSUMER,
    ),
    Annotator("PerceptronModel", OPEN_ANNOTATOR, (T.DOCUMENT, T.TOKEN), T.POS),
    Annotator("DependencyParserModel", OPEN_ANNOTATOR, (T.DOCUMENT, T.POS, T.TOKEN), T.DEPENDENCY),
    Annotator(
        "RelationExtractionModel",
        LICENSED_ANNOTATOR,
        (T.WORD_EMBEDDINGS, T.POS, T.CHUNK, T.DEPENDENCY),
        T.CATEGORY,
        Storage.CONSUMER,
    ),
    Annotator("ClassifierDLModel", OPEN_ANNOTATOR, (T.SENTENCE_EMBEDDINGS,), T.CATEGORY, Storage.CONSUMER),
    Annotator(
        "ContextualParserApproach",
        LICENSED_ANNOTATOR,
        (T.DOCUMENT, T.TOKEN),
        T.CHUNK,
        path_params=frozenset({"jsonPath"}),
    ),
)
ANNOTATORS: dict[str, Annotator] = {row.cls: row for row in _TABLE}
"""Every annotator class the compiler may emit, by class name."""


def annotator(cls: str) -> Annotator:
    """The row for a class name; ``KeyError`` for a class we never emit."""
    return ANNOTATORS[cls]
