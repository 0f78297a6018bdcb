"""Overlapping runs of one Postgres stream (a cron overlap), every mode: no batch ever lands twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.overlap import bypass_stream_lock, run_at_once

from lakeloader.lakehouse.root import Lakehouse

from .conftest import delta_table, sql

ROWS = 20_000
TABLE = f"""
CREATE TABLE public.t (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
INSERT INTO public.t (id, name) SELECT i, 'n' || i FROM generate_series(1, {ROWS}) i;
"""
MODES: dict[str, dict[str, Any]] = {
    "full": {},
    "incremental": {"mode": "incremental", "cursor": "id"},
    "incremental-lookback": {"mode": "incremental", "cursor": "updated_at", "primary_key": "id", "lookback": "1h"},
    "merge": {"mode": "merge", "primary_key": "id", "cursor": "updated_at"},
}


def _ingest(root: str, url: str, checkpoint: str, options: dict[str, Any], wait: float, bypass: bool) -> int:
    from lakeloader.lakehouse.root import Lakehouse
    from lakeloader.sources.postgres import ingest_postgres

    if bypass:
        bypass_stream_lock()
    summary = ingest_postgres(
        "bronze.t",
        lakehouse=Lakehouse(root),
        source_url=url,
        table="public.t",
        checkpoint=checkpoint,
        wait_for_lock=wait,
        **options,
    )
    return summary.rows


def _check_each_batch_once(house: Lakehouse, mode: str, expected_ids: set[int]) -> None:
    got = delta_table(house, "bronze.t")
    ids = got.column("id").to_pylist()
    if mode == "full":  # every run appends one snapshot: each batch holds each id of its time exactly once
        batch_ids = got.column("_batch_id").to_pylist()
        assert set(Counter(zip(batch_ids, ids, strict=True)).values()) == {1}, "a batch landed twice"
        per_batch = Counter(batch_ids)
        assert set(per_batch.values()) <= {ROWS, ROWS + 500}, per_batch
    else:
        assert len(ids) == len(expected_ids), f"{len(ids)} rows for {len(expected_ids)} source rows"
    assert set(ids) == expected_ids


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(MODES))
def test_three_runs_at_once_one_wins(pg_url: str, house: Lakehouse, tmp_path: Path, mode: str) -> None:
    sql(pg_url, TABLE)
    args = (str(house.root), pg_url, str(tmp_path / "cp"), MODES[mode])
    outcomes = run_at_once(_ingest, [(*args, 0.0, False)] * 3)
    won = [v for s, v in outcomes if s == "ok"]
    refused = [v for s, v in outcomes if s == "error"]
    assert all("StreamInUseError" in r and "in use by another run (pid" in r for r in refused), refused
    assert sum(won) == ROWS, outcomes
    _check_each_batch_once(house, mode, set(range(1, ROWS + 1)))
    sql(pg_url, f"INSERT INTO public.t (id, name) SELECT i, 'n' || i FROM generate_series({ROWS + 1}, {ROWS + 500}) i")
    waited = run_at_once(_ingest, [(*args, 300.0, False)] * 3)  # they queue up: one after the other
    assert all(s == "ok" for s, _ in waited), waited
    expected = set(range(1, ROWS + 501))
    if mode == "full":
        assert sorted(v for _, v in waited) == [ROWS + 500] * 3  # three cron runs, three snapshots
    else:  # the first reads the new rows (merge re-reads the rows at the high-water mark, harmlessly), then none
        got = sorted(v for _, v in waited)
        assert got[:2] == [0, 0] and 500 <= got[2] <= (500 if mode == "incremental" else 510), got
    _check_each_batch_once(house, mode, expected)


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(MODES))
def test_runs_that_bypass_the_lock_never_land_a_batch_twice(
    pg_url: str, house: Lakehouse, tmp_path: Path, mode: str
) -> None:
    sql(pg_url, TABLE)
    args = (str(house.root), pg_url, str(tmp_path / "cp"), MODES[mode], 0.0, True)
    for status, value in run_at_once(_ingest, [args] * 3):
        assert status == "ok" or "StreamInUseError" in value, value
    _check_each_batch_once(house, mode, set(range(1, ROWS + 1)))
    sql(pg_url, f"INSERT INTO public.t (id, name) SELECT i, 'n' || i FROM generate_series({ROWS + 1}, {ROWS + 500}) i")
    for status, value in run_at_once(_ingest, [args] * 3):
        assert status == "ok" or "StreamInUseError" in value, value
    if mode != "full":
        _ingest(*args[:4], 0.0, False)
    _check_each_batch_once(house, mode, set(range(1, ROWS + 501)))
