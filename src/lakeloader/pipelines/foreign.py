"""Foreign tables (Lakehouse Federation) in a pipeline: read in place at every update, never as a stream.

A flow reads `supabase_data.public.vehicles` as it reads any table: its SQL goes through `federation.attach`, so
the columns, filters and aggregates that can be are pushed down to the remote database and read in one
read-only transaction. As in Databricks, a foreign table cannot be a streaming source (it has no change log):
a materialized view reads it whole at each update, and `dp.read_postgres(source=...)` ingests it incrementally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeloader.errors import LakeloaderError, NotFoundError
from lakeloader.lakehouse import names
from lakeloader.lakehouse.root import FOREIGN_CATALOG

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.pipelines.graph import Graph

VIEW_PREFIX = "__lakeloader_foreign_"  # the views federation.attach registers (federation.query.VIEW_PREFIX)


def is_foreign(lakehouse: Lakehouse, key: str) -> bool:
    """Whether the table key (catalog.schema.table) is in a foreign catalog."""
    try:
        parts = names.split_parts(key)
    except LakeloaderError:
        return False
    return len(parts) == 3 and lakehouse.foreign_catalog(parts[0]) is not None


def exists(lakehouse: Lakehouse, key: str) -> bool:
    """Whether the foreign table exists (the cached listing, refreshed once when it is not there)."""
    from lakeloader.federation import sources

    try:
        sources.foreign_table(lakehouse, key)
    except NotFoundError:
        return False
    return True


def problems(lakehouse: Lakehouse, graph: Graph) -> list[str]:
    """A stream read of a foreign table, which has no change log to stream from."""
    out = []
    for name, flow in graph.flows.items():
        for key in sorted(graph.flow_streams.get(name, set()) & graph.external.get(name, set())):
            if is_foreign(lakehouse, key):
                out.append(
                    f"{flow.location}: flow {name} reads STREAM({key}), a foreign table, which cannot be streamed "
                    "(as in Databricks); read it in a MATERIALIZED VIEW (whole at each update), or ingest it "
                    f'incrementally with dp.read_postgres(source="{key}", mode="incremental", cursor=...)'
                )
    return out


def reads_foreign(lakehouse: Lakehouse, graph: Graph, flow_name: str) -> bool:
    return any(is_foreign(lakehouse, key) for key in graph.external.get(flow_name, set()))


def attach(con: Any, lakehouse: Lakehouse, sql: str) -> str:
    """`sql` (Databricks SQL) with every foreign table it reads registered on `con` as a view over its remote
    scan, pushdown included; the returned SQL names those views (passed through by the session's resolver).
    SQL naming no foreign catalog comes back as it is, unparsed."""
    if not any(c.properties.get("catalog_type") == FOREIGN_CATALOG for c in lakehouse.list_catalogs()):
        return sql
    from lakeloader.federation.query import attach as federate

    return federate(con, lakehouse, sql, dialect="databricks").sql


def attach_table(con: Any, lakehouse: Lakehouse, key: str) -> str:
    """The view over the whole foreign table `key` (`dp.read("supabase_data.public.vehicles")`), registered on
    `con`; its name."""
    from lakeloader.federation.query import attach as federate

    (view,) = federate(con, lakehouse, f"SELECT * FROM {key}", dialect="databricks").views
    return view
