"""Rule JSON that cannot run is refused at load time with a message naming the rule and field."""

from __future__ import annotations

from typing import Any

import pytest

from alabctl.runtime.rules import RuleEngine
from alabctl.spec.errors import UserError
from tests.runtime.rules.conftest import rule


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (["not", "an", "object"], "a rule is a JSON object, not list"),
        ({"name": "x", "regex": "a"}, "the rule has no 'entity'"),
        ({"entity": "X", "regex": "a"}, "the rule has no 'name'"),
        (rule(regex="a", dictionary="d.csv"), "either a 'regex' or a 'dictionary'"),
        (rule(), "either a 'regex' or a 'dictionary'"),
        (rule(regex="(unclosed"), "does not compile"),
        (rule(regex="a", completeMatchRegex="maybe"), "'completeMatchRegex' must be true or false"),
        (rule(regex="a", contextLength=-1), "'contextLength' must be a whole number >= 0"),
        (rule(regex="a", prefix="age"), "'prefix' must be a list of non-empty words"),
        (rule(regex="a", matchScope="word"), "'matchScope' must be one of token, sub-token"),
        (rule(dictionary="missing.csv"), "its dictionary 'missing.csv' was not given"),
    ],
)
def test_bad_rules_are_refused(spec: Any, message: str) -> None:
    with pytest.raises(UserError, match="rule 1") as caught:
        RuleEngine.from_specs([spec])
    assert message in caught.value.message


def test_strings_and_numbers_as_annotation_lab_writes_them() -> None:
    engine = RuleEngine.from_specs(
        [rule(regex=r"\d+", completeMatchRegex="TRUE", contextLength="10", prefixAndSuffixMatch="false")]
    )
    assert [c.text for c in engine.annotate("12 a3")] == ["12"]
