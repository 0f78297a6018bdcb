"""The file format of the encrypted store: one JSON document sealed with AES-256-GCM, written atomically.

File layout (format 1): magic `LLSECRET` | format version (1 byte) | key id (8 bytes) | nonce (12 bytes) |
AES-GCM ciphertext and tag of the JSON document. The header is authenticated as associated data, so changing any
byte of the file fails decryption. The whole store is re-encrypted with a fresh random nonce on every write.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakeloader.errors import TerminalError
from lakeloader.paths import make_private_dir
from lakeloader.secrets import keys
from lakeloader.secrets.keys import MasterKey

MAGIC = b"LLSECRET"
FORMAT_VERSION = 1
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + 1 + keys.KEY_ID_BYTES + NONCE_BYTES


class SecretStoreError(TerminalError):
    """The store cannot be read: wrong key, tampering, corruption or an unknown format. Never retried."""


@dataclass
class StoredSecret:
    value: str
    updated_at: str


@dataclass
class StoredScope:
    created_at: str
    secrets: dict[str, StoredSecret]
    backend: dict[str, str] | None = None  # where the secrets are when not here: no value, no credential


Scopes = dict[str, StoredScope]


def read_scopes(path: Path, key: MasterKey, *, key_file: Path) -> Scopes:
    """The scopes in the store at `path`, decrypted with `key`."""
    document = read_document(path, key, key_file=key_file)
    try:
        return {name: _scope_from(scope) for name, scope in document["scopes"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise malformed(path) from None


def write_scopes(path: Path, scopes: Scopes, key: MasterKey) -> None:
    write_document(path, {"format": FORMAT_VERSION, "scopes": {n: _scope_to(s) for n, s in scopes.items()}}, key)


def _scope_from(stored: dict[str, Any]) -> StoredScope:
    backend = stored.get("backend")
    if backend is not None and not (isinstance(backend, dict) and all(isinstance(v, str) for v in backend.values())):
        raise ValueError("backend")
    return StoredScope(
        created_at=stored["created_at"],
        secrets={k: StoredSecret(s["value"], s["updated_at"]) for k, s in stored["secrets"].items()},
        backend=backend,
    )


def _scope_to(scope: StoredScope) -> dict[str, Any]:
    out: dict[str, Any] = {
        "created_at": scope.created_at,
        "secrets": {k: {"value": s.value, "updated_at": s.updated_at} for k, s in scope.secrets.items()},
    }
    if scope.backend is not None:  # only then: a store without external scopes reads as it always did
        out["backend"] = scope.backend
    return out


def read_document(path: Path, key: MasterKey, *, key_file: Path) -> dict[str, Any]:
    """The decrypted JSON document of the store at `path`; `key_file` is where the fix for a wrong key points."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise SecretStoreError(f"secret store {path}: cannot read it ({exc.strerror}); fix its permissions") from None
    if len(blob) < HEADER_BYTES or not blob.startswith(MAGIC):
        raise SecretStoreError(
            f"secret store {path} is not a lakeloader secret store (bad header); restore it from a backup "
            "or move it away to start an empty one"
        )
    version = blob[len(MAGIC)]
    if version != FORMAT_VERSION:
        raise SecretStoreError(
            f"secret store {path} has format version {version}, this lakeloader reads version "
            f"{FORMAT_VERSION}; use the lakeloader release that wrote it"
        )
    stored_id = blob[len(MAGIC) + 1 : len(MAGIC) + 1 + keys.KEY_ID_BYTES]
    if stored_id != key.key_id:
        raise SecretStoreError(
            f"secret store {path} was encrypted with another master key than the one "
            f"from {key.source}; {_wrong_key_fix(key_file, stored_id)}"
        )
    header, nonce = blob[: HEADER_BYTES - NONCE_BYTES], blob[HEADER_BYTES - NONCE_BYTES : HEADER_BYTES]
    try:
        plain = AESGCM(key.key).decrypt(nonce, blob[HEADER_BYTES:], header)
    except InvalidTag:
        raise SecretStoreError(
            f"secret store {path} failed authentication with the key from {key.source}: it was tampered "
            "with or corrupted; restore it from a backup (lakeloader never falls back to plaintext)"
        ) from None
    try:
        document = json.loads(plain.decode("utf-8"))
    except ValueError:
        raise malformed(path) from None
    if not isinstance(document, dict):
        raise malformed(path)
    return document


def malformed(path: Path) -> SecretStoreError:
    return SecretStoreError(f"secret store {path} decrypted but its content is malformed; restore it from a backup")


def _wrong_key_fix(key_file: Path, stored_id: bytes) -> str:
    staged = key_file.with_name(key_file.name + ".new")
    if staged.exists():
        with contextlib.suppress(TerminalError):
            if keys.key_id(keys.read_key_file(staged)) == stored_id:
                return f"a key rotation was interrupted: finish it with 'mv {staged} {key_file}'"
    return (
        f"set ${keys.MASTER_KEY_ENV} or ${keys.KEY_FILE_ENV} to the key it was written with "
        "(after rotate-key, the old key no longer works)"
    )


def write_document(path: Path, document: dict[str, Any], key: MasterKey) -> None:
    """Seal `document` under `key` and replace the file at `path` with it (temporary file, fsync, rename)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    plain = json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    header = MAGIC + bytes([FORMAT_VERSION]) + key.key_id
    nonce = os.urandom(NONCE_BYTES)
    blob = header + nonce + AESGCM(key.key).encrypt(nonce, plain, header)
    make_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
