"""Each semantic decision of docs/rules.md ("How rules run"), on both regex backends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alabctl.runtime.rules import RuleEngine
from tests.runtime.rules.conftest import rule

Found = Callable[..., list[str]]


# --- ruleScope / matchScope / completeMatchRegex ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "text", "expected"),
    [
        # sentence scope tests each token; token returns the whole token, sub-token the match
        ({"regex": r"\d+"}, "XYZ987 abc", ["XYZ987"]),
        ({"regex": r"\d+", "matchScope": "sub-token"}, "XYZ987 abc", ["987"]),
        # completeMatchRegex: the whole token must match, whatever matchScope says
        ({"regex": r"\d+", "completeMatchRegex": "true"}, "XYZ987 123", ["123"]),
        ({"regex": r"\d+", "completeMatchRegex": "true", "matchScope": "sub-token"}, "XYZ987 123", ["123"]),
        # in sentence scope a match never spans tokens; anchors see the token's edges
        ({"regex": r"[Ff]amily\s+[Hh]istory"}, "no family history here", []),
        ({"regex": r"^\d+$"}, "abc 123 x45 (67)", ["123", "67"]),
        # document scope: the whole text, across tokens
        (
            {"regex": r"[Ff]amily\s+[Hh]istory", "ruleScope": "document", "matchScope": "sub-token"},
            "no Family  history here",
            ["Family  history"],
        ),
        # document + token: widened to the whole tokens the match touches (not the whole sentence)
        ({"regex": r"ily his", "ruleScope": "document"}, "no family history here.", ["family history"]),
        # document + completeMatchRegex: only matches that start and end on token boundaries
        (
            {"regex": r"\d+ mg", "ruleScope": "document", "completeMatchRegex": "true"},
            "10 mg and 20 mgs, 30 mg.",
            ["10 mg", "30 mg"],
        ),
        # regex is always case-sensitive, even when the JSON says otherwise
        ({"regex": "Girl", "caseSensitive": False}, "girl Girl GIRL", ["Girl"]),
        # a regex that can match empty never makes an empty chunk
        ({"regex": "a*", "matchScope": "sub-token"}, "bbb baab", ["aa"]),
        # a match that touches no token (only whitespace) makes no chunk when widened to tokens
        ({"regex": r"\s+", "ruleScope": "document"}, "a  b", []),
        ({"regex": r"\s+", "ruleScope": "document", "matchScope": "sub-token"}, "a  b", ["  "]),
        # widening to tokens merges the rule's own overlaps: one chunk per token
        ({"regex": r"\d", "ruleScope": "document"}, "12345 x", ["12345"]),
        # Java-like ASCII classes: \w does not match é
        ({"regex": r"\w+", "completeMatchRegex": "true"}, "caf\u00e9 cafe", ["cafe"]),
    ],
)
def test_regex_scopes(found: Found, fields: dict[str, object], text: str, expected: list[str]) -> None:
    assert found(text, rule(**fields)) == expected


# --- dictionaries ------------------------------------------------------------------------------------


GENDER = "male,man,boy\nfemale,woman,girl,lady\n"


@pytest.mark.parametrize(
    ("fields", "text", "expected"),
    [
        # whole tokens only: man never inside manhattan or woman
        ({"caseSensitive": False}, "The man from Manhattan met a woman.", ["man", "woman"]),
        ({"caseSensitive": False}, "MAN, Man (man) boys", ["MAN", "Man", "man"]),
        ({"caseSensitive": True}, "MAN, Man (man)", ["man"]),
    ],
)
def test_dictionary_whole_tokens_and_case(
    found: Found, fields: dict[str, object], text: str, expected: list[str]
) -> None:
    spec = rule(dictionary="g.csv", **fields)
    assert found(text, spec, dictionaries={"g.csv": GENDER}) == expected


def test_dictionary_keeps_the_normalized_value() -> None:
    engine = RuleEngine.from_specs([rule(dictionary="g.csv", caseSensitive=False)], {"g.csv": GENDER})
    assert [(c.text, c.normalized, c.label, c.source) for c in engine.annotate("A Lady and a boy")] == [
        ("Lady", "female", "E", "r"),
        ("boy", "male", "E", "r"),
    ]


def test_vertical_and_tsv_dictionaries_with_multi_token_entries() -> None:
    vertical = "City\nNew York\nSalt Lake City\nYork\n"
    tsv = "City\tNew York\tSalt Lake City\tYork\n"
    text = "From new  york\r\nto Salt Lake City, then York. Not New Yorker."
    for name, content in (("c.csv", vertical), ("c.tsv", tsv)):
        spec = rule(dictionary=name, caseSensitive=False, ruleScope="document", matchScope="sub-token")
        chunks = RuleEngine.from_specs([spec], {name: content}).annotate(text)
        assert [(c.text, c.normalized) for c in chunks] == [
            ("new  york", "City"),
            ("Salt Lake City", "City"),
            ("York", "City"),
        ], name
        assert all(text[c.start : c.end] == c.text for c in chunks)


def test_dictionary_options_from_the_json_win_over_guessing() -> None:
    # a one-column file reads as vertical when guessed; the pipeline says horizontal: no words, an error
    from alabctl.spec.errors import UserError

    spec = rule(dictionary="d.csv", dictionaryOptions={"orientation": "horizontal", "delimiter": ","})
    with pytest.raises(UserError, match="has no words"):
        RuleEngine.from_specs([spec], {"d.csv": "City\nParis\n"})


def test_multi_token_entry_never_crosses_a_sentence_end_in_sentence_scope(found: Found) -> None:
    dictionary = {"d.csv": "x,stop now. Now go\n"}
    text = "Please stop now. Now go home."
    assert found(text, rule(dictionary="d.csv"), dictionaries=dictionary) == []
    assert found(text, rule(dictionary="d.csv", ruleScope="document"), dictionaries=dictionary) == [
        "stop now. Now go"
    ]


def test_dictionary_longest_entry_wins_leftmost_first(found: Found) -> None:
    dictionary = {"d.csv": "x,kidney,chronic kidney disease,kidney disease,disease\n"}
    spec = rule(dictionary="d.csv", ruleScope="document", caseSensitive=False)
    assert found("Chronic kidney disease and kidney.", spec, dictionaries=dictionary) == [
        "Chronic kidney disease",
        "kidney",
    ]


def test_case_folding_keeps_offsets_for_characters_that_grow() -> None:
    spec = rule(dictionary="d.csv", caseSensitive=False, ruleScope="document")
    engine = RuleEngine.from_specs([spec], {"d.csv": "x,stra\u00dfe,\u0130stanbul\n"})
    text = "STRA\u00dfE und \u0130stanbul"
    assert [c.text for c in engine.annotate(text)] == ["STRA\u00dfE", "\u0130stanbul"]


# --- context -----------------------------------------------------------------------------------------


def age(**fields: object) -> dict[str, object]:
    return rule(regex=r"\d+", completeMatchRegex="true", **fields)


@pytest.mark.parametrize(
    ("fields", "text", "expected"),
    [
        # a prefix is required when given, within contextLength characters
        ({"prefix": ["age"], "contextLength": 10}, "age 45, 46", ["45", "46"]),
        ({"prefix": ["age"], "contextLength": 10}, "age is not known for 45", []),
        ({"prefix": ["age"]}, "weight 45", []),
        ({"suffix": ["years"]}, "45 years, 46 kg", ["45"]),
        # either prefix or suffix by default; both with prefixAndSuffixMatch
        ({"prefix": ["age"], "suffix": ["years"], "contextLength": 5}, "age 45; 46 years; 47", ["45", "46"]),
        (
            {"prefix": ["age"], "suffix": ["years"], "prefixAndSuffixMatch": True, "contextLength": 3},
            "age 45; 46 years; age 47 years",
            ["47"],
        ),
        # context words compare caselessly and without the punctuation the tokenizer splits off
        ({"prefix": ["age:"]}, "AGE: 45", ["45"]),
        # contextException within exceptionDistance cancels the match
        ({"contextException": ["room"], "exceptionDistance": 5}, "room 12; age 45", ["45"]),
        ({"contextException": ["room"], "exceptionDistance": 5}, "12 room; and then 45", ["45"]),
        # sentence scope looks only in the match's sentence; document scope anywhere
        ({"prefix": ["old"]}, "I am old. 45 is a number", []),
        ({"prefix": ["old"], "ruleScope": "document"}, "I am old. 45 is a number", ["45"]),
    ],
)
def test_context(found: Found, fields: dict[str, object], text: str, expected: list[str]) -> None:
    assert found(text, age(**fields)) == expected


def test_confidence_is_half_bare_and_grows_with_near_context() -> None:
    def score(text: str, **fields: object) -> float:
        chunks = RuleEngine.from_specs([age(**fields)]).annotate(text)
        assert len(chunks) == 1
        return chunks[0].score

    bare = score("x 45")
    near = score("age 45", prefix=["age"], contextLength=20)
    far = score("age was 45", prefix=["age"], contextLength=20)
    both = score("age 45 years", prefix=["age"], suffix=["years"], contextLength=20)
    assert bare == 0.5
    assert 0.5 < far < near < both <= 1.0
    assert near == pytest.approx(0.5 + 0.25 * (1 - 1 / 21), abs=1e-4)


# --- several rules -------------------------------------------------------------------------------------


def test_every_rule_reports_its_own_chunks_sorted_by_position() -> None:
    engine = RuleEngine.from_specs(
        [
            rule(name="num", entity="Number", regex=r"\d+", ruleScope="document", matchScope="sub-token"),
            rule(name="dose", entity="Dose", regex=r"\d+ mg", ruleScope="document", matchScope="sub-token"),
        ]
    )
    chunks = engine.annotate("take 10 mg at 8")
    assert [(c.text, c.source, c.label) for c in chunks] == [
        ("10", "num", "Number"),
        ("10 mg", "dose", "Dose"),
        ("8", "num", "Number"),
    ]


def test_duplicate_rule_names_are_refused() -> None:
    from alabctl.spec.errors import UserError

    with pytest.raises(UserError, match="given twice"):
        RuleEngine.from_specs([rule(regex="a"), rule(regex="b")])


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\xff binary \ud800 junk",
        "\U0010ffff" * 50,
        "\r\n" * 100,
        "a" * 200_000 + " 12 mg",
        " ",
        # one huge piece: boundary checks and widening to tokens must stay linear
        "man-" * 50_000,
        "1-" * 100_000,
        "-" * 100_000 + "man",
    ],
)
def test_annotate_never_raises(backend: str, text: str) -> None:
    engine = RuleEngine.from_specs(
        [
            rule(name="a", regex=r"\d+ mg", ruleScope="document", prefix=["take"]),
            rule(name="b", regex=r"(a|b)+", matchScope="sub-token"),
            rule(name="c", dictionary="g.csv", caseSensitive=False),
            rule(name="d", regex=r"\d", ruleScope="document"),
            rule(name="e", regex=r"man", ruleScope="document", completeMatchRegex="true"),
        ],
        {"g.csv": GENDER},
        backend=backend,
    )
    chunks = engine.annotate(text)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert engine.annotate(None) == []  # type: ignore[arg-type]


def test_dictionary_chunks_are_whole_tokens_whatever_match_scope_says(found: Found) -> None:
    dictionary = {"g.csv": GENDER}
    for fields in ({"matchScope": "sub-token"}, {"completeMatchRegex": "true"}, {"matchScope": "token"}):
        assert found("a boy, boys", rule(dictionary="g.csv", **fields), dictionaries=dictionary) == ["boy"]


def test_a_word_listed_twice_belongs_to_the_first_entry() -> None:
    engine = RuleEngine.from_specs([rule(dictionary="d.csv")], {"d.csv": "first,kid\nsecond,kid,child\n"})
    assert [(c.text, c.normalized) for c in engine.annotate("kid child")] == [
        ("kid", "first"),
        ("child", "second"),
    ]


def test_unknown_backend_is_a_user_error() -> None:
    from alabctl.spec.errors import UserError

    with pytest.raises(UserError, match="backend 'pcre' is not one of: auto, re, hyperscan"):
        RuleEngine.from_specs([rule(regex="a")], backend="pcre")


def test_dictionary_rules_use_context_too(found: Found) -> None:
    spec = rule(dictionary="g.csv", caseSensitive=False, contextException=["pronoun"], exceptionDistance=10)
    assert found("He is a pronoun. The man left.", spec, dictionaries={"g.csv": "male,man,he\n"}) == ["man"]


def test_annotate_is_thread_safe(backend: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engine = RuleEngine.from_specs(
        [
            rule(name="dose", regex=r"\d+ ?mg", ruleScope="document", matchScope="sub-token"),
            rule(name="num", regex=r"\d+", ruleScope="document", prefix=["take"]),
            rule(name="g", dictionary="g.csv", caseSensitive=False),
        ],
        {"g.csv": GENDER},
        backend=backend,
    )
    texts = [f"take {i} mg, the man {i * 7}mg and a girl {i}." for i in range(300)]
    expected = [engine.annotate(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(engine.annotate, texts * 4))
    assert got == expected * 4
    assert all(len(chunks) == 7 for chunks in expected)  # 2 doses, 3 numbers after "take", man, girl
