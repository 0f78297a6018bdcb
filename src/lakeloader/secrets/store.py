"""The secret scopes of one lakehouse root: `<root>/.lakeloader/secrets.enc`, encrypted (storefile.py), file-locked.

A scope keeps its secrets in the store, or says in its metadata which external secret manager holds them
(backends.py); the store then holds only that configuration, never a value or a credential of that manager.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from lakeloader.errors import AlreadyExistsError, ConfigError, NotFoundError
from lakeloader.paths import STATE_DIR, make_private_dir, resolve_root
from lakeloader.secrets import keys
from lakeloader.secrets.backends import SecretBackend, create_backend, describe
from lakeloader.secrets.keys import MasterKey
from lakeloader.secrets.scopes import (
    ScopeInfo,
    SecretInfo,
    check_key_name,
    check_scope_name,
    check_value,
    missing_key,
    missing_scope,
    now,
)
from lakeloader.secrets.storefile import Scopes, SecretStoreError, StoredScope, StoredSecret, read_scopes, write_scopes

STORE_FILE = "secrets.enc"
LOCK_FILE = "secrets.lock"
MARKER_FILE = "secrets.created"  # written with the first store: a store that vanished later is an error


class SecretStore:
    """The secret scopes of one lakehouse root, encrypted at rest.

    Every call reads the file afresh under a shared lock, and every change is a read-modify-write under an
    exclusive `fcntl.flock`, so concurrent processes never lose each other's updates.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = resolve_root(root)
        self.state_dir = self.root / STATE_DIR
        self.path = self.state_dir / STORE_FILE
        self.lock_path = self.state_dir / LOCK_FILE
        self.marker = self.state_dir / MARKER_FILE

    @property
    def key_file(self) -> Path:
        """Where the key file is, or would be created (unused when $LAKELOADER_MASTER_KEY is set)."""
        return keys.key_file_path(self.root)

    def __repr__(self) -> str:
        return f"SecretStore({str(self.path)!r})"

    # -- scopes -----------------------------------------------------------------------------------------
    def create_scope(
        self, scope: str, *, if_not_exists: bool = False, backend: Mapping[str, str] | None = None
    ) -> None:
        """Create a scope; `backend` (from `backends.configure`) keeps its secrets in an external manager."""
        check_scope_name(scope)
        wanted = dict(backend) if backend else None

        def change(scopes: Scopes) -> bool:
            if scope in scopes:
                if if_not_exists and scopes[scope].backend == wanted:
                    return False
                if if_not_exists:
                    where = describe(scope, scopes[scope].backend)
                    raise AlreadyExistsError(
                        f"scope {scope} already exists with its secrets {where}, not where asked; delete it first "
                        f"with 'lakeloader secrets delete-scope {scope}' or pick another name"
                    )
                raise AlreadyExistsError(f"scope {scope} already exists; pick another name or pass --if-not-exists")
            scopes[scope] = StoredScope(created_at=now(), secrets={}, backend=wanted)
            return True

        self._mutate(change)

    def list_scopes(self) -> list[ScopeInfo]:
        scopes = self._snapshot()
        return [
            ScopeInfo(name, s.created_at, None if s.backend else len(s.secrets), s.backend)
            for name, s in sorted(scopes.items())
        ]

    def delete_scope(self, scope: str) -> dict[str, str] | None:
        """Delete a scope and every secret in it; for a scope backed by an external manager, only its configuration
        is deleted (the secrets stay there) and that configuration is returned."""
        check_scope_name(scope)
        deleted: list[dict[str, str] | None] = []

        def change(scopes: Scopes) -> bool:
            if scope not in scopes:
                raise missing_scope(scope)
            deleted.append(scopes.pop(scope).backend)
            return True

        self._mutate(change)
        return deleted[0]

    # -- secrets ----------------------------------------------------------------------------------------
    def put_secret(self, scope: str, key: str, value: str) -> None:
        """Create or overwrite a secret; the value is registered with the redactor of this process."""
        check_scope_name(scope)
        check_key_name(key)
        check_value(scope, key, value)
        from lakeloader.secrets.redact import register

        register(value)
        external = self._backend(scope)
        if external is not None:
            check_value(scope, key, value, limit=external.MAX_VALUE_BYTES, where=f" of {external.TITLE}")
            external.put(key, value)
            return

        def change(scopes: Scopes) -> bool:
            if scope not in scopes:
                raise missing_scope(scope)
            if scopes[scope].backend is not None:  # recreated with a backend meanwhile: never store it here
                raise ConfigError(f"scope {scope} changed backend while writing {key}; run put-secret again")
            scopes[scope].secrets[key] = StoredSecret(value=value, updated_at=now())
            return True

        self._mutate(change)

    def list_secrets(self, scope: str) -> list[SecretInfo]:
        check_scope_name(scope)
        scopes = self._snapshot()
        if scope not in scopes:
            raise missing_scope(scope)
        if scopes[scope].backend is not None:
            return sorted(create_backend(scope, scopes[scope].backend or {}).list(), key=lambda s: s.key)
        return [SecretInfo(scope, k, s.updated_at) for k, s in sorted(scopes[scope].secrets.items())]

    def get_secret(self, scope: str, key: str) -> str:
        """The value of `scope/key`, registered with the redactor so that it is masked in logs and errors."""
        check_scope_name(scope)
        check_key_name(key)
        return self.get_many([(scope, key)])[(scope, key)]

    def get_many(self, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Several values from one decryption (and one call per key to an external manager, cached for the
        process); each is registered with the redactor."""
        from lakeloader.secrets.redact import register

        scopes = self._snapshot()
        found: dict[tuple[str, str], str] = {}
        for scope, key in wanted:
            if scope not in scopes:
                raise missing_scope(scope, key)
            backend = scopes[scope].backend
            if backend is not None:
                value = create_backend(scope, backend).get(key)
            else:
                secret = scopes[scope].secrets.get(key)
                if secret is None:
                    raise missing_key(scope, key)
                value = secret.value
            register(value)
            found[(scope, key)] = value
        return found

    def delete_secret(self, scope: str, key: str) -> None:
        check_scope_name(scope)
        check_key_name(key)
        external = self._backend(scope)
        if external is not None:
            external.delete(key)
            return

        def change(scopes: Scopes) -> bool:
            if scope not in scopes:
                raise missing_scope(scope)
            if key not in scopes[scope].secrets:
                raise missing_key(scope, key)
            del scopes[scope].secrets[key]
            return True

        self._mutate(change)

    def _backend(self, scope: str) -> SecretBackend | None:
        """The external manager holding `scope`'s secrets, or None when they are in this store."""
        scopes = self._snapshot()
        if scope not in scopes:
            raise missing_scope(scope)
        backend = scopes[scope].backend
        return None if backend is None else create_backend(scope, backend)

    # -- key rotation -----------------------------------------------------------------------------------
    def rotate_key(self, *, new_key: bytes | None = None) -> str:
        """Re-encrypt the store under a new master key and return where that key now lives.

        With a key file, the new key (random unless given) replaces the file. With $LAKELOADER_MASTER_KEY the
        new key must be given (or set in $LAKELOADER_NEW_MASTER_KEY), since lakeloader cannot change the
        environment; afterwards the caller must put it in $LAKELOADER_MASTER_KEY.
        """
        if new_key is None and os.environ.get(keys.NEW_MASTER_KEY_ENV):
            new_key = keys.decode_key(os.environ[keys.NEW_MASTER_KEY_ENV], source=f"${keys.NEW_MASTER_KEY_ENV}")
        if new_key is not None and len(new_key) != keys.KEY_BYTES:
            raise ConfigError(f"new master key has {len(new_key)} bytes but AES-256 needs {keys.KEY_BYTES}")
        if not self.path.exists():
            raise NotFoundError(f"secret store {self.path} does not exist; nothing to rotate (create a scope first)")
        with self._locked(exclusive=True):
            old = self._require_key(create=False)
            scopes = self._read(old)
            if old.file is None:
                if new_key is None:
                    raise ConfigError(
                        f"secret store {self.path}: the master key comes from ${keys.MASTER_KEY_ENV}, which "
                        f"lakeloader cannot change; set the new key in ${keys.NEW_MASTER_KEY_ENV}, rerun rotate-key, "
                        f"then move it to ${keys.MASTER_KEY_ENV}"
                    )
                self._write(scopes, MasterKey(new_key, f"${keys.NEW_MASTER_KEY_ENV}"))
                return f"${keys.NEW_MASTER_KEY_ENV} (now set ${keys.MASTER_KEY_ENV} to it)"
            key = new_key if new_key is not None else keys.generate_key()
            # Stage the new key, re-encrypt, then publish the key: a crash leaves either the old store and the
            # old key, or the new store and `<key>.new`, which the wrong-key error points at.
            staged = keys.replace_key_file(old.file, key)
            self._write(scopes, MasterKey(key, f"key file {staged}", staged))
            os.replace(staged, old.file)
            keys.fsync_dir(old.file.parent)
            return f"key file {old.file}"

    # -- internals --------------------------------------------------------------------------------------
    def _snapshot(self) -> Scopes:
        if not self.path.exists():
            self._check_not_lost()
            return {}
        with self._locked(exclusive=False):
            if not self.path.exists():
                self._check_not_lost()
                return {}
            return self._read(self._require_key(create=False))

    def _check_not_lost(self) -> None:
        """A store that existed and is gone is an error (deleted, or its folder swept): never an empty store."""
        if self.marker.exists():
            since = self.marker.read_text().strip() or "earlier"
            raise SecretStoreError(
                f"secret store {self.path} is missing, but this lakehouse has had one since {since}; restore it "
                f"from a backup, or delete {self.marker} to start an empty one"
            )

    def _mutate(self, change: Callable[[Scopes], bool]) -> None:
        make_private_dir(self.state_dir)
        with self._locked(exclusive=True):
            exists = self.path.exists()
            if not exists:
                self._check_not_lost()
            key = self._require_key(create=False) if exists else None
            scopes = self._read(key) if key is not None else {}
            if not change(scopes):
                return
            if key is None:  # first write: only now create the key file, after the change was accepted
                key = self._require_key(create=True)
            self._write(scopes, key)

    def _require_key(self, *, create: bool) -> MasterKey:
        key = keys.load_master_key(self.root, create=create)
        if key is None:
            raise SecretStoreError(
                f"secret store {self.path} exists but its key file {self.key_file} is missing; restore the key file "
                f"or set ${keys.MASTER_KEY_ENV} (or ${keys.KEY_FILE_ENV}) to the key it was written with"
            )
        return key

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        import fcntl

        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _read(self, key: MasterKey) -> Scopes:
        return read_scopes(self.path, key, key_file=self.key_file)

    def _write(self, scopes: Scopes, key: MasterKey) -> None:
        write_scopes(self.path, scopes, key)
        if not self.marker.exists():  # remembers that a store exists, so losing it is an error, not "no scopes"
            fd = os.open(self.marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(now() + "\n")
        keys.fsync_dir(self.state_dir)
