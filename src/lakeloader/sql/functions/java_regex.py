"""Java's regular expressions (what Spark's regexp functions and RLIKE take) written as RE2's (what DuckDB runs).

The two dialects share most syntax but not all meanings: Java's `.` stops at five line terminators (RE2's at
`\\n` only), its `\\s` includes `\\x0B`, its `$` also matches before a final line terminator, its `(?i)` folds
ASCII letters only, and its replacement strings say `$1` where RE2's say `\\1`. A pattern is parsed into a small
tree and written out with Java's meaning; what RE2 cannot do (backreferences, lookaround, possessive and atomic
groups, `\\G`, `(?m)`, class intersections) is refused naming the construct, and a pattern Java itself rejects
is reported as Spark reports it, at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

MAX_CODE_POINT = 0x10FFFF
LINE_TERMINATORS = ("\n", "\r", "\x85", "\u2028", "\u2029")
_RE2_MAX_REPEAT = 1000


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
            breaks = _class_text(CharClass(_ranges(self._breaks())))
            terminator_text = r"\n" if self.unix_lines else rf"\r\n|{breaks}"
            return f"(?:{_emit(body, self)})({terminator_text})?\\z", True
        if _has_end_anchor(tree):
            raise Unsupported("`$` other than at the end of the pattern (write \\z for the end of the text)")
        return _emit(tree, self), False

    def _breaks(self) -> tuple[str, ...]:
        return ("\n",) if self.unix_lines else LINE_TERMINATORS


# -- parsing -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Flags:
    ignore_case: bool = False
    dotall: bool = False
    multiline: bool = False
    comments: bool = False
    unix_lines: bool = False


_ASCII_DIGIT: Ranges = ((0x30, 0x39),)
_ASCII_WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_JAVA_SPACE: Ranges = ((0x09, 0x0D), (0x20, 0x20))  # [ \t\n\x0B\f\r]
_HORIZONTAL: Ranges = (
    (0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x180E, 0x180E), (0x2000, 0x200A),
    (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
_VERTICAL: Ranges = ((0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029))
_POSIX: dict[str, Ranges] = {  # Java's \p{Lower} etc.: US-ASCII only
    "Lower": ((0x61, 0x7A),),
    "Upper": ((0x41, 0x5A),),
    "ASCII": ((0x00, 0x7F),),
    "Alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "Digit": _ASCII_DIGIT,
    "Alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "Punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "Graph": ((0x21, 0x7E),),
    "Print": ((0x20, 0x7E),),
    "Blank": ((0x09, 0x09), (0x20, 0x20)),
    "Cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "XDigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
    "Space": _JAVA_SPACE,
}
_CATEGORIES = {  # Unicode general categories, as RE2 names them
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Co", "Cs",
}  # fmt: skip
_SCRIPTS = {
    "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Devanagari", "Bengali", "Thai", "Georgian",
    "Hangul", "Hiragana", "Katakana", "Han", "Common", "Inherited",
}  # fmt: skip
_ESCAPED_CHARS = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\a", "e": "\x1b"}
_META = set("\\^$.|?*+()[]{}")


def parse(pattern: str) -> Regex:
    """Parse a Java pattern; `Invalid` when Java rejects it, `Unsupported` when RE2 cannot run it."""
    parser = _Parser(pattern)
    tree = parser.parse()
    return Regex(pattern, tree, parser.groups, dict(parser.names), parser.unix_lines)


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.i = 0
        self.groups = 0
        self.names: dict[str, int] = {}
        self.unix_lines = False

    # helpers
    def _peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.text[j] if j < len(self.text) else ""

    def _eat(self, literal: str) -> bool:
        if self.text.startswith(literal, self.i):
            self.i += len(literal)
            return True
        return False

    def _invalid(self, what: str) -> Invalid:
        return Invalid(f"{what} near index {self.i}")

    def parse(self) -> Node:
        node = self._alternation(_Flags())
        if self.i < len(self.text):
            raise self._invalid("unmatched closing ')'")
        return node

    def _alternation(self, flags: _Flags) -> Node:
        branches = []
        while True:
            branch, flags = self._sequence(flags)
            branches.append(branch)
            if not self._eat("|"):
                break
        return branches[0] if len(branches) == 1 else Alternation(tuple(branches))

    def _sequence(self, flags: _Flags) -> tuple[Node, _Flags]:
        items: list[Node] = []
        while self.i < len(self.text) and self._peek() not in "|)":
            if flags.comments and self._skip_comment():
                continue
            atom, flags = self._atom(flags)
            if isinstance(atom, Sequence):  # \Q...\E: a quantifier after it applies to its last character
                items.extend(atom.items[:-1])
                atom = atom.items[-1] if atom.items else None
            if atom is None:
                continue
            items.append(self._quantified(atom, flags))
        return Sequence(tuple(items)), flags

    def _skip_comment(self) -> bool:
        ch = self._peek()
        if ch and ch in " \t\n\x0b\f\r":
            self.i += 1
            return True
        if ch == "#":
            while self.i < len(self.text) and self.text[self.i] not in "\n\r":
                self.i += 1
            return True
        return False

    def _quantified(self, atom: Node, flags: _Flags) -> Node:
        while True:
            if flags.comments:
                while self._skip_comment():
                    pass
            ch = self._peek()
            if ch in ("*", "+", "?"):
                self.i += 1
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
            elif ch == "{":
                bounds = self._bounds()
                if bounds is None:
                    return atom
                low, high = bounds
            else:
                return atom
            lazy = self._eat("?")
            if self._peek() == "+":
                raise Unsupported("a possessive quantifier (`*+`, `++`, `?+`, `{n}+`); drop the last `+`")
            if (high if high is not None else low) > _RE2_MAX_REPEAT:
                raise Unsupported(f"a repetition count over {_RE2_MAX_REPEAT} (RE2's limit)")
            atom = Repeat(atom, low, high, lazy)

    def _bounds(self) -> tuple[int, int | None] | None:
        start = self.i
        self.i += 1
        digits = ""
        while self._peek().isdigit():
            digits += self._peek()
            self.i += 1
        if not digits:
            raise self._invalid("illegal repetition")
        low = int(digits)
        high: int | None = low
        if self._eat(","):
            more = ""
            while self._peek().isdigit():
                more += self._peek()
                self.i += 1
            high = int(more) if more else None
        if not self._eat("}"):
            self.i = start
            raise self._invalid("unclosed counted closure")
        if high is not None and high < low:
            raise self._invalid("illegal repetition range")
        return low, high

    def _atom(self, flags: _Flags) -> tuple[Node | None, _Flags]:
        ch = self._peek()
        if ch == "(":
            return self._group(flags)
        if ch in "*+?":
            raise self._invalid(f"dangling meta character '{ch}'")
        if ch == "{":
            raise self._invalid("illegal repetition")
        self.i += 1
        if ch == ".":
            if flags.dotall:
                return CharClass(((0, MAX_CODE_POINT),)), flags
            breaks = ("\n",) if flags.unix_lines else LINE_TERMINATORS
            return CharClass(_ranges(breaks), negated=True), flags
        if ch == "^":
            if flags.multiline:
                raise Unsupported("`^` in multiline mode (?m) (Java's line terminators are not RE2's)")
            return Anchor("start"), flags
        if ch == "$":
            if flags.multiline:
                raise Unsupported("`$` in multiline mode (?m) (Java's line terminators are not RE2's)")
            self.unix_lines = self.unix_lines or flags.unix_lines
            return Anchor("end_or_final_break"), flags
        if ch == "[":
            return self._fold(self._class(flags), flags), flags
        if ch == "\\":
            return self._fold(self._escape(flags, in_class=False), flags), flags
        return self._fold(_char(ord(ch) if not _is_high_surrogate(ch) else self._pair(ch)), flags), flags

    def _pair(self, high: str) -> int:
        low = self._peek()
        if low and 0xDC00 <= ord(low) <= 0xDFFF:
            self.i += 1
            return 0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00)
        return ord(high)

    def _fold(self, node: Node, flags: _Flags) -> Node:
        """Java's (?i) without (?u): ASCII letters match either case, nothing else changes."""
        if not flags.ignore_case or not isinstance(node, CharClass):
            return node
        if node.properties:
            raise Unsupported("a Unicode property (\\p{...}) under case-insensitive matching (?i)")
        return replace(node, ranges=_ascii_folded(node.ranges))

    def _group(self, flags: _Flags) -> tuple[Node | None, _Flags]:
        self.i += 1  # (
        if self._eat("?"):
            if self._eat(":"):
                body = self._alternation(flags)
                self._close()
                return Group(body, None), flags
            for opener, what in (("=", "lookahead (?=...)"), ("!", "negative lookahead (?!...)"),
                                 ("<=", "lookbehind (?<=...)"), ("<!", "negative lookbehind (?<!...)"),
                                 (">", "an atomic group (?>...)")):  # fmt: skip
                if self._eat(opener):
                    raise Unsupported(what)
            if self._eat("<"):
                name = ""
                while self._peek().isalnum():
                    name += self._peek()
                    self.i += 1
                if not name or not name[0].isalpha() or not self._eat(">"):
                    raise self._invalid("named capturing group is missing trailing '>'")
                if name in self.names:
                    raise self._invalid(f"named capturing group <{name}> is already defined")
                self.groups += 1
                number = self.groups
                self.names[name] = number
                body = self._alternation(flags)
                self._close()
                return Group(body, number, name), flags
            return self._flag_group(flags)
        self.groups += 1
        number = self.groups
        body = self._alternation(flags)
        self._close()
        return Group(body, number), flags

    def _flag_group(self, flags: _Flags) -> tuple[Node | None, _Flags]:
        on = True
        new = flags
        while True:
            ch = self._peek()
            self.i += 1
            if ch == "-":
                on = False
            elif ch == "i":
                new = replace(new, ignore_case=on)
            elif ch == "s":
                new = replace(new, dotall=on)
            elif ch == "m":
                new = replace(new, multiline=on)
            elif ch == "x":
                new = replace(new, comments=on)
            elif ch == "d":
                new = replace(new, unix_lines=on)
            elif ch == "u":
                if on:
                    raise Unsupported("Unicode case folding (?u)")
            elif ch == "U":
                if on:
                    raise Unsupported("Unicode character classes (?U)")
            elif ch == ")":
                return None, new  # (?i) applies to the rest of the enclosing group
            elif ch == ":":
                body = self._alternation(new)
                self._close()
                return Group(body, None), flags
            else:
                self.i -= 1
                raise self._invalid("unknown inline modifier")

    def _close(self) -> None:
        if not self._eat(")"):
            raise self._invalid("unclosed group")

    def _escape(self, flags: _Flags, *, in_class: bool) -> Node:
        ch = self._peek()
        if not ch:
            raise self._invalid("unexpected internal error (a trailing backslash)")
        self.i += 1
        if ch in _ESCAPED_CHARS:
            return _char(ord(_ESCAPED_CHARS[ch]))
        if ch == "d":
            return CharClass(_ASCII_DIGIT)
        if ch == "D":
            return CharClass(_ASCII_DIGIT, negated=True)
        if ch == "w":
            return CharClass(_ASCII_WORD)
        if ch == "W":
            return CharClass(_ASCII_WORD, negated=True)
        if ch == "s":
            return CharClass(_JAVA_SPACE)
        if ch == "S":
            return CharClass(_JAVA_SPACE, negated=True)
        if ch == "h":
            return CharClass(_HORIZONTAL)
        if ch == "H":
            return CharClass(_HORIZONTAL, negated=True)
        if ch == "v":
            return CharClass(_VERTICAL)
        if ch == "V":
            return CharClass(_VERTICAL, negated=True)
        if ch in "pP":
            return self._property(negated=ch == "P")
        if ch == "x":
            return _char(self._hex_escape())
        if ch == "u":
            return _char(self._unicode_escape())
        if ch == "0":
            return _char(self._octal())
        if ch == "c":
            control = self._peek()
            if not control:
                raise self._invalid("illegal control escape sequence")
            self.i += 1
            return _char(ord(control) ^ 64)
        if ch == "Q":
            end = self.text.find("\\E", self.i)
            quoted = self.text[self.i : end if end >= 0 else len(self.text)]
            self.i = end + 2 if end >= 0 else len(self.text)
            chars = tuple(self._fold(_char(ord(c)), flags) for c in quoted)
            if in_class:
                raise Unsupported("\\Q...\\E inside a character class")
            return Sequence(chars)
        if in_class:
            if ch.isalnum():
                raise self._invalid_escape(ch)
            return _char(ord(ch))
        if ch == "b":
            if self._peek() == "{":
                raise Unsupported("\\b{g} (grapheme cluster boundaries)")
            return Anchor("boundary")
        if ch == "B":
            return Anchor("not_boundary")
        if ch == "A":
            return Anchor("text_start")
        if ch == "z":
            return Anchor("text_end")
        if ch == "Z":
            self.unix_lines = self.unix_lines or flags.unix_lines
            return Anchor("end_or_final_break")
        if ch == "G":
            raise Unsupported("\\G (the end of the previous match)")
        if ch == "R":
            return Alternation((Sequence((_char(13), _char(10))), CharClass(_VERTICAL)))
        if ch == "X":
            raise Unsupported("\\X (a grapheme cluster)")
        if ch == "N":
            raise Unsupported("\\N{name} (a character by its name); write the character or \\x{...}")
        if ch.isdigit():
            raise Unsupported(f"the backreference \\{ch}")
        if ch == "k":
            raise Unsupported("a named backreference \\k<name>")
        if ch.isalpha():
            raise self._invalid_escape(ch)
        return _char(ord(ch))

    def _invalid_escape(self, ch: str) -> Invalid:
        return Invalid(f"illegal/unsupported escape sequence \\{ch} near index {self.i}")

    def _hex_escape(self) -> int:
        if self._eat("{"):
            end = self.text.find("}", self.i)
            digits = self.text[self.i : end] if end >= 0 else ""
            if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise self._invalid("illegal hexadecimal escape sequence")
            self.i = end + 1
            value = int(digits, 16)
            if value > MAX_CODE_POINT:
                raise self._invalid("hexadecimal codepoint is too big")
            return value
        digits = self.text[self.i : self.i + 2]
        if len(digits) < 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self._invalid("illegal hexadecimal escape sequence")
        self.i += 2
        return int(digits, 16)

    def _unicode_escape(self) -> int:
        digits = self.text[self.i : self.i + 4]
        if len(digits) < 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self._invalid("illegal Unicode escape sequence")
        self.i += 4
        value = int(digits, 16)
        if 0xD800 <= value <= 0xDBFF and self.text.startswith("\\u", self.i):
            low_digits = self.text[self.i + 2 : self.i + 6]
            if len(low_digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in low_digits):
                low = int(low_digits, 16)
                if 0xDC00 <= low <= 0xDFFF:
                    self.i += 6
                    return 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        return value

    def _octal(self) -> int:
        digits = ""
        while len(digits) < 3 and self._peek() in "01234567" and self._peek():
            candidate = digits + self._peek()
            if int(candidate, 8) > 0o377:
                break
            digits = candidate
            self.i += 1
        if not digits:
            raise self._invalid("illegal octal escape sequence")
        return int(digits, 8)

    def _property(self, *, negated: bool) -> CharClass:
        if self._eat("{"):
            end = self.text.find("}", self.i)
            if end < 0:
                raise self._invalid("unclosed character family")
            name = self.text[self.i : end]
            self.i = end + 1
        else:
            name = self._peek()
            if not name:
                raise self._invalid("illegal character family escape")
            self.i += 1
        if name.startswith("Is") and name[2:] in _POSIX:
            name = name[2:]
        if name in _POSIX:
            return CharClass(_POSIX[name], negated=negated)
        bare = name[2:] if name.startswith("Is") else name
        bare = bare[len("general_category=") :] if bare.startswith("general_category=") else bare
        bare = bare[3:] if bare.startswith("gc=") else bare
        if bare in _CATEGORIES:
            return CharClass((), (f"\\{'P' if negated else 'p'}{{{bare}}}",))
        script = bare[len("script=") :] if bare.startswith("script=") else bare
        script = script[3:] if script.startswith("sc=") else script
        if script.capitalize() in _SCRIPTS and (name.startswith("Is") or "=" in name):
            return CharClass((), (f"\\{'P' if negated else 'p'}{{{script.capitalize()}}}",))
        raise Unsupported(f"the character property \\p{{{name}}}")

    def _class(self, flags: _Flags) -> CharClass:
        """`[...]`: ranges, escapes, nested classes (a union); `&&` intersections are refused."""
        negated = self._eat("^")
        ranges: list[tuple[int, int]] = []
        properties: list[str] = []
        first = True
        while True:
            if self.i >= len(self.text):
                raise self._invalid("unclosed character class")
            if flags.comments and self._peek() in " \t\n\x0b\f\r":
                self.i += 1
                continue
            ch = self._peek()
            if ch == "]" and not first:
                self.i += 1
                break
            first = False
            if self._eat("&&"):
                raise Unsupported("a character class intersection (&&)")
            if ch == "[":
                self.i += 1
                if negated:
                    raise Unsupported("a character class nested in a negated class")
                inner = self._class(flags)
                if inner.negated:
                    inner = _negate(inner)
                ranges += inner.ranges
                properties += inner.properties
                continue
            low = self._class_atom(flags)
            if isinstance(low, CharClass):
                item = _negate(low) if low.negated else low
                ranges += item.ranges
                properties += item.properties
                continue
            if self._peek() == "-" and self._peek(1) not in ("]", "") and self._peek(1) != "[":
                self.i += 1
                high = self._class_atom(flags)
                if isinstance(high, CharClass):
                    raise self._invalid("illegal character range")
                if high < low:
                    raise self._invalid("illegal character range")
                ranges.append((low, high))
            else:
                ranges.append((low, low))
        return CharClass(_merge(ranges), tuple(properties), negated)

    def _class_atom(self, flags: _Flags) -> int | CharClass:
        ch = self._peek()
        self.i += 1
        if ch == "\\":
            node = self._escape(flags, in_class=True)
            if isinstance(node, CharClass) and len(node.ranges) == 1 and not node.properties and not node.negated:
                low, high = node.ranges[0]
                if low == high and self._single(node):
                    return low
            if isinstance(node, CharClass):
                return node
            raise Unsupported("this escape inside a character class")
        if _is_high_surrogate(ch):
            return self._pair(ch)
        return ord(ch)

    @staticmethod
    def _single(node: CharClass) -> bool:
        return node.ranges[0][0] == node.ranges[0][1]


# -- class arithmetic --------------------------------------------------------------------------------------------
def _char(code_point: int) -> CharClass:
    return CharClass(((code_point, code_point),))


def _is_high_surrogate(ch: str) -> bool:
    return 0xD800 <= ord(ch) <= 0xDBFF


def _ranges(chars: tuple[str, ...]) -> Ranges:
    return _merge([(ord(c), ord(c)) for c in chars])


def _merge(ranges: list[tuple[int, int]] | Ranges) -> Ranges:
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
    for low, high in _merge(ranges):
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= MAX_CODE_POINT:
        out.append((start, MAX_CODE_POINT))
    return tuple(out)


def _negate(node: CharClass) -> CharClass:
    """A negated class as a plain one (only for classes without properties, which RE2 can nest)."""
    if node.properties:
        if not node.ranges and len(node.properties) == 1:
            prop = node.properties[0]
            flipped = prop.replace("\\p", "\\P") if prop.startswith("\\p") else prop.replace("\\P", "\\p")
            return CharClass((), (flipped,), not node.negated)
        raise Unsupported("a negated class with a Unicode property inside another class")
    return CharClass(_complement(node.ranges), (), False)


def _ascii_folded(ranges: Ranges) -> Ranges:
    extra = []
    for low, high in ranges:
        for a, b, shift in ((0x61, 0x7A, -32), (0x41, 0x5A, 32)):
            lo, hi = max(low, a), min(high, b)
            if lo <= hi:
                extra.append((lo + shift, hi + shift))
    return _merge(list(ranges) + extra)


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
        return rf"(?:\r\n|{_class_text(CharClass(_ranges(LINE_TERMINATORS)))})?\z"
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
