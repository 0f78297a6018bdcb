"""Splitting one read into parallel ones: Spark's stride split on a column (numeric, date or timestamp), or blocks.

As in Spark's JDBC reader, a date or timestamp column is split on its days or microseconds since 1970 and the
bounds only set the stride (the first partition also takes values below it and NULLs, the last everything
above). Bounds are given as Spark takes them: numbers for a numeric column, '2024-01-01' or
'2024-01-01 12:00:00' for a date or timestamp one (a timestamptz bound without an offset is UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.sources.postgres.typemap import Column, quote_ident

Kind = Literal["int", "date", "timestamp", "timestamptz"]
_EPOCH_DATE = date(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1)


def kind_of(column: Column, *, where: str) -> Kind:
    """How a partition column is split; Spark's rule: numeric, date or timestamp, nothing else."""
    t = column.arrow_type
    if pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_floating(t):
        return "int"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz is not None else "timestamp"
    raise ConfigError(
        f"postgres source {where}: partition column {column.name} is {column.declared}; as in Spark, it must be "
        "numeric, date or timestamp: pick another --partition-column"
    )


def parse_bound(value: int | str, kind: Kind, *, option: str, where: str) -> int:
    """A lower/upper bound as the number the stride is computed on (days or microseconds for dates and times)."""
    try:
        if kind == "int":
            return int(value)
        text = str(value).strip()
        if kind == "date":
            return (date.fromisoformat(text) - _EPOCH_DATE).days
        stamp = datetime.fromisoformat(text)
        if kind == "timestamptz":
            stamp = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)
        elif stamp.tzinfo is not None:
            raise ValueError("a timestamp without time zone takes a bound without an offset")
        return (stamp - _EPOCH) // timedelta(microseconds=1)
    except (ValueError, TypeError) as exc:
        example = {"int": "1000", "date": "2024-01-01", "timestamp": "2024-01-01 12:00:00"}.get(kind, "2024-01-01")
        raise ConfigError(
            f"postgres source {where}: {option} {value!r} does not fit a {kind} partition column ({exc}); "
            f"write it like {example}"
        ) from None


def literal(value: int, kind: Kind) -> str:
    """The SQL literal of a stride boundary in the column's own type."""
    if kind == "int":
        return str(value)
    if kind == "date":
        return f"'{(_EPOCH_DATE + timedelta(days=value)).isoformat()}'::date"
    stamp = _EPOCH + timedelta(microseconds=value)
    if kind == "timestamptz":
        return f"'{stamp.isoformat(sep=' ')}+00'::timestamptz"
    return f"'{stamp.isoformat(sep=' ')}'::timestamp"


def bounds_sql(column: Column, kind: Kind) -> str:
    """SELECT list of (min, max) of a column as stride numbers, over finite values only."""
    q = quote_ident(column.name)
    if kind == "int":
        return f"min({q})::int8, max({q})::int8"
    if kind == "date":
        return f"min({q}) - DATE '1970-01-01', max({q}) - DATE '1970-01-01'"
    return f"(extract(epoch FROM min({q})) * 1000000)::int8, (extract(epoch FROM max({q})) * 1000000)::int8"


def finite_sql(column: Column) -> str | None:
    """A predicate keeping the column's finite values (None for a type without infinities)."""
    t = column.arrow_type
    if pa.types.is_date32(t):
        sql_type = "date"
    elif pa.types.is_timestamp(t):
        sql_type = "timestamptz" if t.tz is not None else "timestamp"
    elif pa.types.is_decimal(t):
        sql_type = "numeric"
    elif pa.types.is_floating(t):
        sql_type = "float8"
    else:
        return None
    q = quote_ident(column.name)
    return f"{q} > '-infinity'::{sql_type} AND {q} < 'infinity'::{sql_type}"  # NaN sorts above infinity


def partition_predicates(column: str, lower: int, upper: int, n: int, *, kind: Kind = "int") -> list[str]:
    """Spark's stride split: bounds only set the stride; the first and last partitions are open-ended."""
    q = quote_ident(column)

    def value(v: int) -> str:
        return literal(v, kind)

    n = max(1, min(n, upper - lower + 1)) if upper >= lower else 1
    if n == 1:
        return ["TRUE"]
    stride = max(1, (upper - lower) // n)
    out = []
    for i in range(n):
        lo, hi = lower + i * stride, lower + (i + 1) * stride
        if i == 0:
            out.append(f"({q} < {value(hi)} OR {q} IS NULL)")
        elif i == n - 1:
            out.append(f"{q} >= {value(lo)}")
        else:
            out.append(f"{q} >= {value(lo)} AND {q} < {value(hi)}")
    return out


def ctid_predicates(pages: int, n: int) -> list[str]:
    """Split a table by physical block ranges (TID range scans, PostgreSQL 14+): no partition scans another's rows."""
    step = max(1, -(-pages // n))
    out = []
    for i in range(n):
        lo, hi = i * step, (i + 1) * step
        if i == 0:
            out.append(f"ctid < '({hi},0)'::tid")
        elif i == n - 1:
            out.append(f"ctid >= '({lo},0)'::tid")  # open-ended: pages added since planning are read too
        else:
            out.append(f"ctid >= '({lo},0)'::tid AND ctid < '({hi},0)'::tid")
    return out


def predicates(parts: dict[str, Any]) -> list[str]:
    """The WHERE predicate of each partition of a planned split (`["TRUE"]` when the read is not split)."""
    if not parts:
        return ["TRUE"]
    if parts.get("ctid"):
        return ctid_predicates(parts["pages"], parts["n"])
    kind: Kind = parts.get("kind", "int")
    return partition_predicates(parts["column"], parts["lower"], parts["upper"], parts["n"], kind=kind)
