"""Postgres declared types → the Arrow types Delta stores, decided from the catalog, not from the driver.

The ADBC driver hands `numeric` over as an opaque string and `uuid`, `json`, `citext`, `timetz` as extension
or opaque types; here each column's declared type (`pg_type`, the column's typmod, `format_type`) picks a SQL
expression for the SELECT list and the exact Arrow type each batch is cast to. numeric(p,s) stays exact as
decimal(p,s); unconstrained numeric becomes decimal(38,18), Spark's choice, and a value that does not fit fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from lakeloader.errors import SchemaMismatchError

UNCONSTRAINED_NUMERIC = pa.decimal128(38, 18)


def _wrap(value: int, bits: int) -> int:
    half: int = 1 << (bits - 1)
    return (value + half) % (2 * half) - half


# Postgres stores +-infinity as the extreme integers; the driver shifts them from the 2000-01-01 epoch to 1970
# with wrap-around, so they arrive as these values. They become Delta's last and first representable instants.
_PG_EPOCH_US, _PG_EPOCH_DAYS = 946_684_800_000_000, 10_957
_INFINITY = {
    "timestamp": (
        _wrap(2**63 - 1 + _PG_EPOCH_US, 64),
        -(2**63) + _PG_EPOCH_US,
        253_402_300_799_999_999,
        -62_135_596_800_000_000,
    ),
    "date": (_wrap(2**31 - 1 + _PG_EPOCH_DAYS, 32), -(2**31) + _PG_EPOCH_DAYS, 2_932_896, -719_162),
}
_NATIVE: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "bytea": pa.binary(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}
# read as their text form (what psql prints), stored as string
_AS_TEXT = {
    "json", "jsonb", "jsonpath", "uuid", "interval", "time", "timetz", "citext", "inet", "cidr", "macaddr",
    "macaddr8", "xml", "bit", "varbit", "tsvector", "tsquery", "char", "xid", "xid8", "pg_lsn",
}  # fmt: skip
_OUTPUT_FORM = {"inet", "cidr"}
_AS_INT8 = {"oid", "regclass", "regtype", "regproc"}


@dataclass(frozen=True)
class Column:
    """One column of the read: its name, the SELECT expression (no alias), the declared type, the Arrow type."""

    name: str
    expression: str
    declared: str
    arrow_type: pa.DataType
    source: str = ""  # for arrays: the column's own expression, checked for more than one dimension


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _numeric_type(typmod: int, *, column: str, declared: str, where: str) -> pa.DataType:
    if typmod < 0:
        return UNCONSTRAINED_NUMERIC
    precision = ((typmod - 4) >> 16) & 0xFFFF
    scale = (((typmod - 4) & 0x7FF) ^ 1024) - 1024  # PostgreSQL 15+ allows a negative scale
    if scale < 0:
        precision, scale = precision - scale, 0
    if precision > 38:
        raise SchemaMismatchError(
            f"postgres source {where}: column {column} is {declared}, wider than Delta's decimal(38); "
            f"cast it: casts={{'{column}': 'text'}} (CLI --cast {column}=text) or a narrower numeric"
        )
    return pa.decimal128(precision, scale)


def _unsupported(column: str, declared: str, where: str) -> SchemaMismatchError:
    return SchemaMismatchError(
        f"postgres source {where}: column {column} has type {declared}, which lakeloader does not map; "
        f"cast it: casts={{'{column}': 'text'}} (CLI --cast {column}=text)"
    )


def _scalar(info: dict[str, Any], typmod: int, column: str, declared: str, where: str) -> tuple[str, pa.DataType]:
    """(cast suffix, arrow type) of a scalar type; raises for an unsupported one."""
    name, kind = info["typname"], info["typtype"]
    if name == "numeric":
        return "::text", _numeric_type(typmod, column=column, declared=declared, where=where)
    if name in _NATIVE:
        return "", _NATIVE[name]
    if name in _OUTPUT_FORM:
        return "format", pa.string()
    if name in _AS_TEXT or kind in ("e", "r", "m"):  # enums, ranges, multiranges: their text form
        return "::text", pa.string()
    if name in _AS_INT8:
        return "::int8", pa.int64()
    raise _unsupported(column, declared, where)


def _expression(quoted: str, suffix: str, *, array: bool) -> str:
    if not suffix:
        return quoted
    if suffix == "format":  # the type's output function (inet::text would add a /32 psql does not print)
        if array:  # element by element, in order: a NULL element stays NULL, an empty array stays empty
            return (
                f"CASE WHEN {quoted} IS NULL THEN NULL ELSE ARRAY(SELECT CASE WHEN x IS NULL THEN NULL ELSE "
                f"format('%s', x) END FROM unnest({quoted}) WITH ORDINALITY AS u(x, n) ORDER BY n) END"
            )
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE format('%s', {quoted}) END"
    return f"{quoted}{suffix}[]" if array else f"{quoted}{suffix}"


_CATALOG_SQL = """
SELECT t.oid::int8, t.typname, t.typtype, t.typelem::int8, t.typbasetype::int8, t.typtypmod,
       e.typname AS elem_typname, e.typtype AS elem_typtype
FROM pg_catalog.pg_type t LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE t.oid = ANY(%s)
"""


def describe(con: Any, items: Sequence[tuple[str, str]], from_sql: str, *, where: str) -> list[Column]:
    """The columns `(name, SQL expression)` of `from_sql`, typed from the catalog (runs a LIMIT 0 query)."""
    sources = dict(items)
    select_list = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in items)
    cur = con.execute(f"SELECT {select_list} FROM {from_sql} LIMIT 0")
    result = cur.pgresult
    assert result is not None
    fields = [(cur.description[i].name, int(result.ftype(i)), int(result.fmod(i))) for i in range(result.nfields)]
    oids = sorted({oid for _, oid, _ in fields})
    catalog = {int(r[0]): r for r in con.execute(_CATALOG_SQL, (oids,)).fetchall()}
    declared = dict(
        con.execute(
            "SELECT i, format_type(o, m) FROM unnest(%s::oid[], %s::int[]) WITH ORDINALITY AS x(o, m, i)",
            ([f[1] for f in fields], [f[2] for f in fields]),
        ).fetchall()
    )
    columns: list[Column] = []
    for i, (name, oid, typmod) in enumerate(fields, start=1):
        row, typmod = _base_type(con, catalog[oid], typmod)  # a domain maps as its base type
        decl = str(declared[i])
        info = {"typname": row[1], "typtype": row[2]}
        q = sources[name]
        if row[6] is not None:  # an array
            elem_row = con.execute(_CATALOG_SQL, ([row[3]],)).fetchone()
            if elem_row[2] == "d":  # an array of a domain: read it as an array of the domain's base type
                elem_row, typmod = _base_type(con, elem_row, typmod)
                base = con.execute("SELECT format_type(%s, %s)", (elem_row[0], typmod)).fetchone()[0]
                q = f"({q})::{base}[]"
            elem = {"typname": elem_row[1], "typtype": elem_row[2]}
            suffix, elem_type = _scalar(elem, typmod, name, decl, where)
            expression = _expression(q, suffix, array=True)
            columns.append(Column(name, expression, decl, pa.list_(elem_type), source=sources[name]))
            continue
        suffix, arrow_type = _scalar(info, typmod, name, decl, where)
        expression = _expression(q, suffix, array=False)
        columns.append(Column(name, expression, decl, arrow_type))
    return columns


def _base_type(con: Any, row: Any, typmod: int) -> tuple[Any, int]:
    """The catalog row of a domain's base type (through domains of domains) and the typmod that applies."""
    for _ in range(64):
        if row[2] != "d":
            return row, typmod
        if int(row[5]) >= 0:
            typmod = int(row[5])
        row = con.execute(_CATALOG_SQL, ([row[4]],)).fetchone()
    return row, typmod


def select_list(columns: Sequence[Column]) -> str:
    """The SELECT list; each array column is followed (at the end) by a flag: does a value have 2+ dimensions?

    The driver flattens a 2-D array into a list silently; the flag turns that into an error naming the column.
    """
    items = [f"{c.expression} AS {quote_ident(c.name)}" for c in columns]
    items += [f"coalesce(array_ndims({c.source}) > 1, false)" for c in columns if c.source]
    return ", ".join(items)


def schema_of(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.arrow_type) for c in columns])


def _storage(array: pa.Array) -> pa.Array:
    if isinstance(array.type, pa.ExtensionType) or hasattr(array, "storage"):
        return array.storage
    if pa.types.is_list(array.type) and isinstance(array.type.value_type, pa.ExtensionType):
        values = array.values.storage
        return pa.ListArray.from_arrays(array.offsets, values, mask=array.is_null())
    return array


def _is_instant(t: pa.DataType) -> bool:
    return bool(pa.types.is_timestamp(t) or pa.types.is_date32(t))


def _clamp_infinity(array: pa.Array) -> pa.Array:
    """Map Postgres' +-infinity timestamps and dates to 9999-12-31 23:59:59.999999 / 0001-01-01 (Spark's range)."""
    import pyarrow.compute as pc

    kind = "date" if pa.types.is_date32(array.type) else "timestamp"
    plus, minus, last, first = _INFINITY[kind]
    storage = pa.int32() if kind == "date" else pa.int64()
    raw = array.view(storage)
    is_plus, is_minus = pc.equal(raw, plus), pc.equal(raw, minus)
    if not (pc.any(is_plus).as_py() or pc.any(is_minus).as_py()):
        return array
    raw = pc.if_else(is_plus, pa.scalar(last, storage), pc.if_else(is_minus, pa.scalar(first, storage), raw))
    return raw.view(array.type)


def convert_batch(batch: pa.RecordBatch, columns: Sequence[Column], schema: pa.Schema, *, where: str) -> pa.RecordBatch:
    """Cast one driver batch to the declared Arrow types (numeric text → exact decimal, opaque → storage)."""
    import pyarrow.compute as pc  # lazy: a run with nothing new never reads a batch

    arrays = []
    for i, column in enumerate(columns):
        array = _storage(batch.column(i))
        if pa.types.is_timestamp(array.type) or pa.types.is_date32(array.type):
            array = _clamp_infinity(array)
        elif pa.types.is_list(array.type) and _is_instant(array.type.value_type):
            values = _clamp_infinity(array.values)  # the elements of timestamp[], timestamptz[], date[]
            array = pa.ListArray.from_arrays(array.offsets, values, type=array.type, mask=array.is_null())
        if array.type != column.arrow_type:
            try:
                array = pc.cast(array, column.arrow_type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SchemaMismatchError(
                    f"postgres source {where}: column {column.name} ({column.declared}) has a value that does "
                    f"not fit {column.arrow_type} ({str(exc).splitlines()[0]}); cast it: "
                    f"casts={{'{column.name}': 'text'}} (CLI --cast {column.name}=text)"
                ) from None
        arrays.append(array)
    flags = iter(range(len(columns), batch.num_columns))
    for column in columns:
        if column.source and pc.any(batch.column(next(flags))).as_py():
            raise SchemaMismatchError(
                f"postgres source {where}: column {column.name} ({column.declared}) has a multidimensional array, "
                f"which would be flattened; cast it: casts={{'{column.name}': 'text'}} (CLI --cast {column.name}=text)"
            )
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
