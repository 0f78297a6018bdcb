"""One predicate of a query, translated into the remote database's SQL exactly — or not at all.

The query runs in DuckDB; a predicate is pushed only when Postgres gives the same answer for every row, so the
rules follow DuckDB's semantics of the parsed query: which literal types meet which column types, how text is
compared (equality always; ordering only under a collation ordering by code point, as DuckDB does), that LIKE
has no escape character unless one is given, that a naive timestamp literal meets a `timestamptz` column in the
session's time zone, that a float4 column meets a literal it can hold exactly, that decimals meet at Databricks'
wider decimal type (a literal or a pair past 38 digits stays local, where Databricks refuses it or overflows).
Postgres' +-infinity dates and timestamps reach DuckDB as 0001-01-01 / 9999-12-31 23:59:59.999999, so only literals
strictly between those agree with both; where such a column groups, is counted distinct or orders rows remotely it
is read through `finite`, which maps them there first. Values are bind parameters (`$n::type`, sent as text);
identifiers are the exact remote names, quoted. A pushed predicate is not evaluated again locally: it is exact, or
it is not pushed.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
from sqlglot import exp

from lakeloader.federation.metadata import ForeignColumn


class NotPushable(Exception):
    """This expression stays local (the reason is the message)."""


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_STAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"(?:\s*(Z|[+-]\d{2}(?::?\d{2})?))?$"
)
_INT_TEXT = re.compile(r"^[+-]?\d+$")
_FIRST_DATE, _LAST_DATE = date(1, 1, 1), date(9999, 12, 31)
_FIRST_STAMP, _LAST_STAMP = datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)
_INT_RANGE = {16: 2**15, 32: 2**31, 64: 2**63}
_INT_DIGITS = {16: 5, 32: 10, 64: 20}  # Databricks' decimal for smallint, int, bigint: decimal(5|10|20, 0)
_MAX_DIGITS = 38  # Databricks' widest decimal
_INFINITE = {  # where the ingest (typemap._clamp_infinity) stores Postgres' infinity and -infinity
    "date": (_LAST_DATE.isoformat(), _FIRST_DATE.isoformat()),
    "timestamp": (_LAST_STAMP.isoformat(sep=" "), _FIRST_STAMP.isoformat(sep=" ")),
    "timestamptz": (_LAST_STAMP.isoformat(sep=" ") + "+00", _FIRST_STAMP.isoformat(sep=" ") + "+00"),
}
_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.NullSafeEQ: "IS NOT DISTINCT FROM",
    exp.NullSafeNEQ: "IS DISTINCT FROM",
}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_EQUALITY = {"=", "<>", "IS NOT DISTINCT FROM", "IS DISTINCT FROM"}


def family(column: ForeignColumn) -> str | None:
    """The comparison family of a column: how its values meet literals in both engines (None: only IS NULL)."""
    t, declared = column.arrow_type, column.declared
    if pa.types.is_integer(t) and declared in ("smallint", "integer", "bigint"):
        return "int"
    if pa.types.is_float64(t) and declared == "double precision":
        return "float8"
    if pa.types.is_float32(t) and declared == "real":
        return "float4"
    if pa.types.is_decimal(t) and declared.startswith("numeric"):
        return "decimal"
    if pa.types.is_boolean(t) and declared == "boolean":
        return "bool"
    if pa.types.is_string(t) and (declared == "text" or declared.startswith("character varying")):
        return "text"
    if pa.types.is_date32(t) and declared == "date":
        return "date"
    if pa.types.is_timestamp(t) and declared.startswith("timestamp"):
        return "timestamptz" if t.tz is not None and "with time zone" in declared else "timestamp"
    return None


def finite(sql: str, fam: str | None) -> str:
    """`sql` (a date or timestamp) with +-infinity mapped to the values the ingest stores for them, for a remote
    GROUP BY, count(DISTINCT) or ORDER BY: locally infinity and a real 9999-12-31 are one value, remotely two."""
    if fam not in _INFINITE:
        return sql
    last, first = _INFINITE[fam]
    return f"(CASE {sql} WHEN 'infinity' THEN '{last}'::{fam} WHEN '-infinity' THEN '{first}'::{fam} ELSE {sql} END)"


@dataclass(frozen=True)
class Literal:
    kind: str  # int | decimal | double | string | bool | date | timestamp | timestamptz
    value: Any


@dataclass(frozen=True)
class Operand:
    """A column (or a tested function of one) in remote SQL, with its family and collation rules."""

    sql: str
    family: str | None
    column: ForeignColumn


class Binder:
    """Collects bind values; `$n::type` placeholders in the order they are bound."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def bind(self, value: str, cast: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{cast}"


Resolver = Callable[[exp.Column], ForeignColumn | None]


def literal(node: exp.Expression) -> Literal | None:
    """The literal `node` stands for, typed as DuckDB types it; None when it is not a literal."""
    if isinstance(node, exp.Paren):
        return literal(node.this)
    if isinstance(node, exp.Neg):
        inner = literal(node.this)
        if inner is None or inner.kind not in ("int", "decimal", "double"):
            return None
        return Literal(inner.kind, -inner.value)
    if isinstance(node, exp.Boolean):
        return Literal("bool", bool(node.this))
    if isinstance(node, exp.Literal):
        text = str(node.this)
        if node.is_string:
            return Literal("string", text)
        if _INT_TEXT.match(text):
            return Literal("int", int(text))
        try:
            if "e" in text.lower():
                return Literal("double", float(text))
            return Literal("decimal", Decimal(text))
        except (ValueError, InvalidOperation):
            return None
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        kind = {
            exp.DataType.Type.DATE: "date",
            exp.DataType.Type.TIMESTAMP: "timestamp",
            exp.DataType.Type.TIMESTAMPNTZ: "timestamp",
            exp.DataType.Type.DATETIME: "timestamp",
            exp.DataType.Type.TIMESTAMPTZ: "timestamptz",
            exp.DataType.Type.TIMESTAMPLTZ: "timestamptz",
        }.get(node.to.this)
        return Literal(kind, str(node.this.this)) if kind else None
    return None


def _stamp(text: str, *, what: str) -> tuple[datetime, bool]:
    """(datetime, has an offset) of a timestamp literal DuckDB would read the same way."""
    m = _STAMP.match(text.strip())
    if not m:
        raise NotPushable(f"{what} {text!r} is not in a form both engines read alike")
    y, mo, d, h, mi, s, frac, offset = m.groups()
    try:
        value = datetime(
            int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), int((frac or "0").ljust(6, "0"))
        )
    except ValueError:
        raise NotPushable(f"{what} {text!r} is not a valid timestamp") from None
    if offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "") if offset != "Z" else "0000"
        shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        value = (value - sign * shift).replace(tzinfo=UTC)
    return value, bool(offset)


def _inside(value: datetime) -> datetime:
    naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if not _FIRST_STAMP < naive < _LAST_STAMP:
        raise NotPushable("a timestamp at the ends of the range (where +-infinity lands) stays local")
    return value


def _zoned(value: datetime, timezone: str | None) -> datetime:
    """A naive local time in DuckDB's session time zone, as the instant DuckDB takes it for."""
    if timezone is None:
        raise NotPushable("no session time zone to read a naive timestamp in")
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise NotPushable(f"time zone {timezone} is unknown here") from None
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        raise NotPushable("a local time skipped or repeated by a daylight-saving change stays local")
    return first.astimezone(UTC)


def _number(lit: Literal) -> float:
    if lit.kind not in ("int", "decimal", "double"):
        raise NotPushable(f"a {lit.kind} literal against a number stays local")
    return float(lit.value)


def bind_for(lit: Literal, operand: Operand, binder: Binder, *, timezone: str | None) -> str:
    """The bound SQL of `lit` compared with `operand`, or NotPushable when the engines could disagree."""
    fam, kind, v = operand.family, lit.kind, lit.value
    if kind in ("int", "decimal") and fam in ("int", "decimal"):
        _check_decimals(decimal_shape(operand), _literal_shape(lit))
    if fam == "int":
        if kind == "int":
            return binder.bind(str(v), "int8" if -(2**63) <= v < 2**63 else "numeric")
        if kind == "decimal" and v.is_finite():
            return binder.bind(str(v), "numeric")
        if kind == "double" and abs(v) < float("inf"):
            return binder.bind(repr(v), "float8")
        if kind == "string" and _INT_TEXT.match(v):
            bits = operand.column.arrow_type.bit_width
            if -_INT_RANGE[bits] <= int(v) < _INT_RANGE[bits]:
                return binder.bind(str(int(v)), "int8")
        raise NotPushable(f"{kind} literal against an integer column")
    if fam == "float8":
        if kind == "int" and abs(v) <= 2**53:
            return binder.bind(str(v), "float8")
        if kind == "decimal" and v.is_finite() and len(v.as_tuple().digits) <= 15 and abs(v.as_tuple().exponent) <= 22:
            return binder.bind(repr(float(v)), "float8")  # one correctly rounded division in both engines
        if kind == "double" and abs(v) < float("inf"):
            return binder.bind(repr(v), "float8")
        raise NotPushable(f"{kind} literal {v} against a double column")
    if fam == "float4":
        value = _number(lit)
        exact = struct.unpack("f", struct.pack("f", value))[0] == value if abs(value) < 3.4e38 else False
        if kind == "decimal":
            exact = exact and Decimal(value) == v
        if kind == "int":
            exact = exact and abs(v) <= 2**24
        if not exact:
            raise NotPushable(f"literal {v} is not exactly a float4 value: the engines round it differently")
        return binder.bind(repr(value), "float4")
    if fam == "decimal":
        if kind == "int" or (kind == "decimal" and v.is_finite()):
            return binder.bind(str(v), "numeric")
        raise NotPushable(f"{kind} literal against a decimal column")
    if fam == "bool":
        if kind == "bool":
            return binder.bind("true" if v else "false", "bool")
        raise NotPushable(f"{kind} literal against a boolean column")
    if fam == "text":
        if kind == "string" and "\x00" not in v:
            return binder.bind(v, "text")
        raise NotPushable(f"{kind} literal against a text column")
    if fam == "date":
        if kind in ("string", "date") and _DATE.match(v.strip()):
            day = _stamp(v, what="date")[0].date()
            if not _FIRST_DATE < day < _LAST_DATE:
                raise NotPushable("a date at the ends of the range (where +-infinity lands) stays local")
            return binder.bind(day.isoformat(), "date")
        if kind == "timestamp":
            stamp, offset = _stamp(v, what="timestamp")
            if not offset:  # the ends are where +-infinity lands, as dates: at midnight
                if not datetime.combine(_FIRST_DATE, time()) < stamp < datetime.combine(_LAST_DATE, time()):
                    raise NotPushable("a timestamp at the ends of the range (where +-infinity lands) stays local")
                return binder.bind(stamp.isoformat(sep=" "), "timestamp")
        raise NotPushable(f"{kind} literal against a date column")
    if fam == "timestamp":
        if kind in ("string", "timestamp", "date"):
            stamp, offset = _stamp(v, what="timestamp")
            if not offset:
                return binder.bind(_inside(stamp).isoformat(sep=" "), "timestamp")
        raise NotPushable(f"{kind} literal against a timestamp column")
    if fam == "timestamptz":
        if kind in ("string", "timestamp", "timestamptz", "date"):
            stamp, offset = _stamp(v, what="timestamp")
            instant = stamp if offset else _zoned(stamp, timezone)
            return binder.bind(_inside(instant).isoformat(sep=" "), "timestamptz")
        raise NotPushable(f"{kind} literal against a timestamptz column")
    raise NotPushable(f"column {operand.column.name} ({operand.column.declared}) is compared only locally")


def decimal_shape(operand: Operand) -> tuple[int, int]:
    """(precision, scale) of an integer or decimal column as Databricks types it."""
    t = operand.column.arrow_type
    if pa.types.is_decimal(t):
        return t.precision, t.scale
    return _INT_DIGITS[t.bit_width], 0


def _literal_shape(lit: Literal) -> tuple[int, int]:
    """(precision, scale) of a number literal: an integer as its digits (Spark's pickMinimumPrecision), a decimal
    as written (`1.50` is decimal(3,2))."""
    if lit.kind == "int":
        return len(str(abs(lit.value))), 0
    _, digits, exponent = lit.value.as_tuple()
    scale = max(0, -int(exponent))
    return max(len(digits) + max(0, int(exponent)), scale), scale


def _check_decimals(a: tuple[int, int], b: tuple[int, int]) -> None:
    """Two decimals compare at their wider type (Spark's widerDecimalType): past 38 digits Databricks refuses the
    literal or overflows, and Postgres would compare exactly: such a comparison stays local."""
    if max(a[0], b[0]) > _MAX_DIGITS:
        raise NotPushable(f"a number of more than {_MAX_DIGITS} digits stays local (Databricks' widest decimal)")
    scale = max(a[1], b[1])
    if scale + max(a[0] - a[1], b[0] - b[1]) > _MAX_DIGITS:
        raise NotPushable(f"these decimals meet at a type wider than {_MAX_DIGITS} digits: the comparison stays local")


_ORDERED = {"int", "float8", "float4", "decimal", "bool", "date", "timestamp", "timestamptz"}


def orders_alike(operand: Operand) -> bool:
    """Whether both engines order this operand's values the same way (for <, BETWEEN, ORDER BY, min, max)."""
    return operand.family in _ORDERED or (operand.family == "text" and operand.column.code_point_order)


def _columns_compatible(a: Operand, b: Operand, op: str) -> bool:
    pair = {a.family, b.family}
    if a.family is None or b.family is None or pair & {"date", "timestamp", "timestamptz"}:
        return False  # +-infinity reaches DuckDB clamped to real dates: two columns could compare differently
    if pair <= {"int", "decimal"}:
        try:
            _check_decimals(decimal_shape(a), decimal_shape(b))
        except NotPushable:
            return False
        return True
    if pair == {"int", "float8"}:
        return True
    if a.family == "text" and b.family == "text":
        if op in _EQUALITY:
            return a.column.deterministic and b.column.deterministic
        return a.column.code_point_order and b.column.code_point_order
    return a.family == b.family


class Translator:
    """Translates predicates over one foreign table; `resolve` maps a column reference to that table's column."""

    def __init__(self, resolve: Resolver, binder: Binder, *, timezone: str | None) -> None:
        self.resolve, self.binder, self.timezone = resolve, binder, timezone

    def operand(self, node: exp.Expression) -> Operand:
        if isinstance(node, exp.Paren):
            return self.operand(node.this)
        if isinstance(node, exp.Column):
            column = self.resolve(node)
            if column is None:
                raise NotPushable(f"{node.sql()} is not a column of this table")
            return Operand(column.quoted, family(column), column)
        if isinstance(node, exp.Abs):
            inner = self.operand(node.this)
            if inner.family not in ("decimal", "float8", "float4"):  # abs(integer minimum) overflows: an error
                raise NotPushable("abs of an integer or a non-number stays local")
            return Operand(f"abs({inner.sql})", inner.family, inner.column)
        if isinstance(node, exp.Length) and not node.args.get("binary"):
            inner = self.operand(node.this)
            if inner.family != "text":
                raise NotPushable("length of a non-text value stays local")
            return Operand(f"char_length({inner.sql})", "int", _as_int(inner.column))
        raise NotPushable(f"{type(node).__name__} is not in the list of expressions pushed down")

    def predicate(self, node: exp.Expression) -> str:
        """Remote SQL for `node`, or NotPushable (the binder may then hold unused values: drop it)."""
        if isinstance(node, exp.Paren):
            return self.predicate(node.this)
        if isinstance(node, exp.And | exp.Or):
            word = "AND" if isinstance(node, exp.And) else "OR"
            return f"({self.predicate(node.this)} {word} {self.predicate(node.expression)})"
        if isinstance(node, exp.Not):
            return f"(NOT {self.predicate(node.this)})"
        if isinstance(node, exp.Boolean):
            return "TRUE" if node.this else "FALSE"
        if isinstance(node, exp.Column):
            operand = self.operand(node)
            if operand.family != "bool":
                raise NotPushable("a non-boolean column as a condition stays local")
            return operand.sql
        if isinstance(node, exp.Is):
            operand = self.operand(node.this)
            if isinstance(node.expression, exp.Null):
                return f"({operand.sql} IS NULL)"
            if isinstance(node.expression, exp.Boolean) and operand.family == "bool":
                return f"({operand.sql} IS {'TRUE' if node.expression.this else 'FALSE'})"
            raise NotPushable("IS with something else than NULL, TRUE or FALSE stays local")
        if type(node) in _COMPARISONS:
            return self._comparison(node, _COMPARISONS[type(node)])
        if isinstance(node, exp.In):
            return self._in(node)
        if isinstance(node, exp.Between):
            return self._between(node)
        if isinstance(node, exp.Escape) and isinstance(node.this, exp.Like):
            escape = literal(node.expression)
            if escape is None or escape.kind != "string" or len(escape.value) != 1:
                raise NotPushable("LIKE ... ESCAPE needs a one-character literal to be pushed")
            return self._like(node.this, self.binder.bind(escape.value, "text"))
        if isinstance(node, exp.Like):
            return self._like(node, "''")  # DuckDB's LIKE has no escape character by default; Postgres' has '\'
        raise NotPushable(f"{type(node).__name__} is not in the list of predicates pushed down")

    def _comparison(self, node: exp.Expression, op: str) -> str:
        left_lit, right_lit = literal(node.this), literal(node.expression)
        if left_lit is None and right_lit is None:
            a, b = self.operand(node.this), self.operand(node.expression)
            if not _columns_compatible(a, b, op):
                raise NotPushable("these two columns compare differently in the two engines")
            return f"({a.sql} {op} {b.sql})"
        if left_lit is not None and right_lit is not None:
            raise NotPushable("a comparison of two literals stays local")
        if left_lit is not None:
            operand, lit, op = self.operand(node.expression), left_lit, _FLIPPED.get(op, op)
        else:
            assert right_lit is not None
            operand, lit = self.operand(node.this), right_lit
        self._check_text(operand, equality=op in _EQUALITY)
        return f"({operand.sql} {op} {bind_for(lit, operand, self.binder, timezone=self.timezone)})"

    def _check_text(self, operand: Operand, *, equality: bool) -> None:
        if operand.family != "text":
            return
        if equality and not operand.column.deterministic:
            raise NotPushable("equality under a nondeterministic collation stays local")
        if not equality and not operand.column.code_point_order:
            raise NotPushable("text ordering depends on the remote collation: it stays local")

    def _in(self, node: exp.In) -> str:
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise NotPushable("IN over a subquery stays local")
        operand = self.operand(node.this)
        self._check_text(operand, equality=True)
        items = []
        for item in node.expressions:
            lit = literal(item)
            if lit is None:
                raise NotPushable("IN with something else than literals stays local")
            items.append(bind_for(lit, operand, self.binder, timezone=self.timezone))
        if not items:
            raise NotPushable("an empty IN list stays local")
        return f"({operand.sql} IN ({', '.join(items)}))"

    def _between(self, node: exp.Between) -> str:
        if node.args.get("symmetric"):
            raise NotPushable("BETWEEN SYMMETRIC stays local")
        operand = self.operand(node.this)
        self._check_text(operand, equality=False)
        low, high = literal(node.args["low"]), literal(node.args["high"])
        if low is None or high is None:
            raise NotPushable("BETWEEN with something else than literals stays local")
        lo = bind_for(low, operand, self.binder, timezone=self.timezone)
        hi = bind_for(high, operand, self.binder, timezone=self.timezone)
        return f"({operand.sql} BETWEEN {lo} AND {hi})"

    def _like(self, node: exp.Like, escape: str) -> str:
        operand = self.operand(node.this)
        pattern = literal(node.expression)
        if operand.family != "text" or not operand.column.deterministic:
            raise NotPushable("LIKE on a non-text column stays local")
        if pattern is None or pattern.kind != "string" or "\x00" in pattern.value:
            raise NotPushable("LIKE with a pattern that is not a literal stays local")
        word = "NOT LIKE" if node.args.get("negate") else "LIKE"
        return f"({operand.sql} {word} {self.binder.bind(pattern.value, 'text')} ESCAPE {escape})"


def _as_int(column: ForeignColumn) -> ForeignColumn:
    """A stand-in column typed integer (the result of char_length) for the literal rules."""
    from lakeloader.sources.postgres.typemap import Column

    inner = Column(column.name, column.column.expression, "integer", pa.int32())
    return ForeignColumn(inner, column.code_point_order, column.deterministic)
