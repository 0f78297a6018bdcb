"""The commands as a user types them, in new processes: one line per mistake, secrets never printed."""

from __future__ import annotations

import json

import pytest

from .conftest import SECRET, Fed

pytestmark = pytest.mark.slow


def test_connections_and_foreign_catalogs_end_to_end(fed: Fed) -> None:
    fed.remote.run(
        "CREATE TABLE public.trips (id int, fare numeric(8,2)); INSERT INTO public.trips VALUES (1, 2.50), (2, 9.75)"
    )
    port, user, db = str(fed.remote.port), fed.remote.user, fed.remote.database
    fed.cli("connections", "create", "supa", "--type", "postgresql", "--host", "127.0.0.1", "--port", port,
            "--database", db, "--user", user, "--password", SECRET)  # fmt: skip
    listed = json.loads(fed.cli("connections", "list", "--json").stdout)
    assert [c["name"] for c in listed] == ["pg", "supa"] and all(c["password"] == SECRET for c in listed)
    described = fed.cli("connections", "describe", "supa").stdout
    assert SECRET in described and fed.remote.password not in described
    tested = fed.cli("connections", "test", "supa").stdout
    assert "PostgreSQL 18" in tested and "round trip" in tested and fed.remote.password not in tested
    assert json.loads(fed.cli("connections", "test", "supa", "--json").stdout)["user"] == user

    created = fed.cli("foreign-catalogs", "create", "supabase_data", "--connection", "supa").stdout
    assert "1 tables" in created
    assert "supabase_data" in fed.cli("foreign-catalogs", "list").stdout
    catalogs = json.loads(fed.cli("catalogs", "list", "--json").stdout)
    assert {c["full_name"]: c["type"] for c in catalogs}["supabase_data"] == "FOREIGN"
    assert "supabase_data.public" in fed.cli("schemas", "list", "supabase_data").stdout
    tables = json.loads(fed.cli("tables", "list", "--json").stdout)
    assert [t["full_name"] for t in tables if t["type"] == "FOREIGN"] == ["supabase_data.public.trips"]
    assert json.loads(fed.cli("tables", "list", "supabase_data.public", "--json").stdout)[0]["format"] == "postgresql"
    describe = json.loads(fed.cli("tables", "describe", "supabase_data.public.trips", "--json").stdout)
    assert describe["columns"] == [
        {"name": "id", "type": "int", "remote_type": "integer"},
        {"name": "fare", "type": "decimal(8,2)", "remote_type": "numeric(8,2)"},
    ]
    rows = json.loads(fed.cli("sql", "SELECT id, fare FROM supabase_data.public.trips WHERE fare > 3", "--json").stdout)
    assert rows == [{"id": 2, "fare": "9.75"}]
    explained = fed.cli("sql", "SELECT id FROM supabase_data.public.trips WHERE fare > 3", "--explain").stdout
    assert 'FROM "public"."trips" WHERE ("fare" > $1::numeric)' in explained and "$1 = '3'" in explained
    assert fed.remote.password not in explained
    fed.remote.run("CREATE TABLE public.more (id int)")
    assert "2 tables" in fed.cli("foreign-catalogs", "refresh", "supabase_data").stdout
    drop = fed.cli("connections", "drop", "supa", check=False)
    assert drop.returncode == 1 and "foreign-catalogs drop supabase_data" in drop.stderr
    fed.cli("foreign-catalogs", "drop", "supabase_data")
    fed.cli("connections", "drop", "supa")
    assert "supa" not in fed.cli("connections", "list").stdout


def test_mistakes_are_one_line_without_secrets(fed: Fed) -> None:
    port, user = str(fed.remote.port), fed.remote.user
    plain = fed.cli("connections", "create", "x", "--host", "h", "--user", "u", "--password", "plain-secret-99",
                    check=False)  # fmt: skip
    assert plain.returncode == 1 and "plain-secret-99" not in plain.stderr + plain.stdout
    assert "lakeloader secrets put-secret" in plain.stderr and len(plain.stderr.strip().splitlines()) == 1
    from lakeloader.secrets import SecretStore

    SecretStore(fed.lakehouse.root).put_secret("fed", "wrong", "definitely-wrong-pw")
    fed.cli("connections", "create", "bad", "--host", "127.0.0.1", "--port", port, "--user", user,
            "--database", fed.remote.database, "--password", "{{secrets/fed/wrong}}")  # fmt: skip
    for args in (("connections", "test", "bad"), ("foreign-catalogs", "create", "bad_data", "--connection", "bad")):
        done = fed.cli(*args, check=False)
        assert done.returncode == 1 and "password authentication failed" in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert "definitely-wrong-pw" not in done.stderr + done.stdout
    assert "bad_data" not in fed.cli("catalogs", "list").stdout  # nothing half-created
    fed.cli("connections", "create", "nowhere", "--host", "127.0.0.1", "--port", "1", "--user", user,
            "--password", SECRET)  # fmt: skip
    done = fed.cli("connections", "test", "nowhere", check=False)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    done = fed.cli("sql", "SELECT * FROM supabase_data.public.nothing", check=False)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
