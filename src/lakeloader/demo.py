"""The demo job behind `make demo`: both reference pipelines' bronze layers from nothing, then an incremental rerun.

Providers & Claims: secret scope `kardia` → ephemeral embedded Postgres → bootstrap → `bronze_providers`
(Postgres, incremental on `last_updated`) and `bronze_claims` (Avro, schema declared in code, availableNow).
Telematics: landing volume in `00_landing` → `01_bronze.telematics` (Parquet) and `01_bronze.telematics_test`
(JSON, with a few malformed lines that go to the bad-records table), checkpoints in `_checkpoints`.
"""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lakeloader.lakehouse.root import Lakehouse

Say = Callable[[str], None]  # plain text; a line starting with "## " is a heading

TELEMATICS = "telematics"
LANDING = "/Volumes/telematics/00_landing/landing"
CHECKPOINTS = f"{LANDING}/_checkpoints"
PASSWORD_REF = "{{secrets/kardia/pg_pw}}"


def reset(lh: Lakehouse) -> None:
    """Drop the demo's catalogs (data, volumes, checkpoints inside them) so the run starts from nothing."""
    for catalog in ("kardia", TELEMATICS):
        if lh.metastore.get(catalog) is not None:
            lh.drop_catalog(catalog, cascade=True)
    if lh.current_catalog != "main":
        lh.metastore.set_setting("current_catalog", "main")


def ensure_password(root: Path, say: Say) -> None:
    """The seed keeps the Postgres password in secret scope `kardia`; make one if there is none yet."""
    from lakeloader.secrets import SecretStore

    store = SecretStore(root)
    store.create_scope("kardia", if_not_exists=True)
    if not any(s.key == "pg_pw" for s in store.list_secrets("kardia")):
        store.put_secret("kardia", "pg_pw", random_secrets.token_urlsafe(18))
        say("secret kardia/pg_pw created (random, encrypted at rest; the value is never printed)")
    else:
        say("secret kardia/pg_pw found")


def start_postgres(root: Path, say: Say) -> str:
    """Start the ephemeral embedded server with the password from the secret; return its password-free URL."""
    from lakeloader.embedded import instance

    instance.start(root=root, password=PASSWORD_REF, ephemeral=True)
    state = instance.status(root=root)
    say(f"postgres running on {state['host']}:{state['port']} (ephemeral, password {PASSWORD_REF})")
    return f"postgresql://postgres@{state['host']}:{state['port']}/postgres"


def land_telematics(lh: Lakehouse, *, seed: int, files: int, new_column: bool, malformed: int) -> None:
    """Drop Parquet and JSON telematics files into the landing volume (as a device fleet would)."""
    from lakeloader.samples import Faults, write_telematics

    landing = lh.resolve_path(LANDING)
    faults = Faults(new_column_after=0 if new_column else None)
    write_telematics(
        landing / "parquet" / f"wave{seed}",
        files=files,
        rows_per_file=5_000,
        file_format="parquet",
        seed=seed,
        faults=faults,
    )
    write_telematics(
        landing / "json" / f"wave{seed}",
        files=max(1, files // 2),
        rows_per_file=1_000,
        file_format="json",
        seed=seed + 1000,
        faults=Faults(malformed=malformed),
    )


def ingest_all(lh: Lakehouse, source_url: str, say: Say) -> list[dict[str, Any]]:
    """Run every bronze stream once (availableNow); each picks up only what is new since its checkpoint."""
    from lakeloader.embedded.bootstrap import CLAIMS_WATCH_PATH, RAW_PATH
    from lakeloader.samples import claims_arrow_schema
    from lakeloader.sources.files.runner import ingest_files
    from lakeloader.sources.postgres.ingest import ingest_postgres

    summaries: list[dict[str, Any]] = []
    providers = ingest_postgres(
        "kardia.kardia_bronze.bronze_providers",
        source_url=source_url,
        password=PASSWORD_REF,
        table="public.providers",
        mode="incremental",
        cursor="last_updated",
        primary_key="npi",
        checkpoint=lh.resolve_path(f"{RAW_PATH}/_checkpoints/providers"),
        lakehouse=lh,
    )
    say(providers.line())
    summaries.append(providers.to_dict())
    claims = ingest_files(
        "kardia.kardia_bronze.bronze_claims",
        path=CLAIMS_WATCH_PATH,
        checkpoint=f"{RAW_PATH}/_checkpoints/claims",
        schema=claims_arrow_schema(),
        format="avro",
        lakehouse=lh,
    )
    say(claims.line())
    summaries.append(claims.to_dict())
    for table, fmt in (("telematics", "parquet"), ("telematics_test", "json")):
        result = ingest_files(
            f"{TELEMATICS}.`01_bronze`.{table}",
            path=f"{LANDING}/{fmt}",
            checkpoint=f"{CHECKPOINTS}/{table}",
            format=fmt,
            schemaEvolutionMode="addNewColumns",
            inferColumnTypes=True,
            lakehouse=lh,
        )
        say(result.line())
        summaries.append(result.to_dict())
    return summaries


def change_sources(lh: Lakehouse, say: Say) -> None:
    """What happens between two runs: providers change in Postgres, new claims and telematics files land."""
    import psycopg

    from lakeloader.embedded import instance
    from lakeloader.embedded.bootstrap import CLAIMS_WATCH_PATH
    from lakeloader.samples import read_provider_npis, write_claims_avro

    url = instance.connection_url(root=lh.root, reveal=True)
    with psycopg.connect(url, autocommit=True) as con:
        changed = con.execute(
            "UPDATE public.providers SET phone = '555-0100', last_updated = now() "
            "WHERE npi IN (SELECT npi FROM public.providers ORDER BY npi LIMIT 3)"
        ).rowcount
    say(f"postgres: {changed} providers updated")
    npis = read_provider_npis(lh.resolve_path("/Volumes/kardia/landing/raw/providers_10.csv"))
    write_claims_avro(
        lh.resolve_path(CLAIMS_WATCH_PATH), rows_per_file=25, seed=7, provider_npis=npis, name="claims_11.avro"
    )
    say("landed claims_11.avro (25 claims)")
    land_telematics(lh, seed=2, files=2, new_column=True, malformed=0)
    say("landed 2 Parquet files with a new column fuel_level, and 1 JSON file")


def counts(lh: Lakehouse) -> list[dict[str, Any]]:
    from lakeloader.lakehouse.sql import query

    names = [
        "kardia.kardia_bronze.bronze_providers",
        "kardia.kardia_bronze.bronze_claims",
        "telematics.`01_bronze`.telematics",
        "telematics.`01_bronze`.telematics_test",
    ]
    sql = " UNION ALL ".join(f"SELECT '{n.replace('`', '')}' AS table_name, count(*) AS rows FROM {n}" for n in names)
    rows: list[dict[str, Any]] = query(lh, sql).to_pylist()
    return rows


def run(lh: Lakehouse, *, say: Say, fresh: bool = True, keep_postgres: bool = False) -> dict[str, Any]:
    """The whole demo; returns a JSON-ready report."""
    from lakeloader.embedded import instance
    from lakeloader.embedded.bootstrap import bootstrap_providers_claims

    if fresh:
        reset(lh)
    say("## 1. setup: secret scope, embedded PostgreSQL (the init script), bootstrap")
    ensure_password(lh.root, say)
    source_url = start_postgres(lh.root, say)
    report: dict[str, Any] = {}
    try:
        bootstrap_providers_claims(root=lh.root, generate=True, on_step=lambda m: say(f"  {m}"))
        lh.create_catalog(TELEMATICS, if_not_exists=True, comment="Telematics medallion example")
        for schema in ("00_landing", "01_bronze"):
            lh.create_schema(f"{TELEMATICS}.`{schema}`", if_not_exists=True)
        lh.create_volume(f"{TELEMATICS}.`00_landing`.landing", if_not_exists=True)
        land_telematics(lh, seed=1, files=4, new_column=False, malformed=2)
        say(f"landed 4 Parquet and 2 JSON telematics files (2 malformed JSON lines) in {LANDING}")
        say("## 2. bronze from nothing")
        report["first_run"] = ingest_all(lh, source_url, say)
        say("## 3. the sources change")
        change_sources(lh, say)
        say("## 4. incremental rerun: only what is new is read and committed, exactly once")
        report["incremental_run"] = ingest_all(lh, source_url, say)
        say("## 5. rerun with nothing new")
        report["noop_run"] = ingest_all(lh, source_url, say)
        report["tables"] = counts(lh)
    finally:
        if not keep_postgres:
            instance.stop(root=lh.root)
            say("postgres stopped (ephemeral: its data is wiped)")
    return report
