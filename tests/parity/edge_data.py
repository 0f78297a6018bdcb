"""The edge data both engines read: a few small tables of awkward values, written once per session as Delta tables.

Spark reads the very same Parquet data files (`spark_views`), so any difference is the engines', never the data's.
Single-part names (`nums`, `strs`, ...) resolve to `main.default.<name>` in lakeloader and to temp views in Spark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

SCHEMA = "main.default"
UTC = dt.UTC
NAN, INF = float("nan"), float("inf")


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _table(columns: list[tuple[str, pa.DataType]], rows: list[tuple[Any, ...]]) -> pa.Table:
    schema = pa.schema([pa.field(name, type_) for name, type_ in columns])
    return pa.Table.from_pylist([dict(zip(schema.names, row, strict=True)) for row in rows], schema=schema)


def nums() -> pa.Table:
    """Ordinary numbers with NULLs, NaN, ±Infinity, -0.0 and halves (for rounding); extremes are in `limits`."""
    columns = [
        ("id", pa.int32()),
        ("grp", pa.string()),
        ("i", pa.int32()),
        ("l", pa.int64()),
        ("s", pa.int16()),
        ("t", pa.int8()),
        ("d", pa.float64()),
        ("f", pa.float32()),
        ("amt", pa.decimal128(10, 2)),
        ("big", pa.decimal128(38, 18)),
    ]
    rows = [
        (1, "a", 1, 10, 1, 1, 1.5, 1.5, Decimal("1.50"), Decimal("1.5")),
        (2, "b", -7, -10, -2, -3, -2.5, -2.5, Decimal("-2.50"), Decimal("-2.5")),
        (3, "a", 0, 0, 0, 0, 0.0, 0.0, Decimal("0.00"), Decimal("0")),
        (4, None, None, None, None, None, None, None, None, None),
        (5, "b", 3, 3, 3, 3, NAN, NAN, Decimal("0.05"), Decimal("0.000000000000000001")),
        (6, "c", 4, 4, 4, 4, INF, INF, Decimal("99999999.99"), Decimal("99999999999999999999.999999999999999999")),
        (7, "c", 5, 5, 5, 5, -INF, -INF, Decimal("-99999999.99"), Decimal("-12345678901234567890.123456789012345678")),
        (8, "a", 6, 6, 6, 6, -0.0, -0.0, Decimal("-0.05"), Decimal("-0.5")),
        (9, "b", 7, 7, 7, 7, 0.5, 0.5, Decimal("2.50"), Decimal("0.5")),
        (10, "a", 2, 2, 2, 2, 2.5, 2.5, Decimal("3.50"), Decimal("2.5")),
        (11, "c", 10, 100, 10, 10, 1e-7, 0.1, Decimal("0.10"), Decimal("0.333333333333333333")),
        (12, "", -3, -3, -3, -3, 123456789.125, 1e10, Decimal("-1.25"), Decimal("1E+19")),
    ]
    return _table(columns, rows)


def limits() -> pa.Table:
    """The extremes of every integer type and of decimal(38,0)."""
    columns = [
        ("id", pa.int32()),
        ("i", pa.int32()),
        ("l", pa.int64()),
        ("s", pa.int16()),
        ("t", pa.int8()),
        ("huge", pa.decimal128(38, 0)),
    ]
    nines = "9" * 38
    rows = [
        (1, 2147483647, 9223372036854775807, 32767, 127, Decimal(nines)),
        (2, -2147483648, -9223372036854775808, -32768, -128, Decimal("-" + nines)),
        (3, 1, 1, 1, 1, Decimal(1)),
        (4, None, None, None, None, None),
    ]
    return _table(columns, rows)


def strs() -> pa.Table:
    """Strings: empty, NULL, unicode, padding, separators, LIKE's special characters, numbers written as text."""
    columns = [("id", pa.int32()), ("s", pa.string()), ("n", pa.string())]
    rows = [
        (1, "hello", "42"),
        (2, "", ""),
        (3, None, None),
        (4, "Ünïcödé ✓ 日本", " 7 "),
        (5, "  padded  ", "3.9"),
        (6, "a,b,,c,", "-12.5e1"),
        (7, "100% off_sale\\now", "abc"),
        (8, "O'Brien", "2147483648"),
        (9, "MiXeD Case", "-0"),
        (10, "aaa-bbb-ccc", "+5"),
        (11, "tab\there", "1e3"),
        (12, "😀 emoji", "9223372036854775808"),
    ]
    return _table(columns, rows)


def times() -> pa.Table:
    """Dates at month ends and leap days; timestamps at midnight and around DST changes (stored in UTC)."""
    columns = [
        ("id", pa.int32()),
        ("d", pa.date32()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("ntz", pa.timestamp("us")),
        ("ds", pa.string()),
    ]
    rows = [
        (1, dt.date(2024, 1, 31), _ts("2024-01-01 00:00:00"), dt.datetime(2024, 1, 1), "2024-02-29"),
        (2, dt.date(2024, 2, 29), _ts("2024-03-10 06:59:59.999999"), dt.datetime(2024, 3, 10, 2, 30), "2024-2-9"),
        (3, dt.date(2023, 2, 28), _ts("2024-03-10 07:00:00"), dt.datetime(2024, 3, 31, 2, 30), "31/01/2024"),
        (4, dt.date(2024, 12, 31), _ts("2024-03-31 01:00:00"), dt.datetime(2024, 10, 27, 2, 30), "2024-02-30"),
        (5, dt.date(1970, 1, 1), _ts("2024-10-27 00:59:59.999999"), dt.datetime(1970, 1, 1), "2024-03-10 02:30:00"),
        (6, dt.date(2000, 2, 29), _ts("2024-11-03 06:00:00"), dt.datetime(2024, 11, 3, 1, 30), "2024-12-31T23:59:59"),
        (7, None, None, None, None),
        (8, dt.date(1969, 12, 31), _ts("1969-12-31 23:59:59"), dt.datetime(1969, 12, 31, 23, 59, 59), ""),
        (9, dt.date(2024, 3, 31), _ts("2024-02-29 23:59:59.123456"), dt.datetime(2024, 2, 29, 12, 0), "20240131"),
        (10, dt.date(2024, 4, 30), _ts("2023-12-31 23:00:00"), dt.datetime(2023, 12, 31, 23, 0), "2024-01-31 12:34"),
    ]
    return _table(columns, rows)


def nested() -> pa.Table:
    """Arrays with NULL elements, empty and NULL arrays, maps (with NULL values, empty), structs (with NULL fields)."""
    columns = [
        ("id", pa.int32()),
        ("arr", pa.list_(pa.int32())),
        ("sarr", pa.list_(pa.string())),
        ("m", pa.map_(pa.string(), pa.int32())),
        ("st", pa.struct([("a", pa.int32()), ("b", pa.string())])),
    ]
    rows = [
        (1, [1, 2, 3], ["a", "b"], [("a", 1), ("b", 2)], {"a": 1, "b": "x"}),
        (2, [5, None], ["", None], [("a", 1), ("b", None)], {"a": None, "b": None}),
        (3, [], [], [], {"a": 2, "b": ""}),
        (4, None, None, None, None),
        (5, [3, 1, 3, 2, 1, None, None], ["b", "a", "b"], [("z", 26), ("a", 1)], {"a": -1, "b": "ünï"}),
        (6, [None], [None], [("k", None)], {"a": 7, "b": None}),
    ]
    return _table(columns, rows)


def jsons() -> pa.Table:
    """JSON text: flat, nested, arrays, nulls, malformed, empty, NULL, unicode, duplicate keys by case."""
    columns = [("id", pa.int32()), ("j", pa.string())]
    rows = [
        (1, '{"a":1,"b":"x","c":{"d":[1,2,{"e":"deep"}]}}'),
        (2, '{"a":null,"b":null}'),
        (3, "[1,2,3]"),
        (4, '{"a":1'),
        (5, "not json"),
        (6, ""),
        (7, None),
        (8, '{"a":"1","arr":[{"k":1},{"k":2}],"b":"y"}'),
        (9, '{"A":2,"a":3}'),
        (10, '{"a":1.5e3,"b":true}'),
        (11, '{"name":"Zoë ✓","a":-0}'),
        (12, '{"a":[],"b":{}}'),
    ]
    return _table(columns, rows)


def sales() -> pa.Table:
    """For aggregates and windows: groups with ties, NULL values and a NULL group, a NULL-only group."""
    columns = [
        ("id", pa.int32()),
        ("grp", pa.string()),
        ("v", pa.int32()),
        ("amt", pa.decimal128(10, 2)),
        ("x", pa.float64()),
        ("day", pa.date32()),
    ]
    d = dt.date
    rows = [
        (1, "a", 10, Decimal("10.00"), 1.0, d(2024, 1, 1)),
        (2, "a", 20, Decimal("20.50"), 2.0, d(2024, 1, 2)),
        (3, "a", 20, Decimal("0.01"), None, d(2024, 1, 2)),
        (4, "a", None, None, 4.0, d(2024, 1, 4)),
        (5, "b", 5, Decimal("5.55"), 0.5, d(2024, 2, 29)),
        (6, "b", 7, Decimal("-7.25"), -1.5, d(2024, 3, 1)),
        (7, "b", 1, Decimal("99999999.99"), 3.0, d(2024, 3, 1)),
        (8, None, 3, Decimal("3.33"), 2.5, None),
        (9, None, None, None, None, d(2024, 5, 5)),
        (10, "c", None, None, None, d(2024, 6, 6)),
        (11, "d", 4, Decimal("1.00"), 1.0, d(2024, 7, 7)),
        (12, "d", 6, Decimal("2.00"), 2.0, d(2024, 7, 8)),
    ]
    return _table(columns, rows)


TABLES = {
    "nums": nums,
    "limits": limits,
    "strs": strs,
    "times": times,
    "nested": nested,
    "jsons": jsons,
    "sales": sales,
}


def tables() -> dict[str, pa.Table]:
    """Every edge table by its name."""
    return {name: make() for name, make in TABLES.items()}


def fingerprint(data: dict[str, pa.Table] | None = None) -> str:
    """A hash of every table's name, schema and values (Arrow IPC bytes): what Spark's cached answers were for."""
    digest = hashlib.sha256()
    for name, table in sorted((data or tables()).items()):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        digest.update(name.encode() + b"\0" + sink.getvalue().to_pybytes())
    return digest.hexdigest()[:16]


def write(lh: Lakehouse, data: dict[str, pa.Table] | None = None) -> dict[str, list[str]]:
    """Write every table as a Delta table `main.default.<name>`; returns each table's Parquet data files."""
    from lakeloader.lakehouse import delta

    lh.create_catalog("main", if_not_exists=True)
    lh.create_schema(SCHEMA, if_not_exists=True)
    files: dict[str, list[str]] = {}
    for name, table in (data or tables()).items():
        target = lh.create_table(f"{SCHEMA}.{name}", if_not_exists=True)
        delta.write(target.location, table, mode="overwrite", table_name=f"{SCHEMA}.{name}")
        files[name] = delta.local_files(delta.open_table(target.location))
    return files
