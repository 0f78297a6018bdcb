"""The Postgres source behind the commit protocol: plans (snapshot or cursor range + partition bounds), reads.

A plan is JSON written to the checkpoint before any data is read, so a replay reads the same range:
`{"kind": "snapshot"}` for a full read, `{"kind": "range", "lo": ..., "hi": ...}` for a cursor range (values in
Postgres' text form, compared as the cursor's declared type), plus `partitions` bounds when reads are split.
The high-water mark is the `hi` of the last committed plan, kept in `sources/postgres` of the checkpoint.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.execution.checkpoint import Checkpoint, read_json, write_json_atomic
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.sources.postgres import connection as conn
from lakeloader.sources.postgres import reader
from lakeloader.sources.postgres.options import PostgresSourceOptions, parse_duration
from lakeloader.sources.postgres.typemap import Column, describe, quote_ident, select_list

STATE_NAME = "postgres"
AUTO_SPLIT_MIN_PAGES = 16384  # 128 MiB of 8 kB pages: below that, one stream is as fast as several


def _relation(opts: PostgresSourceOptions) -> str:
    if opts.query is not None:
        return f"({opts.query}) AS _q"
    parts = opts.table.split(".") if opts.table else []
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ConfigError(f"postgres source: table '{opts.table}' is not schema.table; write e.g. public.providers")
    return ".".join(quote_ident(p) for p in parts)


def partition_predicates(column: str, lower: int, upper: int, n: int) -> list[str]:
    """Spark's stride split: bounds only set the stride; the first and last partitions are open-ended."""
    q = quote_ident(column)
    n = max(1, min(n, upper - lower + 1)) if upper >= lower else 1
    if n == 1:
        return ["TRUE"]
    stride = max(1, (upper - lower) // n)
    out = []
    for i in range(n):
        lo, hi = lower + i * stride, lower + (i + 1) * stride
        if i == 0:
            out.append(f"({q} < {hi} OR {q} IS NULL)")
        elif i == n - 1:
            out.append(f"{q} >= {lo}")
        else:
            out.append(f"{q} >= {lo} AND {q} < {hi}")
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


class PostgresSource:
    """Plans and reads batches of one Postgres table or query (implements execution.stream.BatchSource)."""

    SUPPORTS_PARTITIONED_READS = True

    def __init__(self, opts: PostgresSourceOptions) -> None:
        self.opts = opts
        self.relation = _relation(opts)
        self.stats = reader.ReadStats()
        self._columns: list[Column] | None = None
        self._snapshot_done = False
        self._control: Any = None

    # -- catalog ------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _con(self) -> Iterator[Any]:
        """The run's one control session (catalog, bounds, plans): opened once, dropped when it fails."""
        if self._control is None or self._control.closed:
            self._control = conn.psycopg_connect(self.opts.connection, where=self.opts.label)
        try:
            yield self._control
        except BaseException:
            self.close()  # a lost or broken session is not reused; the next call opens a new one
            raise

    def close(self) -> None:
        """Close the control session (the stream's reads have their own sessions)."""
        control, self._control = self._control, None
        if control is not None:
            with contextlib.suppress(Exception):  # gone with the server already: nothing to release
                control.close()

    def columns(self) -> list[Column]:
        """The columns read, typed from the catalog (user casts applied first)."""
        if self._columns is None:
            names = list(self.opts.columns) if self.opts.columns else []
            casts = self.opts.casts
            with self._con() as con:
                if not names:
                    cur = con.execute(f"SELECT * FROM {self.relation} LIMIT 0")
                    names = [d.name for d in cur.description]
                unknown = sorted(set(casts) - set(names))
                if unknown:
                    raise ConfigError(
                        f"postgres source {self.opts.label}: cast for unknown column {', '.join(unknown)}; "
                        f"columns are {', '.join(names)}"
                    )
                items = [(n, f"({quote_ident(n)})::{casts[n]}" if n in casts else quote_ident(n)) for n in names]
                self._columns = describe(con, items, self.relation, where=self.opts.label)
        return self._columns

    def cursor_column(self) -> Column:
        for c in self.columns():
            if c.name == self.opts.cursor:
                return c
        raise ConfigError(
            f"postgres source {self.opts.label}: cursor column {self.opts.cursor} is not read; "
            "add it to columns or fix --cursor"
        )

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns()])

    # -- planning -----------------------------------------------------------------------------------------
    def _base_filter(self) -> list[str]:
        return [f"({self.opts.filter})"] if self.opts.filter else []

    def _lookback_sql(self, lo: str, cursor: Column) -> str:
        value = f"{conn_literal(lo)}::{cursor.declared}"
        if not self.opts.lookback:
            return value
        if pa.types.is_integer(cursor.arrow_type) or pa.types.is_decimal(cursor.arrow_type):
            try:
                amount = int(self.opts.lookback)
            except ValueError:
                raise ConfigError(
                    f"postgres source {self.opts.label}: cursor {cursor.name} is {cursor.declared}, so "
                    f"lookback must be a number of key values, not '{self.opts.lookback}'"
                ) from None
            return f"({value} - {amount})"
        seconds = parse_duration(self.opts.lookback, option="lookback") / timedelta(seconds=1)
        return f"({value} - interval '{seconds} seconds')"

    def range_filter(self, plan: dict[str, Any]) -> list[str]:
        """The SQL predicates selecting a planned cursor range (lookback applied to the low end)."""
        if plan.get("kind") != "range":
            return []
        cursor = self.cursor_column()
        q = quote_ident(cursor.name)
        out = [f"{q} <= {conn_literal(plan['hi'])}::{cursor.declared}"]
        if plan.get("lo") is not None:
            op = ">=" if self.opts.primary_key else ">"
            out.append(f"{q} {op} {self._lookback_sql(plan['lo'], cursor)}")
        return out

    def lookback_low(self, plan: dict[str, Any]) -> Any:
        """The lowest cursor value a range plan re-reads (a Python value), or None for a first batch."""
        if plan.get("kind") != "range" or plan.get("lo") is None:
            return None
        with self._con() as con:
            return con.execute(f"SELECT {self._lookback_sql(plan['lo'], self.cursor_column())}").fetchone()[0]

    def _where(self, predicates: list[str]) -> str:
        return f" WHERE {' AND '.join(predicates)}" if predicates else ""

    def _next_hi(self, con: Any, hwm: str | None) -> str | None:
        cursor = self.cursor_column()
        q = quote_ident(cursor.name)
        preds = [*self._base_filter(), f"{q} IS NOT NULL"]
        if hwm is not None:
            preds.append(f"{q} > {conn_literal(hwm)}::{cursor.declared}")
        if self.opts.max_rows_per_batch:
            row = con.execute(
                f"SELECT {q}::text FROM {self.relation}{self._where(preds)} ORDER BY {q} "
                f"OFFSET {self.opts.max_rows_per_batch - 1} LIMIT 1"
            ).fetchone()
            if row is not None:
                return str(row[0])
        row = con.execute(f"SELECT max({q})::text FROM {self.relation}{self._where(preds)}").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def _partition_plan(self, con: Any, plan: dict[str, Any]) -> dict[str, Any] | None:
        column = self.opts.partition_column
        if column is None or (self.opts.num_partitions or 1) <= 1:
            return None
        lower, upper = self.opts.lower_bound, self.opts.upper_bound
        if lower is None or upper is None:
            q = quote_ident(column)
            preds = self._base_filter() + self.range_filter(plan)
            row = con.execute(
                f"SELECT min({q})::int8, max({q})::int8 FROM {self.relation}{self._where(preds)}"
            ).fetchone()
            lower = row[0] if lower is None else lower
            upper = row[1] if upper is None else upper
        if lower is None or upper is None:
            return None
        return {"column": column, "lower": int(lower), "upper": int(upper), "n": self.opts.num_partitions}

    def _block_plan(self, con: Any, plan: dict[str, Any]) -> dict[str, Any] | None:
        """Without a partition column, a whole-table read of a big table is split by block ranges."""
        requested = self.opts.num_partitions
        if self.opts.query is not None or plan.get("lo") is not None or requested == 1:
            return None  # an increment reads through the cursor's index, in one stream
        row = con.execute(
            "SELECT c.relkind, pg_relation_size(c.oid) / current_setting('block_size')::int8, "
            "current_setting('server_version_num')::int FROM pg_catalog.pg_class c WHERE c.oid = %s::regclass",
            (self.relation,),
        ).fetchone()
        relkind, pages, version = str(row[0]), int(row[1]), int(row[2])
        if relkind not in ("r", "m") or version < 140000:  # partitioned parents and views have no ctid
            return None
        n = requested or (min(4, os.cpu_count() or 1) if pages >= AUTO_SPLIT_MIN_PAGES else 1)
        n = min(n, max(1, pages))
        return {"ctid": True, "pages": pages, "n": n} if n > 1 else None

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        if self.opts.cursor is None or self.opts.mode == "full":
            if self._snapshot_done:
                return None
            self._snapshot_done = True
            plan: dict[str, Any] = {"kind": "snapshot"}
        else:
            hwm = self.high_water_mark(checkpoint)
            with self._con() as con:
                hi = self._next_hi(con, hwm)
            if hi is None:
                return None
            plan = {"kind": "range", "cursor": self.opts.cursor, "lo": hwm, "hi": hi}
        with self._con() as con:
            partitions = self._partition_plan(con, plan) if self.opts.partition_column else self._block_plan(con, plan)
        if partitions:
            plan["partitions"] = partitions
        return plan

    # -- reading ------------------------------------------------------------------------------------------
    def queries(self, plan: dict[str, Any]) -> list[str]:
        select = select_list(self.columns())
        preds = self._base_filter() + self.range_filter(plan)
        parts = plan.get("partitions")
        if not parts:
            splits = ["TRUE"]
        elif parts.get("ctid"):
            splits = ctid_predicates(parts["pages"], parts["n"])
        else:
            splits = partition_predicates(parts["column"], parts["lower"], parts["upper"], parts["n"])
        out = []
        for split in splits:
            where = self._where(preds + ([split] if split != "TRUE" else []))
            out.append(f"SELECT {select} FROM {self.relation}{where}")
        return out

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        self.stats.failure = None
        return reader.stream(self.opts, self.queries(plan), self.columns(), self.stats)

    # -- state ----------------------------------------------------------------------------------------
    def high_water_mark(self, checkpoint: Checkpoint) -> str | None:
        path = checkpoint.source_state_path(STATE_NAME) / "cursor.json"
        if path.exists():
            state = read_json(path)
            if state.get("cursor") != self.opts.cursor:
                raise ConfigError(
                    f"checkpoint {checkpoint.path} tracks cursor {state.get('cursor')}, not {self.opts.cursor}; "
                    "use a new checkpoint folder to change the cursor column"
                )
            return None if state.get("hwm") is None else str(state["hwm"])
        return None

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        if plan.get("kind") == "snapshot":
            self._snapshot_done = True
            return
        path = checkpoint.source_state_path(STATE_NAME) / "cursor.json"
        write_json_atomic(path, {"cursor": self.opts.cursor, "hwm": plan["hi"], "batch_id": batch_id})


def conn_literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings: only quotes need doubling)."""
    return "'" + str(value).replace("'", "''") + "'"
