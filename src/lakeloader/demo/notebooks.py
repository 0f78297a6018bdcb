"""The demo's notebook steps: Providers & Claims' own notebooks run unchanged (`lakeloader notebooks run`) into a
catalog of their own, their bronze tables compared with the pipeline's; Telematics' Python bronze compared with
the SQL one."""

from __future__ import annotations

import contextlib
import io
from typing import Any

from lakeloader.demo.setup import Say
from lakeloader.lakehouse.root import Lakehouse

CATALOG = "kardia_nb"
RAW = "/Volumes/kardia/landing/raw"  # the landing zone both the pipeline and the notebooks read
SEED_ORDER = (
    "99_bootstrap_raw_dirs_and_files",
    "99_seed_providers_postgres",
    "01_bronze_jdbc_providers",
    "01_bronze_stream_claims_autoloader",
)
BRONZE_PROVIDERS = "npi, entity_type, first_name, last_name, specialty, state, enumeration_date, last_updated"
BRONZE_CLAIMS = "claim_id, member_id, provider_npi, service_date, submitted_at, lines, billed_amount, paid_amount"


def _differing(lh: Lakehouse, a: str, b: str, columns: str) -> int:
    """Rows of `a` not in `b` plus rows of `b` not in `a` (as multisets), over `columns`."""
    from lakeloader.lakehouse.sql import query

    sql = (
        f"SELECT (SELECT count(*) FROM (SELECT {columns} FROM {a} EXCEPT ALL SELECT {columns} FROM {b})) "
        f"+ (SELECT count(*) FROM (SELECT {columns} FROM {b} EXCEPT ALL SELECT {columns} FROM {a})) AS n"
    )
    return int(query(lh, sql).column("n")[0].as_py())


def run_seed(lh: Lakehouse, address: str, say: Say, *, first: bool) -> dict[str, Any]:
    """The seed's notebooks in its order (the bootstrap and the Postgres seeding only the first time)."""
    from lakeloader.demo import examples_folder
    from lakeloader.notebooks.run import run

    host, port = address.rsplit(":", 1)
    params = {"catalog": CATALOG, "raw": RAW, "pg_host": host, "pg_port": port}
    folder = examples_folder() / "providers_claims" / "notebooks"
    runs = []
    for name in SEED_ORDER if first else SEED_ORDER[2:]:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # the notebook's prints and displays, shown as the demo's lines
            result = run(folder / f"{name}.py", lh, params=params)
        say(f"  notebook {name}: {result.cells} cells in {result.seconds:.2f} s")
        for line in printed.getvalue().splitlines():
            say(f"    {line}")
        runs.append(result.to_dict())
    same = {
        "bronze_providers": _differing(
            lh, f"{CATALOG}.kardia_bronze.bronze_providers", "kardia.kardia_bronze.bronze_providers", BRONZE_PROVIDERS
        ),
        "bronze_claims": _differing(
            lh, f"{CATALOG}.kardia_bronze.bronze_claims", "kardia.kardia_bronze.bronze_claims", BRONZE_CLAIMS
        ),
    }
    for table, differing in same.items():
        verdict = "the same rows as" if differing == 0 else f"{differing} rows differ from"
        say(f"  {CATALOG}.kardia_bronze.{table}: {verdict} the pipeline's kardia.kardia_bronze.{table}")
    return {"runs": runs, "differing_rows": same}


def same_bronze(lh: Lakehouse, say: Say) -> dict[str, int]:
    """Telematics' bronze written in Python (`import dlt`) against the SQL one: rows that differ, per table."""
    from lakeloader.lakehouse import delta

    found = {}
    for table in ("telematics", "telematics_test"):
        sql_table, py_table = f"telematics.`01_bronze`.{table}", f"telematics.`01_bronze_py`.{table}"
        schema = delta.open_table(lh.table(f"telematics.01_bronze.{table}").location).schema().to_arrow()
        columns = ", ".join(f"`{f.name}`" for f in schema)  # by name: the two grew their columns in other orders
        found[table] = _differing(lh, sql_table, py_table, columns)
        verdict = "the same rows as" if found[table] == 0 else f"{found[table]} rows differ from"
        say(f"  telematics.01_bronze_py.{table} (Python): {verdict} telematics.01_bronze.{table} (SQL)")
    return found
