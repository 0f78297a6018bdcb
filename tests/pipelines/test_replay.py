"""`replay-quarantine`: quarantined rows checked again after a fix, landed once, gone from the quarantine once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakeloader.errors import ConfigError, NotFoundError
from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines.replay import replay_quarantine
from tests.pipelines.conftest import Write, rows, run

SILVER = """\
CREATE OR REFRESH STREAMING TABLE readings AS
SELECT * FROM STREAM read_files('/Volumes/main/landing/raw/r', format => 'json', inferColumnTypes => true);
CREATE OR REFRESH STREAMING TABLE clean (
  CONSTRAINT valid_speed EXPECT (speed >= 0 AND speed < {limit}) ON VIOLATION DROP ROW
) AS SELECT id, speed FROM STREAM(readings);
CREATE OR REFRESH MATERIALIZED VIEW fastest (CONSTRAINT some EXPECT (top > 0) ON VIOLATION DROP ROW)
AS SELECT max(speed) AS top FROM clean;
"""


def _setup(lh: Lakehouse, pipeline: Write, limit: int = 200) -> tuple[Path, Path]:
    lh.create_schema("main.landing", if_not_exists=True)
    landing = Path(lh.create_volume("main.landing.raw", if_not_exists=True).location or "") / "r"
    landing.mkdir(parents=True, exist_ok=True)
    speeds = [50, -5, 250, 300, 120]
    (landing / "a.json").write_text("".join(json.dumps({"id": i, "speed": s}) + "\n" for i, s in enumerate(speeds)))
    folder = pipeline({"silver.sql": SILVER.format(limit=limit)})
    result = run(folder, lh)
    assert result.status == "COMPLETED", [o.message for o in result.outcomes]
    return folder, landing


def _redefine(folder: Path, limit: int) -> None:
    (folder / "transformations" / "silver.sql").write_text(SILVER.format(limit=limit))


def _speeds(lh: Lakehouse, table: str) -> list[Any]:
    return [r["speed"] for r in rows(lh, f"SELECT speed FROM {table} ORDER BY speed")]


def test_a_loosened_expectation_replays_the_rows_it_now_passes(lh: Lakehouse, pipeline: Write) -> None:
    folder, _ = _setup(lh, pipeline)
    assert _speeds(lh, "main.silver.clean") == [50, 120]
    assert _speeds(lh, "main.silver.clean_quarantine") == [-5, 250, 300]
    _redefine(folder, 260)
    result = replay_quarantine(folder, lh, table="clean")
    assert (result.selected, result.replayed, result.still_failing) == (3, 1, 2)
    assert _speeds(lh, "main.silver.clean") == [50, 120, 250]
    assert _speeds(lh, "main.silver.clean_quarantine") == [-5, 300]
    again = replay_quarantine(folder, lh, table="clean")  # nothing new passes: nothing moves
    assert (again.selected, again.replayed) == (2, 0)
    _redefine(folder, 1000)
    chosen = replay_quarantine(folder, lh, table="main.silver.clean", where="speed > 200")
    assert (chosen.selected, chosen.replayed) == (1, 1)
    assert _speeds(lh, "main.silver.clean") == [50, 120, 250, 300]
    assert _speeds(lh, "main.silver.clean_quarantine") == [-5]
    assert run(folder, lh).status == "COMPLETED"  # the flow's own stream is untouched: no row read twice
    assert _speeds(lh, "main.silver.clean") == [50, 120, 250, 300]
    assert rows(lh, "SELECT top FROM main.silver.fastest") == [{"top": 300}]


def test_a_crash_between_the_table_and_the_quarantine_commit_is_finished_once(
    lh: Lakehouse, pipeline: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakeloader.pipelines import replay

    folder, _ = _setup(lh, pipeline)
    _redefine(folder, 1000)
    real = replay.delta.apply_rows

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise OSError("injected crash after the table's commit")

    monkeypatch.setattr(replay.delta, "apply_rows", crash)
    with pytest.raises(OSError, match="injected"):
        replay_quarantine(folder, lh, table="clean")
    assert _speeds(lh, "main.silver.clean") == [50, 120, 250, 300]  # landed ...
    assert _speeds(lh, "main.silver.clean_quarantine") == [-5, 250, 300]  # ... and not yet removed
    monkeypatch.setattr(replay.delta, "apply_rows", real)
    result = replay_quarantine(folder, lh, table="clean")  # finishes the pending batch, then plans anew
    assert result.replayed == 0
    assert _speeds(lh, "main.silver.clean") == [50, 120, 250, 300]  # never twice
    assert _speeds(lh, "main.silver.clean_quarantine") == [-5]


def test_fail_update_expectations_stop_the_replay_with_nothing_moved(lh: Lakehouse, pipeline: Write) -> None:
    folder, _ = _setup(lh, pipeline)
    (folder / "transformations" / "silver.sql").write_text(
        SILVER.format(limit=1000).replace(
            "ON VIOLATION DROP ROW\n) AS SELECT id", "ON VIOLATION FAIL UPDATE\n) AS SELECT id"
        )
    )
    from lakeloader.quality.expectations import ExpectationFailed

    with pytest.raises(ExpectationFailed, match="valid_speed"):
        replay_quarantine(folder, lh, table="clean")
    assert _speeds(lh, "main.silver.clean") == [50, 120]
    assert _speeds(lh, "main.silver.clean_quarantine") == [-5, 250, 300]


def test_what_cannot_be_replayed_says_why(lh: Lakehouse, pipeline: Write) -> None:
    folder, _ = _setup(lh, pipeline)
    with pytest.raises(ConfigError, match="materialized view"):
        replay_quarantine(folder, lh, table="fastest")
    with pytest.raises(ConfigError, match=r"not a table of pipeline p; its tables are main\.silver\.clean"):
        replay_quarantine(folder, lh, table="nope")
    with pytest.raises(NotFoundError, match="readings has no quarantine"):
        replay_quarantine(folder, lh, table="readings")
    with pytest.raises(ConfigError, match="--where"):
        replay_quarantine(folder, lh, table="clean", where="no_such_column > 1")
    with pytest.raises(ConfigError):
        replay_quarantine(folder, lh, table="clean", where="speed > 1; COPY (SELECT 1) TO '/tmp/x'")


def test_a_full_refresh_empties_the_quarantine_with_the_table(lh: Lakehouse, pipeline: Write) -> None:
    folder, _ = _setup(lh, pipeline)
    assert run(folder, lh, full_refresh=True).status == "COMPLETED"
    assert _speeds(lh, "main.silver.clean") == [50, 120]
    assert _speeds(lh, "main.silver.clean_quarantine") == [-5, 250, 300]  # dropped again, once
    q = lh.table("main.silver.clean_quarantine").location
    assert any(h.get("operation") == "DELETE" or "truncate" in str(h).lower() for h in delta.history(q))


JOINED = """\
CREATE OR REFRESH MATERIALIZED VIEW providers AS SELECT * FROM main.raw.providers;
CREATE OR REFRESH STREAMING TABLE claims (
  CONSTRAINT known_provider EXPECT (specialty IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT positive EXPECT (amount > {floor}) ON VIOLATION DROP ROW
) AS SELECT c.*, p.specialty FROM STREAM(main.raw.claims) c LEFT JOIN providers p ON c.npi = p.npi;
"""


def test_a_flow_that_keeps_its_stream_rows_runs_its_query_again(lh: Lakehouse, pipeline: Write) -> None:
    """A claim dropped for an unknown provider lands once the provider arrived: the join is done again."""
    import pyarrow as pa

    providers = lh.create_table("main.raw.providers", if_not_exists=True).location
    claims = lh.create_table("main.raw.claims", if_not_exists=True).location
    delta.write(providers, pa.table({"npi": ["1"], "specialty": ["Cardiology"]}))
    delta.write(claims, pa.table({"claim": ["a", "b", "c"], "npi": ["1", "2", "2"], "amount": [10, 20, -1]}))
    folder = pipeline({"claims.sql": JOINED.format(floor=0)})
    assert run(folder, lh).status == "COMPLETED"
    assert rows(lh, "SELECT claim FROM main.silver.claims") == [{"claim": "a"}]
    delta.write(providers, pa.table({"npi": ["2"], "specialty": ["Pediatrics"]}))  # the data is fixed upstream
    assert run(folder, lh).status == "COMPLETED"  # the providers view refreshes; the claims stream has no new rows
    result = replay_quarantine(folder, lh, table="claims")
    assert result.through == {"claims": "query"} and (result.replayed, result.still_failing) == (1, 1)
    got = rows(lh, "SELECT claim, specialty FROM main.silver.claims ORDER BY claim")
    assert got == [{"claim": "a", "specialty": "Cardiology"}, {"claim": "b", "specialty": "Pediatrics"}]
    kept = rows(lh, "SELECT claim, specialty, _failed_expectations AS failed FROM main.silver.claims_quarantine")
    assert kept == [{"claim": "c", "specialty": None, "failed": ["known_provider", "positive"]}]  # as stored
    (folder / "transformations" / "claims.sql").write_text(JOINED.format(floor=-5))  # and the definition
    assert replay_quarantine(folder, lh, table="claims").replayed == 1
    assert rows(lh, "SELECT count(*) AS n FROM main.silver.claims_quarantine") == [{"n": 0}]
    assert rows(lh, "SELECT claim, specialty FROM main.silver.claims WHERE claim = 'c'") == [
        {"claim": "c", "specialty": "Pediatrics"}]  # fmt: skip
