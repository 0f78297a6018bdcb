"""The Providers & Claims bootstrap (the seed's notebooks): lakehouse objects, raw files, Postgres seed.

Everything lives in catalog `kardia`, as the seed's `/Volumes/kardia/landing/raw/` path implies, and the
current catalog is set to `kardia`, as a notebook's `USE CATALOG kardia` would, so the seed's two-level name
`kardia_bronze.bronze_providers` means `kardia.kardia_bronze.bronze_providers`.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeloader.errors import ConfigError, NotFoundError, RetryableError, TerminalError
from lakeloader.lakehouse.storage import ObjectPath

log = logging.getLogger(__name__)
MIN_PASSWORD_LENGTH = 8  # as the embedded server requires
CATALOG = "kardia"
LANDING_SCHEMA = "kardia.landing"
RAW_VOLUME = "kardia.landing.raw"
BRONZE_SCHEMA = "kardia.kardia_bronze"
RAW_PATH = "/Volumes/kardia/landing/raw"
CLAIMS_WATCH_PATH = f"{RAW_PATH}/claims"  # the Auto Loader watch folder of bronze_claims
PROVIDERS_FILE = "providers_10.csv"
CLAIMS_FILE = "claims_10.avro"
PROVIDERS_TABLE = "public.providers"
SEED_ROWS = 10
# Connection failures worth waiting out; anything else (bad password, bad certificate) fails at once.
_TRANSIENT = ("connection refused", "starting up", "timeout expired", "no such file", "closed the connection")

OnStep = Callable[[str], None]


@dataclass
class BootstrapResult:
    raw_dir: Path | ObjectPath
    generated: list[str] = field(default_factory=list)
    claims_copied: bool = False
    rows_inserted: int = 0
    rows_in_table: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "catalog": CATALOG,
            "schemas": [LANDING_SCHEMA, BRONZE_SCHEMA],
            "volume": RAW_VOLUME,
            "raw_dir": str(self.raw_dir),
            "generated": self.generated,
            "claims_copied": self.claims_copied,
            "postgres_table": PROVIDERS_TABLE,
            "rows_inserted": self.rows_inserted,
            "rows_in_table": self.rows_in_table,
        }


def bootstrap_providers_claims(
    *,
    root: str | os.PathLike[str] | None = None,
    generate: bool = False,
    source_url: str | None = None,
    timeout: float = 60,
    use_catalog: bool = True,
    on_step: OnStep | None = None,
) -> BootstrapResult:
    """Create kardia.landing.raw and kardia.kardia_bronze, place the raw files, seed public.providers.

    Idempotent: existing objects and files are kept, and providers already in Postgres are not inserted again.
    `source_url` defaults to the running embedded server's URL (password from its secret reference).
    """
    from lakeloader.lakehouse.root import Lakehouse

    step = on_step or (lambda _message: None)
    url = _source_url(source_url, root=root)  # fail before touching anything when there is no server
    lakehouse = Lakehouse(root)
    lakehouse.create_catalog(CATALOG, if_not_exists=True, comment="Providers & Claims example")
    lakehouse.create_schema(LANDING_SCHEMA, if_not_exists=True, comment="raw files as they land")
    lakehouse.create_volume(RAW_VOLUME, if_not_exists=True, comment="providers_10.csv, claims_10.avro")
    lakehouse.create_schema(BRONZE_SCHEMA, if_not_exists=True, comment="bronze_providers, bronze_claims")
    step(f"catalog {CATALOG}, schemas {LANDING_SCHEMA} and {BRONZE_SCHEMA}, volume {RAW_VOLUME}")
    if use_catalog:
        lakehouse.use_catalog(CATALOG)
        step(f"current catalog: {CATALOG} (kardia_bronze.bronze_providers resolves to {BRONZE_SCHEMA})")
    result = BootstrapResult(raw_dir=lakehouse.resolve_location(RAW_PATH))
    # local folders (on an object store: working copies, uploaded at the end of the block)
    with lakehouse.working_folder(RAW_PATH) as raw, lakehouse.working_folder(CLAIMS_WATCH_PATH) as watch:
        result.generated = _raw_files(raw, generate=generate)
        for name in result.generated:
            step(f"generated {RAW_PATH}/{name}")
        step(f"found {RAW_PATH}/{PROVIDERS_FILE} and {RAW_PATH}/{CLAIMS_FILE}")
        result.claims_copied = _copy_if_changed(raw / CLAIMS_FILE, watch)
        verb = "copied into" if result.claims_copied else "already in"
        step(f"{CLAIMS_FILE} {verb} the watch folder {CLAIMS_WATCH_PATH}/")
        wait_for_postgres(url, timeout=timeout)
        step(f"postgres at {_where(url)} accepts connections")
        result.rows_inserted, result.rows_in_table = load_providers(url, raw / PROVIDERS_FILE)
    step(
        f"{PROVIDERS_TABLE}: {result.rows_inserted} rows inserted, {result.rows_in_table} in the table "
        f"(rows already there were kept)"
    )
    return result


def _source_url(source_url: str | None, *, root: str | os.PathLike[str] | None) -> str:
    """The URL to seed, with each `{{secrets/...}}` reference resolved and percent-encoded in place.

    An unencoded value would break the URL (`P@ss:W/rd` turns part of the password into the host), and an
    error naming that "host" would print it: messages name host, port and database, parsed by libpq, only.
    """
    if source_url is None:
        from lakeloader.embedded.instance import connection_url

        return connection_url(root=root, reveal=True)
    from urllib.parse import quote

    from lakeloader.secrets import resolve_references
    from lakeloader.sources.postgres import url as url_parts

    def encoded(match: re.Match[str]) -> str:
        value = resolve_references(match.group(0), root=root)
        url_parts.register_password(value)
        return quote(value, safe="")

    url = url_parts.REFERENCE.sub(encoded, source_url)
    password = url_parts.parse(url, what="bootstrap --source-url", uri_only=False).get(
        "password"
    )  # one line when malformed
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        log.warning(
            "bootstrap --source-url: the password has fewer than %d characters: easy to guess, and masking so "
            "brief a value in messages cannot be relied on; use a longer one",
            MIN_PASSWORD_LENGTH,
        )
    return url


def _where(url: str) -> str:
    """host:port/database of `url`: never its user or password."""
    from lakeloader.sources.postgres import url as url_parts

    params = url_parts.parse(url, what="bootstrap --source-url", uri_only=False)
    return f"{url_parts.address(params)}/{params.get('dbname', params.get('user', 'postgres'))}"


def _raw_files(raw: Path, *, generate: bool) -> list[str]:
    """Check the seed's two files are in the raw volume; with `generate`, write the missing ones."""
    missing = [name for name in (PROVIDERS_FILE, CLAIMS_FILE) if not (raw / name).is_file()]
    if missing and not generate:
        shown = " and ".join(f"{RAW_PATH}/{name}" for name in missing)
        raise NotFoundError(
            f"bootstrap providers-claims: {shown} not found (in {raw}); copy the file there, "
            "or rerun with --generate to write synthetic ones"
        )
    from lakeloader.samples import read_provider_npis, write_claims_avro, write_providers_csv

    if PROVIDERS_FILE in missing:
        write_providers_csv(raw / PROVIDERS_FILE, rows=SEED_ROWS)
    if CLAIMS_FILE in missing:  # claims reference the providers that are actually there
        npis = read_provider_npis(raw / PROVIDERS_FILE)
        write_claims_avro(raw, files=1, rows_per_file=SEED_ROWS, name=CLAIMS_FILE, provider_npis=npis)
    return missing


def _copy_if_changed(source: Path, folder: Path) -> bool:
    """Copy `source` into `folder` unless an identical file is there; the file appears whole (rename)."""
    target = folder / source.name
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{source.name}.partial"  # a dot name: file listings skip it until it is complete
    shutil.copy2(source, partial)
    os.replace(partial, target)
    return True


def wait_for_postgres(url: str, *, timeout: float) -> None:
    """Return once `url` accepts a login; retry refused connections until `timeout`, fail at once otherwise."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=max(2, min(10, int(timeout)))):
                return
        except psycopg.OperationalError as exc:
            from lakeloader.sources.postgres.connection import driver_text

            cause = driver_text(exc)
            if not any(marker in str(exc).lower() for marker in _TRANSIENT):
                raise TerminalError(
                    f"postgres at {_where(url)} refused the connection ({cause}); check the URL"
                ) from None
            if time.monotonic() >= deadline:
                raise RetryableError(
                    f"postgres at {_where(url)} did not accept connections within {timeout:g}s ({cause}); "
                    "start it with 'lakeloader postgres start' or raise --timeout"
                ) from None
        time.sleep(0.25)


def _pg_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"
    names = {pa.int16(): "smallint", pa.int32(): "integer", pa.int64(): "bigint", pa.float64(): "double precision"}
    return names.get(arrow_type, "text")


def providers_ddl() -> str:
    """CREATE TABLE for public.providers: the sample's columns, typed, primary key npi."""
    from lakeloader.samples import PROVIDERS_ARROW_SCHEMA

    columns = []
    for column in PROVIDERS_ARROW_SCHEMA:
        constraint = " PRIMARY KEY CHECK (npi ~ '^[0-9]{10}$')" if column.name == "npi" else ""
        null = "" if column.nullable or constraint else " NOT NULL"
        columns.append(f'    "{column.name}" {_pg_type(column.type)}{null}{constraint}')
    return f"CREATE TABLE IF NOT EXISTS {PROVIDERS_TABLE} (\n" + ",\n".join(columns) + "\n)"


def load_providers(url: str, csv_path: Path) -> tuple[int, int]:
    """COPY the CSV into public.providers (created if needed) without duplicating rows: (inserted, total)."""
    import psycopg
    from psycopg import sql

    from lakeloader.samples import PROVIDERS_ARROW_SCHEMA

    with csv_path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    expected = list(PROVIDERS_ARROW_SCHEMA.names)
    if sorted(header) != sorted(expected):
        odd = sorted(set(header) ^ set(expected))
        raise ConfigError(
            f"bootstrap: {csv_path.name} has columns that do not match {PROVIDERS_TABLE} (differ: {', '.join(odd)}); "
            "use a file written by 'lakeloader samples providers' or --generate"
        )
    copy = sql.SQL("COPY providers_stage ({}) FROM STDIN WITH (FORMAT csv, HEADER true)").format(
        sql.SQL(", ").join(sql.Identifier(name) for name in header)
    )
    try:
        with psycopg.connect(url) as con, con.cursor() as cur:  # one transaction: all rows or none
            cur.execute(providers_ddl())
            cur.execute(f"CREATE TEMP TABLE providers_stage (LIKE {PROVIDERS_TABLE}) ON COMMIT DROP")
            with cur.copy(copy) as pipe, csv_path.open("rb") as data:
                while chunk := data.read(1 << 16):
                    pipe.write(chunk)
            cur.execute(f"INSERT INTO {PROVIDERS_TABLE} SELECT * FROM providers_stage ON CONFLICT (npi) DO NOTHING")
            inserted = cur.rowcount
            total = cur.execute(f"SELECT count(*) FROM {PROVIDERS_TABLE}").fetchone()
    except psycopg.Error as exc:
        cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TerminalError(
            f"bootstrap: loading {csv_path.name} into {PROVIDERS_TABLE} failed ({cause}); fix the file or the table"
        ) from None
    return inserted, int(total[0]) if total else 0
