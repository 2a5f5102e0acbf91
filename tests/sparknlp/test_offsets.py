"""UTF-16 offsets (the JVM's, end inclusive) to code points (Label Studio's, end exclusive)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alabctl.runtime.sparknlp.offsets import offset_map


def jvm_span(text: str, start: int, end: int) -> tuple[int, int]:
    """What Java reports for text[start:end]: UTF-16 begin and inclusive end."""
    begin = len(text[:start].encode("utf-16-le")) // 2
    return begin, begin + len(text[start:end].encode("utf-16-le")) // 2 - 1


def test_emoji_before_an_entity_shifts_the_jvm_offsets() -> None:
    text = "😀 Anna met \U0001d401ob in Oslo"
    m = offset_map(text)
    assert m.unit_length == len(text) + 2
    begin, end = jvm_span(text, text.index("Oslo"), len(text))
    assert (begin, end) == (text.index("Oslo") + 2, len(text) + 1)
    start, stop = m.span(begin, end) or (0, 0)
    assert text[start:stop] == "Oslo"


def test_bmp_text_is_the_identity_and_spans_outside_are_dropped() -> None:
    m = offset_map("héllo wörld")
    assert m.units is None
    assert m.span(6, 10) == (6, 11)
    assert m.span(6, 11) is None and m.span(3, 2) is None and m.span(-1, 2) is None


def test_a_boundary_inside_a_surrogate_pair_covers_the_character() -> None:
    m = offset_map("a😀b")
    assert m.span(1, 1) == (1, 2)
    assert m.span(1, 2) == (1, 2)


@given(st.text(min_size=1, max_size=40), st.data())
def test_every_span_maps_back_to_its_text(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert offset_map(text).span(*jvm_span(text, start, end)) == (start, end)
