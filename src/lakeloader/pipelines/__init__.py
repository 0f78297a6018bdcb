"""Declarative pipelines (Lakeflow / Spark Declarative Pipelines), local: `from lakeloader import pipelines as dp`.

The names of `pyspark.pipelines`: `@dp.table`, `@dp.materialized_view`, `@dp.temporary_view`,
`dp.create_streaming_table`, `@dp.append_flow`, `dp.create_auto_cdc_flow`, `@dp.expect*`, and the sources a query
function reads: `dp.read`, `dp.read_stream`, `dp.read_files`, `dp.read_postgres`, `dp.sql`, `dp.conf`.
"""

from __future__ import annotations

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
    read,
    read_files,
    read_postgres,
    read_stream,
    sql,
    table,
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
    "create_target_table",
    "expect",
    "expect_all",
    "expect_all_or_drop",
    "expect_all_or_fail",
    "expect_or_drop",
    "expect_or_fail",
    "materialized_view",
    "read",
    "read_files",
    "read_postgres",
    "read_stream",
    "sql",
    "table",
    "temporary_view",
    "view",
]
