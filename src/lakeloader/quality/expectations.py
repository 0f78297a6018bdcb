"""Expectations over a stream of Arrow batches: count each constraint's passed and failed rows, drop the rows that
fail a DROP ROW constraint, and fail the flow (nothing committed) on a FAIL UPDATE constraint, naming it and a row.

Conditions are evaluated by DuckDB (`SELECT *, (cond) AS ...`); a condition that is NULL for a row is a failure,
as DROP ROW keeps only the rows for which every condition is true (a filter does).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

from lakeloader.errors import TerminalError
from lakeloader.secrets.redact import redact

OnViolation = Literal["warn", "drop", "fail"]
_PREFIX = "__lakeloader_expect_"


@dataclass(frozen=True)
class Rule:
    """One expectation, its condition already in DuckDB SQL (`written`: as the user wrote it, when translated)."""

    name: str
    condition: str
    on_violation: OnViolation
    written: str = ""


@dataclass
class Counts:
    name: str
    dataset: str
    passed_records: int = 0
    failed_records: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dataset": self.dataset, "passed_records": self.passed_records,
                "failed_records": self.failed_records}  # fmt: skip


@dataclass
class Quality:
    """What the expectations of one flow saw (summed over its batches)."""

    dataset: str
    rules: list[Rule]
    counts: list[Counts] = field(default_factory=list)
    dropped_records: int = 0
    output_rows: int = 0
    input_rows: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [Counts(r.name, self.dataset) for r in self.rules]

    def to_dict(self) -> dict[str, Any]:
        return {"dropped_records": self.dropped_records, "expectations": [c.to_dict() for c in self.counts]}


class ExpectationFailed(TerminalError):
    """A FAIL UPDATE expectation failed: the flow stops and commits nothing of its batch."""


def checked_sql(relation: str, rules: Sequence[Rule]) -> str:
    """The query adding one boolean column per rule over `relation` (a view name)."""
    columns = ", ".join(f"({r.condition}) AS {_PREFIX}{i}" for i, r in enumerate(rules))
    return f"SELECT *, {columns} FROM {relation}"


Dropped = Callable[[pa.RecordBatch, list[list[str]]], None]


def enforce(
    reader: pa.RecordBatchReader, quality: Quality, *, flow: str, on_dropped: Dropped | None = None
) -> pa.RecordBatchReader:
    """`reader` (with the rule columns of `checked_sql`) without them, the DROP ROW failures left out.

    `on_dropped(rows, failed)` receives each batch's dropped rows and, per row, the names of the DROP ROW
    expectations it failed (the quarantine keeps them).
    """
    import pyarrow.compute as pc

    rules = quality.rules
    names = reader.schema.names
    keep = [n for n in names if not n.startswith(_PREFIX)]
    schema = pa.schema([reader.schema.field(n) for n in keep])

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            passes = [pc.fill_null(batch.column(f"{_PREFIX}{i}"), False) for i in range(len(rules))]
            drop_mask = None
            with quality._lock:
                quality.input_rows += batch.num_rows
                for i, (rule, ok) in enumerate(zip(rules, passes, strict=True)):
                    passed = int(pc.sum(ok.cast(pa.int64())).as_py() or 0)
                    quality.counts[i].passed_records += passed
                    quality.counts[i].failed_records += batch.num_rows - passed
                    if rule.on_violation == "fail" and passed < batch.num_rows:
                        raise _failure(batch, ok, rule, quality.dataset, flow, keep)
                    if rule.on_violation == "drop":
                        drop_mask = ok if drop_mask is None else pc.and_(drop_mask, ok)
            out = batch.select(keep)
            if drop_mask is not None:
                out = out.filter(drop_mask)
                with quality._lock:
                    quality.dropped_records += batch.num_rows - out.num_rows
                if on_dropped is not None and out.num_rows < batch.num_rows:
                    dropped = pc.invert(drop_mask)
                    failed = [
                        [r.name for r, ok in zip(rules, row, strict=True) if r.on_violation == "drop" and not ok]
                        for row in zip(*(p.filter(dropped).to_pylist() for p in passes), strict=True)
                    ]
                    on_dropped(batch.select(keep).filter(dropped), failed)
            with quality._lock:
                quality.output_rows += out.num_rows
            if out.num_rows:
                yield out

    return pa.RecordBatchReader.from_batches(schema, batches())


def _failure(batch: pa.RecordBatch, ok: Any, rule: Rule, dataset: str, flow: str, keep: list[str]) -> ExpectationFailed:
    import pyarrow.compute as pc

    index = int(pc.index(ok, False).as_py())
    row = batch.select(keep).slice(index, 1).to_pylist()[0]
    sample = json.dumps(row, default=str)
    if len(sample) > 500:
        sample = sample[:500] + "...}"
    return ExpectationFailed(
        f"flow {flow}: expectation {rule.name} on {dataset} failed (ON VIOLATION FAIL UPDATE), so nothing of this "
        f"batch was committed; a failing row: {redact(sample)}; fix the data or the expectation"
    )


def is_checked(schema: pa.Schema) -> bool:
    return any(n.startswith(_PREFIX) for n in schema.names)
