"""Answers in one comparable form, and the verdict on a pair of them.

An answer is either a result (column names, Arrow type strings, rows of canonical values) or an error. Values are
made canonical by their Arrow type, the same way for both engines, so comparing is plain equality: floats by their
`repr` (NaN equals NaN, -0.0 differs from 0.0 as Spark prints them), decimals by value (the scale is the type's),
timestamps as ISO text in UTC (to the microsecond), maps as their entries sorted by key, binary as hex.
Spark's types are mapped to the Arrow types lakeloader must produce (int: int32, timestamp: timestamp[us, UTC], ...).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import pyarrow as pa

Outcome = Literal["equal", "refused", "different"]
_EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class Answer:
    """One engine's answer to one query: a result, or an error (`error` is its class, `message` one line)."""

    names: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)  # Arrow type strings, see `arrow_type_name`
    rows: list[list[Any]] = field(default_factory=list)
    error: str | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error, "message": self.message}
        return {"names": self.names, "types": self.types, "rows": self.rows}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        if "error" in data:
            return cls(error=data["error"], message=data.get("message"))
        return cls(names=data["names"], types=data["types"], rows=data["rows"])

    def brief(self, limit: int = 160) -> str:
        """The answer in one line, for reports."""
        if self.error is not None:
            return f"error {self.error}: {self.message}"[:limit]
        cols = ", ".join(f"{n} {t}" for n, t in zip(self.names, self.types, strict=True))
        text = f"[{cols}] {json.dumps(self.rows, ensure_ascii=False)}"
        return text if len(text) <= limit else text[: limit - 1] + "…"


# -- types ---------------------------------------------------------------------------------------------------
_SPARK_SIMPLE = {
    "boolean": "bool",
    "byte": "int8",
    "short": "int16",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "string",
    "binary": "binary",
    "date": "date32",
    "timestamp": "timestamp[us, tz=UTC]",
    "timestamp_ntz": "timestamp[us]",
    "void": "null",
}


def spark_type_to_arrow(spark_type: Any) -> str:
    """The Arrow type (as `arrow_type_name` writes it) lakeloader must give for a Spark type in its JSON form."""
    if isinstance(spark_type, str):
        if spark_type in _SPARK_SIMPLE:
            return _SPARK_SIMPLE[spark_type]
        decimal = re.fullmatch(r"decimal\((\d+),\s*(-?\d+)\)", spark_type)
        if decimal:
            return f"decimal128({decimal.group(1)}, {decimal.group(2)})"
        if spark_type.startswith(("char(", "varchar(")):
            return "string"
        return f"unmapped Spark type {spark_type}"
    kind = spark_type["type"]
    if kind == "array":
        return f"list<{spark_type_to_arrow(spark_type['elementType'])}>"
    if kind == "map":
        return f"map<{spark_type_to_arrow(spark_type['keyType'])}, {spark_type_to_arrow(spark_type['valueType'])}>"
    if kind == "struct":
        inner = ", ".join(f"{f['name']}: {spark_type_to_arrow(f['type'])}" for f in spark_type["fields"])
        return f"struct<{inner}>"
    return f"unmapped Spark type {json.dumps(spark_type)}"


def arrow_type_name(t: pa.DataType) -> str:
    """`t` written so that equivalent Arrow types read the same: string, large_string and string_view are
    `string`; list, large_list and fixed_size_list are `list<...>`; nullability and child field names are left out."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return "binary"
    if pa.types.is_dictionary(t):
        return arrow_type_name(t.value_type)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or _is_list_view(t):
        return f"list<{arrow_type_name(t.value_type)}>"
    if pa.types.is_map(t):
        return f"map<{arrow_type_name(t.key_type)}, {arrow_type_name(t.item_type)}>"
    if pa.types.is_struct(t):
        return (
            "struct<"
            + ", ".join(f"{t.field(i).name}: {arrow_type_name(t.field(i).type)}" for i in range(t.num_fields))
            + ">"
        )
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}, tz={t.tz}]" if t.tz is not None else f"timestamp[{t.unit}]"
    if pa.types.is_decimal(t):
        bits = 128 if pa.types.is_decimal128(t) else t.bit_width
        return f"decimal{bits}({t.precision}, {t.scale})"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_date32(t):
        return "date32"
    if pa.types.is_float32(t):
        return "float32"
    if pa.types.is_float64(t):
        return "float64"
    return str(t)


def _is_list_view(t: pa.DataType) -> bool:
    return bool(pa.types.is_list_view(t) or pa.types.is_large_list_view(t))


# -- values --------------------------------------------------------------------------------------------------
def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _float(value: float) -> str:
    return repr(float(value))


def _ticks_to_iso(ticks: int, unit: str, tz: bool) -> str:
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    seconds, rest = divmod(ticks, per_second)
    nanos = rest * (1_000_000_000 // per_second)
    try:
        moment = _EPOCH + dt.timedelta(seconds=seconds)
    except OverflowError:
        return f"@{ticks}{unit}"
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") if moment.year >= 1000 else moment.isoformat(timespec="seconds")
    fraction = f"{nanos:09d}"
    text += "." + (fraction[:6] if fraction.endswith("000") else fraction)
    return text + ("Z" if tz else "")


def _days_to_iso(days: int) -> str:
    try:
        return (dt.date(1970, 1, 1) + dt.timedelta(days=days)).isoformat()
    except OverflowError:
        return f"@{days}d"


def canonical(array: pa.Array | pa.ChunkedArray) -> list[Any]:
    """The values of `array` in canonical form (JSON-ready), by its Arrow type."""
    if isinstance(array, pa.ChunkedArray):
        return [v for chunk in array.chunks for v in canonical(chunk)]
    t = array.type
    valid = array.is_valid().to_pylist() if len(array) else []
    if pa.types.is_dictionary(t):
        return canonical(array.dictionary_decode())
    if pa.types.is_null(t):
        return [None] * len(array)
    if pa.types.is_floating(t):
        return [None if v is None else _float(v) for v in array.to_pylist()]
    if pa.types.is_decimal(t):
        return [None if v is None else _decimal(v) for v in array.to_pylist()]
    if pa.types.is_timestamp(t):
        ticks = array.cast(pa.int64()).to_pylist()
        return [None if v is None else _ticks_to_iso(v, t.unit, t.tz is not None) for v in ticks]
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        days = array.cast(pa.date32()).cast(pa.int32()).to_pylist()
        return [None if v is None else _days_to_iso(v) for v in days]
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return [None if v is None else "0x" + v.hex() for v in array.to_pylist()]
    if pa.types.is_fixed_size_binary(t):
        return [None if v is None else "0x" + v.hex() for v in array.to_pylist()]
    if pa.types.is_map(t):
        return _map_values(array, valid)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or _is_list_view(t):
        if _is_list_view(t):
            array = array.cast(pa.large_list(t.value_type))
        lengths = array.value_lengths().to_pylist()
        flat = canonical(array.flatten())
        out: list[Any] = []
        cursor = 0
        for ok, n in zip(valid, lengths, strict=True):
            n = n or 0
            out.append(flat[cursor : cursor + n] if ok else None)
            cursor += n
        return out
    if pa.types.is_struct(t):
        children = [canonical(child) for child in array.flatten()]
        names = [t.field(i).name for i in range(t.num_fields)]
        return [
            {name: child[i] for name, child in zip(names, children, strict=True)} if ok else None
            for i, ok in enumerate(valid)
        ]
    if pa.types.is_time(t) or pa.types.is_duration(t) or pa.types.is_interval(t):
        return [None if v is None else str(v) for v in array.to_pylist()]
    values: list[Any] = array.to_pylist()
    return values


def _map_values(array: pa.Array, valid: list[bool]) -> list[Any]:
    as_list = pa.ListArray.from_arrays(array.offsets, array.values)  # maps have no flatten or length kernels
    lengths = as_list.value_lengths().to_pylist()
    entries = as_list.flatten()
    keys, items = canonical(entries.field(0)), canonical(entries.field(1))
    out: list[Any] = []
    cursor = 0
    for ok, n in zip(valid, lengths, strict=True):
        n = n or 0
        pairs = [[keys[j], items[j]] for j in range(cursor, cursor + n)]
        out.append(sorted(pairs, key=lambda p: json.dumps(p[0], sort_keys=True)) if ok else None)
        cursor += n
    return out


def result(table: pa.Table) -> Answer:
    """An Arrow table as an answer: its names, types and canonical rows."""
    columns = [canonical(table.column(i)) for i in range(table.num_columns)]
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(table.num_rows)]
    return Answer(names=table.column_names, types=[arrow_type_name(f.type) for f in table.schema], rows=rows)


# -- verdicts ------------------------------------------------------------------------------------------------
# What a message says when it is an error of the same kind as Spark's (Spark's class names it best).
SAME_REASON: dict[str, str] = {
    "DIVIDE_BY_ZERO": r"divi\w* by zero",
    "REMAINDER_BY_ZERO": r"(remainder|modulo|divi\w*) by zero",
    "ARITHMETIC_OVERFLOW": r"overflow|out of range",
    "BINARY_ARITHMETIC_OVERFLOW": r"overflow|out of range",
    "CAST_OVERFLOW": r"overflow|out of range|could not cast",
    "NUMERIC_VALUE_OUT_OF_RANGE": r"overflow|out of range|could not cast|cannot be represented",
    "CAST_INVALID_INPUT": r"cannot be cast|could not (convert|cast)|malformed|invalid .*format",
    "INVALID_ARRAY_INDEX": r"out of bounds",
    "INVALID_ARRAY_INDEX_IN_ELEMENT_AT": r"out of bounds",
    "INVALID_INDEX_OF_ZERO": r"index (of )?0|index.*zero",
    "CANNOT_PARSE_TIMESTAMP": r"could not be parsed|c(an|ould) ?not parse",
    "DATETIME_FIELD_OUT_OF_BOUNDS": r"out of range|out of bounds|invalid date",
    "DUPLICATED_MAP_KEY": r"duplicate.*key|keys must be unique",
    "MALFORMED_RECORD_IN_PARSING": r"malformed",
}
# Text of errors that are the engine's own words, not a refusal naming what the user wrote.
_RAW_ENGINE = re.compile(
    r"(Binder|Catalog|Parser|Conversion|Invalid Input|Not implemented|Internal|Out of Range|Type mismatch) Error"
    r"|does not exist|Traceback|Error: [A-Z]",
)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    why: str = ""  # for `different`: what differs, in a few words (the cause a report groups by)


def same_reason(spark_error: str, message: str) -> bool:
    """Does lakeloader's error `message` say what Spark's error class says?"""
    if spark_error.lower() in message.lower():
        return True
    pattern = SAME_REASON.get(spark_error.split(".")[0])
    return bool(pattern and re.search(pattern, message, re.IGNORECASE))


def clear_refusal(message: str, names: set[str]) -> bool:
    """One line that names a function or construct of the query, in lakeloader's words (not the engine's)."""
    if "\n" in message.strip() or _RAW_ENGINE.search(message):
        return False
    words = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message)}
    for name in names:
        if re.fullmatch(r"\w+", name) and name.lower() in words:
            return True
        if " " in name and name.split()[0].lower() in words:  # LATERAL VIEW: "lateral view", "Lateral"
            return True
        if not re.search(r"\w", name) and re.search(rf"[`'\"]{re.escape(name)}[`'\"]", message):  # `:`
            return True
    return False


def verdict(ours: Answer, spark: Answer, *, ordered: bool, names: set[str]) -> Verdict:
    """Compare lakeloader's answer with Spark's. `names`: the functions and constructs the query uses."""
    if spark.error is not None:
        if ours.error is None:
            return Verdict("different", "answers where Spark raises an error")
        if same_reason(spark.error, ours.message or ""):
            return Verdict("equal")
        if clear_refusal(ours.message or "", names):
            return Verdict("refused")
        return Verdict("different", "raises another error than Spark's")
    if ours.error is not None:
        if clear_refusal(ours.message or "", names):
            return Verdict("refused")
        return Verdict("different", "raises where Spark answers")
    if len(ours.types) != len(spark.types):
        return Verdict("different", "another number of columns")
    if ours.names != spark.names:
        return Verdict("different", "column names")
    wrong_types = [n for n, o, s in zip(spark.names, ours.types, spark.types, strict=True) if o != s]
    if wrong_types:
        same_values = rows_match(_loose(ours.rows), _loose(spark.rows), ordered=ordered)
        return Verdict("different", "types" if same_values else "types and values")
    rows_equal = rows_match(ours.rows, spark.rows, ordered=ordered)
    if not rows_equal:
        if not ordered or sorted_rows(ours.rows) != sorted_rows(spark.rows):
            return Verdict("different", "values")
        return Verdict("different", "row order")
    return Verdict("equal")


_NUMBER = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?")
_MIDNIGHT = re.compile(r"(\d{4}-\d\d-\d\d)T00:00:00\.000000Z?")


def _loose(value: Any) -> Any:
    """`value` with the marks of its type rubbed off (decimal text vs int vs float, a timestamp's `Z`, a date
    as a midnight timestamp), to tell "the types differ" from "the values differ too" (never for equality)."""
    if isinstance(value, list):
        return [_loose(v) for v in value]
    if isinstance(value, dict):
        return {k: _loose(v) for k, v in value.items()}
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        number = Decimal(str(value))
        return format(number.normalize(), "f") if number == number.to_integral_value() else str(float(number))
    if isinstance(value, str):
        midnight = _MIDNIGHT.fullmatch(value)
        return midnight.group(1) if midnight else value.removesuffix("Z")
    return value


def sorted_rows(rows: list[list[Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows)


def rows_match(ours: list[list[Any]], spark: list[list[Any]], *, ordered: bool) -> bool:
    if ordered:
        return _json(ours) == _json(spark)
    return sorted_rows(ours) == sorted_rows(spark)


def _json(rows: list[list[Any]]) -> list[str]:
    return [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows]
