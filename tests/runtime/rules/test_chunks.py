"""Chunks made in bulk (slot twins turned into ``Chunk``) are ordinary, frozen ``Chunk`` values."""

from __future__ import annotations

import dataclasses

import pytest

from alabctl.runtime.engine import Chunk
from alabctl.runtime.rules import chunks
from alabctl.runtime.rules.chunks import NO_METADATA, hit_chunks, hit_chunks_into, rule_chunks
from alabctl.runtime.rules.context import BARE

TEXT = "aspirin 10 mg daily, \u00e9t\u00e9"


def _expected() -> list[Chunk]:
    return [
        Chunk(0, 7, "aspirin", "DRUG", BARE, "dict", "ASA", NO_METADATA),
        Chunk(8, 13, "10 mg", "DRUG", BARE, "dict", None, NO_METADATA),
        Chunk(21, 24, "\u00e9t\u00e9", "DRUG", BARE, "dict", "summer", NO_METADATA),
    ]


@pytest.mark.parametrize("twin", [True, False], ids=["twin", "constructor"])
def test_bulk_chunks_equal_constructed_ones(monkeypatch: pytest.MonkeyPatch, twin: bool) -> None:
    if not twin:  # what runs if Chunk ever stops being a slots dataclass with these fields
        monkeypatch.setattr(chunks, "_TWIN", None)
    else:
        assert chunks._TWIN is not None  # the twin is in use on this Python
    hits = [(0, 7, "ASA"), (8, 13, None), (21, 24, "summer")]
    made = hit_chunks(TEXT, hits, "DRUG", "dict")
    assert made == _expected()
    assert all(type(c) is Chunk for c in made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].start = 3  # type: ignore[misc]
    assert repr(made[0]) == repr(_expected()[0])

    found = rule_chunks(TEXT, [(0, 7, 1), (8, 13, 0)], ["DOSE", "DRUG"], ["r0", "r1"])
    assert found == [
        Chunk(0, 7, "aspirin", "DRUG", BARE, "r1", None, NO_METADATA),
        Chunk(8, 13, "10 mg", "DOSE", BARE, "r0", None, NO_METADATA),
    ]
    assert all(type(c) is Chunk for c in found)

    out: list[list[Chunk]] = [[], [], []]
    hit_chunks_into(out, ["", TEXT, "x"], {1: hits}, "DRUG", "dict")
    assert out == [[], _expected(), []]
    assert hit_chunks(TEXT, [], "DRUG", "dict") == []
