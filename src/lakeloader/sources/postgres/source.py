"""The Postgres source behind the commit protocol: plans (snapshot or cursor range + partition bounds), reads.

A plan is JSON written to the checkpoint before any data is read, so a replay reads the same range:
`{"kind": "snapshot"}` for a full read, `{"kind": "range", "lo": ..., "hi": ...}` for a cursor range (values in
Postgres' text form, compared as the cursor's declared type), plus `partitions` bounds when reads are split.
The high-water mark is the `hi` of the last committed plan, kept in `sources/postgres` of the checkpoint with
the identity of the table it was read from (a table dropped and recreated, or truncated, is noticed).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyarrow as pa

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint, read_json, write_json_atomic
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.sources.postgres import connection as conn
from lakeloader.sources.postgres import identity, partitions, reader
from lakeloader.sources.postgres import relation as relations
from lakeloader.sources.postgres.options import PostgresSourceOptions, parse_duration
from lakeloader.sources.postgres.partitions import ctid_predicates, partition_predicates
from lakeloader.sources.postgres.relation import Relation
from lakeloader.sources.postgres.typemap import Column, describe, quote_ident, select_list

__all__ = ["PostgresSource", "conn_literal", "ctid_predicates", "partition_predicates"]

log = logging.getLogger(__name__)
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE (not imported here: psycopg loads only when a session opens)
STATE_NAME = "postgres"
AUTO_SPLIT_MIN_PAGES = 16384  # 128 MiB of 8 kB pages: below that, one stream is as fast as several


def conn_literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings: only quotes need doubling)."""
    return "'" + str(value).replace("'", "''") + "'"


class PostgresSource:
    """Plans and reads batches of one Postgres table or query (implements execution.stream.BatchSource)."""

    SUPPORTS_PARTITIONED_READS = True

    def __init__(self, opts: PostgresSourceOptions) -> None:
        self.opts = opts
        self.stats = reader.ReadStats()
        self._relation: Relation | None = None
        self._columns: list[Column] | None = None
        self._snapshot_done = False
        self._validated = False
        self._warned_infinite = False
        self._control: Any = None

    # -- catalog ------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _con(self) -> Iterator[Any]:
        """The run's one control session (catalog, bounds, plans): opened once, dropped when it fails.

        Behind a transaction pooler each use is one transaction that applies the session settings and the init
        statement first (SET LOCAL), so planning sees what the reads see and nothing leaks onto the pool.
        """
        if self._control is None or self._control.closed:
            self._control = conn.psycopg_connect(self.opts.connection, where=self.opts.label)
        con = self._control
        try:
            if self.opts.connection.pooler_mode and con.info.transaction_status == _IDLE:
                with con.transaction(force_rollback=True):
                    for statement in conn.setup_statements(self.opts.connection, local=True):
                        con.execute(statement)
                    yield con
            else:
                yield con
        except BaseException:
            self.close()  # a lost or broken session is not reused; the next call opens a new one
            raise

    def close(self) -> None:
        """Close the control session (the stream's reads have their own sessions)."""
        control, self._control = self._control, None
        if control is not None:
            with contextlib.suppress(Exception):  # gone with the server already: nothing to release
                control.close()

    @property
    def relation(self) -> Relation:
        """The table as Postgres resolves the name (folded, quoted, search_path), or the wrapped query."""
        if self._relation is None:
            if self.opts.query is not None:
                self._relation = relations.for_query(self.opts.query)
            else:
                with self._con() as con:
                    self._relation = relations.resolve_table(con, str(self.opts.table))
        return self._relation

    def identity(self) -> str:
        """What the stream is keyed on: the database and the relation (or query), not the server's address."""
        return f"postgresql:{self.opts.connection.parts()['dbname']}/{self.relation.name}"

    def columns(self) -> list[Column]:
        """The columns read, typed from the catalog (user casts applied first)."""
        if self._columns is None:
            names = list(self.opts.columns) if self.opts.columns else []
            casts = self.opts.casts
            relation = self.relation.sql
            with self._con() as con:
                if not names:
                    cur = con.execute(f"SELECT * FROM {relation} LIMIT 0")
                    names = [d.name for d in cur.description]
                unknown = sorted(set(casts) - set(names))
                if unknown:
                    raise ConfigError(
                        f"postgres source {self.opts.label}: cast for unknown column {', '.join(unknown)}; "
                        f"columns are {', '.join(names)}"
                    )
                items = [(n, f"({quote_ident(n)})::{casts[n]}" if n in casts else quote_ident(n)) for n in names]
                self._columns = describe(con, items, relation, where=self.opts.label)
        return self._columns

    def column(self, name: str, *, role: str, fix: str) -> Column:
        for c in self.columns():
            if c.name == name:
                return c
        names = ", ".join(c.name for c in self.columns())
        raise ConfigError(f"postgres source {self.opts.label}: {role} {name} is not read (columns: {names}); {fix}")

    def cursor_column(self) -> Column:
        return self.column(str(self.opts.cursor), role="cursor column", fix="add it to --columns or fix --cursor")

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns()])

    def validate(self) -> None:
        """Check every option against the catalog before anything is planned, so a first run fails where a
        later one would (a lookback that does not fit the cursor, a key that is not read, a name collision)."""
        if self._validated:
            return
        opts, where = self.opts, self.opts.label
        names: dict[str, str] = {}
        for c in self.columns():  # Delta's column names are case-insensitive
            if c.name.lower() in names:
                raise ConfigError(
                    f"postgres source {where}: columns {names[c.name.lower()]} and {c.name} differ only by case, "
                    "which one Delta table cannot hold; rename one in a --query, or leave one out with --columns"
                )
            names[c.name.lower()] = c.name
        if opts.cursor:
            self._lookback_sql("0", self.cursor_column())
        for key in opts.primary_key:
            self.column(key, role="primary key column", fix="add it to --columns or fix --primary-key")
        if opts.sequence_by:
            self.column(opts.sequence_by, role="sequence_by column", fix="add it to --columns or fix --sequence-by")
        if opts.partition_column:
            column = self.column(opts.partition_column, role="partition column", fix="fix --partition-column")
            kind = partitions.kind_of(column, where=where)
            for option, value in (("lower_bound", opts.lower_bound), ("upper_bound", opts.upper_bound)):
                if value is not None:
                    partitions.parse_bound(value, kind, option=option, where=where)
        for audit, name in opts.audit.items():
            if name.lower() in names:
                taken, renamed = names[name.lower()], f"_lakeloader{name}"
                raise ConfigError(
                    f"postgres source {where}: column {taken} of the source has the name of the {audit} audit column; "
                    f"rename the audit column: --audit-column {audit}={renamed} (Python: audit={{'{audit}': "
                    f"'{renamed}'}}), or drop it: --audit-column {audit}="
                )
        self._validated = True

    # -- planning -----------------------------------------------------------------------------------------
    def _base_filter(self) -> list[str]:
        return [f"({self.opts.filter})"] if self.opts.filter else []

    def _lookback_sql(self, lo: str, cursor: Column) -> str:
        value = f"{conn_literal(lo)}::{cursor.declared}"
        if not self.opts.lookback:
            return value
        t, label, lookback = cursor.arrow_type, self.opts.label, self.opts.lookback
        if pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_floating(t):
            try:
                amount = int(lookback)
            except ValueError:
                raise ConfigError(
                    f"postgres source {label}: cursor {cursor.name} is {cursor.declared}, so lookback must be a "
                    f"number of key values (e.g. 500), not '{lookback}'"
                ) from None
            return f"({value} - {amount})"
        if not (pa.types.is_timestamp(t) or pa.types.is_date32(t)):
            raise ConfigError(
                f"postgres source {label}: cursor {cursor.name} is {cursor.declared}, which a lookback cannot go "
                "back on; use a numeric, date or timestamp cursor, or drop --lookback"
            )
        seconds = parse_duration(lookback, option="lookback") / timedelta(seconds=1)
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
        """The `hi` of the next range: the largest finite cursor value (or the max_rows_per_batch-th one).

        +-infinity and NaN never become the high-water mark: above it nothing could ever be read again.
        """
        cursor = self.cursor_column()
        q = quote_ident(cursor.name)
        preds = [*self._base_filter(), f"{q} IS NOT NULL"]
        if hwm is not None:
            preds.append(f"{q} > {conn_literal(hwm)}::{cursor.declared}")
        finite = partitions.finite_sql(cursor)
        self._warn_unreachable(con, cursor, preds, finite)
        if finite:
            preds.append(finite)
        source = f"{self.relation.sql}{self._where(preds)}"
        if self.opts.max_rows_per_batch:
            # ordered by the cursor itself, qualified so that the text column of the SELECT list cannot capture it
            row = con.execute(
                f"SELECT {q}::text AS hwm FROM {source} ORDER BY {self.relation.column(cursor.name)} "
                f"OFFSET {self.opts.max_rows_per_batch - 1} LIMIT 1"
            ).fetchone()
            if row is not None:
                return str(row[0])
        row = con.execute(f"SELECT max({q})::text FROM {source}").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def _warn_unreachable(self, con: Any, cursor: Column, preds: list[str], finite: str | None) -> None:
        """Say (once a run) how many rows sit at +infinity or NaN, which no range read reaches."""
        if finite is None or self._warned_infinite:
            return
        self._warned_infinite = True
        q = quote_ident(cursor.name)
        where = self._where([*preds, f"NOT ({finite})", f"{q} > '-infinity'"])
        count = int(con.execute(f"SELECT count(*) FROM {self.relation.sql}{where}").fetchone()[0])
        if count:
            log.warning(
                "postgres source %s: %d row(s) have cursor %s at +infinity (or NaN), above every high-water mark, "
                "so incremental reads never load them (as with a NULL cursor); give them a finite value, or load "
                "the table with --mode full",
                self.opts.label,
                count,
                cursor.name,
            )

    def _partition_plan(self, con: Any, plan: dict[str, Any]) -> dict[str, Any] | None:
        column_name = self.opts.partition_column
        if column_name is None or (self.opts.num_partitions or 1) <= 1:
            return None
        column = self.column(column_name, role="partition column", fix="fix --partition-column")
        kind = partitions.kind_of(column, where=self.opts.label)
        where = self.opts.label
        lower = (
            None
            if self.opts.lower_bound is None
            else partitions.parse_bound(self.opts.lower_bound, kind, option="lower_bound", where=where)
        )
        upper = (
            None
            if self.opts.upper_bound is None
            else partitions.parse_bound(self.opts.upper_bound, kind, option="upper_bound", where=where)
        )
        if lower is None or upper is None:
            preds = self._base_filter() + self.range_filter(plan)
            finite = partitions.finite_sql(column)
            row = con.execute(
                f"SELECT {partitions.bounds_sql(column, kind)} FROM {self.relation.sql}"
                f"{self._where(preds + ([finite] if finite else []))}"
            ).fetchone()
            lower = row[0] if lower is None else lower
            upper = row[1] if upper is None else upper
        if lower is None or upper is None:
            return None
        parts = {"column": column_name, "lower": int(lower), "upper": int(upper), "n": self.opts.num_partitions}
        return parts if kind == "int" else {**parts, "kind": kind}

    def _block_plan(self, con: Any, plan: dict[str, Any]) -> dict[str, Any] | None:
        """Without a partition column, a whole-table read of a big table is split by block ranges."""
        requested = self.opts.num_partitions
        if self.opts.query is not None or plan.get("lo") is not None or requested == 1:
            return None  # an increment reads through the cursor's index, in one stream
        row = con.execute(
            "SELECT c.relkind, pg_relation_size(c.oid) / current_setting('block_size')::int8, "
            "current_setting('server_version_num')::int FROM pg_catalog.pg_class c WHERE c.oid = %s",
            (self.relation.oid,),
        ).fetchone()
        relkind, pages, version = str(row[0]), int(row[1]), int(row[2])
        if relkind not in ("r", "m") or version < 140000:  # partitioned parents and views have no ctid
            return None
        n = requested or (min(4, os.cpu_count() or 1) if pages >= AUTO_SPLIT_MIN_PAGES else 1)
        n = min(n, max(1, pages))
        return {"ctid": True, "pages": pages, "n": n} if n > 1 else None

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        self.validate()
        if self.opts.cursor is None or self.opts.mode == "full":
            if self._snapshot_done:
                return None
            plan: dict[str, Any] = {"kind": "snapshot"}
            # _snapshot_done is set when the snapshot is committed, never before: a plan that failed to be
            # made (the server is down) is made again by the retry, not taken for done
        else:
            hwm = self.high_water_mark(checkpoint)
            with self._con() as con:
                xmin = int(con.execute(identity.SNAPSHOT_XMIN).fetchone()[0])  # before the read: see identity.py
                hi = self._next_hi(con, hwm)
            if hi is None:
                return None
            plan = {"kind": "range", "cursor": self.opts.cursor, "lo": hwm, "hi": hi, "xmin": xmin}
        with self._con() as con:
            partitions_ = self._partition_plan(con, plan) if self.opts.partition_column else self._block_plan(con, plan)
        if partitions_:
            plan["partitions"] = partitions_
        return plan

    # -- reading ------------------------------------------------------------------------------------------
    def queries(self, plan: dict[str, Any]) -> list[str]:
        select = select_list(self.columns())
        preds = self._base_filter() + self.range_filter(plan)
        out = []
        for split in partitions.predicates(plan.get("partitions") or {}):
            where = self._where(preds + ([split] if split != "TRUE" else []))
            out.append(f"SELECT {select} FROM {self.relation.sql}{where}")
        return out

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        self.stats.failure = None
        return reader.stream(self.opts, self.queries(plan), self.columns(), self.stats)

    # -- state ----------------------------------------------------------------------------------------
    def _state_path(self, checkpoint: Checkpoint) -> Any:
        return checkpoint.source_state_path(STATE_NAME) / "cursor.json"

    def high_water_mark(self, checkpoint: Checkpoint) -> str | None:
        path = self._state_path(checkpoint)
        if not path.exists():
            return None
        state = read_json(path)
        if state.get("cursor") != self.opts.cursor:
            raise ConfigError(
                f"checkpoint {checkpoint.path} tracks cursor {state.get('cursor')}, not {self.opts.cursor}; "
                "use a new checkpoint folder to change the cursor column"
            )
        if state.get("hwm") is None or not self._same_table(checkpoint, state):
            return None
        return str(state["hwm"])

    def _same_table(self, checkpoint: Checkpoint, state: dict[str, Any]) -> bool:
        """False when the table the high-water mark was read from is gone (recreated or truncated), and the
        stream reloads it (it has a primary key to skip the rows already in the target); an error without one."""
        before, now = state.get("relation"), self.relation
        if not before or now.oid is None:
            return True
        cursor = self.cursor_column()
        below = f"{quote_ident(cursor.name)} <= {conn_literal(state['hwm'])}::{cursor.declared}"
        with self._con() as con:
            what = identity.change(
                con, now, before, below_mark=below, columns=self._column_list(), where=self.opts.label
            )
        if what is None:
            return True
        label, batch = self.opts.label, state.get("batch_id")
        if not self.opts.primary_key:
            raise TerminalError(
                f"postgres source {label}: the table was {what} since batch {batch} of this stream, so rows below "
                f"its high-water mark {state['hwm']} would be skipped; to reload it, drop the target table "
                f"(lakeloader tables drop {checkpoint.target}) and run again, or pass --primary-key, which "
                "reloads and skips the rows the target already holds"
            )
        log.warning(
            "postgres source %s: the table was %s since batch %s of this stream: reading it again from the start "
            "(rows the target already holds are matched by primary key %s)",
            label,
            what,
            batch,
            ", ".join(self.opts.primary_key),
        )
        write_json_atomic(self._state_path(checkpoint), {**state, "hwm": None, "reloaded_because": f"table {what}"})
        return False

    def _column_list(self) -> list[list[str]]:
        return [[c.name, c.declared] for c in self.columns()]

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        if plan.get("kind") == "snapshot":
            self._snapshot_done = True
            return
        state: dict[str, Any] = {"cursor": self.opts.cursor, "hwm": plan["hi"], "batch_id": batch_id}
        table = identity.recorded(self.relation, columns=self._column_list(), xmin=plan.get("xmin"))
        if table is not None:
            state["relation"] = table
        write_json_atomic(self._state_path(checkpoint), state)
