"""Java's regular expression syntax, parsed into the tree of `java_regex_tree` as Java reads it: its escapes,
classes (`\\p{...}`, nested, POSIX), inline flags (`(?i)`, `(?s)`, `(?x)`, `(?d)`), quantifiers and groups. A
pattern Java rejects is `Invalid` with Java's message; a construct RE2 cannot run (backreferences, lookaround,
possessive and atomic groups, `\\G`, `(?m)`, class intersections) is `Unsupported`, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lakeloader.sql.functions.java_regex_tree import (
    LINE_TERMINATORS,
    MAX_CODE_POINT,
    Alternation,
    Anchor,
    CharClass,
    Group,
    Invalid,
    Node,
    Ranges,
    Repeat,
    Sequence,
    Unsupported,
    ascii_folded,
    char,
    is_high_surrogate,
    merge,
    negate,
    ranges_of,
)

_RE2_MAX_REPEAT = 1000


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


class Parser:
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
            return CharClass(ranges_of(breaks), negated=True), flags
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
        return self._fold(char(ord(ch) if not is_high_surrogate(ch) else self._pair(ch)), flags), flags

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
        return replace(node, ranges=ascii_folded(node.ranges))

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
            return char(ord(_ESCAPED_CHARS[ch]))
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
            return char(self._hex_escape())
        if ch == "u":
            return char(self._unicode_escape())
        if ch == "0":
            return char(self._octal())
        if ch == "c":
            control = self._peek()
            if not control:
                raise self._invalid("illegal control escape sequence")
            self.i += 1
            return char(ord(control) ^ 64)
        if ch == "Q":
            end = self.text.find("\\E", self.i)
            quoted = self.text[self.i : end if end >= 0 else len(self.text)]
            self.i = end + 2 if end >= 0 else len(self.text)
            chars = tuple(self._fold(char(ord(c)), flags) for c in quoted)
            if in_class:
                raise Unsupported("\\Q...\\E inside a character class")
            return Sequence(chars)
        if in_class:
            if ch.isalnum():
                raise self._invalid_escape(ch)
            return char(ord(ch))
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
            return Alternation((Sequence((char(13), char(10))), CharClass(_VERTICAL)))
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
        return char(ord(ch))

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
                    inner = negate(inner)
                ranges += inner.ranges
                properties += inner.properties
                continue
            low = self._class_atom(flags)
            if isinstance(low, CharClass):
                item = negate(low) if low.negated else low
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
        return CharClass(merge(ranges), tuple(properties), negated)

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
        if is_high_surrogate(ch):
            return self._pair(ch)
        return ord(ch)

    @staticmethod
    def _single(node: CharClass) -> bool:
        return node.ranges[0][0] == node.ranges[0][1]
