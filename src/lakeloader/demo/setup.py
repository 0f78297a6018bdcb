"""The demo's setup, as each seed does it: secret scopes, the ephemeral embedded Postgres (the init script), the
Providers & Claims bootstrap, the fleet's own database for Telematics, and the landing volume with its files."""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lakeloader.lakehouse.root import Lakehouse

Say = Callable[[str], None]  # plain text; a line starting with "## " is a heading

TELEMATICS = "telematics"
LANDING = "/Volumes/telematics/00_landing/landing"
KARDIA_PASSWORD = "{{secrets/kardia/pg_pw}}"
FLEET_PASSWORD = "{{secrets/telematics/fleet_pw}}"
FLEET_CONNECTION = "supabase"  # the Unity Catalog connection to the fleet's Postgres
FLEET_CATALOG = "supabase_data"  # its foreign catalog, as in the seed
UNKNOWN_PROVIDER = 10  # index of the provider that is not in providers_10.csv: its claims wait for it


def reset(lh: Lakehouse) -> None:
    """Drop the demo's catalogs (data, volumes, checkpoints inside them) so the run starts from nothing."""
    for catalog in ("kardia", TELEMATICS, "kardia_nb"):
        if lh.metastore.get(catalog) is not None:
            lh.drop_catalog(catalog, cascade=True)
    if lh.foreign_catalog(FLEET_CATALOG) is not None:
        from lakeloader.federation import drop_foreign_catalog

        drop_foreign_catalog(lh, FLEET_CATALOG)
    if lh.current_catalog != "main":
        lh.metastore.set_setting("current_catalog", "main")


def ensure_secret(root: Path, scope: str, key: str, say: Say) -> None:
    """A random password in `scope/key`, made once (encrypted at rest; never printed)."""
    from lakeloader.secrets import SecretStore

    store = SecretStore(root)
    store.create_scope(scope, if_not_exists=True)
    if not any(s.key == key for s in store.list_secrets(scope)):
        store.put_secret(scope, key, random_secrets.token_urlsafe(18))
        say(f"secret {scope}/{key} created (random, encrypted at rest; the value is never printed)")
    else:
        say(f"secret {scope}/{key} found")


def start_postgres(root: Path, say: Say) -> tuple[str, str]:
    """Start the ephemeral server with the kardia password; (its password-free URL, host:port)."""
    from lakeloader.embedded import instance

    instance.start(root=root, password=KARDIA_PASSWORD, ephemeral=True)
    state = instance.status(root=root)
    say(f"postgres running on {state['host']}:{state['port']} (ephemeral, password {KARDIA_PASSWORD})")
    return f"postgresql://postgres@{state['host']}:{state['port']}/postgres", f"{state['host']}:{state['port']}"


def setup_fleet(lh: Lakehouse, say: Say, *, vehicles: int = 5, password: str = FLEET_PASSWORD) -> str:
    """The fleet's database `supabase` with its read-only role, registered as connection `supabase` and foreign
    catalog `supabase_data`; returns the reader's password-free URL."""
    from lakeloader.embedded import fleet, instance
    from lakeloader.secrets import resolve_references

    admin = instance.connection_url(root=lh.root, reveal=True)
    result = fleet.bootstrap_fleet(admin, reader_password=resolve_references(password, root=lh.root), vehicles=vehicles)
    say(
        f"fleet database {result.database}: role {result.user} (read-only, password {password}), "
        f"{fleet.VEHICLES_TABLE} with {result.total} vehicles"
    )
    url = fleet.reader_url(admin)
    register_fleet(lh, url, password, say)
    return url


def register_fleet(lh: Lakehouse, url: str, password: str, say: Say) -> None:
    """Connection `supabase` to the fleet's database (its address updated when the server moved) and foreign
    catalog `supabase_data` over it (its listing refreshed)."""
    from urllib.parse import urlsplit

    from lakeloader import federation

    parts = urlsplit(url)
    federation.create_connection(
        lh,
        FLEET_CONNECTION,
        replace=True,
        type="postgresql",
        host=parts.hostname,
        port=parts.port,
        database=parts.path.lstrip("/"),
        user=parts.username,
        password=password,
        comment="the fleet's Postgres (Supabase in the seed)",
    )
    if lh.foreign_catalog(FLEET_CATALOG) is None:
        federation.create_foreign_catalog(lh, FLEET_CATALOG, connection=FLEET_CONNECTION)
    else:
        federation.refresh(lh, FLEET_CATALOG)
    tables = [t.full_name for t in federation.list_tables(lh, FLEET_CATALOG)]
    say(f"connection {FLEET_CONNECTION} -> {parts.hostname}:{parts.port}; foreign catalog {FLEET_CATALOG}: "
        f"{', '.join(tables)}")  # fmt: skip


def setup_telematics(lh: Lakehouse) -> None:
    lh.create_catalog(TELEMATICS, if_not_exists=True, comment="Telematics medallion example")
    lh.create_schema(f"{TELEMATICS}.`00_landing`", if_not_exists=True, comment="the landing volume")
    lh.create_volume(f"{TELEMATICS}.`00_landing`.landing", if_not_exists=True, comment="device uploads")


def land_telematics(lh: Lakehouse, *, seed: int, files: int, new_column: bool, malformed: int, glitches: int,
                    duplicate: bool) -> dict[str, Any]:  # fmt: skip
    """Drop Parquet and JSON telematics files into the landing volume (as a device fleet would); wave N is the
    fleet's week N."""
    from datetime import timedelta

    from lakeloader.samples.telematics import TELEMATICS_START

    start = TELEMATICS_START + timedelta(days=7 * (seed - 1))  # a week apart: the waves never overlap
    with lh.working_folder(LANDING, fetch=False) as landing:  # on an object store: uploaded at the end
        return _land_telematics(landing, seed=seed, files=files, start=start, new_column=new_column,
                                malformed=malformed, glitches=glitches, duplicate=duplicate)  # fmt: skip


def _land_telematics(landing: Path, *, seed: int, files: int, start: Any, new_column: bool, malformed: int,
                     glitches: int, duplicate: bool) -> dict[str, Any]:  # fmt: skip
    from lakeloader.samples import Faults, write_telematics

    parquet = write_telematics(
        landing / "parquet" / f"wave{seed}",
        files=files,
        rows_per_file=5_000,
        file_format="parquet",
        seed=seed,
        faults=Faults(new_column_after=0 if new_column else None, glitches=glitches, duplicate_file=duplicate),
        start=start,
    )
    json_files = write_telematics(
        landing / "json" / f"wave{seed}",
        files=max(1, files // 2),
        rows_per_file=1_000,
        file_format="json",
        seed=seed + 1000,
        faults=Faults(malformed=malformed),
        start=start,
    )
    return {"parquet_files": len(parquet.files) + int(duplicate), "parquet_rows": parquet.rows,
            "json_files": len(json_files.files), "json_rows": json_files.rows}  # fmt: skip


def provider_row(index: int) -> dict[str, Any]:
    from lakeloader.samples.providers import provider_records

    return provider_records(rows=index + 1)[index]


def land_claims(lh: Lakehouse, say: Say) -> None:
    """claims_11.avro: 25 new claims; two for a provider Postgres does not know yet, one serviced after it was
    submitted, one in a status the pipeline does not know."""
    from datetime import timedelta

    from lakeloader.embedded.bootstrap import CLAIMS_WATCH_PATH, RAW_PATH
    from lakeloader.samples import read_provider_npis
    from lakeloader.samples.claims import claim_records, write_claims_file

    with lh.working_folder(RAW_PATH) as raw:
        npis = read_provider_npis(raw / "providers_10.csv")
    records = claim_records(rows=25, seed=7, file_number=11, provider_npis=npis)
    unknown = provider_row(UNKNOWN_PROVIDER)["npi"]
    for record in records[:2]:
        record["provider_npi"] = unknown
    records[2]["service_date"] = records[2]["submitted_at"].date() + timedelta(days=3)
    records[3]["status"] = "APPEALED"
    with lh.working_folder(CLAIMS_WATCH_PATH, fetch=False) as watch:
        write_claims_file(watch / "claims_11.avro", records)
    say(
        "landed claims_11.avro: 25 claims — 2 for provider "
        f"{unknown} (not in Postgres yet), 1 serviced after it was submitted, 1 with status APPEALED"
    )


def change_postgres(lh: Lakehouse, say: Say) -> None:
    """Between two updates: three providers change, a vehicle moves to another fleet."""
    import psycopg

    from lakeloader.embedded import fleet, instance

    admin = instance.connection_url(root=lh.root, reveal=True)
    with psycopg.connect(admin, autocommit=True) as con:
        changed = con.execute(
            "UPDATE public.providers SET phone = '555-0100', last_updated = now() "
            "WHERE npi IN (SELECT npi FROM public.providers ORDER BY npi LIMIT 3)"
        ).rowcount
    with psycopg.connect(fleet._with_database(admin, fleet.DATABASE), autocommit=True) as con:
        con.execute("UPDATE public.vehicles SET fleet = 'regional', updated_at = now() WHERE vehicle_id = 'VH-0003'")
    say(f"postgres: {changed} providers updated; fleet: VH-0003 moved to the regional fleet")


def add_unknown_provider(lh: Lakehouse, say: Say) -> str:
    """The fix: the provider the two waiting claims name is registered in Postgres."""
    import psycopg
    from psycopg import sql

    from lakeloader.embedded import instance
    from lakeloader.samples import PROVIDERS_ARROW_SCHEMA

    row = provider_row(UNKNOWN_PROVIDER)
    names = PROVIDERS_ARROW_SCHEMA.names
    statement = sql.SQL("INSERT INTO public.providers ({}) VALUES ({}) ON CONFLICT (npi) DO NOTHING").format(
        sql.SQL(", ").join(sql.Identifier(n) for n in names), sql.SQL(", ").join(sql.Placeholder() for _ in names)
    )
    with psycopg.connect(instance.connection_url(root=lh.root, reveal=True), autocommit=True) as con:
        con.execute(statement, [row[n] for n in names])
    say(f"postgres: provider {row['npi']} ({row['specialty']}) registered")
    return str(row["npi"])
