"""A Delta table as a stream, behind the commit protocol, as Databricks' Delta streaming source reads one.

A new stream first reads the table's snapshot at the latest version (its current files, in batches of at most
`maxFilesPerTrigger`), so what the table's history changed before the stream started does not matter. Then each
batch plans the data files the table's append commits added after the last batch (versions `from`..`to`, written
to the checkpoint before reading), reads exactly those, and records `to`. A commit that changed or removed rows
fails the stream with Databricks' hint, or is skipped with `skipChangeCommits`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from lakeloader.errors import TerminalError
from lakeloader.execution.checkpoint import Checkpoint, read_json, write_json_atomic
from lakeloader.lakehouse import delta, deltalog, storage
from lakeloader.lakehouse.delta import CommitResult

STATE_NAME = "delta"
DEFAULT_MAX_FILES = 1000  # Databricks' default maxFilesPerTrigger for a Delta source


class DeltaStreamSource:
    """Reads the rows appended to one Delta table since the stream's last batch (a `BatchSource`)."""

    def __init__(
        self,
        location: str | os.PathLike[str],
        *,
        table_name: str,
        reader_name: str,
        skip_change_commits: bool = False,
        max_files_per_trigger: int = DEFAULT_MAX_FILES,
        state_name: str = STATE_NAME,
    ) -> None:
        self.location = storage.path(location)
        self.table_name = table_name
        self.reader_name = reader_name  # who streams from it (for messages): the flow
        self.skip_change_commits = skip_change_commits
        self.max_files = max_files_per_trigger
        self.skipped_versions: list[int] = []
        self.state_name = state_name  # where in the checkpoint its position is (two streams of one flow: two)

    def _state(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        path = checkpoint.source_state_path(self.state_name) / "position.json"
        return read_json(path) if path.exists() else None

    def position(self, checkpoint: Checkpoint) -> int:
        """The last table version this stream has read whole (-1: none yet)."""
        state = self._state(checkpoint)
        return int(state["version"]) if state is not None and "version" in state else -1

    def _snapshot_plan(self, version: int, offset: int) -> dict[str, Any] | None:
        """Batch of the table's snapshot at `version`: its files from `offset` on (oldest first), at most max."""
        dt = delta.open_table(self.location, table_name=self.table_name, version=version)
        if "deletionVectors" in set(dt.protocol().reader_features or []):
            raise TerminalError(
                f"{self.reader_name}: table {self.table_name} uses deletion vectors, which lakeloader cannot read "
                "yet; rewrite it without them (REORG TABLE ... APPLY (PURGE) in Databricks)"
            )
        actions = pa.table(dt.get_add_actions(flatten=False)).to_pylist()
        actions.sort(key=lambda a: (a["modification_time"], a["path"]))
        chosen = actions[offset : offset + self.max_files]
        from urllib.parse import unquote

        files = [[unquote(a["path"]), a["size_bytes"], dict(a.get("partition") or {})] for a in chosen]
        from lakeloader.sources.files.ddl import to_ddl

        return {
            "table": self.table_name,
            "snapshot": version,
            "offset": offset,
            "last": offset + len(chosen) >= len(actions),
            "from": 0,
            "to": version,
            "files": files,
            "schema": to_ddl(pa.schema(dt.schema().to_arrow())),
            "table_id": dt.metadata().id,
        }

    def _check_same_table(self, dt: Any, state: dict[str, Any] | None) -> None:
        """A stream's position is a version of one table: a table dropped and created again (a new Delta table
        id) has versions that mean nothing to it, as Databricks' Delta source refuses too."""
        recorded = state.get("table_id") if state else None
        if recorded is not None and recorded != dt.metadata().id:
            raise TerminalError(
                f"{self.reader_name}: table {self.table_name} was dropped or replaced since this stream last read "
                "it (its Delta table id changed), so where the stream stood means nothing in it; run a full "
                "refresh of the table this stream writes (--full-refresh-selection), which reads it from the start"
            )

    def plan_next(self, checkpoint: Checkpoint) -> dict[str, Any] | None:
        if not delta.is_delta_table(self.location):
            return None  # nothing written upstream yet
        dt = delta.open_table(self.location, table_name=self.table_name)
        latest = int(dt.version())
        state = self._state(checkpoint)
        self._check_same_table(dt, state)
        if state is None:  # a new stream: the table as it is now, first
            return self._snapshot_plan(latest, 0)
        if "snapshot" in state:  # a snapshot bigger than one batch, part read
            return self._snapshot_plan(int(state["snapshot"]), int(state["next"]))
        start = int(state["version"]) + 1
        if start > latest:
            return None
        files: list[list[Any]] = []
        last = start - 1
        for version in range(start, latest + 1):
            commit = deltalog.read_commit(self.location, version, table_name=self.table_name)
            if not commit.is_append:
                if not self.skip_change_commits:
                    raise TerminalError(
                        f"{self.reader_name}: table {self.table_name} changed existing rows at version {version} "
                        f"({commit.operation or 'a change'}), which a stream of appends cannot carry; set the option "
                        "skipChangeCommits = true to ignore such commits, or run a full refresh of the streaming table"
                    )
                self.skipped_versions.append(version)
            else:
                files += [[f.path, f.size, f.partition_values] for f in commit.added]
            last = version
            if len(files) >= self.max_files:
                break
        schema = pa.schema(dt.schema().to_arrow())
        from lakeloader.sources.files.ddl import to_ddl

        return {"table": self.table_name, "from": start, "to": last, "files": files, "schema": to_ddl(schema),
                "table_id": dt.metadata().id}  # fmt: skip

    def plan_next_empty(self) -> dict[str, Any] | None:
        """A plan of no files in the table's current schema (what a stream gives before any row arrives)."""
        if not delta.is_delta_table(self.location):
            return None
        from lakeloader.sources.files.ddl import to_ddl

        schema = pa.schema(delta.open_table(self.location, table_name=self.table_name).schema().to_arrow())
        return {"table": self.table_name, "from": 0, "to": -1, "files": [], "schema": to_ddl(schema)}

    def dataset(self, plan: dict[str, Any]) -> Any:
        """The planned files as one scannable dataset, in the table's schema as it was planned."""
        import pyarrow.dataset as ds

        from lakeloader.sources.files.ddl import parse_ddl

        schema = parse_ddl(plan["schema"], what=f"schema of {self.table_name}")
        files = plan["files"]
        if not files:
            return ds.dataset(pa.table({f.name: pa.array([], f.type) for f in schema}))
        partition_columns = {k for _, _, values in files for k in values}
        if not partition_columns:
            paths = [str(self.location / f[0]) for f in files]
            file_schema = pa.schema([f for f in schema if f.name not in partition_columns])
            return delta.files_dataset(paths, schema=file_schema)
        tables = []
        for path, _size, values in files:  # a partitioned table: its partition values live in the log
            part = delta.files_dataset([str(self.location / path)]).to_table()
            for name in sorted(values):
                part = part.append_column(name, _repeated(values[name], part.num_rows, schema.field(name).type))
            tables.append(part.select([f.name for f in schema]).cast(schema))
        return ds.dataset(pa.concat_tables(tables))

    def parquet_paths(self, plan: dict[str, Any]) -> list[str] | None:
        """The planned files as local paths when they can be read as plain Parquet (no partition values to add,
        at least one file), else None."""
        files = plan["files"]
        if not files or any(values for _, _, values in files):
            return None
        return [str(self.location / f[0]) for f in files]

    def read(self, plan: dict[str, Any]) -> pa.RecordBatchReader:
        """The planned rows; the scan starts when the writer asks for the first batch, not before.

        A scanner reads ahead on every core as soon as it exists: started early, it slows the writer's own
        preparation (opening the target, checking the batch's transaction) more than it gains.
        """
        dataset = self.dataset(plan)

        def batches() -> Iterator[pa.RecordBatch]:
            yield from dataset.scanner().to_reader()

        return pa.RecordBatchReader.from_batches(dataset.schema, batches())

    def committed(self, checkpoint: Checkpoint, batch_id: int, plan: dict[str, Any], result: CommitResult) -> None:
        path = checkpoint.source_state_path(self.state_name) / "position.json"
        state: dict[str, Any] = {"table": self.table_name, "version": plan["to"], "batch_id": batch_id}
        if "snapshot" in plan and not plan["last"]:
            state = {"table": self.table_name, "snapshot": plan["snapshot"],
                     "next": plan["offset"] + len(plan["files"]), "batch_id": batch_id}  # fmt: skip
        if "table_id" in plan:
            state["table_id"] = plan["table_id"]
        write_json_atomic(path, state)


_OFFSET = re.compile(r"(?:[Zz]|[+-]\d\d:?\d\d)$")


def _repeated(value: Any, rows: int, arrow_type: pa.DataType) -> pa.Array:
    """A partition value for every row of a file: typed as the snapshot gives it (a date, a number), or the
    log's text (a commit's `partitionValues`), cast."""
    if value is not None and not isinstance(value, str):
        return pa.array([value] * rows, arrow_type)
    text = pa.array([value] * rows, pa.string())
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz and value is not None and not _OFFSET.search(value):
        return text.cast(pa.timestamp(arrow_type.unit)).cast(arrow_type)  # the log's text without an offset: UTC
    return text.cast(arrow_type)
