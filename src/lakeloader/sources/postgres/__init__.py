"""PostgreSQL source: Spark-JDBC-style reads (table or query, partitions, cursor) into Delta, exactly once."""

from __future__ import annotations

from lakeloader.sources.postgres.ingest import IngestSummary, ingest_postgres
from lakeloader.sources.postgres.options import AuditColumns, ConnectionOptions, PostgresSourceOptions

__all__ = ["AuditColumns", "ConnectionOptions", "IngestSummary", "PostgresSourceOptions", "ingest_postgres"]
