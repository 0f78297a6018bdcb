"""Schema inference, stored versions (`schemaLocation`), hints, and fitting each file to the stream's schema.

Evolution modes keep Auto Loader's names. `addNewColumns` evolves the table in the same run (Auto Loader stops
the stream and asks for a restart). A value that does not fit its column is cast when it fits exactly (an int64
file into an int column whose values all fit), else rescued into `_rescued_data` as JSON with the file path,
else the row is a bad record: never silently nulled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeloader.errors import SchemaMismatchError
from lakeloader.execution.checkpoint import read_json, write_json_atomic
from lakeloader.lakehouse import types
from lakeloader.sources.files.ddl import parse_ddl, parse_type, to_ddl
from lakeloader.sources.files.formats import BadRecord
from lakeloader.sources.files.options import EvolutionMode


class SchemaStore:
    """Every version of the inferred schema: `<schemaLocation>/_schemas/<n>.json`, never rewritten."""

    def __init__(self, location: str | Path) -> None:
        self.folder = Path(location) / "_schemas"

    def versions(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(p.stem) for p in self.folder.glob("*.json") if p.stem.isdigit())

    def latest(self) -> pa.Schema | None:
        versions = self.versions()
        if not versions:
            return None
        return parse_ddl(read_json(self.folder / f"{versions[-1]}.json")["ddl"], what="stored schema")

    def save(self, schema: pa.Schema, *, reason: str) -> int | None:
        """Store `schema` as a new version if it differs from the latest; returns the new version number."""
        if self.latest() == schema:
            return None
        versions = self.versions()
        version = versions[-1] + 1 if versions else 0
        write_json_atomic(
            self.folder / f"{version}.json",
            {"version": version, "ddl": to_ddl(schema), "reason": reason, "created_at": datetime.now(UTC).isoformat()},
        )
        return version

    def history(self) -> list[dict[str, Any]]:
        return [dict(read_json(self.folder / f"{v}.json")) for v in self.versions()]


def as_strings(t: pa.DataType) -> pa.DataType:
    """The type with every leaf made a string (Auto Loader's JSON/CSV inference without inferColumnTypes)."""
    if pa.types.is_struct(t):
        return pa.struct([pa.field(t.field(i).name, as_strings(t.field(i).type)) for i in range(t.num_fields)])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(as_strings(t.value_type))
    if pa.types.is_map(t):
        return pa.map_(pa.string(), as_strings(t.item_type))
    return pa.string()


def apply_hints(schema: pa.Schema, hints: str | None) -> pa.Schema:
    """`schemaHints`: 'a BIGINT, b.c STRING'-style overrides of top-level column types (new names are added)."""
    if not hints:
        return schema
    hinted = parse_ddl(hints, what="schemaHints")
    fields = {f.name.lower(): f for f in schema}
    out = [hinted.field(f.name) if f.name in hinted.names else f for f in schema]
    out += [f for f in hinted if f.name.lower() not in fields]
    return pa.schema(out)


def merge_types(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The type that holds both (struct fields unioned, ints widened), or None when they conflict."""
    if a == b:
        return a
    if types.can_widen(b, a):
        return a
    if types.can_widen(a, b):
        return b
    if pa.types.is_struct(a) and pa.types.is_struct(b):
        fields = {a.field(i).name: a.field(i).type for i in range(a.num_fields)}
        for i in range(b.num_fields):
            f = b.field(i)
            if f.name in fields:
                merged = merge_types(fields[f.name], f.type)
                if merged is None:
                    return None
                fields[f.name] = merged
            else:
                fields[f.name] = f.type
        return pa.struct(list(fields.items()))
    if pa.types.is_list(a) and pa.types.is_list(b):
        inner = merge_types(a.value_type, b.value_type)
        return None if inner is None else pa.list_(inner)
    return None


@dataclass
class Fitted:
    table: pa.Table
    bad: list[BadRecord] = field(default_factory=list)
    rescued_rows: int = 0


@dataclass
class SchemaFitter:
    """Fits decoded files to the stream's schema according to the evolution mode."""

    schema: pa.Schema | None
    mode: EvolutionMode
    rescue_column: str | None
    strings_only: bool  # JSON/CSV without inferColumnTypes: leaves are text
    text_format: bool  # text values may be parsed into a declared type (CSV, JSON)
    hints: str | None
    table_name: str

    _normal: dict[pa.Schema, pa.Schema] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.schema is not None:  # declared or stored schemas are held in the types Delta stores
            self.schema = types.delta_schema(self.schema)

    def normalise(self, schema: pa.Schema) -> pa.Schema:
        """`schema` in the types Delta stores (remembered: the files of a stream mostly share one schema)."""
        normal = self._normal.get(schema)
        if normal is None:
            normal = types.delta_schema(schema)
            if self.strings_only:
                normal = pa.schema([pa.field(f.name, as_strings(f.type)) for f in normal])
            if len(self._normal) < 256:
                self._normal[schema] = normal  # dict ops are atomic under the GIL: decode threads share it
        return normal

    def normalise_table(self, table: pa.Table) -> pa.Table:
        """`table` in the types Delta stores (thread-safe: decode workers call it, off the writer's thread)."""
        return _normalise_table(table, self.normalise(table.schema))

    def observe(self, file_schema: pa.Schema, path: str) -> list[str]:
        """Grow the stream schema with `file_schema` as the mode allows; returns the columns it added."""
        incoming = self.normalise(file_schema)
        if self.schema is None:
            self.schema = apply_hints(incoming, self.hints)
            return list(self.schema.names)
        known = {f.name.lower(): i for i, f in enumerate(self.schema)}
        new = [f for f in incoming if f.name.lower() not in known and f.name != self.rescue_column]
        fields = list(self.schema)
        changed = []
        if self.mode == "addNewColumns":
            for f in incoming:  # nested struct growth is evolution too
                i = known.get(f.name.lower())
                if i is not None and pa.types.is_struct(fields[i].type) and fields[i].type != f.type:
                    merged = merge_types(fields[i].type, f.type)
                    if merged is not None and merged != fields[i].type:
                        fields[i] = pa.field(fields[i].name, merged)
                        changed.append(f.name)
        if new and self.mode == "failOnNewColumns":
            raise SchemaMismatchError(
                f"table {self.table_name}: file {path} has new columns {', '.join(f.name for f in new)}; "
                "schemaEvolutionMode is failOnNewColumns: add them to the schema or choose addNewColumns"
            )
        if self.mode == "addNewColumns":
            fields += new
            changed += [f.name for f in new]
        if changed:
            self.schema = pa.schema(fields)
        return changed

    def fit(self, table: pa.Table, path: str) -> Fitted:
        """Cast `table` to the stream schema (plus the rescue column); what does not fit is rescued or bad."""
        assert self.schema is not None
        table = self.normalise_table(table)
        n = table.num_rows
        if table.schema == self.schema:  # the common case: the file has exactly the stream's columns
            if self.rescue_column:
                table = table.append_column(pa.field(self.rescue_column, pa.string()), pa.nulls(n, pa.string()))
            return Fitted(table)
        by_name = {n.lower(): n for n in table.column_names}
        columns: list[pa.Array | pa.ChunkedArray] = []
        rescue: dict[str, pa.ChunkedArray] = {}  # column → values to rescue (null where nothing to rescue)
        drop = None  # rows that must leave the table (bad), as a boolean mask
        bad: list[BadRecord] = []
        for f in self.schema:
            src = by_name.pop(f.name.lower(), None)
            if src is None:
                columns.append(pa.nulls(n, f.type))
                continue
            col = table[src]
            if col.type == f.type:
                columns.append(col)
                continue
            cast, failed = self._cast(col, f.type)
            columns.append(cast)
            if failed is not None:
                if self.rescue_column:
                    rescue[src] = pc.if_else(failed, col, pa.nulls(n, col.type))
                else:
                    drop = failed if drop is None else pc.or_(drop, failed)
                    for i in pc.indices_nonzero(failed).to_pylist():
                        value = col[i].as_py()
                        bad.append(
                            BadRecord(
                                path,
                                f"column {f.name}: {value!r} does not fit {f.type}",
                                line=None,
                                offset=i,
                                raw=_row_json(table, i),
                                rows=1,
                            )
                        )
        for src in by_name.values():  # columns the stream schema does not have
            if src == self.rescue_column:
                continue
            if self.rescue_column:
                rescue[src] = table[src]
        out = pa.table(columns, schema=self.schema)
        rescued_rows = 0
        if self.rescue_column:
            rescued, rescued_rows = _rescue_json(rescue, n, path)
            if self.rescue_column in table.column_names:  # the file already had one (a re-ingested export)
                rescued = pc.coalesce(rescued, table[self.rescue_column].cast(pa.string()))
            out = out.append_column(pa.field(self.rescue_column, pa.string()), rescued)
        if drop is not None:
            out = out.filter(pc.invert(pc.fill_null(drop, False)))
        return Fitted(out, bad, rescued_rows)

    def _cast(self, col: pa.ChunkedArray, to: pa.DataType) -> tuple[pa.ChunkedArray, pa.ChunkedArray | None]:
        """(cast column, mask of values that did not fit or None). Text is parsed only for text formats."""
        text_source = pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        allowed = (not text_source or self.text_format or pa.types.is_string(to)) and _castable(col.type, to)
        if allowed:
            try:
                return col.cast(to, safe=True), None
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                pass
        if not allowed:
            failed = pc.is_valid(col)
            return pa.chunked_array([pa.nulls(len(col), to)]), failed
        values = col.to_pylist()
        out: list[Any] = []
        fails: list[bool] = []
        for v in values:
            try:
                out.append(None if v is None else pa.scalar(v, col.type).cast(to, safe=True).as_py())
                fails.append(False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError):
                out.append(None)
                fails.append(True)
        return pa.chunked_array([pa.array(out, to)]), pa.chunked_array([pa.array(fails, pa.bool_())])


def _castable(src: pa.DataType, dst: pa.DataType) -> bool:
    nested = (pa.types.is_struct, pa.types.is_list, pa.types.is_map, pa.types.is_large_list)
    if any(k(src) for k in nested) or any(k(dst) for k in nested):
        return bool(merge_types(dst, src) == dst or (pa.types.is_struct(src) and pa.types.is_struct(dst)))
    return True


def _normalise_table(table: pa.Table, target: pa.Schema) -> pa.Table:
    if table.schema == target:
        return table
    for i, f in enumerate(table.schema):
        if (pa.types.is_time(f.type) or pa.types.is_timestamp(f.type)) and f.type.unit == "ns":
            # Delta keeps microseconds: nanoseconds are truncated (documented), as Spark does
            to = pa.time64("us") if pa.types.is_time(f.type) else pa.timestamp("us", tz=f.type.tz)
            table = table.set_column(i, f.name, pc.cast(table.column(i), to, safe=False))
    batches = list(types.cast_batches(table.to_reader(), target)) if table.num_rows else []
    return pa.Table.from_batches(batches, schema=target)


def _row_json(table: pa.Table, i: int) -> str:
    return json.dumps(table.slice(i, 1).to_pylist()[0], default=str)


def _rescue_json(rescue: dict[str, pa.ChunkedArray], n: int, path: str) -> tuple[pa.Array, int]:
    if not rescue:
        return pa.nulls(n, pa.string()), 0
    lists = {name: col.to_pylist() for name, col in rescue.items()}
    out: list[str | None] = []
    count = 0
    for i in range(n):
        row = {name: values[i] for name, values in lists.items() if values[i] is not None}
        if row:
            row["_file_path"] = path
            out.append(json.dumps(row, default=str))
            count += 1
        else:
            out.append(None)
    return pa.array(out, pa.string()), count


def load_declared_schema(value: str) -> pa.Schema:
    """`--schema`: a path to an .avsc (Avro schema) or .json/.ddl file, or DDL text."""
    path = Path(value)
    if value.endswith((".avsc", ".json", ".ddl")) or (len(value) < 4096 and path.is_file()):
        text = path.read_text()
        if value.endswith(".avsc") or text.lstrip().startswith("{"):
            from lakeloader.sources.files.formats.avro import avsc_to_arrow

            return avsc_to_arrow(text)
        return parse_ddl(text)
    return parse_ddl(value)


__all__ = ["SchemaFitter", "SchemaStore", "apply_hints", "load_declared_schema", "parse_type"]
