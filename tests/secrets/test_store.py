"""The encrypted store: round trips, listing without values, names, keys, tampering and key rotation."""

from __future__ import annotations

import base64
import os
import pickle
import stat
from pathlib import Path

import pytest

from lakeloader.errors import AlreadyExistsError, ConfigError, NameError_, NotFoundError, TerminalError
from lakeloader.secrets import SecretNotFoundError, SecretStore, SecretStoreError, get
from lakeloader.secrets.keys import KEY_FILE_ENV, MASTER_KEY_ENV, NEW_MASTER_KEY_ENV, encode_key, generate_key
from lakeloader.secrets.redact import is_registered


def _store_with_secret(root: Path, value: str = "hunter2-pg") -> SecretStore:
    store = SecretStore(root)
    store.create_scope("kardia")
    store.put_secret("kardia", "pg_pw", value)
    return store


def test_round_trip_and_python_api(root: Path) -> None:
    store = _store_with_secret(root)
    store.put_secret("kardia", "api.token-2", "tok ✓ ünïcødé")
    assert store.get_secret("kardia", "pg_pw") == "hunter2-pg"
    assert get("kardia", "api.token-2") == "tok ✓ ünïcødé"  # root from $LAKELOADER_ROOT
    assert get("kardia", "pg_pw", root=root) == "hunter2-pg" and is_registered("hunter2-pg")
    store.put_secret("kardia", "pg_pw", "changed-pw")
    assert SecretStore(root).get_secret("kardia", "pg_pw") == "changed-pw"
    store.delete_secret("kardia", "pg_pw")
    assert [s.key for s in store.list_secrets("kardia")] == ["api.token-2"]
    store.delete_scope("kardia")
    assert store.list_scopes() == []


def test_store_is_encrypted_and_lists_never_show_values(root: Path) -> None:
    store = _store_with_secret(root, "plain-text-canary")
    assert store.path == root / ".lakeloader" / "secrets.enc"
    blob = store.path.read_bytes()
    assert blob.startswith(b"LLSECRET") and b"plain-text-canary" not in blob and b"pg_pw" not in blob
    listed = repr(store.list_scopes()) + repr(store.list_secrets("kardia"))
    listed += repr([s.to_dict() for s in store.list_secrets("kardia")] + [s.to_dict() for s in store.list_scopes()])
    assert "plain-text-canary" not in listed and "pg_pw" in listed
    assert [(s.name, s.secret_count) for s in store.list_scopes()] == [("kardia", 1)]


def test_each_write_uses_a_fresh_nonce(root: Path) -> None:
    store = _store_with_secret(root)
    first = store.path.read_bytes()
    store.put_secret("kardia", "pg_pw", "hunter2-pg")
    assert store.path.read_bytes()[:17] == first[:17] and store.path.read_bytes()[17:29] != first[17:29]


def test_key_file_is_created_0600_beside_the_root_only_on_first_write(root: Path) -> None:
    store = SecretStore(root)
    assert store.list_scopes() == []
    assert not (root.parent / "lakehouse.key").exists()
    store.create_scope("kardia")
    key_file = root.parent / "lakehouse.key"
    assert store.key_file == key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert len(base64.urlsafe_b64decode(key_file.read_text().strip())) == 32


def test_key_file_path_from_env(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "keys" / "lake.key"))
    _store_with_secret(root)
    assert (tmp_path / "keys" / "lake.key").is_file() and not (root.parent / "lakehouse.key").exists()


def test_key_from_env_creates_no_key_file(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(key).decode())  # standard alphabet works too
    _store_with_secret(root)
    assert not (root.parent / "lakehouse.key").exists()
    monkeypatch.setenv(MASTER_KEY_ENV, encode_key(key).rstrip("="))  # URL-safe, unpadded: the same key
    assert get("kardia", "pg_pw") == "hunter2-pg"


def test_bad_env_key_is_refused_without_showing_it(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MASTER_KEY_ENV, "c2hvcnQta2V5")
    with pytest.raises(ConfigError, match=r"LAKELOADER_MASTER_KEY decodes to 9 bytes.*32") as err:
        SecretStore(root).create_scope("kardia")
    assert "c2hvcnQta2V5" not in str(err.value)


def test_wrong_key_is_a_hard_error_naming_the_store(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with_secret(root)
    monkeypatch.setenv(MASTER_KEY_ENV, encode_key(generate_key()))
    with pytest.raises(SecretStoreError, match="another master key") as err:
        store.get_secret("kardia", "pg_pw")
    assert str(store.path) in str(err.value) and isinstance(err.value, TerminalError)
    with pytest.raises(SecretStoreError):
        store.put_secret("kardia", "other", "value")  # a write never starts a new store over an unreadable one
    monkeypatch.delenv(MASTER_KEY_ENV)
    assert store.get_secret("kardia", "pg_pw") == "hunter2-pg"


@pytest.mark.parametrize("where", [30, -1, 20], ids=["ciphertext", "tag", "nonce"])
def test_tampered_store_fails_authentication(root: Path, where: int) -> None:
    store = _store_with_secret(root)
    blob = bytearray(store.path.read_bytes())
    blob[where] ^= 0x01
    store.path.write_bytes(bytes(blob))
    with pytest.raises(SecretStoreError, match="tampered with or corrupted") as err:
        store.get_secret("kardia", "pg_pw")
    assert str(store.path) in str(err.value) and "restore it from a backup" in str(err.value)


def test_bad_header_and_future_format_are_refused(root: Path) -> None:
    store = _store_with_secret(root)
    blob = store.path.read_bytes()
    store.path.write_bytes(blob[:8] + bytes([2]) + blob[9:])
    with pytest.raises(SecretStoreError, match="format version 2"):
        store.list_scopes()
    store.path.write_bytes(b"{}")
    with pytest.raises(SecretStoreError, match="not a lakeloader secret store"):
        store.list_scopes()


def test_missing_key_file_for_existing_store(root: Path) -> None:
    store = _store_with_secret(root)
    store.key_file.unlink()
    with pytest.raises(SecretStoreError, match=r"key file .*lakehouse\.key is missing"):
        store.list_scopes()
    with pytest.raises(SecretStoreError):
        store.create_scope("other")  # no silent new key for an existing store
    assert not store.key_file.exists()


def test_key_file_readable_by_others_is_refused(root: Path) -> None:
    store = _store_with_secret(root)
    os.chmod(store.key_file, 0o644)
    with pytest.raises(ConfigError, match=r"accessible by other users \(mode 0644\); run 'chmod 600"):
        store.list_scopes()


def test_rotate_key_file_then_old_key_fails(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store_with_secret(root)
    old_key = store.key_file.read_text().strip()
    assert store.rotate_key() == f"key file {store.key_file}"
    assert store.key_file.read_text().strip() != old_key
    assert stat.S_IMODE(store.key_file.stat().st_mode) == 0o600
    assert not store.key_file.with_name("lakehouse.key.new").exists()
    assert store.get_secret("kardia", "pg_pw") == "hunter2-pg"
    monkeypatch.setenv(MASTER_KEY_ENV, old_key)
    with pytest.raises(SecretStoreError, match="another master key"):
        store.get_secret("kardia", "pg_pw")


def test_rotate_env_key_needs_the_new_key_in_env(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = encode_key(generate_key()), encode_key(generate_key())
    monkeypatch.setenv(MASTER_KEY_ENV, old)
    store = _store_with_secret(root)
    with pytest.raises(ConfigError, match="LAKELOADER_NEW_MASTER_KEY"):
        store.rotate_key()
    monkeypatch.setenv(NEW_MASTER_KEY_ENV, new)
    store.rotate_key()
    with pytest.raises(SecretStoreError):
        store.get_secret("kardia", "pg_pw")
    monkeypatch.setenv(MASTER_KEY_ENV, new)
    assert store.get_secret("kardia", "pg_pw") == "hunter2-pg"


def test_interrupted_rotation_points_at_the_staged_key(root: Path) -> None:
    store = _store_with_secret(root)
    from lakeloader.secrets import keys

    new = generate_key()
    staged = keys.replace_key_file(store.key_file, new)  # as rotate_key does, then "crash" before the rename
    old = keys.load_master_key(root, create=False)
    assert old is not None
    store._write(store._read(old), keys.MasterKey(new, "test", staged))
    with pytest.raises(SecretStoreError, match=r"rotation was interrupted: finish it with 'mv .*lakehouse\.key\.new"):
        store.list_scopes()


def test_names_follow_databricks_rules(root: Path) -> None:
    store = SecretStore(root)
    store.create_scope("a.b-c_D9")
    store.create_scope("x" * 128)
    for bad in ["bad name", "", "x" * 129, "a/b", "é"]:
        with pytest.raises(NameError_, match="secret scope name"):
            store.create_scope(bad)
    with pytest.raises(NameError_, match=r"secret key name 'a\$b' is invalid"):
        store.put_secret("a.b-c_D9", "a$b", "value")
    with pytest.raises(AlreadyExistsError, match=r"scope a\.b-c_D9 already exists"):
        store.create_scope("a.b-c_D9")
    store.create_scope("a.b-c_D9", if_not_exists=True)


def test_missing_scope_and_key_errors_say_how_to_fix(root: Path) -> None:
    store = SecretStore(root)
    with pytest.raises(NotFoundError) as err:
        store.get_secret("kardia", "pg_pw")
    assert str(err.value) == "scope kardia does not exist; create it with 'lakeloader secrets create-scope kardia'"
    store.create_scope("kardia")
    with pytest.raises(NotFoundError, match="secret kardia/pg_pw does not exist; add it with 'lakeloader secrets"):
        store.get_secret("kardia", "pg_pw")
    with pytest.raises(NotFoundError, match="scope nope does not exist"):
        store.put_secret("nope", "k", "value")
    with pytest.raises(NotFoundError):
        store.delete_secret("kardia", "pg_pw")
    with pytest.raises(NotFoundError):
        store.delete_scope("nope")
    with pytest.raises(SecretNotFoundError) as err:
        store.get_secret("kardia", "pg_pw")
    copy = pickle.loads(pickle.dumps(err.value))  # errors cross process boundaries (executors) intact
    assert (str(copy), copy.scope, copy.key) == (str(err.value), "kardia", "pg_pw")


def test_empty_and_oversized_values_are_refused(root: Path) -> None:
    store = SecretStore(root)
    store.create_scope("kardia")
    with pytest.raises(ConfigError, match="the value is empty"):
        store.put_secret("kardia", "k", "")
    with pytest.raises(ConfigError, match="the limit is 131072"):
        store.put_secret("kardia", "k", "x" * (128 * 1024 + 1))


def test_a_store_that_vanished_is_an_error_not_an_empty_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lakeloader.secrets.store import SecretStoreError

    monkeypatch.delenv("LAKELOADER_MASTER_KEY", raising=False)
    store = SecretStore(tmp_path / "lh")
    assert store.list_scopes() == []  # never had one: empty
    store.create_scope("kardia")
    store.put_secret("kardia", "pg_pw", "value-12345")
    store.path.unlink()  # swept by a cleanSource=DELETE over the state folder, or deleted by hand
    with pytest.raises(SecretStoreError, match="is missing, but this lakehouse has had one since"):
        store.list_scopes()
    with pytest.raises(SecretStoreError, match="restore it from a backup"):
        store.create_scope("other")  # and nothing silently starts an empty store over the lost one
