"""`lakeloader demo`: everything that is built, on embedded defaults, from nothing."""

from __future__ import annotations

from lakeloader.cli.context import state
from lakeloader.cli.output import say


def demo() -> None:
    """Build a lakehouse from nothing and show an exactly-once batch commit and its replay."""
    import pyarrow as pa

    from lakeloader.lakehouse import delta
    from lakeloader.lakehouse.sql import query

    lh = state.lakehouse()
    say(f"[bold]lakehouse[/bold] at {lh.root}")
    lh.create_catalog("demo", comment="lakeloader demo", if_not_exists=True)
    for schema in ("00_landing", "01_bronze"):
        lh.create_schema(f"demo.`{schema}`", if_not_exists=True)
    volume = lh.create_volume("demo.`00_landing`.raw", if_not_exists=True)
    say(f"volume /Volumes/demo/00_landing/raw -> {volume.location}")
    table = lh.create_table("demo.`01_bronze`.events", if_not_exists=True)
    batch = pa.table({"id": list(range(1, 6)), "event": ["start", "stop", "start", "stop", "start"]})
    for attempt in ("first", "replay"):
        result = delta.commit_batch(
            table.location, batch, stream_id="demo-events", batch_id=0, table_name=str(table.name)
        )
        outcome = "skipped (already committed)" if result.skipped else f"committed as version {result.version}"
        say(f"batch 0, {attempt} run: {result.rows} rows {outcome}")
    rows = query(lh, "SELECT count(*) AS n FROM demo.`01_bronze`.events").column("n")[0].as_py()
    say(f"demo.01_bronze.events holds {rows} rows (exactly once)")
