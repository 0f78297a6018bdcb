"""Is the table the high-water mark was read from still there? Recreated, truncated, or only rewritten.

A checkpoint records, with each batch's high-water mark, the table's oid, its file node (the partitions' for a
partitioned table), the columns read and the oldest transaction still running when the batch was planned.
A new oid: the table was dropped and created again. A new file node alone is ambiguous: TRUNCATE gives one,
but so do VACUUM FULL and CLUSTER (which keep every row, with its xmin) and an ALTER TABLE that rewrites
(which changes a column). Rows at or below the mark that are older than the last batch's plan prove the rows
were kept; a changed column explains the rewrite; otherwise the table was truncated (and perhaps refilled).
"""

from __future__ import annotations

import logging
from typing import Any

from lakeloader.sources.postgres.relation import Relation

log = logging.getLogger(__name__)
SNAPSHOT_XMIN = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::int8"
_NEXT_XID = "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::int8"


def recorded(relation: Relation, *, columns: list[list[str]], xmin: int | None) -> dict[str, Any] | None:
    """What a committed batch records about its table (None for a query, which has no identity)."""
    if relation.oid is None:
        return None
    return {**relation.identity(), "columns": columns, "xmin": xmin}


def change(
    con: Any, now: Relation, before: dict[str, Any], *, below_mark: str, columns: list[list[str]], where: str
) -> str | None:
    """What happened to the table since `before` was recorded: None (the same rows, perhaps rewritten), or
    "dropped and created again", "truncated", "truncated and refilled". `below_mark` selects rows at or below
    the high-water mark."""
    if before.get("oid") != now.oid:
        return "dropped and created again"
    if before.get("filenode") == now.filenode:
        return None
    if now.kind in ("r", "p") and before.get("xmin") is not None:
        older = int(con.execute(_NEXT_XID).fetchone()[0]) - int(before["xmin"])
        kept = con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {now.sql} WHERE {below_mark} AND age(xmin) > %s)", (older,)
        ).fetchone()[0]
        if kept:  # VACUUM FULL, CLUSTER, SET TABLESPACE: the rows (and their xmin) are the old ones
            log.info("postgres source %s: the table was rewritten (its rows kept) since the last batch", where)
            return None
    if before.get("columns") is not None and before["columns"] != columns:
        log.warning(
            "postgres source %s: the table was rewritten by ALTER TABLE since the last batch (its columns changed); "
            "rows at or below the high-water mark are not read again",
            where,
        )
        return None
    below = con.execute(f"SELECT EXISTS (SELECT 1 FROM {now.sql} WHERE {below_mark})").fetchone()[0]
    if below and (now.kind == "m" or before.get("xmin") is None):
        # a materialized view's refresh (or a checkpoint without the xmin) cannot be told from a rewrite
        log.warning(
            "postgres source %s: the relation was rewritten or refreshed since the last batch; rows at or below "
            "the high-water mark are not read again: if it was truncated and refilled, reload the stream (drop "
            "the target table and run again)",
            where,
        )
        return None
    return "truncated and refilled" if below else "truncated"
