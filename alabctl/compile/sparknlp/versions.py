"""Spark NLP's version rules, copied exactly, and the supported Spark NLP / Spark pairs.

``parse`` and ``is_compatible`` are ``com.johnsnowlabs.util.Version.parse`` and
``Version.isCompatible`` (research/sparknlp.md §1.4): the rule the Models Hub uses to decide whether
an asset built for one version may be loaded by another; ``compare_candidates`` is
``ResourceMetadata.compare``, which orders the compatible ones (Spark NLP 5.5.3's source). ``supported_spark`` is the table of
research/sparknlp.md §5.2. ``parse_version`` is ``parse`` for text that may be absent (the hub's
index, the Hub manifest). This is the only copy: the hub layer (``alabctl.assets``) imports it, and
``validate`` needs nothing above ``compile``.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence

Version = tuple[int, ...]

_RC = re.compile(r"-rc\d")
_SPLIT = re.compile(r"[.-]")


def parse(text: str) -> Version:
    """``Version.parse``: drop ``-rc<digit>``, split on ``.``/``-``, keep the leading integer parts, at most 3."""
    parts: list[int] = []
    for piece in _SPLIT.split(_RC.sub("", text)):
        if not piece or not piece.isdecimal():
            break
        parts.append(int(piece))
    return tuple(parts[:3])


def parse_version(text: str | None) -> Version | None:
    """``parse`` of the stripped text; ``None`` when there is no text or no leading integer part."""
    if text is None:
        return None
    return parse(text.strip()) or None


def is_compatible(current: Sequence[int] | None, found: Sequence[int] | None) -> bool:
    """``Version.isCompatible``: may an asset built for ``found`` be used with ``current``?

    No ``found`` (or no ``current``, nothing to compare with): yes. ``found`` more specific than
    ``current``: no. Otherwise the pairs are walked in order; at the first unequal pair, ``current``
    bigger passes everything after it and ``current`` smaller fails. So any older version passes,
    even across majors.
    """
    if found is None or current is None:
        return True
    if len(current) < len(found):
        return False
    for cur, fnd in zip(current, found, strict=False):
        if cur != fnd:
            return cur > fnd
    return True


def to_float(version: Sequence[int]) -> float:
    """``Version.toFloat``: ``a`` -> ``a``, ``a.b`` -> ``a.b``, ``a.b.c`` -> ``a.bc``, as a 32-bit float.

    So 5.5.3 orders as 5.53 and 4.4.10 equals 4.4.1 (both 4.41): upstream's quirk, kept.
    """
    parts = [str(p) for p in version]
    if not parts or len(parts) > 3:
        raise ValueError(f"cannot order version {format_version(version)!r}")
    text = parts[0] if len(parts) == 1 else f"{parts[0]}.{''.join(parts[1:])}"
    return float(struct.unpack("f", struct.pack("f", float(text)))[0])


Candidate = tuple[Version, Version, int]
"""A hub record as the version choice sees it: (libVersion, sparkVersion, upload time in ms)."""


def compare_candidates(this: Candidate, that: Candidate) -> int:
    """``ResourceMetadata.compare``: Spark version first, then Spark NLP version, then upload time.

    Versions compare by :func:`to_float`; equal upload times count as older (upstream never
    answers 0 for them either).
    """
    (this_lib, this_spark, this_time), (that_lib, that_spark, that_time) = this, that
    if this_spark != that_spark:
        return 1 if to_float(this_spark) > to_float(that_spark) else -1
    if to_float(this_lib) != to_float(that_lib):
        return 1 if to_float(this_lib) > to_float(that_lib) else -1
    return 1 if this_time > that_time else -1


def format_version(version: Sequence[int] | None) -> str:
    """``Version.toString``: the parts joined with dots; ``""`` when absent."""
    return ".".join(str(p) for p in version) if version else ""


# (first Spark NLP version, last Spark NLP version) -> Spark major.minor lines it supports.
_SUPPORTED: tuple[tuple[Version, Version, tuple[Version, ...]], ...] = (
    ((3, 0), (3, 3), ((2, 3), (2, 4), (3, 0), (3, 1))),
    ((3, 4), (3, 4), ((2, 3), (2, 4), (3, 0), (3, 1), (3, 2))),
    ((4, 0), (4, 4), ((3, 0), (3, 1), (3, 2), (3, 3))),
    ((5, 0), (5, 0), ((3, 0), (3, 1), (3, 2), (3, 3), (3, 4))),
    ((5, 1), (5, 5), ((3, 0), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5))),
    ((6, 0), (6, 1), ((3, 0), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5))),
)


def supported_spark(spark_nlp: Sequence[int]) -> tuple[Version, ...] | None:
    """The Spark lines (major, minor) a Spark NLP version supports; ``None`` when the table does not say."""
    line = tuple(spark_nlp[:2])
    for first, last, sparks in _SUPPORTED:
        if first <= line <= last:
            return sparks
    return None


def is_supported_pair(spark_nlp: Sequence[int], spark: Sequence[int]) -> bool | None:
    """Whether Spark NLP ``spark_nlp`` runs on Spark ``spark``; ``None`` when the table does not say."""
    sparks = supported_spark(spark_nlp)
    if sparks is None or len(spark) < 2:
        return None
    return tuple(spark[:2]) in sparks
