"""The tree a Java regular expression is parsed into (`java_regex_parser`) and written out from as RE2's
(`java_regex`): sets of characters (code point ranges, Unicode properties), anchors, groups, repetitions,
sequences and alternations, with the arithmetic of character classes Java's syntax needs (unions, negation,
ASCII case folding), and the two ways a pattern fails (Java rejects it, or RE2 cannot run it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MAX_CODE_POINT = 0x10FFFF
LINE_TERMINATORS = ("\n", "\r", "\x85", "\u2028", "\u2029")


class Unsupported(Exception):
    """A valid Java pattern that RE2 cannot run; `str()` names the construct and says what to write instead."""


class Invalid(Exception):
    """A pattern Java itself rejects (Spark raises INVALID_PARAMETER_VALUE.PATTERN for it)."""


# -- the tree ----------------------------------------------------------------------------------------------------
Ranges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class CharClass:
    """A set of characters: code point ranges plus Unicode properties RE2 names itself (`\\p{L}`)."""

    ranges: Ranges = ()
    properties: tuple[str, ...] = ()  # RE2 spellings: `\p{Lu}`, `\P{Greek}`
    negated: bool = False


@dataclass(frozen=True)
class Anchor:
    kind: Literal["start", "end", "text_start", "text_end", "end_or_final_break", "boundary", "not_boundary"]


@dataclass(frozen=True)
class Group:
    body: Node
    number: int | None  # None: not capturing
    name: str | None = None


@dataclass(frozen=True)
class Repeat:
    body: Node
    low: int
    high: int | None  # None: unbounded
    lazy: bool


@dataclass(frozen=True)
class Sequence:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alternation:
    branches: tuple[Node, ...]


Node = CharClass | Anchor | Group | Repeat | Sequence | Alternation


# -- class arithmetic --------------------------------------------------------------------------------------------
def char(code_point: int) -> CharClass:
    return CharClass(((code_point, code_point),))


def is_high_surrogate(ch: str) -> bool:
    return 0xD800 <= ord(ch) <= 0xDBFF


def ranges_of(chars: tuple[str, ...]) -> Ranges:
    return merge([(ord(c), ord(c)) for c in chars])


def merge(ranges: list[tuple[int, int]] | Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    start = 0
    for low, high in merge(ranges):
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= MAX_CODE_POINT:
        out.append((start, MAX_CODE_POINT))
    return tuple(out)


def negate(node: CharClass) -> CharClass:
    """A negated class as a plain one (only for classes without properties, which RE2 can nest)."""
    if node.properties:
        if not node.ranges and len(node.properties) == 1:
            prop = node.properties[0]
            flipped = prop.replace("\\p", "\\P") if prop.startswith("\\p") else prop.replace("\\P", "\\p")
            return CharClass((), (flipped,), not node.negated)
        raise Unsupported("a negated class with a Unicode property inside another class")
    return CharClass(_complement(node.ranges), (), False)


def ascii_folded(ranges: Ranges) -> Ranges:
    extra = []
    for low, high in ranges:
        for a, b, shift in ((0x61, 0x7A, -32), (0x41, 0x5A, 32)):
            lo, hi = max(low, a), min(high, b)
            if lo <= hi:
                extra.append((lo + shift, hi + shift))
    return merge(list(ranges) + extra)
