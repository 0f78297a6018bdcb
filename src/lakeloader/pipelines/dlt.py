"""`import dlt` in a pipeline's files: Delta Live Tables' Python API over lakeloader's (`pipelines.api`), with
query functions that return PySpark DataFrames (`lakeloader.spark`).

As in DLT, `@dlt.table` is a streaming table when its query reads a stream (`dlt.read_stream`,
`spark.readStream...`) and a materialized view otherwise; `dlt.read`/`dlt.read_stream`/`spark.sql` give
DataFrames over the pipeline's datasets. Only pipeline code gets this module under the name `dlt`; dlthub's
package of the same name is untouched everywhere else.
"""

from __future__ import annotations

from typing import Any

from lakeloader.pipelines import api
from lakeloader.pipelines.api import (
    append_flow,
    apply_changes,
    apply_changes_from_snapshot,
    conf,
    create_auto_cdc_flow,
    create_auto_cdc_from_snapshot_flow,
    create_streaming_table,
    create_target_table,
    expect,
    expect_all,
    expect_all_or_drop,
    expect_all_or_fail,
    expect_or_drop,
    expect_or_fail,
    materialized_view,
    temporary_view,
    view,
)

__all__ = [
    "append_flow",
    "apply_changes",
    "apply_changes_from_snapshot",
    "conf",
    "create_auto_cdc_flow",
    "create_auto_cdc_from_snapshot_flow",
    "create_streaming_table",
    "create_table",
    "create_target_table",
    "create_view",
    "expect",
    "expect_all",
    "expect_all_or_drop",
    "expect_all_or_fail",
    "expect_or_drop",
    "expect_or_fail",
    "materialized_view",
    "read",
    "read_stream",
    "table",
    "temporary_view",
    "view",
]  # fmt: skip


def table(query_function: Any = None, **kwargs: Any) -> Any:
    """A streaming table when the query reads a stream, else a materialized view (DLT's `@dlt.table`)."""
    return api._dataset_decorator(None, query_function, kwargs)


create_table = table  # DLT's first names for @dlt.table and @dlt.view
create_view = view


def read(name: str) -> Any:
    """The current rows of dataset `name`, as a DataFrame."""
    from lakeloader.spark.spark_session import SparkSession

    return SparkSession().table(name)


def read_stream(name: str) -> Any:
    """The rows of dataset `name` new since this flow last ran, as a streaming DataFrame."""
    from lakeloader.spark.spark_session import SparkSession

    return SparkSession().readStream.table(name)
