"""The master key of a secret store: from $LAKELOADER_MASTER_KEY, or a 0600 key file beside the lakehouse root."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lakeloader.errors import ConfigError, TerminalError

MASTER_KEY_ENV = "LAKELOADER_MASTER_KEY"
KEY_FILE_ENV = "LAKELOADER_KEY_FILE"
NEW_MASTER_KEY_ENV = "LAKELOADER_NEW_MASTER_KEY"  # read by rotate-key when the key lives in the environment
KEY_BYTES = 32  # AES-256
KEY_ID_BYTES = 8
_GENERATE_HINT = (
    'generate one with: python -c "import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
)


@dataclass(frozen=True)
class MasterKey:
    """A 256-bit key and where it came from (`file` is None when it came from the environment)."""

    key: bytes = field(repr=False)
    source: str
    file: Path | None = None

    @property
    def key_id(self) -> bytes:
        """A short public fingerprint stored in the store header, to tell 'wrong key' from 'tampered'."""
        return key_id(self.key)


def key_id(key: bytes) -> bytes:
    return hmac.new(key, b"lakeloader secret store key id v1", hashlib.sha256).digest()[:KEY_ID_BYTES]


def generate_key() -> bytes:
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str, *, source: str) -> bytes:
    """A 32-byte key from standard or URL-safe base64 text; the error never contains the text."""
    cleaned = "".join(text.split()).replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        key = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"master key from {source} is not valid base64; {_GENERATE_HINT}") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(
            f"master key from {source} decodes to {len(key)} bytes but AES-256 needs {KEY_BYTES}; {_GENERATE_HINT}"
        )
    return key


def key_file_path(root: Path) -> Path:
    """$LAKELOADER_KEY_FILE, else `<root>.key`: beside the root folder, never inside it (it is not copied with it)."""
    chosen = os.environ.get(KEY_FILE_ENV)
    if chosen:
        return Path(chosen).expanduser().absolute()
    return root.with_name(root.name + ".key")


def load_master_key(root: Path, *, create: bool) -> MasterKey | None:
    """The key from the environment, else the key file (created on first use when `create`), else None."""
    env_text = os.environ.get(MASTER_KEY_ENV)
    if env_text:
        from lakeloader.secrets.redact import register

        register(env_text.strip())
        return MasterKey(decode_key(env_text, source=f"${MASTER_KEY_ENV}"), f"${MASTER_KEY_ENV}")
    path = key_file_path(root)
    if path.exists():
        return MasterKey(read_key_file(path), f"key file {path}", path)
    if not create:
        return None
    key = generate_key()
    if not create_key_file(path, key):  # another process created it first: use theirs
        return MasterKey(read_key_file(path), f"key file {path}", path)
    return MasterKey(key, f"key file {path}", path)


def read_key_file(path: Path) -> bytes:
    """Read a key file, refusing one that others can read (as ssh does with private keys)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise TerminalError(f"key file {path}: cannot read it ({exc.strerror}); fix its permissions") from None
    except UnicodeDecodeError:
        raise ConfigError(f"key file {path} is not base64 text; restore it from your backup") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"key file {path} is accessible by other users (mode {stat.S_IMODE(mode):04o}); run 'chmod 600 {path}'"
        )
    return decode_key(text, source=f"key file {path}")


def create_key_file(path: Path, key: bytes) -> bool:
    """Create `path` holding `key`, mode 0600, atomically; False if it already exists (nothing is overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp opens with O_CREAT | O_EXCL and mode 0600; the hard link publishes the complete file in one step
    # and fails if the name is taken, so two first uses never end up with two keys.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(encode_key(key) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: O_EXCL on the final name
            try:
                fd2 = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return False
            with os.fdopen(fd2, "w", encoding="ascii") as handle:
                handle.write(encode_key(key) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    fsync_dir(path.parent)
    return True


def replace_key_file(path: Path, key: bytes) -> Path:
    """Write `key` to `<path>.new` (0600) and return that path; the caller renames it over `path` when ready."""
    staged = path.with_name(path.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(staged)  # left by an interrupted rotation; the store was readable with the current key
    if not create_key_file(staged, key):
        raise TerminalError(f"key file {staged} appeared during rotation; rerun 'lakeloader secrets rotate-key'")
    return staged


def fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
