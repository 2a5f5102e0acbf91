"""``kind: Rule`` (SPEC §2.2): a regex or dictionary rule with ContextualParser semantics."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from alabctl.spec.kinds.common import Manifest, NonEmpty, RelPath, Strict


class Orientation(StrEnum):
    """How a dictionary file is laid out."""

    HORIZONTAL = "horizontal"
    """One row per entry: ``normalized,word1,word2,...``."""
    VERTICAL = "vertical"
    """The normalized value on the first line, then one word per line."""


class RuleScope(StrEnum):
    """What a regex is tested against, and where context is looked for."""

    SENTENCE = "sentence"
    """Each token on its own; context within the match's sentence."""
    DOCUMENT = "document"
    """The whole text (a match may span tokens and sentences); context anywhere in the text."""


class MatchScope(StrEnum):
    """What a match returns."""

    TOKEN = "token"
    """The whole tokens the match touches."""
    SUB_TOKEN = "sub-token"
    """Only the matched characters."""


class DictionarySpec(Strict):
    """Dictionary entries: a CSV/TSV file in the repository, or inline entries."""

    file: RelPath | None = None
    entries: dict[str, list[NonEmpty]] | None = None
    orientation: Orientation = Orientation.HORIZONTAL
    delimiter: str = Field(default=",", min_length=1, max_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> DictionarySpec:
        if (self.file is None) == (self.entries is None):
            raise PydanticCustomError(
                "one_of", "give the dictionary either 'file' or 'entries', not both and not neither"
            )
        return self


class RuleSpec(Strict):
    """A pre-annotation rule: every match becomes a chunk labelled ``entity``."""

    entity: NonEmpty
    regex: NonEmpty | None = None
    dictionary: DictionarySpec | None = None
    rule_scope: RuleScope = RuleScope.SENTENCE
    match_scope: MatchScope = MatchScope.TOKEN
    complete_match_regex: bool = False
    case_sensitive: bool = True
    prefix: list[NonEmpty] = []
    suffix: list[NonEmpty] = []
    context_length: int = Field(default=100, ge=0)
    context_exception: list[NonEmpty] = []
    exception_distance: int = Field(default=40, ge=0)
    prefix_and_suffix_match: bool = False

    @model_validator(mode="after")
    def _one_matcher(self) -> RuleSpec:
        if (self.regex is None) == (self.dictionary is None):
            raise PydanticCustomError(
                "one_of", "a rule has either 'regex' or 'dictionary', not both and not neither"
            )
        if self.regex is not None and not self.case_sensitive:
            raise PydanticCustomError(
                "regex_case",
                "regex rules are always case-sensitive, as in Annotation Lab: remove 'caseSensitive: false' "
                "and spell the cases in the pattern, e.g. '[Mm]g'",
            )
        return self


class RuleManifest(Manifest):
    kind: Literal["Rule"]
    spec: RuleSpec
