"""Fixtures for pipelines: a lakehouse with a raw source table, and a helper that writes a pipeline folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakeloader.lakehouse import delta
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.pipelines.update import UpdateResult, run_update

SPEC = """\
name: {name}
catalog: main
schema: {schema}
configuration:
{configuration}
libraries:
  - glob:
      include: transformations/**
"""


@pytest.fixture
def lh(lakehouse: Lakehouse) -> Lakehouse:
    lakehouse.create_catalog("main", if_not_exists=True)
    lakehouse.create_schema("main.raw", if_not_exists=True)
    lakehouse.create_table("main.raw.events", if_not_exists=True)
    return lakehouse


def add_events(lh: Lakehouse, rows: list[dict[str, Any]], table: str = "main.raw.events") -> None:
    """Append rows to a raw source table (as an upstream ingestion would)."""
    schema = pa.schema([("id", pa.int64()), ("kind", pa.string()), ("amount", pa.float64())])
    delta.write(lh.table(table).location, pa.Table.from_pylist(rows, schema=schema))


Write = Callable[..., Path]


@pytest.fixture
def pipeline(tmp_path: Path) -> Write:
    """pipeline({"a.sql": "...", "b.py": "..."}, name=..., configuration={...}) -> the pipeline folder."""

    def write(files: dict[str, str], *, name: str = "p", schema: str = "silver", **configuration: str) -> Path:
        folder = tmp_path / name
        (folder / "transformations").mkdir(parents=True, exist_ok=True)
        conf = "\n".join(f'  {k}: "{v}"' for k, v in configuration.items()) or '  unused: "x"'
        (folder / "spark-pipeline.yml").write_text(SPEC.format(name=name, schema=schema, configuration=conf))
        for rel, text in files.items():
            path = folder / "transformations" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return folder

    return write


def run(folder: Path, lh: Lakehouse, **options: Any) -> UpdateResult:
    return run_update(folder, lh, **options)


def outcome(result: UpdateResult, flow: str) -> Any:
    return next(o for o in result.outcomes if o.flow == flow)


def rows(lh: Lakehouse, sql: str) -> list[dict[str, Any]]:
    from lakeloader.lakehouse.sql import query

    return query(lh, sql).to_pylist()


# bronze (stream of the raw table) -> clean (stream of bronze, expectations) -> by_kind (materialized view)
MEDALLION_CHAIN = {
    "a.sql": """\
    CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM(main.raw.events);
    CREATE OR REFRESH STREAMING TABLE clean (
      CONSTRAINT small EXPECT (amount < 90) ON VIOLATION DROP ROW
    ) AS SELECT id, kind, amount FROM STREAM(bronze);
    CREATE OR REFRESH MATERIALIZED VIEW by_kind AS SELECT kind, count(*) AS n, sum(amount) AS s FROM clean GROUP BY ALL;
    """
}
