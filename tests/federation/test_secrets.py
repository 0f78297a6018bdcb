"""The connection's password never leaks: not in errors, logs, plans, describe output or the metastore."""

from __future__ import annotations

import logging
from urllib.parse import quote

import psycopg
import pytest

from lakeloader.errors import LakeloaderError
from lakeloader.federation import catalogs, connections
from lakeloader.federation.probe import describe_table, test_connection
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.secrets import SecretStore

from .conftest import Fed, Remote

PASSWORD = "p@ss:w/rd?#% x-" + "z" * 12  # every URL delimiter, a percent sign and a space


@pytest.fixture
def odd(lakehouse: Lakehouse, remote: Remote) -> Fed:
    with psycopg.connect(remote.server.url(reveal=True), autocommit=True) as con:
        con.execute(f"ALTER ROLE {remote.user} PASSWORD '{PASSWORD}'")
    remote.password = PASSWORD
    store = SecretStore(lakehouse.root)
    store.create_scope("fed")
    store.put_secret("fed", "pg_pw", PASSWORD)
    fed = Fed(lakehouse, remote)
    fed.connect()
    fed.remote.run("CREATE TABLE public.t (id int, s text); INSERT INTO public.t VALUES (1, 'a')")
    fed.catalog()
    return fed


def _leaks(text: str) -> list[str]:
    forms = {PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD), PASSWORD.lower(), "p@ss:w/rd"}
    return [f for f in forms if f in text]


def test_nothing_shows_the_password(odd: Fed, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    assert odd.query("SELECT * FROM supabase_data.public.t").to_pylist() == [{"id": 1, "s": "a"}]
    seen.append(odd.explain("SELECT * FROM supabase_data.public.t WHERE s = 'a'").explain())
    seen.append(str(describe_table(odd.lakehouse, "supabase_data.public.t")))
    seen.append(str(test_connection(odd.lakehouse, "pg")))
    seen.append(repr(connections.get_connection(odd.lakehouse, "pg")))
    seen.append(str(connections.get_connection(odd.lakehouse, "pg").to_dict()))
    seen.append(repr(catalogs.foreign_catalog(odd.lakehouse, "supabase_data").options(odd.lakehouse)))
    failures = [
        lambda: odd.query("SELECT * FROM supabase_data.public.t WHERE s = 1"),  # DuckDB: a conversion error
        lambda: odd.query("SELECT nope FROM supabase_data.public.t"),
    ]
    odd.remote.run("CREATE VIEW public.broken AS SELECT 1 / (id - 1) AS x FROM public.t")
    catalogs.refresh(odd.lakehouse, "supabase_data")
    failures.append(lambda: odd.query("SELECT * FROM supabase_data.public.broken"))  # a remote error
    odd.connect("elsewhere", port=1)
    failures.append(lambda: test_connection(odd.lakehouse, "elsewhere"))  # connection refused
    for failure in failures:
        with pytest.raises(LakeloaderError) as caught:
            failure()
        seen.append(str(caught.value))
        assert "\n" not in str(caught.value)
    assert "division by zero" in seen[-2]
    seen += [r.getMessage() for r in caplog.records]
    raw = b"".join(p.read_bytes() for p in odd.lakehouse.state_dir.glob("metastore.db*"))
    seen.append(raw.decode(errors="replace"))
    assert [(i, _leaks(text)) for i, text in enumerate(seen) if _leaks(text)] == []
