"""`spark.createDataFrame(data, schema)`: Python rows, dicts, Rows or a pandas frame as Arrow, typed as Spark types
them (an int is a bigint, a float a double, a Decimal a decimal(38,18), a dict a map, a Row a struct)."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError


def ddl(schema: Any) -> str:
    """A PySpark StructType (or DDL text) as DDL text."""
    if isinstance(schema, str):
        return schema
    fields = getattr(schema, "fields", None)
    if fields is None:
        raise ConfigError(f"createDataFrame: schema {schema!r}: give a StructType, DDL text or a list of names")
    return ", ".join(f"`{f.name}` {f.dataType.simpleString()}" + ("" if f.nullable else " NOT NULL") for f in fields)


def arrow_schema(schema: Any) -> pa.Schema:
    from lakeloader.sources.files.ddl import parse_ddl

    return parse_ddl(ddl(schema))


def _infer(value: Any, where: str) -> pa.DataType:
    """Spark's type for a Python value (pyspark.sql.types._infer_type)."""
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return pa.string()
    if isinstance(value, decimal.Decimal):
        return pa.decimal128(38, 18)
    if isinstance(value, datetime.datetime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(value, datetime.date):
        return pa.date32()
    if isinstance(value, bytes | bytearray):
        return pa.binary()
    if _is_row(value):
        return pa.struct([pa.field(k, _infer_or_null(v, where)) for k, v in _named(value).items()])
    if isinstance(value, dict):
        key = next((k for k in value if k is not None), None)
        item = next((v for v in value.values() if v is not None), None)
        return pa.map_(_infer_or_null(key, where), _infer_or_null(item, where))
    if isinstance(value, list | tuple):
        item = next((v for v in value if v is not None), None)
        return pa.list_(_infer_or_null(item, where))
    raise ConfigError(f"createDataFrame: {where}: cannot infer a Spark type for {type(value).__name__}; give a schema")


def _infer_or_null(value: Any, where: str) -> pa.DataType:
    return pa.null() if value is None else _infer(value, where)


def _is_row(value: Any) -> bool:
    return (isinstance(value, tuple) and hasattr(value, "__fields__")) or hasattr(value, "_fields")


def _named(value: Any) -> dict[str, Any]:
    if hasattr(value, "asDict"):
        return dict(value.asDict())
    if hasattr(value, "_asdict"):
        return dict(value._asdict())
    return dict(zip(value.__fields__, value, strict=True))


def _records(data: list[Any], names: list[str] | None) -> tuple[list[str], list[list[Any]]]:
    """Column names and the rows' values in that order."""
    first = data[0]
    if isinstance(first, dict):
        columns = names or list(first)
        return columns, [[row.get(c) for c in (list(first) if names else columns)] for row in data]
    if _is_row(first):
        columns = names or list(_named(first))
        return columns, [list(_named(row).values()) for row in data]
    if isinstance(first, list | tuple):
        columns = names or [f"_{i + 1}" for i in range(len(first))]
        return columns, [list(row) for row in data]
    columns = names or ["value"]
    return columns, [[row] for row in data]


def _spark_value(value: Any, arrow_type: pa.DataType) -> Any:
    """A value as Arrow takes it for `arrow_type` (Rows as dicts, dicts as map items)."""
    if value is None:
        return None
    if pa.types.is_struct(arrow_type):
        named = _named(value) if _is_row(value) else value
        return {f.name: _spark_value(named.get(f.name), f.type) for f in arrow_type}
    if pa.types.is_map(arrow_type):
        return [(k, _spark_value(v, arrow_type.item_type)) for k, v in value.items()]
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return [_spark_value(v, arrow_type.value_type) for v in value]
    return value


def to_arrow(data: Any, schema: Any = None) -> pa.Table:
    """`data` (a list of tuples/dicts/Rows/values, or a pandas or Arrow frame) as an Arrow table with Spark's types."""
    if isinstance(data, pa.Table):
        return data
    if type(data).__module__.startswith("pandas"):
        table = pa.Table.from_pandas(data, preserve_index=False)
        return table.cast(arrow_schema(schema)) if schema is not None and not isinstance(schema, list) else table
    if type(data).__module__.startswith("polars"):
        return data.to_arrow()
    data = list(data)
    names = list(schema) if isinstance(schema, list | tuple) else None
    declared = arrow_schema(schema) if schema is not None and names is None else None
    if not data:
        if declared is None:
            raise ConfigError("createDataFrame: an empty list needs a schema (a StructType or DDL text)")
        return declared.empty_table()
    columns, records = _records(data, [f.name for f in declared] if declared is not None else names)
    if any(len(r) != len(columns) for r in records):
        raise ConfigError(f"createDataFrame: rows have other lengths than the {len(columns)} columns {columns}")
    arrays = []
    fields = []
    for i, name in enumerate(columns):
        values = [r[i] for r in records]
        if declared is not None:
            arrow_type = declared.field(i).type
        else:
            present = next((v for v in values if v is not None), None)
            if present is None:
                raise ConfigError(f"createDataFrame: column {name} has only None values; give a schema")
            arrow_type = _infer(present, f"column {name}")
            if pa.types.is_timestamp(arrow_type):  # naive datetimes are local time in PySpark: UTC here
                values = [v.replace(tzinfo=datetime.UTC) if v is not None and v.tzinfo is None else v for v in values]
        try:
            arrays.append(pa.array([_spark_value(v, arrow_type) for v in values], type=arrow_type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
            raise ConfigError(
                f"createDataFrame: column {name}: {str(exc).splitlines()[0]}; fix the data or schema"
            ) from None
        fields.append(pa.field(name, arrow_type, declared.field(i).nullable if declared is not None else True))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
