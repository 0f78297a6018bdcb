"""Java's regular expressions (what Spark's regexp functions and RLIKE take) written as RE2's (what DuckDB runs).

The two dialects share most syntax but not all meanings: Java's `.` stops at five line terminators (RE2's at
`\\n` only), its `\\s` includes `\\x0B`, its `$` also matches before a final line terminator, its `(?i)` folds
ASCII letters only, and its replacement strings say `$1` where RE2's say `\\1`. A pattern is parsed into a small
tree (`java_regex_parser`, `java_regex_tree`) and written out here with Java's meaning; what RE2 cannot do
(backreferences, lookaround, possessive and atomic groups, `\\G`, `(?m)`, class intersections) is refused naming
the construct, and a pattern Java itself rejects is reported as Spark reports it, at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lakeloader.sql.functions.java_regex_parser import Parser
from lakeloader.sql.functions.java_regex_tree import (
    LINE_TERMINATORS,
    MAX_CODE_POINT,
    Alternation,
    Anchor,
    CharClass,
    Group,
    Node,
    Repeat,
    Sequence,
    Unsupported,
    ranges_of,
)

_META = set("\\^$.|?*+()[]{}")


@dataclass(frozen=True)
class Regex:
    """A Java pattern, parsed: its tree, capturing groups (and their names)."""

    java: str
    tree: Node
    groups: int
    names: dict[str, int] = field(default_factory=dict)
    unix_lines: bool = False

    @property
    def min_width(self) -> int:
        return _width(self.tree)[0]

    @property
    def max_width(self) -> int | None:
        return _width(self.tree)[1]

    def re2(self, *, dollar: Literal["find", "strict"] = "find") -> str:
        """The pattern in RE2's syntax.

        `dollar="find"`: Java's `$` (end, or before a final line terminator) is written so that whether the
        pattern matches is Java's answer, though a match may then also take the final terminator: right for
        RLIKE. `dollar="strict"`: a `$` is refused unless it is the pattern's last item and what comes before it
        can never end inside a final line terminator (then `re2_with_break` gives the exact extents).
        """
        if dollar == "strict" and _has_end_anchor(self.tree):
            raise Unsupported("`$` (Java's end of input, or before a final line break)")
        return _emit(self.tree, self)

    def re2_with_break(self) -> tuple[str, bool]:
        """The pattern for functions that use a match's extent (replace, extract, substr, instr, count).

        Returns (pattern, has_break_group). When the pattern ends with `$`, it becomes `(?:P)(T)?\\z` with T the
        final line terminator as one extra capturing group after the user's: the caller puts `\\<groups+1>` back
        after the replacement (or ignores the group), and the match of P is Java's. That holds unless Java could
        then find a second match inside the final terminator: P can match one and does not take it greedily.
        Then, and for a `$` elsewhere, the `$` is refused.
        """
        tree = self.tree
        items = tree.items if isinstance(tree, Sequence) else (tree,)
        last = items[-1] if items else None
        if isinstance(last, Anchor) and last.kind == "end_or_final_break":
            body = Sequence(items[:-1])
            if _has_end_anchor(body):
                raise Unsupported("`$` other than at the end of the pattern (write \\z for the end of the text)")
            for terminator in (*self._breaks(), "\r\n"):
                if _can_match(body, terminator) and not _absorbs(body, terminator):
                    raise Unsupported(
                        "`$` after a part that can match a line break without taking it greedily (Java then "
                        "finds a second match in a final line break); write \\z for the end of the text"
                    )
            breaks = _class_text(CharClass(ranges_of(self._breaks())))
            terminator_text = r"\n" if self.unix_lines else rf"\r\n|{breaks}"
            return f"(?:{_emit(body, self)})({terminator_text})?\\z", True
        if _has_end_anchor(tree):
            raise Unsupported("`$` other than at the end of the pattern (write \\z for the end of the text)")
        return _emit(tree, self), False

    def _breaks(self) -> tuple[str, ...]:
        return ("\n",) if self.unix_lines else LINE_TERMINATORS


def parse(pattern: str) -> Regex:
    """Parse a Java pattern; `Invalid` when Java rejects it, `Unsupported` when RE2 cannot run it."""
    parser = Parser(pattern)
    tree = parser.parse()
    return Regex(pattern, tree, parser.groups, dict(parser.names), parser.unix_lines)


# -- analysis ----------------------------------------------------------------------------------------------------
def _width(node: Node) -> tuple[int, int | None]:
    if isinstance(node, CharClass):
        return 1, 1
    if isinstance(node, Anchor):
        return 0, 0
    if isinstance(node, Group):
        return _width(node.body)
    if isinstance(node, Repeat):
        low, high = _width(node.body)
        top = None if high is None or node.high is None else high * node.high
        if high == 0:
            top = 0
        return low * node.low, top
    if isinstance(node, Sequence):
        total_low, total_high = 0, 0
        unbounded = False
        for item in node.items:
            low, high = _width(item)
            total_low += low
            if high is None:
                unbounded = True
            else:
                total_high += high
        return total_low, None if unbounded else total_high
    widths = [_width(b) for b in node.branches]
    highs = [h for _, h in widths]
    return min(low for low, _ in widths), None if None in highs else max(h for h in highs if h is not None)


def _has_end_anchor(node: Node) -> bool:
    if isinstance(node, Anchor):
        return node.kind == "end_or_final_break"
    if isinstance(node, Group | Repeat):
        return _has_end_anchor(node.body)
    if isinstance(node, Sequence):
        return any(_has_end_anchor(i) for i in node.items)
    if isinstance(node, Alternation):
        return any(_has_end_anchor(b) for b in node.branches)
    return False


def _absorbs(node: Node, text: str) -> bool:
    """Does `node` end with a greedy unbounded repetition of a class holding every character of `text`? (Then a
    match that reaches `text` takes it.)"""
    while isinstance(node, Sequence) and node.items:
        node = node.items[-1]
    if not isinstance(node, Repeat) or node.lazy or node.high is not None:
        return False
    body = node.body
    while isinstance(body, Group):
        body = body.body
    return (
        isinstance(body, CharClass)
        and not body.properties
        and all(any(low <= ord(c) <= high for low, high in body.ranges) != body.negated for c in text)
    )


def _can_match(node: Node, text: str) -> bool:
    """Can `node` match all of `text` (a few characters)? Unsure (a Unicode property) counts as yes."""
    return len(text) in _ends(node, text, 0)


def _ends(node: Node, text: str, at: int) -> set[int]:
    if isinstance(node, CharClass):
        if at >= len(text):
            return set()
        if node.properties:
            return {at + 1}
        inside = any(low <= ord(text[at]) <= high for low, high in node.ranges)
        return {at + 1} if inside != node.negated else set()
    if isinstance(node, Anchor):
        return {at}
    if isinstance(node, Group):
        return _ends(node.body, text, at)
    if isinstance(node, Sequence):
        positions = {at}
        for item in node.items:
            positions = {e for p in positions for e in _ends(item, text, p)}
        return positions
    if isinstance(node, Alternation):
        return {e for b in node.branches for e in _ends(b, text, at)}
    reached = {at} if node.low == 0 else set()
    frontier = {at}
    rounds = max(node.low, len(text) - at + 1)
    if node.high is not None:
        rounds = min(rounds, node.high)
    for count in range(1, rounds + 1):
        frontier = {e for p in frontier for e in _ends(node.body, text, p)}
        if not frontier:
            break
        if count >= node.low:
            reached |= frontier
    return reached


# -- writing RE2 -------------------------------------------------------------------------------------------------
def _emit(node: Node, regex: Regex) -> str:
    if isinstance(node, CharClass):
        return _class_text(node)
    if isinstance(node, Anchor):
        return _anchor_text(node, regex)
    if isinstance(node, Group):
        inner = _emit(node.body, regex)
        if node.number is None:
            return f"(?:{inner})"
        return f"(?P<{node.name}>{inner})" if node.name else f"({inner})"
    if isinstance(node, Repeat):
        body = _emit(node.body, regex)
        if not _is_atom(node.body):
            body = f"(?:{body})"
        if (node.low, node.high) == (0, None):
            quantifier = "*"
        elif (node.low, node.high) == (1, None):
            quantifier = "+"
        elif (node.low, node.high) == (0, 1):
            quantifier = "?"
        elif node.high == node.low:
            quantifier = f"{{{node.low}}}"
        else:
            quantifier = f"{{{node.low},{'' if node.high is None else node.high}}}"
        return body + quantifier + ("?" if node.lazy else "")
    if isinstance(node, Sequence):
        parts = []
        for item in node.items:
            text = _emit(item, regex)
            parts.append(f"(?:{text})" if isinstance(item, Alternation) else text)
        return "".join(parts)
    return "|".join(_emit(b, regex) for b in node.branches)


def _is_atom(node: Node) -> bool:
    if isinstance(node, CharClass | Group):
        return True
    if isinstance(node, Sequence) and len(node.items) == 1:
        return _is_atom(node.items[0])
    return False


def _anchor_text(node: Anchor, regex: Regex) -> str:
    if node.kind == "end_or_final_break":
        if regex.unix_lines:
            return r"\n?\z"
        return rf"(?:\r\n|{_class_text(CharClass(ranges_of(LINE_TERMINATORS)))})?\z"
    return {
        "start": "^",
        "end": "$",
        "text_start": r"\A",
        "text_end": r"\z",
        "boundary": r"\b",
        "not_boundary": r"\B",
    }[node.kind]


def _class_text(node: CharClass) -> str:
    if not node.negated and not node.properties and len(node.ranges) == 1 and node.ranges[0][0] == node.ranges[0][1]:
        return _literal(node.ranges[0][0])
    if not node.negated and not node.ranges and len(node.properties) == 1:
        return node.properties[0]
    if not node.ranges and not node.properties:
        return r"[^\x00-\x{10FFFF}]" if not node.negated else r"[\x00-\x{10FFFF}]"
    if node.negated and not node.properties and node.ranges == ((0, MAX_CODE_POINT),):
        return r"[^\x00-\x{10FFFF}]"
    body = "".join(
        _in_class(low) if low == high else f"{_in_class(low)}-{_in_class(high)}" for low, high in node.ranges
    )
    return f"[{'^' if node.negated else ''}{body}{''.join(node.properties)}]"


def _literal(code_point: int) -> str:
    ch = chr(code_point)
    if ch in _META:
        return "\\" + ch
    if ch.isprintable() and code_point < 0x10000 and ch not in " #":
        return ch
    return f"\\x{{{code_point:x}}}"


def _in_class(code_point: int) -> str:
    ch = chr(code_point)
    if ch in "\\]^-[":
        return "\\" + ch
    if ch.isprintable() and code_point < 0x10000 and ch != " ":
        return ch
    return f"\\x{{{code_point:x}}}"


# -- replacement strings -----------------------------------------------------------------------------------------
def replacement(java: str, regex: Regex) -> tuple[str, str | None]:
    """Java's replacement string (`$1`, `${name}`, `\\$`) as RE2's rewrite (`\\1`, `\\\\`).

    Returns (rewrite, error): `error` is Java's complaint when it rejects the replacement (an illegal group
    reference, a trailing backslash); Spark raises it for a value where the pattern matches.
    """
    out: list[str] = []
    i = 0
    while i < len(java):
        ch = java[i]
        if ch == "\\":
            i += 1
            if i >= len(java):
                return "", "character to be escaped is missing"
            out.append("\\\\" if java[i] == "\\" else java[i])
            i += 1
        elif ch == "$":
            i += 1
            if i >= len(java):
                return "", "Illegal group reference: group index is missing"
            if java[i] == "{":
                end = java.find("}", i)
                name = java[i + 1 : end] if end > 0 else ""
                if not name or not name[0].isalpha() or not name.isalnum():
                    return "", "named capturing group is missing trailing '}'"
                if name not in regex.names:
                    return "", f"No group with name {{{name}}}"
                number = regex.names[name]
                i = end + 1
            else:
                if not java[i].isdigit():
                    return "", "Illegal group reference"
                number = int(java[i])
                if number > regex.groups:
                    return "", f"No group {number}"
                i += 1
                while i < len(java) and java[i].isdigit() and number * 10 + int(java[i]) <= regex.groups:
                    number = number * 10 + int(java[i])
                    i += 1
            if number > 9:
                raise Unsupported(f"a reference to group {number} in the replacement (RE2 names groups 0 to 9)")
            out.append(f"\\{number}")
        else:
            out.append(ch)
            i += 1
    return "".join(out), None
