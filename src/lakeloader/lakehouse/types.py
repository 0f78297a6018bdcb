"""Arrow ⇄ Delta type rules: normalise incoming Arrow types to what Delta stores, and check appends against a table.

Delta has no unsigned integers, no half floats, no time-of-day and only microsecond timestamps; delta-rs would
otherwise cast some of these lossily (uint16 → int16) without a word, so we decide here, explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from lakeloader.errors import SchemaMismatchError

_UNSIGNED = {
    pa.uint8(): pa.int16(),
    pa.uint16(): pa.int32(),
    pa.uint32(): pa.int64(),
    pa.uint64(): pa.decimal128(20, 0),
}
_INT_RANK = {pa.int8(): 1, pa.int16(): 2, pa.int32(): 3, pa.int64(): 4}


def delta_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type Delta will store for `t` (recursively for nested types)."""
    if pa.types.is_dictionary(t):
        return delta_type(t.value_type)
    if t in _UNSIGNED:
        return _UNSIGNED[t]
    if pa.types.is_float16(t):
        return pa.float32()
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC" if t.tz is not None else None)
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_time(t):
        return pa.int64()  # microseconds since midnight; callers that care map time to string first
    if pa.types.is_null(t):
        return pa.string()
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_decimal256(t) and t.precision <= 38:
        return pa.decimal128(t.precision, t.scale)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return pa.list_(delta_field(t.value_field))
    if pa.types.is_struct(t):
        return pa.struct([delta_field(t.field(i)) for i in range(t.num_fields)])
    if pa.types.is_map(t):
        return pa.map_(delta_type(t.key_type), delta_field(t.item_field), keys_sorted=t.keys_sorted)
    return t


def delta_field(f: pa.Field) -> pa.Field:
    return pa.field(f.name, delta_type(f.type), nullable=True, metadata=f.metadata)


def delta_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with every field mapped to the type Delta stores, all nullable (Delta's default)."""
    return pa.schema([delta_field(f) for f in schema], metadata=schema.metadata)


def _time_to_micros(arr: pa.Array) -> pa.Array:
    import pyarrow.compute as pc  # lazy: ~40 ms to import, and most runs never need it

    return pc.cast(arr.cast(pa.time64("us")), pa.int64())


def can_widen(src: pa.DataType, dst: pa.DataType) -> bool:
    """True if every value of `src` fits `dst` exactly (the implicit up-casts Spark allows on insert).

    At every depth: a struct widens only into a struct holding each of its fields (by exact name) in a type
    it widens into; a field only the target has reads as null. A field only `src` has would be dropped by
    the cast, so such a struct does not widen (see `evolve_type`).
    """
    if src == dst:
        return True
    if src in _INT_RANK and dst in _INT_RANK:
        return bool(_INT_RANK[src] <= _INT_RANK[dst])
    if pa.types.is_float32(src) and pa.types.is_float64(dst):
        return True
    if src in _INT_RANK and pa.types.is_float64(dst):
        return bool(_INT_RANK[src] <= 3)  # int64 does not fit a double exactly
    if pa.types.is_decimal(src) and pa.types.is_decimal(dst):
        return bool(dst.scale >= src.scale and dst.precision - dst.scale >= src.precision - src.scale)
    if src in _INT_RANK and pa.types.is_decimal(dst):
        digits = {1: 3, 2: 5, 3: 10, 4: 19}[_INT_RANK[src]]
        return bool(dst.precision - dst.scale >= digits)
    if pa.types.is_timestamp(src) and pa.types.is_timestamp(dst):
        return (src.tz is None) == (dst.tz is None)
    if pa.types.is_struct(src) and pa.types.is_struct(dst):
        dst_fields = {dst.field(i).name: dst.field(i).type for i in range(dst.num_fields)}
        return all(
            src.field(i).name in dst_fields and can_widen(src.field(i).type, dst_fields[src.field(i).name])
            for i in range(src.num_fields)
        )
    if _is_list(src) and _is_list(dst):
        return can_widen(src.value_type, dst.value_type)
    if pa.types.is_map(src) and pa.types.is_map(dst):
        return src.key_type == dst.key_type and can_widen(src.item_type, dst.item_type)
    return False


def _is_list(t: pa.DataType) -> bool:
    return bool(pa.types.is_list(t) or pa.types.is_large_list(t))


def evolve_type(src: pa.DataType, dst: pa.DataType, *, path: str) -> tuple[pa.DataType, list[str]] | None:
    """`dst` grown by the nested fields only `src` has, and their paths; None if `src` does not fit it.

    The grown type keeps `dst`'s fields, in its order and types, and appends the new ones (at any depth: inside
    structs, list elements and map values), as Delta's schema merge does.
    """
    if can_widen(src, dst):
        return dst, []
    if pa.types.is_struct(src) and pa.types.is_struct(dst):
        theirs = {src.field(i).name: src.field(i) for i in range(src.num_fields)}
        fields: list[pa.Field] = []
        added: list[str] = []
        for i in range(dst.num_fields):
            mine = dst.field(i)
            other = theirs.pop(mine.name, None)
            if other is None:
                fields.append(mine)
                continue
            grown = evolve_type(other.type, mine.type, path=f"{path}.{mine.name}")
            if grown is None:
                return None
            fields.append(mine.with_type(grown[0]))
            added += grown[1]
        taken = {f.name.lower() for f in fields}
        for name, other in theirs.items():
            if name.lower() in taken:  # Delta names are case-insensitive at every depth
                return None
            fields.append(delta_field(other))
            added.append(f"{path}.{name}")
        return pa.struct(fields), added
    if _is_list(src) and _is_list(dst):
        inner = evolve_type(src.value_type, dst.value_type, path=f"{path}.element")
        return None if inner is None else (pa.list_(dst.value_field.with_type(inner[0])), inner[1])
    if pa.types.is_map(src) and pa.types.is_map(dst) and src.key_type == dst.key_type:
        item = evolve_type(src.item_type, dst.item_type, path=f"{path}.value")
        if item is None:
            return None
        return pa.map_(dst.key_field, dst.item_field.with_type(item[0]), keys_sorted=dst.keys_sorted), item[1]
    return None


def fits_table(target: pa.Schema, table: pa.Schema) -> bool:
    """True if every column of `target` is a column of `table` of the very same type, at every depth."""
    have = {f.name: f.type for f in table}
    return all(f.name in have and have[f.name] == f.type for f in target)


def stored_as_is(src: pa.DataType, dst: pa.DataType) -> bool:
    """True if a Parquet column that Arrow reads as `src` already holds `dst` exactly as Delta stores it.

    Only the Arrow-side width of offsets (large_string, large_list) and dictionary encoding may differ: those do
    not change the Parquet bytes. Nanosecond or millisecond timestamps, unsigned integers, half floats, times
    and fixed-size binaries all need a conversion, so a file holding them is never copied as it is.
    """
    if pa.types.is_dictionary(src):
        src = src.value_type
    if pa.types.is_large_string(src) or pa.types.is_string(src):
        return bool(pa.types.is_string(dst))
    if pa.types.is_large_binary(src) or pa.types.is_binary(src):
        return bool(pa.types.is_binary(dst))
    if pa.types.is_list(src) or pa.types.is_large_list(src):
        return pa.types.is_list(dst) and stored_as_is(src.value_type, dst.value_type)
    if pa.types.is_map(src):
        return (
            pa.types.is_map(dst)
            and stored_as_is(src.key_type, dst.key_type)
            and stored_as_is(src.item_type, dst.item_type)
        )
    if pa.types.is_struct(src):
        return (
            pa.types.is_struct(dst)
            and src.num_fields == dst.num_fields
            and all(
                src.field(i).name == dst.field(i).name and stored_as_is(src.field(i).type, dst.field(i).type)
                for i in range(src.num_fields)
            )
        )
    if pa.types.is_timestamp(src):
        return pa.types.is_timestamp(dst) and src.unit == dst.unit == "us" and (src.tz is None) == (dst.tz is None)
    return bool(src == dst)


def plan_append(incoming: pa.Schema, table: pa.Schema | None, *, table_name: str, evolve: bool) -> pa.Schema:
    """The schema incoming batches are cast to before they are written to `table`.

    Columns the table lacks, and nested fields its structs lack (at any depth), are added when `evolve` is
    true, refused otherwise; a column whose type cannot be widened into the table's is refused with the
    column, both types and the fix.
    """
    normal = delta_schema(incoming)
    if table is None:
        return normal
    table_types = {f.name.lower(): f for f in table}
    fields: list[pa.Field] = []
    new_columns: list[str] = []
    for f in normal:
        existing = table_types.get(f.name.lower())
        if existing is None:
            new_columns.append(f.name)
            fields.append(f)
            continue
        grown = None if f.type == existing.type else evolve_type(f.type, existing.type, path=existing.name)
        if f.type != existing.type and grown is None:
            raise SchemaMismatchError(
                f"table {table_name}: column {f.name} is {existing.type} but the incoming data has {f.type}; "
                "cast it in the source, or use schema evolution mode 'rescue' to keep such values aside"
            )
        fields.append(existing if grown is None else existing.with_type(grown[0]))
        new_columns += [] if grown is None else grown[1]
    if new_columns and not evolve:
        raise SchemaMismatchError(
            f"table {table_name}: incoming data has new columns {', '.join(new_columns)}; "
            "enable schema evolution (addNewColumns) or drop them in the source"
        )
    return pa.schema(fields)


def cast_batches(reader: pa.RecordBatchReader, target: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Cast each batch of `reader` to `target` (columns matched by position), one batch at a time."""
    for batch in reader:
        columns = []
        for i, field in enumerate(target):
            column = batch.column(i)
            if pa.types.is_time(column.type):
                column = _time_to_micros(column)
            if pa.types.is_dictionary(column.type):
                column = column.dictionary_decode()
            if column.type != field.type:
                column = column.cast(field.type, safe=True)
            columns.append(column)
        yield pa.RecordBatch.from_arrays(columns, schema=target)


_SQL_NAMES = {
    pa.int8(): "tinyint",
    pa.int16(): "smallint",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.string(): "string",
    pa.large_string(): "string",
    pa.binary(): "binary",
    pa.date32(): "date",
}


def sql_type(t: pa.DataType) -> str:
    """The Spark/Databricks SQL name of a Delta-stored Arrow type (bigint, decimal(12,2), array<string>...)."""
    if t in _SQL_NAMES:
        return _SQL_NAMES[t]
    if pa.types.is_timestamp(t):
        return "timestamp" if t.tz is not None else "timestamp_ntz"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"array<{sql_type(t.value_type)}>"
    if pa.types.is_struct(t):
        inner = ",".join(f"{t.field(i).name}:{sql_type(t.field(i).type)}" for i in range(t.num_fields))
        return f"struct<{inner}>"
    if pa.types.is_map(t):
        return f"map<{sql_type(t.key_type)},{sql_type(t.item_type)}>"
    return str(t)
