"""An incremental merge's summary says how many rows changed the table, not only how many were read."""

from __future__ import annotations

from collections.abc import Callable

from tests.sources.postgres.conftest import sql

from lakeloader.sources.postgres import IngestSummary


def test_a_merge_says_what_it_inserted_updated_and_deleted(pg_url: str, ingest: Callable[..., IngestSummary]) -> None:
    sql(pg_url, "CREATE TABLE public.t (id int PRIMARY KEY, v text, gone boolean DEFAULT false, "
                "updated_at timestamptz DEFAULT clock_timestamp())")  # fmt: skip
    sql(pg_url, "INSERT INTO public.t (id, v) SELECT i, 'v' || i FROM generate_series(1, 20) i")
    opts = {"table": "public.t", "mode": "merge", "cursor": "updated_at", "primary_key": ["id"],
            "lookback": "1h", "delete_when": "s.gone"}  # fmt: skip
    first = ingest(target="bronze.m", **opts)
    assert first.changes() == {"inserted": 20, "updated": 0, "deleted": 0}
    sql(pg_url, "UPDATE public.t SET v = 'changed', updated_at = clock_timestamp() WHERE id <= 4")
    sql(pg_url, "UPDATE public.t SET gone = true, updated_at = clock_timestamp() WHERE id = 20")
    sql(pg_url, "INSERT INTO public.t (id, v) VALUES (21, 'new'), (22, 'new')")
    second = ingest(target="bronze.m", **opts)
    assert second.read == 22  # the lookback of an hour reads every row again, the two new ones too
    assert second.changes() == {"inserted": 2, "updated": 19, "deleted": 1}  # Delta's MERGE metrics
    assert "22 rows read, 22 changed the table (2 inserted, 19 updated, 1 deleted)" in second.line()
    as_dict = second.to_dict()
    assert (as_dict["read"], as_dict["inserted"], as_dict["updated"], as_dict["deleted"]) == (22, 2, 19, 1)


def test_an_incremental_append_says_what_its_lookback_read_again(
    pg_url: str, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE TABLE public.a (id int PRIMARY KEY, seq int)")
    sql(pg_url, "INSERT INTO public.a SELECT i, i FROM generate_series(1, 10) i")
    opts = {"table": "public.a", "mode": "incremental", "cursor": "seq", "primary_key": ["id"], "lookback": "5"}
    assert "10 rows, " in ingest(target="bronze.a", **opts).line()  # all read rows went in: the plain line
    sql(pg_url, "INSERT INTO public.a VALUES (11, 11)")
    again = ingest(target="bronze.a", **opts)
    assert again.read == 7 and again.changes()["inserted"] == 1  # seq 5..11: the lookback re-reads 5..10
    assert "7 rows read, 1 changed the table (1 inserted)" in again.line()
