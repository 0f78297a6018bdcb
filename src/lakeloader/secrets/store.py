"""The encrypted secret store of one lakehouse root: `<root>/.lakeloader/secrets.enc`, AES-256-GCM, file-locked.

File layout (format 1): magic `LLSECRET` | format version (1 byte) | key id (8 bytes) | nonce (12 bytes) |
AES-GCM ciphertext and tag of the JSON document. The header is authenticated as associated data, so changing any
byte of the file fails decryption. The whole store is re-encrypted with a fresh random nonce on every write.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from lakeloader.errors import AlreadyExistsError, ConfigError, NameError_, NotFoundError, TerminalError
from lakeloader.paths import STATE_DIR, make_private_dir, resolve_root
from lakeloader.secrets import keys
from lakeloader.secrets.keys import MasterKey

STORE_FILE = "secrets.enc"
LOCK_FILE = "secrets.lock"
MARKER_FILE = "secrets.created"  # written with the first store: a store that vanished later is an error
MAGIC = b"LLSECRET"
FORMAT_VERSION = 1
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + 1 + keys.KEY_ID_BYTES + NONCE_BYTES
MAX_VALUE_BYTES = 128 * 1024  # the Databricks limit for one secret
NAME_MAX = 128
_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,128}")

T = TypeVar("T")


class SecretStoreError(TerminalError):
    """The store cannot be read: wrong key, tampering, corruption or an unknown format. Never retried."""


def check_scope_name(name: str) -> str:
    return _check(name, "scope")


def check_key_name(name: str) -> str:
    return _check(name, "key")


def _check(name: str, kind: str) -> str:
    if not _NAME_RE.fullmatch(name):
        shown = name if len(name) <= 40 else name[:40] + "..."
        if len(name) > NAME_MAX:
            cause = f"it has {len(name)} characters, the limit is {NAME_MAX}"
        elif not name:
            cause = "it is empty"
        else:
            cause = "it may only contain letters, digits, '_', '-' and '.'"
        raise NameError_(f"secret {kind} name {shown!r} is invalid: {cause}; choose another name")
    return name


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class ScopeInfo:
    """A scope as listed: never any value."""

    name: str
    created_at: str
    secret_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "backend_type": "LAKELOADER",
            "secrets": self.secret_count,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class SecretInfo:
    """A secret as listed: its key and last update, never its value."""

    scope: str
    key: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        stamp = datetime.fromisoformat(self.updated_at)
        return {
            "scope": self.scope,
            "key": self.key,
            "updated_at": self.updated_at,
            "last_updated_timestamp": int(stamp.timestamp() * 1000),  # Databricks' field, epoch milliseconds
        }


@dataclass
class _Secret:
    value: str
    updated_at: str


@dataclass
class _Scope:
    created_at: str
    secrets: dict[str, _Secret]


_Scopes = dict[str, _Scope]


class SecretNotFoundError(NotFoundError):
    """A scope or key that was asked for does not exist; `scope` and `key` say which was asked for."""

    def __init__(self, message: str, *, scope: str, key: str | None) -> None:
        super().__init__(message)
        self.scope, self.key = scope, key

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes (executors, Ray)
        return (_rebuild_not_found, (str(self), self.scope, self.key))


def _rebuild_not_found(message: str, scope: str, key: str | None) -> SecretNotFoundError:
    return SecretNotFoundError(message, scope=scope, key=key)


def _missing_scope(scope: str, key: str | None = None) -> NotFoundError:
    return SecretNotFoundError(
        f"scope {scope} does not exist; create it with 'lakeloader secrets create-scope {scope}'",
        scope=scope,
        key=key,
    )


def _missing_key(scope: str, key: str) -> NotFoundError:
    return SecretNotFoundError(
        f"secret {scope}/{key} does not exist; add it with 'lakeloader secrets put-secret {scope} {key}'",
        scope=scope,
        key=key,
    )


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
    def create_scope(self, scope: str, *, if_not_exists: bool = False) -> None:
        check_scope_name(scope)

        def change(scopes: _Scopes) -> bool:
            if scope in scopes:
                if if_not_exists:
                    return False
                raise AlreadyExistsError(f"scope {scope} already exists; pick another name or pass --if-not-exists")
            scopes[scope] = _Scope(created_at=_now(), secrets={})
            return True

        self._mutate(change)

    def list_scopes(self) -> list[ScopeInfo]:
        scopes = self._snapshot()
        return [ScopeInfo(name, s.created_at, len(s.secrets)) for name, s in sorted(scopes.items())]

    def delete_scope(self, scope: str) -> None:
        """Delete a scope and every secret in it."""
        check_scope_name(scope)

        def change(scopes: _Scopes) -> bool:
            if scope not in scopes:
                raise _missing_scope(scope)
            del scopes[scope]
            return True

        self._mutate(change)

    # -- secrets ----------------------------------------------------------------------------------------
    def put_secret(self, scope: str, key: str, value: str) -> None:
        """Create or overwrite a secret; the value is registered with the redactor of this process."""
        check_scope_name(scope)
        check_key_name(key)
        size = len(value.encode("utf-8", "surrogatepass"))
        if size == 0:
            raise ConfigError(f"secret {scope}/{key}: the value is empty; pass --string-value or pipe it on stdin")
        if size > MAX_VALUE_BYTES:
            raise ConfigError(
                f"secret {scope}/{key}: the value has {size} bytes, the limit is {MAX_VALUE_BYTES}; store a smaller one"
            )
        from lakeloader.secrets.redact import register

        register(value)

        def change(scopes: _Scopes) -> bool:
            if scope not in scopes:
                raise _missing_scope(scope)
            scopes[scope].secrets[key] = _Secret(value=value, updated_at=_now())
            return True

        self._mutate(change)

    def list_secrets(self, scope: str) -> list[SecretInfo]:
        check_scope_name(scope)
        scopes = self._snapshot()
        if scope not in scopes:
            raise _missing_scope(scope)
        return [SecretInfo(scope, k, s.updated_at) for k, s in sorted(scopes[scope].secrets.items())]

    def get_secret(self, scope: str, key: str) -> str:
        """The value of `scope/key`, registered with the redactor so that it is masked in logs and errors."""
        check_scope_name(scope)
        check_key_name(key)
        return self.get_many([(scope, key)])[(scope, key)]

    def get_many(self, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Several values from one decryption; each is registered with the redactor."""
        from lakeloader.secrets.redact import register

        scopes = self._snapshot()
        found: dict[tuple[str, str], str] = {}
        for scope, key in wanted:
            if scope not in scopes:
                raise _missing_scope(scope, key)
            secret = scopes[scope].secrets.get(key)
            if secret is None:
                raise _missing_key(scope, key)
            register(secret.value)
            found[(scope, key)] = secret.value
        return found

    def delete_secret(self, scope: str, key: str) -> None:
        check_scope_name(scope)
        check_key_name(key)

        def change(scopes: _Scopes) -> bool:
            if scope not in scopes:
                raise _missing_scope(scope)
            if key not in scopes[scope].secrets:
                raise _missing_key(scope, key)
            del scopes[scope].secrets[key]
            return True

        self._mutate(change)

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
    def _snapshot(self) -> _Scopes:
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

    def _mutate(self, change: Callable[[_Scopes], bool]) -> None:
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

    def _read(self, key: MasterKey) -> _Scopes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            blob = self.path.read_bytes()
        except OSError as exc:
            raise SecretStoreError(
                f"secret store {self.path}: cannot read it ({exc.strerror}); fix its permissions"
            ) from None
        if len(blob) < HEADER_BYTES or not blob.startswith(MAGIC):
            raise SecretStoreError(
                f"secret store {self.path} is not a lakeloader secret store (bad header); restore it from a backup "
                "or move it away to start an empty one"
            )
        version = blob[len(MAGIC)]
        if version != FORMAT_VERSION:
            raise SecretStoreError(
                f"secret store {self.path} has format version {version}, this lakeloader reads version "
                f"{FORMAT_VERSION}; use the lakeloader release that wrote it"
            )
        stored_id = blob[len(MAGIC) + 1 : len(MAGIC) + 1 + keys.KEY_ID_BYTES]
        if stored_id != key.key_id:
            raise SecretStoreError(
                f"secret store {self.path} was encrypted with another master key than the one "
                f"from {key.source}; {self._wrong_key_fix(stored_id)}"
            )
        header, nonce = blob[: HEADER_BYTES - NONCE_BYTES], blob[HEADER_BYTES - NONCE_BYTES : HEADER_BYTES]
        try:
            plain = AESGCM(key.key).decrypt(nonce, blob[HEADER_BYTES:], header)
        except InvalidTag:
            raise SecretStoreError(
                f"secret store {self.path} failed authentication with the key from {key.source}: it was tampered "
                "with or corrupted; restore it from a backup (lakeloader never falls back to plaintext)"
            ) from None
        try:
            document = json.loads(plain.decode("utf-8"))
            return {
                name: _Scope(
                    created_at=scope["created_at"],
                    secrets={k: _Secret(s["value"], s["updated_at"]) for k, s in scope["secrets"].items()},
                )
                for name, scope in document["scopes"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SecretStoreError(
                f"secret store {self.path} decrypted but its content is malformed; restore it from a backup"
            ) from None

    def _wrong_key_fix(self, stored_id: bytes) -> str:
        staged = self.key_file.with_name(self.key_file.name + ".new")
        if staged.exists():
            with contextlib.suppress(TerminalError):
                if keys.key_id(keys.read_key_file(staged)) == stored_id:
                    return f"a key rotation was interrupted: finish it with 'mv {staged} {self.key_file}'"
        return (
            f"set ${keys.MASTER_KEY_ENV} or ${keys.KEY_FILE_ENV} to the key it was written with "
            "(after rotate-key, the old key no longer works)"
        )

    def _write(self, scopes: _Scopes, key: MasterKey) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        document = {
            "format": FORMAT_VERSION,
            "scopes": {
                name: {
                    "created_at": scope.created_at,
                    "secrets": {k: {"value": s.value, "updated_at": s.updated_at} for k, s in scope.secrets.items()},
                }
                for name, scope in scopes.items()
            },
        }
        plain = json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        header = MAGIC + bytes([FORMAT_VERSION]) + key.key_id
        nonce = os.urandom(NONCE_BYTES)
        blob = header + nonce + AESGCM(key.key).encrypt(nonce, plain, header)
        make_private_dir(self.state_dir)
        fd, tmp = tempfile.mkstemp(prefix=f".{STORE_FILE}.", suffix=".tmp", dir=self.state_dir)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if not self.marker.exists():  # remembers that a store exists, so losing it is an error, not "no scopes"
            fd = os.open(self.marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(_now() + "\n")
        keys.fsync_dir(self.state_dir)
