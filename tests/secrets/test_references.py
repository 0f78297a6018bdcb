"""`{{secrets/scope/key}}` references in text, config objects and child environments; plain secrets refused."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from lakeloader.errors import ConfigError, NotFoundError
from lakeloader.secrets import (
    SecretReference,
    SecretStore,
    child_env,
    find_references,
    require_reference,
    resolve_in,
    resolve_references,
)
from lakeloader.secrets.redact import is_registered, redact


@pytest.fixture
def store(root: Path) -> SecretStore:
    store = SecretStore(root)
    store.create_scope("kardia")
    store.put_secret("kardia", "pg_pw", "s3cret-pw")
    store.put_secret("kardia", "pg.user", "claims_reader")
    return store


def test_resolve_references_in_text(store: SecretStore) -> None:
    text = "postgresql://{{secrets/kardia/pg.user}}:{{secrets/kardia/pg_pw}}@localhost/{{secrets/kardia/pg_pw}}"
    resolved = resolve_references(text)
    assert resolved == "postgresql://claims_reader:s3cret-pw@localhost/s3cret-pw"
    assert is_registered("s3cret-pw") and is_registered("claims_reader")
    assert redact(resolved) == "postgresql://[REDACTED]:[REDACTED]@localhost/[REDACTED]"
    assert resolve_references("no reference at all {{other}}") == "no reference at all {{other}}"
    assert find_references("{{secrets/a/b}} {{secrets/c/d}}") == [SecretReference("a", "b"), SecretReference("c", "d")]


def test_unknown_reference_names_the_reference_not_a_value(store: SecretStore) -> None:
    with pytest.raises(NotFoundError) as err:
        resolve_references("{{secrets/kardia/pg_pw}} and {{secrets/kardia/nope}}")
    message = str(err.value)
    assert message.startswith("secret reference {{secrets/kardia/nope}}: secret kardia/nope does not exist")
    assert "s3cret-pw" not in message
    with pytest.raises(NotFoundError, match=r"secret reference \{\{secrets/other/k\}\}: scope other does not exist"):
        resolve_references("{{secrets/other/k}}")


def test_malformed_reference_is_an_error(store: SecretStore) -> None:
    for bad in ["{{secrets/kardia}}", "{{ secrets/kardia/pg_pw }}", "{{secrets/kar dia/pg_pw}}"]:
        with pytest.raises(ConfigError, match="is malformed; write"):
            resolve_references(f"password={bad}")


def test_resolve_in_config_objects(store: SecretStore) -> None:
    config = {
        "connection": {
            "password": "{{secrets/kardia/pg_pw}}",
            "port": 5432,
            "hosts": ["a", "{{secrets/kardia/pg.user}}"],
        },
        "options": ("x", "{{secrets/kardia/pg_pw}}"),
    }
    resolved = resolve_in(config)
    assert resolved == {
        "connection": {"password": "s3cret-pw", "port": 5432, "hosts": ["a", "claims_reader"]},
        "options": ("x", "s3cret-pw"),
    }
    assert config["connection"]["password"] == "{{secrets/kardia/pg_pw}}"  # type: ignore[index]
    with pytest.raises(NotFoundError, match=r"^connection\.hosts\[1\]: secret reference \{\{secrets/kardia/x\}\}"):
        resolve_in({"connection": {"hosts": ["a", "{{secrets/kardia/x}}"]}})


def test_child_env_resolves_and_names_the_variable(store: SecretStore) -> None:
    env = child_env({"POSTGRES_PW": "{{secrets/kardia/pg_pw}}", "PATH": "/usr/bin"})
    assert env == {"POSTGRES_PW": "s3cret-pw", "PATH": "/usr/bin"}
    with pytest.raises(NotFoundError, match=r"^environment variable PGPASS: secret reference \{\{secrets/kardia/x\}\}"):
        child_env({"PGPASS": "{{secrets/kardia/x}}"})


def test_references_without_a_store_need_no_key(root: Path) -> None:
    assert resolve_in({"a": [1, "plain"]}) == {"a": [1, "plain"]}
    assert not root.exists()


def test_require_reference_refuses_plain_secrets() -> None:
    assert require_reference(" {{secrets/kardia/pg_pw}} ", "password") == "{{secrets/kardia/pg_pw}}"
    with pytest.raises(ConfigError) as err:
        require_reference("plain-pw-123", "connection.password")
    assert str(err.value) == (
        "connection.password: a plain secret is not allowed here; store it with 'lakeloader secrets put-secret "
        "<scope> <key>' and write {{secrets/<scope>/<key>}} instead"
    )
    assert is_registered("plain-pw-123")  # it was written in plain config: mask it from now on
    assert require_reference(pydantic.SecretStr("{{secrets/a/b}}"), "pw") == "{{secrets/a/b}}"
    with pytest.raises(ConfigError, match="malformed"):
        require_reference("{{secrets/a}}", "pw")


def test_pydantic_field_accepts_only_references() -> None:
    from lakeloader.secrets.config import SecretReferenceStr

    class Connection(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        password: SecretReferenceStr

    assert Connection(password="{{secrets/kardia/pg_pw}}").password == "{{secrets/kardia/pg_pw}}"
    with pytest.raises(ConfigError, match=r"^password: a plain secret is not allowed here.*instead$"):
        Connection(password="hunter2-plain")
