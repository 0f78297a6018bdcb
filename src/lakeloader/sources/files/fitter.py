"""Fitting each decoded file to the stream's schema, at every depth, as the schema evolution mode says.

Evolution modes keep Auto Loader's names. `addNewColumns` evolves the table in the same run (Auto Loader stops
the stream and asks for a restart), new nested fields included. A value that does not fit its column is cast
when it fits exactly (an int64 file into an int column whose values all fit), else rescued into
`_rescued_data` as JSON with the file path, else the row is a bad record: never silently nulled. Names that
differ from the schema's only by case are rescued (`readerCaseSensitive`, Databricks' default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeloader.errors import SchemaMismatchError
from lakeloader.lakehouse import types
from lakeloader.sources.files import nested
from lakeloader.sources.files.formats import BadRecord
from lakeloader.sources.files.hints import apply_hints
from lakeloader.sources.files.nested import Residual, ValueFitter
from lakeloader.sources.files.options import EvolutionMode


def as_strings(t: pa.DataType) -> pa.DataType:
    """The type with every leaf made a string (Auto Loader's JSON/CSV inference without inferColumnTypes)."""
    if pa.types.is_struct(t):
        return pa.struct([pa.field(t.field(i).name, as_strings(t.field(i).type)) for i in range(t.num_fields)])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(as_strings(t.value_type))
    if pa.types.is_map(t):
        return pa.map_(pa.string(), as_strings(t.item_type))
    return pa.string()


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
    case_sensitive: bool = True  # readerCaseSensitive: with a rescue column, other spellings are rescued
    inferring: bool = False  # the first schema is being inferred from a sample: every sampled file adds to it

    _normal: dict[pa.Schema, pa.Schema] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.schema is not None:  # declared or stored schemas are held in the types Delta stores
            self.schema = types.delta_schema(self.schema)
        self.inferring = self.schema is None
        self.case_sensitive = self.case_sensitive and self.rescue_column is not None  # else Spark's default
        self._values = ValueFitter(case_sensitive=self.case_sensitive, text_format=self.text_format)

    @property
    def empty(self) -> bool:
        """True while no file has given the stream a column (nothing readable yet)."""
        return self.schema is None or not len(self.schema)

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
        """Grow the stream schema with `file_schema` as the mode allows; returns the columns it added.

        New fields count at every depth (`customer.email`). While the first schema is inferred, every sampled
        file adds its fields whatever the mode (the mode governs what comes after, as in Auto Loader).
        """
        incoming = nested.dedupe_schema(self.normalise(file_schema))
        if self.rescue_column is not None:
            incoming = pa.schema([f for f in incoming if f.name != self.rescue_column])
        if self.empty:
            self.schema = apply_hints(incoming, self.hints)
            return list(self.schema.names)
        assert self.schema is not None
        mine, theirs = pa.struct(list(self.schema)), pa.struct(list(incoming))
        new = nested.new_fields(theirs, mine, case_sensitive=self.case_sensitive)
        if not new:
            return []
        if self.mode == "failOnNewColumns" and not self.inferring:
            raise SchemaMismatchError(
                f"table {self.table_name}: file {path} has new columns {', '.join(new)}; "
                "schemaEvolutionMode is failOnNewColumns: add them to the schema or choose addNewColumns"
            )
        if self.mode == "addNewColumns" or self.inferring:
            self.schema = nested.grow_schema(self.schema, incoming, case_sensitive=self.case_sensitive)
            return new
        return []

    def fit(self, table: pa.Table, path: str) -> Fitted:
        """Cast `table` to the stream schema (plus the rescue column); what does not fit is rescued or bad."""
        assert self.schema is not None
        table = self.normalise_table(table)
        n = table.num_rows
        if table.schema == self.schema:  # the common case: the file has exactly the stream's columns
            if self.rescue_column:
                table = table.append_column(pa.field(self.rescue_column, pa.string()), pa.nulls(n, pa.string()))
            return Fitted(table)
        names = table.column_names
        twice = nested.repeated_name(pa.struct(list(table.schema)))
        if twice is not None:  # Parquet allows it; no column or JSON object could hold both
            raise ValueError(f"the file has two fields named {twice}; give each its own name")
        used: set[str] = set()
        columns: list[pa.Array | pa.ChunkedArray] = []
        rescue: dict[str, list[Any]] = {}  # file column → per row: what to rescue (None: nothing)
        lost = [False] * n  # rows holding a value that fits nowhere (no rescue column): bad records
        reasons: dict[int, str] = {}
        schema_names = self.schema.names
        for f in self.schema:
            src = self._source_column(f.name, names, schema_names, used)
            if src is None:
                columns.append(pa.nulls(n, f.type))
                continue
            used.add(src)
            col = table[src]
            if col.type == f.type:
                columns.append(col)
                continue
            cast, residuals = self._fit_column(col, f.type)
            columns.append(cast)
            if self.rescue_column:
                if any(r is not None for r in residuals):
                    rescue[src] = [None if r is None else r.value for r in residuals]
                continue
            for i, r in enumerate(residuals):
                if r is not None and (r.misfit or self.mode != "none"):
                    lost[i] = True
                    reasons.setdefault(i, f"column {f.name}: {_short(col[i].as_py())} does not fit {f.type}")
        for src in names:  # columns the stream schema does not have (or has in another spelling)
            if src in used or src == self.rescue_column:
                continue
            if self.rescue_column:
                rescue[src] = table[src].to_pylist()
            elif self.mode != "none" and table[src].null_count < n:  # only a case variant gets here
                for i in pc.indices_nonzero(pc.is_valid(table[src])).to_pylist():
                    lost[i] = True
                    reasons.setdefault(
                        i, f"column {src}: no column takes this spelling (the table has it in another case)"
                    )
        out = pa.table(columns, schema=self.schema) if columns else pa.table({"_": pa.nulls(n)}).select([])
        rescued_rows = 0
        if self.rescue_column:
            rescued, rescued_rows = _rescue_json(rescue, n, path)
            if self.rescue_column in names:  # the file already had one (a re-ingested export)
                rescued = pc.coalesce(rescued, table[self.rescue_column].cast(pa.string()))
            out = out.append_column(pa.field(self.rescue_column, pa.string()), rescued)
        bad = [
            BadRecord(path, reasons[i], line=None, offset=i, raw=_row_json(table, i), rows=1) for i in sorted(reasons)
        ]
        if bad:
            out = out.filter(pa.array([not x for x in lost], pa.bool_()))
        return Fitted(out, bad, rescued_rows)

    def _source_column(self, name: str, names: list[str], schema_names: list[str], used: set[str]) -> str | None:
        """The file column that fills stream column `name`: same spelling, or any case when not case-sensitive."""
        if name in names:
            return name
        if self.case_sensitive:
            return None
        hits = [n for n in names if n.lower() == name.lower() and n not in used and n not in schema_names]
        return hits[0] if len(hits) == 1 else None

    def _fit_column(self, col: pa.ChunkedArray, to: pa.DataType) -> tuple[pa.ChunkedArray, list[Residual | None]]:
        """(column as `to`, per row its residual or None). Text is parsed only for text formats."""
        if nested.is_nested(col.type) or nested.is_nested(to):
            if types.can_widen(col.type, to):  # every field is in `to`: Arrow's cast drops nothing
                try:
                    return col.cast(to, safe=True), [None] * len(col)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                    pass
            return self._values.column(col, to)
        cast, failed = self._cast(col, to)
        if failed is None:
            return cast, [None] * len(col)
        values = col.to_pylist()
        return cast, [
            Residual(v, misfit=True) if bad else None for v, bad in zip(values, failed.to_pylist(), strict=True)
        ]

    def _cast(self, col: pa.ChunkedArray, to: pa.DataType) -> tuple[pa.ChunkedArray, pa.ChunkedArray | None]:
        """(cast column, mask of values that did not fit or None). Text is parsed only for text formats."""
        text_source = pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        allowed = not text_source or self.text_format or pa.types.is_string(to)
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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _row_json(table: pa.Table, i: int) -> str:
    return nested.dumps(table.slice(i, 1).to_pylist()[0])


def _rescue_json(rescue: dict[str, list[Any]], n: int, path: str) -> tuple[pa.Array, int]:
    if not rescue:
        return pa.nulls(n, pa.string()), 0
    out: list[str | None] = []
    count = 0
    for i in range(n):
        row = {name: values[i] for name, values in rescue.items() if values[i] is not None}
        if row:
            row["_file_path"] = path
            out.append(nested.dumps(row))
            count += 1
        else:
            out.append(None)
    return pa.array(out, pa.string()), count
