"""What every flow of one update shares, at the bottom of the modules that run an update: the update's context,
a flow's outcome, the target table made on first use, where a flow's dropped rows go, and what a streaming
input is. The runners (`materialized`, `streaming`, `snapshots`, `cdc`, the inputs) import it; nothing here
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeloader.execution.stream import BatchSource
from lakeloader.lakehouse import storage
from lakeloader.pipelines.eventlog import EventLog
from lakeloader.quality import quarantine

if TYPE_CHECKING:
    from lakeloader.execution.executor import Executor
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.pipelines.duck import SharedDatabase
    from lakeloader.pipelines.graph import Node
    from lakeloader.pipelines.load import Pipeline

FILES = "__files__"


POSTGRES = "__postgres__"


ONCE = "__once__"  # an append flow with once=True: its batch query, one time


@dataclass
class UpdateContext:
    """What every flow of one update shares."""

    lakehouse: Lakehouse
    pipeline: Pipeline
    events: EventLog
    update_id: str
    full_refresh: set[str] = field(default_factory=set)  # dataset keys refreshed from nothing
    database: SharedDatabase | None = None  # the update's DuckDB database, a cursor per flow session
    executor: Executor | None = None  # a distributed one decodes the flows' files in work units


@dataclass
class FlowOutcome:
    flow: str
    dataset: str
    status: str = "COMPLETED"  # COMPLETED | FAILED | SKIPPED | EXCLUDED
    rows_in: int = 0
    rows_out: int = 0
    dropped: int = 0
    batches: int = 0
    seconds: float = 0.0
    message: str = ""
    expectations: list[dict[str, Any]] = field(default_factory=list)
    up_to_date: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "dataset": self.dataset,
            "status": self.status,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "dropped": self.dropped,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "message": self.message,
            "expectations": self.expectations,
        }


def ensure_table(ctx: UpdateContext, node: Node) -> storage.Location:
    """The dataset's table in the metastore (created with its comment and properties on first use)."""
    lh = ctx.lakehouse
    existing = lh.metastore.get(node.key)
    if existing is not None and existing.kind == "table" and existing.location:
        return storage.path(existing.location)
    catalog, schema, _name = node.key.split(".")
    if lh.metastore.get(catalog) is None and catalog == "main":
        lh.create_catalog("main", if_not_exists=True, comment="the default catalog")
    lh.create_schema(f"`{catalog}`.`{schema}`", if_not_exists=True)
    properties = {
        **node.dataset.properties,
        "pipelines.pipeline": ctx.pipeline.name,
        "pipelines.type": node.dataset.kind,
    }
    table = lh.create_table(node.key, comment=node.dataset.comment, properties=properties, if_not_exists=True)
    return table.location


def quarantine_table(ctx: UpdateContext, node: Node) -> tuple[str, storage.Location] | None:
    """`<table>_quarantine` beside the target, when its DROP ROW rows are kept (the default)."""
    if not any(e.on_violation == "drop" for e in node.dataset.expectations):
        return None
    if not quarantine.enabled(node.dataset.properties, dict(ctx.pipeline.spec.configuration)):
        return None
    name = node.key + quarantine.SUFFIX
    table = ctx.lakehouse.create_table(name, if_not_exists=True, properties={"pipelines.quarantine_of": node.key},
                                       comment=f"rows of {node.key} that failed a DROP ROW expectation")  # fmt: skip
    return name, table.location


@dataclass
class StreamInput:
    """Where a streaming flow's new rows come from, and how a batch's rows are handed to its session."""

    key: str | None  # the dataset read as STREAM(key); None for files
    source: BatchSource
    label: str  # the checkpoint's source identity
    data: Callable[[dict[str, Any], int], Any]  # (a batch plan, attempt) -> what DuckDB scans
    upstream: storage.Location | None = None  # a Delta upstream (for creating an empty target with its schema)
    read_again: Callable[[], bool] = lambda: False  # after a failed attempt: should the batch be read again?
    close: Callable[[], None] = lambda: None  # release what the source holds (a control session)
    postgres: bool = False  # the batch is what dp.read_postgres returns
