"""`dp.read_postgres(...)`: the Postgres source as a flow's input.

In a streaming table each update reads what the source's mode says is new — `mode="full"` the whole table again
(appended, as a bronze notebook's `spark.read.jdbc(...).write.mode("append")` does), `mode="incremental"` the
rows past the cursor's high-water mark — planned into the flow's checkpoint and committed exactly once by the
flow. In a materialized view or temporary view it reads the whole table (or query) at every refresh.

Databricks cannot stream from JDBC; this is the Postgres source's stream (its checkpoint, its ranges), so the
options are the `lakeloader ingest postgres` ones, with Spark's JDBC names accepted too (`dbtable`,
`partitionColumn`, `numPartitions`, `lowerBound`, `upperBound`). Passwords are secret references.
`source="supabase_data.public.vehicles"` reads a foreign table (Lakehouse Federation): its connection, pooler
mode and remote table come from the foreign catalog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError
from lakeloader.pipelines import static_args
from lakeloader.pipelines.model import Flow

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.pipelines.context import StreamInput, UpdateContext
    from lakeloader.sources.postgres.options import PostgresSourceOptions

SPARK_NAMES = {
    "dbtable": "table",
    "partitionColumn": "partition_column",
    "numPartitions": "num_partitions",
    "lowerBound": "lower_bound",
    "upperBound": "upper_bound",
    "sslrootcert": "sslrootcert",
}
NOT_IN_A_FLOW = {
    "write_mode": "the flow appends what its query returns",
    "lookback": "a lookback re-reads rows, which an append flow would land twice",
    "delete_when": "deletes are for AUTO CDC: read the rows into a bronze table, then AUTO CDC INTO the silver one",
    "sequence_by": "keeping the latest row per key is AUTO CDC's job (sequence_by there)",
    "audit": "add audit columns in the query (current_timestamp() AS _ingested_at)",
}


def source_options(options: dict[str, Any], lakehouse: Lakehouse, *, where: str) -> PostgresSourceOptions:
    """The Postgres source's options from `dp.read_postgres`' keywords (secret references resolved)."""
    from lakeloader.sources.postgres import connection as conn
    from lakeloader.sources.postgres.ingest import build_options

    fields = {SPARK_NAMES.get(k, k): v for k, v in options.items()}
    if "url" in fields:
        fields["source_url"] = fields.pop("url")
    for name, why in NOT_IN_A_FLOW.items():
        if name in fields:
            raise ConfigError(f"{where}: dp.read_postgres option {name} is not used in a pipeline: {why}")
    if fields.get("mode") == "merge":
        raise ConfigError(
            f"{where}: dp.read_postgres mode merge is not used in a pipeline; read with mode full or incremental "
            "into a bronze table and apply the changes with AUTO CDC INTO (create_auto_cdc_flow)"
        )
    if "source" in fields:  # a foreign table: its connection and remote table come from the foreign catalog
        from lakeloader.federation.sources import postgres_source_options

        opts = postgres_source_options(str(fields.pop("source")), lakehouse=lakehouse, **fields)
    else:
        opts = build_options(None, fields)
    return opts.model_copy(update={"connection": conn.resolve_secrets(opts.connection, root=lakehouse.root)})


def postgres_read(ctx: UpdateContext, flow: Flow) -> dict[str, Any]:
    """The keywords of the flow's `dp.read_postgres(...)` call, evaluated before it runs."""
    args, options = static_args.call_arguments(flow, "read_postgres", dict(ctx.pipeline.spec.configuration))
    if args:
        raise ConfigError(f"{flow.location}: dp.read_postgres takes keywords only (table=..., url=..., ...)")
    return options


def label(ctx: UpdateContext, flow: Flow, options: dict[str, Any]) -> tuple[str, str, Any]:
    """(the checkpoint's source identity, the server's address, the source) for the flow's read."""
    from lakeloader.sources.postgres import connection as conn
    from lakeloader.sources.postgres.ingest import _retrying
    from lakeloader.sources.postgres.source import PostgresSource

    opts = source_options(options, ctx.lakehouse, where=f"{flow.location}: flow {flow.name}")
    source = PostgresSource(opts)
    try:
        identity = _retrying(opts, source.identity)
    except BaseException:
        source.close()
        raise
    return identity, conn.address_label(opts.connection), source


def postgres_input(source: Any, identity: str) -> StreamInput:
    """The stream input over a `PostgresSource`: each batch's plan read by the source's own parallel reader."""
    from lakeloader.pipelines.context import StreamInput

    return StreamInput(None, source, identity, lambda plan, _attempt: source.read(plan), close=source.close,
                       postgres=True)  # fmt: skip


def read_all(options: dict[str, Any], lakehouse: Lakehouse, *, where: str) -> Any:
    """The whole table (or query) now, as an Arrow reader: `dp.read_postgres` in a materialized or temporary view."""
    from lakeloader.sources.postgres.ingest import _retrying
    from lakeloader.sources.postgres.source import PostgresSource

    opts = source_options({**options, "mode": "full"}, lakehouse, where=where)
    source = PostgresSource(opts)
    try:
        _retrying(opts, source.validate)
        return _retrying(opts, lambda: source.read({"kind": "snapshot"}).read_all())
    finally:
        source.close()
