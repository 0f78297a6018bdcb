"""Spark's datetime patterns (Java's DateTimeFormatter letters) as DuckDB expressions.

`formatted` writes a wall-clock time with a pattern (date_format, from_unixtime): strftime where a letter has a
strftime equal, an expression where not (quarters, eras, `k`, fractions of any width, offsets `X`/`x`/`Z`/`O`,
zone IDs); `parsed` reads text with a pattern (to_date, to_timestamp, unix_timestamp) through one regular expression
built from the pattern, with Java's widths (`yyyy` four digits, `M` one or more, `SSS` one to three), case-
insensitive names, and STRICT resolution (no February 30). A letter Spark rejects (`Y`, `w`, `u`, `EEEEE`, an
unquoted `T`) or one lakeloader cannot express is refused with the pattern named.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sqlglot import exp

from lakeloader.sql.context import call, when
from lakeloader.sql.runtime import macro

_MONTHS = "january february march april may june july august september october november december".split()  # noqa: SIM905
_WEEK_BASED = set("YwWeuc")  # Spark 3+ refuses week-based letters and 'u' in patterns
_RESERVED = set("#{}")


class PatternError(Exception):
    """A pattern Spark refuses, or one lakeloader cannot compute; the message says which letter."""


@dataclass(frozen=True)
class Token:
    letter: str  # "" for literal text
    count: int = 0
    text: str = ""


def tokens(pattern: str) -> list[Token]:
    """The pattern as Java's DateTimeFormatterBuilder.appendPattern reads it: runs of one letter, quoted text
    ('' is a quote), other characters as themselves; optional sections are refused."""
    found: list[Token] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c.isascii() and c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            found.append(Token(c, j - i))
            i = j
        elif c == "'":
            j, text = i + 1, ""
            while True:
                if j >= len(pattern):
                    raise PatternError(f"pattern {pattern!r}: a quote is not closed")
                if pattern[j] == "'":
                    if j + 1 < len(pattern) and pattern[j + 1] == "'":
                        text, j = text + "'", j + 2
                        continue
                    break
                text, j = text + pattern[j], j + 1
            found.append(Token("", 0, text if j > i + 1 else "'"))
            i = j + 1
        elif c in _RESERVED or c in "[]":
            raise PatternError(
                f"pattern {pattern!r}: '{c}' (optional sections and reserved characters) is not supported"
            )
        else:
            found.append(Token("", 0, c))
            i += 1
    for t in found:
        if t.letter in _WEEK_BASED:
            raise PatternError(f"pattern {pattern!r}: Spark 3+ does not take '{t.letter}' (week-based fields)")
    return found


# -- the pattern's text ------------------------------------------------------------------------------------------
@functools.cache
def _splits_doubled_quotes() -> bool:
    """Does the SQL parser read 'a''b' as two literals (Spark 4 reads one: a'b)?"""
    from lakeloader.sql.translate import parse

    found = parse("SELECT 'a''b'")
    return isinstance(found, exp.Select) and isinstance(found.expressions[0], exp.Concat)


@functools.cache
def _converts_patterns() -> bool:
    """Does the SQL parser turn date_format's pattern into strftime codes (sqlglot does: yyyy becomes %Y)?"""
    from lakeloader.sql.translate import parse

    found = parse("SELECT date_format(x, 'yyyy')")
    fmt = found.find(exp.TimeToStr)
    return fmt is not None and fmt.args["format"].name != "yyyy"


def pattern_text(node: exp.Expr | None, *, converted: bool = True) -> str | None:
    """The Spark pattern a format argument holds: a string literal (translated back from the strftime codes the
    parser made of it, when `converted`), or adjacent literals written with doubled quotes; None when the
    pattern is not a literal."""
    from sqlglot.dialects.databricks import Databricks
    from sqlglot.time import format_time

    if isinstance(node, exp.Literal) and node.is_string:
        text = node.name
        if converted and _converts_patterns() and "%" in text:
            text = text.replace("%y%Y", "yyy").replace("%Y%Y", "yyyyy")  # runs of y the parser split up
            text = str(format_time(text, Databricks.INVERSE_TIME_MAPPING, Databricks.INVERSE_TIME_TRIE))
        return text
    if isinstance(node, exp.Concat) and all(isinstance(p, exp.Literal) and p.is_string for p in node.expressions):
        glue = "'" if _splits_doubled_quotes() else ""
        return glue.join(p.name for p in node.expressions)
    return None


# -- formatting ---------------------------------------------------------------------------------------------------
def _text(value: exp.Expr) -> exp.Expr:
    return exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))


def _padded(value: exp.Expr, width: int) -> exp.Expr:
    """An integer with at least `width` digits (zeros in front; never cut, as Java pads)."""
    return call("printf", exp.Literal.string(f"%0{width}d"), exp.Cast(this=value, to=exp.DataType.build("BIGINT")))


def _part(name: str, local: exp.Expr) -> exp.Expr:
    return call(name, local.copy())


def _offset_text(seconds: exp.Expr, *, minutes: str, colon: bool, secs: bool, zero: str | None) -> exp.Expr:
    """An offset as Java prints it: +HH, then minutes ('always' or 'nonzero'), seconds when not zero and `secs`;
    `zero`: the text for a zero offset (None: the digits)."""
    sep = exp.Literal.string(":" if colon else "")
    sign = when(
        exp.LT(this=seconds.copy(), expression=exp.Literal.number(0)), exp.Literal.string("-"), exp.Literal.string("+")
    )
    total = call("abs", seconds.copy())
    hours = _padded(exp.IntDiv(this=total, expression=exp.Literal.number(3600)), 2)
    mins_value = exp.IntDiv(
        this=exp.Mod(this=total.copy(), expression=exp.Literal.number(3600)), expression=exp.Literal.number(60)
    )
    mins: exp.Expr = exp.DPipe(this=sep.copy(), expression=_padded(mins_value, 2))
    if minutes == "nonzero":
        mins = when(exp.EQ(this=mins_value.copy(), expression=exp.Literal.number(0)), exp.Literal.string(""), mins)
    text: exp.Expr = exp.DPipe(this=exp.DPipe(this=sign, expression=hours), expression=mins)
    if secs:
        secs_value = exp.Mod(this=total.copy(), expression=exp.Literal.number(60))
        secs_text = exp.DPipe(this=sep.copy(), expression=_padded(secs_value, 2))
        text = exp.DPipe(
            this=text,
            expression=when(
                exp.EQ(this=secs_value.copy(), expression=exp.Literal.number(0)), exp.Literal.string(""), secs_text
            ),
        )
    if zero is None:
        return text
    return when(exp.EQ(this=seconds.copy(), expression=exp.Literal.number(0)), exp.Literal.string(zero), text)


def _gmt_text(seconds: exp.Expr, *, full: bool) -> exp.Expr:
    """`O` (GMT+1, GMT+5:30) and `OOOO`/`ZZZZ` (GMT+01:00); GMT alone for zero."""
    if full:
        inner = _offset_text(seconds, minutes="always", colon=True, secs=True, zero=None)
    else:
        sign = when(
            exp.LT(this=seconds.copy(), expression=exp.Literal.number(0)),
            exp.Literal.string("-"),
            exp.Literal.string("+"),
        )
        total = call("abs", seconds.copy())
        hours = _text(exp.IntDiv(this=total, expression=exp.Literal.number(3600)))
        mins_value = exp.IntDiv(
            this=exp.Mod(this=total.copy(), expression=exp.Literal.number(3600)), expression=exp.Literal.number(60)
        )
        mins = when(
            exp.EQ(this=mins_value, expression=exp.Literal.number(0)),
            exp.Literal.string(""),
            exp.DPipe(this=exp.Literal.string(":"), expression=_padded(mins_value.copy(), 2)),
        )
        inner = exp.DPipe(this=exp.DPipe(this=sign, expression=hours), expression=mins)
    gmt = exp.DPipe(this=exp.Literal.string("GMT"), expression=inner)
    return when(exp.EQ(this=seconds.copy(), expression=exp.Literal.number(0)), exp.Literal.string("GMT"), gmt)


@dataclass(frozen=True)
class Zone:
    """What offsets and zone names print for the value being formatted."""

    offset_seconds: exp.Expr  # the value's offset from UTC in the session zone
    name: str  # the session zone as Spark names it (VV)


# Offset letters X and x, by count: (minutes shown, colon, seconds shown), as java.time writes them.
_OFFSET_FORMS = {
    1: ("nonzero", False, False),
    2: ("always", False, False),
    3: ("always", True, False),
    4: ("always", False, True),
    5: ("always", True, True),
}


def _field(t: Token, local: exp.Expr, zone: Zone, pattern: str) -> str | exp.Expr:
    """One letter run: a strftime code (str) or an expression."""
    c, n = t.letter, t.count

    def bad() -> PatternError:
        return PatternError(f"pattern {pattern!r}: '{c * n}' is not a datetime pattern Spark takes")

    simple = {
        ("M", 1): "%-m",
        ("M", 2): "%m",
        ("M", 3): "%b",
        ("M", 4): "%B",
        ("L", 1): "%-m",
        ("L", 2): "%m",
        ("L", 3): "%b",
        ("L", 4): "%B",
        ("d", 1): "%-d",
        ("d", 2): "%d",
        ("D", 1): "%-j",
        ("D", 3): "%j",
        ("E", 1): "%a",
        ("E", 2): "%a",
        ("E", 3): "%a",
        ("E", 4): "%A",
        ("a", 1): "%p",
        ("h", 1): "%-I",
        ("h", 2): "%I",
        ("H", 1): "%-H",
        ("H", 2): "%H",
        ("m", 1): "%-M",
        ("m", 2): "%M",
        ("s", 1): "%-S",
        ("s", 2): "%S",
        ("y", 2): "%y",
    }
    if (c, n) in simple:
        return simple[(c, n)]
    year = _part("year", local)
    if c == "y":
        return _text(year) if n == 1 else _padded(year, n)
    if c == "G" and n <= 5:
        names = {1: ("AD", "BC"), 4: ("Anno Domini", "Before Christ"), 5: ("A", "B")}[n if n in (4, 5) else 1]
        return when(
            exp.GT(this=year, expression=exp.Literal.number(0)),
            exp.Literal.string(names[0]),
            exp.Literal.string(names[1]),
        )
    if c == "D" and n == 2:
        return _padded(_part("dayofyear", local), 2)
    if c in "Qq" and n <= 4:
        quarter = _part("quarter", local)
        if n == 1:
            return _text(quarter)
        if n == 2:
            return _padded(quarter, 2)
        if n == 3:
            return exp.DPipe(this=exp.Literal.string("Q"), expression=_text(quarter))
        ordinal = exp.Case(
            ifs=[
                exp.If(
                    this=exp.EQ(this=quarter.copy(), expression=exp.Literal.number(i)),
                    true=exp.Literal.string(f"{w} quarter"),
                )
                for i, w in enumerate(("1st", "2nd", "3rd", "4th"), 1)
            ]
        )
        return ordinal
    if c == "F" and n == 1:
        week = exp.Add(
            this=exp.IntDiv(
                this=exp.Paren(this=exp.Sub(this=_part("day", local), expression=exp.Literal.number(1))),
                expression=exp.Literal.number(7),
            ),
            expression=exp.Literal.number(1),
        )
        return _text(week)
    hour = _part("hour", local)
    if c == "K" and n <= 2:
        return _padded(exp.Mod(this=hour, expression=exp.Literal.number(12)), n)
    if c == "k" and n <= 2:
        return _padded(
            when(exp.EQ(this=hour, expression=exp.Literal.number(0)), exp.Literal.number(24), hour.copy()), n
        )
    if c == "S" and n <= 9:
        micros = exp.Mod(this=_part("microsecond", local), expression=exp.Literal.number(1000000))
        six = _padded(exp.Paren(this=micros), 6)
        if n <= 6:
            return call("left", six, exp.Literal.number(n))
        return exp.DPipe(this=six, expression=exp.Literal.string("0" * (n - 6)))
    offset = zone.offset_seconds
    if c in "Xx" and n <= 5:  # X writes a zero offset as Z, x as +00
        minutes, colon, secs = _OFFSET_FORMS[n]
        return _offset_text(offset, minutes=minutes, colon=colon, secs=secs, zero="Z" if c == "X" else None)
    if c == "Z" and n <= 3:
        return _offset_text(offset, minutes="always", colon=False, secs=False, zero=None)
    if c == "Z" and n == 4:
        return _gmt_text(offset, full=True)
    if c == "Z" and n == 5:
        return _offset_text(offset, minutes="always", colon=True, secs=True, zero="Z")
    if c == "O" and n in (1, 4):
        return _gmt_text(offset, full=n == 4)
    if c == "V" and n == 2:
        return exp.Literal.string(zone.name)
    if c == "z" and n <= 4 and zone.name == "UTC":
        return exp.Literal.string("Coordinated Universal Time" if n == 4 else "UTC")
    if c == "z" and n <= 4:
        raise PatternError(
            f"pattern {pattern!r}: zone names ('{c * n}') are only supported in the UTC session "
            "time zone; use 'XXX' (the offset) or 'VV' (the zone ID)"
        )
    raise bad()


def formatted(local: exp.Expr, pattern: str, zone: Zone) -> exp.Expr:
    """A wall-clock TIMESTAMP written with a Spark pattern (NULL for NULL)."""
    pieces: list[str | exp.Expr] = []
    for t in tokens(pattern):
        piece = _field(t, local, zone, pattern) if t.letter else t.text.replace("%", "%%")
        if isinstance(piece, str) and pieces and isinstance(pieces[-1], str):
            pieces[-1] += piece
        else:
            pieces.append(piece)
    parts: list[exp.Expr] = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(call("strftime", local.copy(), exp.Literal.string(piece)))
        else:
            parts.append(piece)
    if not parts:
        return when(exp.Is(this=local.copy(), expression=exp.Null()), exp.Null(), exp.Literal.string(""))
    result = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part)
    if all(isinstance(p, str) for p in pieces):
        return result
    return when(exp.Is(this=local.copy(), expression=exp.Null()), exp.Null(), result)


# -- parsing ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parsed:
    """Text read with a pattern: the regular expression and what each of its groups holds."""

    regex: str
    fields: tuple[str, ...]  # per group, one of FIELDS

    def has(self, *names: str) -> bool:
        return any(f in self.fields for f in names)


_FIELD_OF = {
    "y": "year",
    "d": "day",
    "D": "doy",
    "H": "hour",
    "h": "hour12",
    "K": "hour11",
    "k": "hour24",
    "m": "minute",
    "s": "second",
    "S": "fraction",
    "a": "ampm",
}


def _numeric(n: int, *, single: str = "[0-9]+") -> str:
    return single if n == 1 else f"[0-9]{{{n}}}"


def parser(pattern: str) -> Parsed:
    """The regular expression that reads text as Spark's pattern does, and its groups' fields."""
    regex: list[str] = []
    fields: list[str] = []
    numeric_before = False
    for t in tokens(pattern):
        c, n = t.letter, t.count
        if not c:
            regex.append(re.escape(t.text))
            numeric_before = False
            continue
        group: str | None = None
        field = _FIELD_OF.get(c, c)
        numeric = True
        if c == "y" and n == 2:
            group, field = "[0-9]{2}", "year2"
        elif c == "y":
            group = _numeric(n, single="[0-9]+") if n != 3 else "[0-9]{3,}"
        elif c in "ML" and n <= 2:
            group, field = _numeric(n), "month"
        elif c in "ML" and n in (3, 4):
            names = [m[:3] for m in _MONTHS] if n == 3 else _MONTHS
            group, field, numeric = "|".join(names), "month3" if n == 3 else "month4", False
        elif c in "dHhKkms" and n <= 2:
            group = _numeric(n)
        elif c == "D" and n <= 3:
            group = {1: "[0-9]+", 2: "[0-9]{2,3}", 3: "[0-9]{3}"}[n]
        elif c == "S" and n <= 9:
            group = f"[0-9]{{1,{n}}}"
        elif c == "a" and n == 1:
            group, numeric = "am|pm", False
        elif c in "Xx" and n <= 3:
            body = {1: "[+-][0-9]{2}(?:[0-9]{2})?", 2: "[+-][0-9]{4}", 3: "[+-][0-9]{2}:[0-9]{2}"}[n]
            group, field, numeric = (f"Z|{body}" if c == "X" else body), "offset", False
        elif c == "Z" and n <= 3:
            group, field, numeric = "[+-][0-9]{4}", "offset", False
        elif c == "V" and n == 2:
            group, field, numeric = "[A-Za-z][A-Za-z0-9~/._+-]*", "zone", False
        if group is None:
            raise PatternError(f"pattern {pattern!r}: '{c * n}' is not supported when parsing")
        if numeric and numeric_before and (n == 1 or regex[-1].endswith("+)")):
            raise PatternError(f"pattern {pattern!r}: adjacent numbers of varying width ('{c * n}') are not supported")
        regex.append(f"({group})")
        fields.append(field)
        numeric_before = numeric
    return Parsed("(?i)^" + "".join(regex) + "$", tuple(fields))


FIELDS = (
    "year",
    "year2",
    "month",
    "month3",
    "month4",
    "day",
    "doy",
    "hour",
    "hour12",
    "hour11",
    "hour24",
    "ampm",
    "minute",
    "second",
    "fraction",
    "offset",
    "zone",
)
_SHORT = "[" + ", ".join(f"'{m[:3]}'" for m in _MONTHS) + "]"
_LONG = "[" + ", ".join(f"'{m}'" for m in _MONTHS) + "]"
macro("spark_dt_p_int", "(t) AS CAST(nullif(t, '') AS BIGINT)")
macro(
    "spark_dt_p_year",
    """(p) AS coalesce(spark_dt_p_int(struct_extract(p, 'year')),
    2000 + spark_dt_p_int(struct_extract(p, 'year2')), 1970)""",
)
macro(
    "spark_dt_p_month",
    f"""(p) AS coalesce(spark_dt_p_int(struct_extract(p, 'month')),
    nullif(list_position({_SHORT}, lower(struct_extract(p, 'month3'))), 0),
    nullif(list_position({_LONG}, lower(struct_extract(p, 'month4'))), 0), 1)""",
)
macro(
    "spark_dt_p_pm",
    "(p) AS CASE WHEN lower(struct_extract(p, 'ampm')) = 'pm' THEN 12 ELSE 0 END",
)
macro(
    "spark_dt_p_hour",
    """(p) AS CASE
    WHEN struct_extract(p, 'hour') <> '' THEN CASE WHEN spark_dt_p_int(struct_extract(p, 'hour')) <= 23
        THEN spark_dt_p_int(struct_extract(p, 'hour')) END
    WHEN struct_extract(p, 'hour24') <> '' THEN CASE WHEN spark_dt_p_int(struct_extract(p, 'hour24')) BETWEEN 1 AND 24
        THEN spark_dt_p_int(struct_extract(p, 'hour24')) % 24 END
    WHEN struct_extract(p, 'hour12') <> '' THEN CASE WHEN spark_dt_p_int(struct_extract(p, 'hour12')) BETWEEN 1 AND 12
        THEN spark_dt_p_int(struct_extract(p, 'hour12')) % 12 + spark_dt_p_pm(p) END
    WHEN struct_extract(p, 'hour11') <> '' THEN CASE WHEN spark_dt_p_int(struct_extract(p, 'hour11')) <= 11
        THEN spark_dt_p_int(struct_extract(p, 'hour11')) + spark_dt_p_pm(p) END
    ELSE spark_dt_p_pm(p) END""",
)
macro(
    "spark_dt_p_date",
    """(p) AS CASE WHEN struct_extract(p, 'doy') <> '' THEN
        CASE WHEN spark_dt_p_int(struct_extract(p, 'doy')) BETWEEN 1
            AND dayofyear(make_date(spark_dt_p_year(p), 12, 31))
        THEN make_date(spark_dt_p_year(p), 1, 1) + CAST(spark_dt_p_int(struct_extract(p, 'doy')) - 1 AS INTEGER) END
    ELSE spark_dt_ymd(spark_dt_p_year(p), spark_dt_p_month(p), coalesce(spark_dt_p_int(struct_extract(p, 'day')), 1))
    END""",
)
macro(
    "spark_dt_p_local",
    """(p) AS spark_dt_local_time(spark_dt_p_date(p), spark_dt_p_hour(p),
    coalesce(spark_dt_p_int(struct_extract(p, 'minute')), 0), coalesce(spark_dt_p_int(struct_extract(p, 'second')), 0),
    CAST(rpad(left(struct_extract(p, 'fraction'), 6), 6, '0') AS BIGINT))""",
)
macro(
    "spark_dt_p_instant",
    """(p, zone) AS list_transform([spark_dt_p_local(p)], lambda spark_l: CASE
    WHEN struct_extract(p, 'offset') <> '' THEN timezone('UTC', spark_l - to_seconds(CASE
        WHEN upper(struct_extract(p, 'offset')) = 'Z' THEN 0
        ELSE spark_dt_offset_digits(struct_extract(p, 'offset')[1], replace(struct_extract(p, 'offset')[2:], ':', ''))
        END))
    WHEN struct_extract(p, 'zone') <> '' THEN CASE WHEN spark_dt_zone_region(struct_extract(p, 'zone')) IS NOT NULL
        THEN spark_dt_instant(spark_l, struct_extract(p, 'zone')) END
    ELSE spark_dt_instant(spark_l, zone) END)[1]""",
)
macro(
    "spark_dt_parse_local",
    """(t, regex, names) AS CASE WHEN regexp_matches(t, regex)
    THEN list_transform([regexp_extract(t, regex, names)], lambda spark_p: spark_dt_p_local(spark_p))[1] END""",
)
macro(
    "spark_dt_parse_instant",
    """(t, regex, names, zone) AS CASE WHEN regexp_matches(t, regex)
    THEN list_transform([regexp_extract(t, regex, names)], lambda spark_p: spark_dt_p_instant(spark_p, zone))[1] END""",
)


def parse_call(text: exp.Expr, pattern: str, *, zone: exp.Expr | None) -> exp.Expr:
    """`text` read with `pattern`: a wall-clock TIMESTAMP (`zone` None), or the instant it names (an offset or
    zone in the text, else `zone`); NULL when it does not match or names no valid time."""
    found = parser(pattern)
    if len(set(found.fields)) != len(found.fields):
        raise PatternError(f"pattern {pattern!r}: a field twice is not supported")
    absent = [f for f in FIELDS if f not in found.fields]
    regex = found.regex.replace("(?i)^", "(?i)^" + "()" * len(absent), 1)
    names = exp.Array(expressions=[exp.Literal.string(f) for f in absent + list(found.fields)])
    if zone is None:
        return call("spark_dt_parse_local", text, exp.Literal.string(regex), names)
    return call("spark_dt_parse_instant", text, exp.Literal.string(regex), names, zone)


def has_zone(pattern: str) -> bool:
    return bool({"offset", "zone"} & set(parser(pattern).fields))
