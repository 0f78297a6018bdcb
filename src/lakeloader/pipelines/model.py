"""What a pipeline declares: datasets (streaming tables, materialized views, temporary views) and the flows that
fill them, with expectations and where each was written (file and line), as SQL or Python produced them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

DatasetKind = Literal["streaming_table", "materialized_view", "temporary_view"]
FlowKind = Literal["append", "auto_cdc", "auto_cdc_snapshot", "complete"]
OnViolation = Literal["warn", "drop", "fail"]


@dataclass(frozen=True)
class Location:
    """Where a definition was written."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Expectation:
    """`CONSTRAINT name EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE]`, or `@dp.expect*`."""

    name: str
    condition: str  # SQL, Databricks dialect
    on_violation: OnViolation = "warn"


@dataclass
class AutoCdc:
    """`AUTO CDC INTO target FROM STREAM(source) KEYS (...) ...` / `dp.create_auto_cdc_flow(...)`."""

    keys: list[str]
    sequence_by: str
    stored_as_scd_type: int = 1
    apply_as_deletes: str | None = None
    apply_as_truncates: str | None = None
    column_list: list[str] | None = None
    except_column_list: list[str] | None = None
    track_history_column_list: list[str] | None = None
    track_history_except_column_list: list[str] | None = None
    ignore_null_updates: bool = False
    from_snapshot: bool = False


@dataclass
class Query:
    """How a flow computes its rows: SQL text (Databricks dialect) or a Python function."""

    sql: str | None = None
    function: Callable[..., Any] | None = None
    references: set[str] = field(default_factory=set)  # dataset names read (as written)
    streaming_references: set[str] = field(default_factory=set)  # read as STREAM(...) / read_stream
    reads_files: bool = False  # a read_files(...) (or dp.read_files) source
    streams_files: bool = False  # ... read incrementally: STREAM read_files(...) in SQL, any in a streaming table
    reads_postgres: bool = False  # a dp.read_postgres(...) source
    spark_files: bool = False  # the files are read by spark.readStream.format("cloudFiles")...load(path)
    returns_sql: str | None = None  # a Python function that is just `return dp.sql("<constant>")`: that SQL
    unresolved: str | None = None  # it calls a function no Spark has: one the pipeline defines? (load decides)
    watermarks: list[Any] = field(default_factory=list)  # WATERMARK clauses read out of `sql` (watermarks.Watermark)


@dataclass
class Dataset:
    """A streaming table, materialized view or temporary view of the pipeline."""

    name: str  # as written; resolved to catalog.schema.name by the graph (views stay local)
    kind: DatasetKind
    location: Location
    comment: str | None = None
    schema: str | None = None  # declared columns (DDL), optional
    not_null: list[str] = field(default_factory=list)  # declared columns with NOT NULL (a constraint)
    properties: dict[str, str] = field(default_factory=dict)
    partition_by: list[str] = field(default_factory=list)
    cluster_by: list[str] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    temporary: bool = False  # CREATE TEMPORARY STREAMING TABLE: not published to the catalog


@dataclass
class Flow:
    """One flow into a dataset: the dataset's own query, an append flow, or an AUTO CDC flow."""

    name: str
    target: str
    kind: FlowKind
    query: Query
    location: Location
    auto_cdc: AutoCdc | None = None
    source: str | None = None  # AUTO CDC: the source dataset
    configuration: dict[str, str] = field(default_factory=dict)
    once: bool = False


@dataclass
class Definitions:
    """Everything the pipeline's source files declare, in the order they declared it."""

    datasets: list[Dataset] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each: file, line, what is wrong
    settings: dict[str, str] = field(default_factory=dict)  # SET key = value
    set_statements: list[tuple[Location, str, str]] = field(default_factory=list)  # each SET, where it stands
    functions: dict[str, Any] = field(default_factory=dict)  # CREATE FUNCTION: name -> functions.SqlFunction
