"""A files batch on an executor (execution/executor.py): the batch's files cut into units bounded in bytes; each
unit decodes, fits and writes its rows as Parquet data files (with Delta statistics) into the table's location
and returns their add actions, its files' outcomes and its bad records. The driver commits every unit's files in
ONE commit with the stream's transaction (`FilesSource.write`), or deletes them all.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeloader.errors import ConfigError
from lakeloader.execution.executor import units_by_bytes
from lakeloader.execution.second_stream import commit_metadata
from lakeloader.execution.unit_files import commit_units, current_node, delete_files
from lakeloader.lakehouse import datafiles, storage
from lakeloader.lakehouse.datafiles import DataFile
from lakeloader.lakehouse.delta import CommitResult
from lakeloader.sources.files.decode import OUTSIDE, Decoder, FileOutcome, SchemaGrew
from lakeloader.sources.files.formats import VANISHED, BadRecord
from lakeloader.sources.files.stats import BatchStats

if TYPE_CHECKING:
    from lakeloader.sources.files.source import FilesSource

log = logging.getLogger(__name__)
MAX_READS = 64  # as the driver's own reads: each re-read grows the schema, and columns are finite

UNIT_WRITE_THREADS = 2  # a unit has one CPU of its own; a second thread overlaps encoding with decoding


@dataclass
class FilesUnit:
    """Some files of one batch, and how to read them; `shape` (a pipeline flow's row-wise query, see
    `pipelines/flow_units.py`) turns the fitted rows into the rows written."""

    decoder: Decoder
    files: list[list[Any]]
    table_location: str
    shape: Any = None  # .open(reader) -> reader, then .finish() -> what the driver merges (UnitResult.shaped)


@dataclass
class UnitResult:
    """What a unit wrote (nothing visible until the driver commits it) and found."""

    data_files: list[DataFile] = field(default_factory=list)
    outcome: dict[str, list[Any]] = field(default_factory=dict)  # path -> [status, rows, digest]
    bad: list[BadRecord] = field(default_factory=list)
    stats: BatchStats = field(default_factory=BatchStats)
    grew: pa.Schema | None = None  # a file brought new columns: the schema the unit's fitter grew to
    corrupt: bool = False  # malformed rows need the corrupt-record column
    node: str = field(default_factory=lambda: current_node())  # where the unit ran
    schema: pa.Schema | None = None  # the written files' schema
    shaped: Any = None  # what the unit's shape returned when done


def write_unit(unit: FilesUnit) -> UnitResult:
    """Decode, fit (and shape) and write one unit's files; on new columns, write nothing and say what the schema
    grew to."""
    decoder = unit.decoder
    result = UnitResult()
    raised: list[BaseException] = []  # what the decoding raised, even when a query engine reported it as its own

    def rows() -> Any:
        try:
            for f in unit.files:
                got = decoder.decode(f)
                outcome = FileOutcome()
                yield from decoder.batches(f, got, result.stats, outcome)
                result.outcome[f[0]] = ["bad" if outcome.whole_file_bad else "ingested", outcome.rows, None]
                result.bad += outcome.bad
                result.stats.bad_records += len(outcome.bad)
                result.stats.bad_files += int(outcome.whole_file_bad)
        except BaseException as exc:
            raised.append(exc)
            raise

    try:  # a failure deletes what this unit wrote already (write_data_files)
        batches, schema = rows(), decoder.out
        if unit.shape is not None:
            shaped = unit.shape.open(pa.RecordBatchReader.from_batches(decoder.out, batches))
            batches, schema = shaped, shaped.schema
        result.data_files = datafiles.write_data_files(
            storage.path(unit.table_location), batches, schema, workers=UNIT_WRITE_THREADS
        )
        result.schema = schema
        if unit.shape is not None:
            result.shaped = unit.shape.finish()
    except BaseException as exc:
        cause = raised[0] if raised else exc
        if isinstance(cause, SchemaGrew):
            return UnitResult(stats=result.stats, grew=decoder.fitter.schema, corrupt=cause.corrupt)
        if cause is exc:
            raise
        raise cause from None
    return result


def write_on_executor(source: FilesSource, plan: dict[str, Any], batch_id: int) -> CommitResult:
    """Units of at most --max-bytes-per-task each write data files; the driver commits them all, or none."""
    location = source.table_location
    assert location is not None
    files, outside, results = run_units(source, plan, batch_id, location)
    decoder = source._decoder
    assert decoder is not None
    metadata = {"source": "files", "files": len(files), **commit_metadata(source.checkpoint)}
    try:
        record_units(source, batch_id, outside, results)
    except BaseException:
        delete_files(location, results)
        raise
    return commit_units(location, results, decoder.out, stream_id=source.checkpoint.stream_id, batch_id=batch_id,
                        table_name=source.table_name, metadata=metadata)  # fmt: skip


def run_units(
    source: FilesSource, plan: dict[str, Any], batch_id: int, location: storage.Location, shape: Any = None
) -> tuple[list[list[Any]], list[list[Any]], list[UnitResult]]:
    """The batch's files written by units into `location` (read again while files bring new columns): (the
    batch's files, those outside the source's folders, each unit's result). `shape(schema)` gives the object
    that shapes a unit's rows of that schema (a flow's query), or None."""
    ex = source.executor
    assert ex is not None
    label = f"batch {batch_id} of the stream into {source.table_name}"
    files = source._files(plan)
    for attempt in range(MAX_READS):
        if attempt:
            source.read(plan, attempt=attempt)  # the schema grown by the last attempt's units
        decoder = source._decoder
        assert decoder is not None  # set by read()
        outside = [f for f in files if not source.lister.contains(f[0], source._folders)]
        readable = [f for f in files if f not in outside]
        parts = units_by_bytes(readable, lambda f: int(f[1]), ex.max_bytes_per_task)
        shaping = shape(decoder.out) if shape is not None else None
        work = [FilesUnit(decoder, part, str(location), shaping) for part in parts]
        results: list[UnitResult] = []
        try:
            for part, got in zip(parts, ex.map(write_unit, work, label=label), strict=True):
                results.append(got)
                for f in part:
                    _, rows, _ = got.outcome.get(f[0], ["ingested", 0, None])
                    source._read_one_more(f, rows, bad=sum(1 for b in got.bad if b.file_path == f[0]))
        except BaseException:
            delete_files(location, results)
            raise
        grown = [r for r in results if r.grew is not None or r.corrupt]
        if grown:  # a file brought columns: every unit's files go, the batch is read again with them
            delete_files(location, results)
            fitter = decoder.fitter
            for r in grown:
                if r.grew is not None:
                    fitter.observe(r.grew, "")
                source._need_corrupt = source._need_corrupt or r.corrupt
            assert fitter.schema is not None
            source._learned[batch_id] = fitter.schema
            log.info("%s: files have columns the probe missed, reading it again", label)
            continue
        return files, outside, results
    raise ConfigError(
        f"batch {batch_id}: the schema grew on each of {MAX_READS} reads; check the files of "
        f"{source.checkpoint.path}/offsets/{batch_id}.json"
    )


def record_units(source: FilesSource, batch_id: int, outside: list[list[Any]], results: list[UnitResult]) -> None:
    """The batch's file outcomes, statistics and bad records (staged: the commit's `committed` records them)."""
    stats = source._batch_stats[batch_id]
    outcome: dict[str, Any] = {}
    bad_all = [BadRecord(f[0], VANISHED if not os.path.lexists(f[0]) else OUTSIDE) for f in outside]
    for f in outside:
        outcome[f[0]] = ["bad", 0, None]
    for r in results:
        outcome.update(r.outcome)
        bad_all += r.bad
        for name in ("bad_records", "bad_files", "rescued_rows"):
            setattr(stats, name, getattr(stats, name) + getattr(r.stats, name))
    stats.bad_records += len(outside)
    stats.bad_files += len(outside)
    source.bad_sink.stage(batch_id, bad_all, outcome)
    source._outcome[batch_id] = outcome
    source.stats.units += len(results)
    source.stats.nodes = sorted(set(source.stats.nodes) | {r.node for r in results})


@dataclass
class DecodeUnit:
    """Some files of one batch to decode only: their rows go back to the driver (a query runs over them there)."""

    decoder: Decoder
    files: list[list[Any]]


def decode_unit(unit: DecodeUnit) -> tuple[str, list[Any]]:
    """(the node it ran on, each file decoded: a FileRead, or Streamed for a big Parquet file the driver reads row
    group by row group)."""
    return current_node(), [unit.decoder.decode(f) for f in unit.files]
