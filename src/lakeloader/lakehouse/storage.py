"""Where data lives: a local folder or an object store URL (`s3://bucket/prefix`, `abfss://`, `gs://`).

One module decides what a location string means, so a URL is never taken for a relative folder
(`s3://lake/x` once became `./s3:/lake/x`). Object stores are reached only through the libraries' own clients:
obstore (listing, small objects, deletes, the conditional-write probe), pyarrow's filesystems (reading Parquet
into Arrow and DuckDB) and delta-rs (the Delta log); credentials come from the standard environment variables
each of them reads (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ALLOW_HTTP`, ... and Azure's and
Google's own), never from a file of ours, and are never printed.

`ObjectPath` gives a URL the part of `pathlib.Path` that the lakehouse uses (join, name, parent, exists, is_dir,
read and write small objects, list, delete), so code that handles a table's folder handles both.
"""

from __future__ import annotations

import os
import posixpath
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeAlias, cast
from urllib.parse import urlsplit

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.paths import SERVED_SCHEMES, check_url, scheme_of

__all__ = [
    "SERVED",
    "Location",
    "ObjectPath",
    "check_url",
    "failure",
    "is_url",
    "path",
    "require_conditional_writes",
    "store",
]

SERVED = SERVED_SCHEMES
_stores: dict[tuple[str, str, str], Any] = {}
_stores_lock = threading.Lock()


def is_url(location: str | os.PathLike[str]) -> bool:
    """True when `location` names an object store (an `ObjectPath`, or a string with a URL scheme but file://)."""
    if isinstance(location, ObjectPath):
        return True
    scheme = scheme_of(os.fspath(location))
    return scheme is not None and scheme != "file"


class ObjectPath(os.PathLike[str]):
    """A key prefix in an object store, with the part of `pathlib.Path`'s interface the lakehouse uses."""

    __slots__ = ("_key", "_url")

    def __init__(self, url: str) -> None:
        url = check_url(url, what="location")
        parts = urlsplit(url)
        key = posixpath.normpath("/" + parts.path).strip("/")  # `a/./b` and `a//b` name `a/b`
        self._key = "" if key == "." else key
        self._url = f"{parts.scheme}://{parts.netloc}" + (f"/{self._key}" if self._key else "")

    # -- names -------------------------------------------------------------------------------------------
    @property
    def bucket_url(self) -> str:
        """`scheme://bucket` (the store's root)."""
        parts = urlsplit(self._url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def key(self) -> str:
        """The key prefix inside the bucket, without a leading or trailing slash."""
        return self._key

    @property
    def name(self) -> str:
        return PurePosixPath(self._key).name

    @property
    def parent(self) -> ObjectPath:
        parent = str(PurePosixPath(self._key).parent)
        return ObjectPath(self.bucket_url + ("" if parent in (".", "") else "/" + parent))

    @property
    def parents(self) -> list[ObjectPath]:
        out: list[ObjectPath] = []
        current = self
        while current.key:
            current = current.parent
            out.append(current)
        return out

    def __truediv__(self, other: str | os.PathLike[str]) -> ObjectPath:
        tail = os.fspath(other).strip("/")
        return ObjectPath(f"{self._url}/{tail}" if tail else self._url)

    def joinpath(self, *others: str) -> ObjectPath:
        out = self
        for other in others:
            out = out / other
        return out

    def with_name(self, name: str) -> ObjectPath:
        return self.parent / name

    def relative_to(self, other: ObjectPath) -> PurePosixPath:
        if not self.is_relative_to(other):
            raise ValueError(f"{self} is not inside {other}")
        return PurePosixPath(self._key[len(other.key) :].lstrip("/"))

    def is_relative_to(self, other: object) -> bool:
        if not isinstance(other, ObjectPath) or other.bucket_url != self.bucket_url:
            return False
        return not other.key or self._key == other.key or self._key.startswith(other.key + "/")

    # identity for URLs: no home folder, no symlinks, already absolute
    def expanduser(self) -> ObjectPath:
        return self

    def absolute(self) -> ObjectPath:
        return self

    def resolve(self) -> ObjectPath:
        return self

    def __fspath__(self) -> str:
        return self._url

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"ObjectPath({self._url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectPath) and other._url == self._url

    def __hash__(self) -> int:
        return hash(self._url)

    # -- the store -----------------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def is_file(self) -> bool:
        import obstore

        if not self._key:
            return False
        try:
            obstore.head(store(self), self._key)
        except FileNotFoundError:
            return False
        except Exception as exc:  # obstore's NotFoundError is a FileNotFoundError; others are real failures
            raise failure(self, "read", exc) from None
        return True

    def is_dir(self) -> bool:
        """True when some object's key starts with this prefix and a slash (object stores have no folders)."""
        import obstore

        prefix = f"{self._key}/" if self._key else None
        try:
            first = next(iter(obstore.list(store(self), prefix=prefix, chunk_size=1)), [])
        except Exception as exc:
            raise failure(self, "list", exc) from None
        return bool(first)

    def mkdir(self, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
        """Nothing to make: a prefix exists once an object is written under it."""

    def iterdir(self) -> Iterator[ObjectPath]:
        """The objects and common prefixes one level below."""
        import obstore

        prefix = f"{self._key}/" if self._key else None
        try:
            listed = obstore.list_with_delimiter(store(self), prefix=prefix)
        except Exception as exc:
            raise failure(self, "list", exc) from None
        for common in listed["common_prefixes"]:
            yield ObjectPath(f"{self.bucket_url}/{common.rstrip('/')}")
        for meta in listed["objects"]:
            yield ObjectPath(f"{self.bucket_url}/{meta['path']}")

    def entries(self) -> list[tuple[str, bool, int, int]]:
        """One level below: (name, is a folder, size, modified in ms since the epoch), folders first."""
        import obstore

        prefix = f"{self._key}/" if self._key else None
        try:
            listed: Any = obstore.list_with_delimiter(store(self), prefix=prefix)
        except Exception as exc:
            raise failure(self, "list", exc) from None
        out = [(c.rstrip("/").rsplit("/", 1)[-1], True, 0, 0) for c in listed["common_prefixes"]]
        for meta in listed["objects"]:
            modified = int(meta["last_modified"].timestamp() * 1000)
            out.append((meta["path"].rsplit("/", 1)[-1], False, int(meta["size"]), modified))
        return out

    def copy_to(self, target: ObjectPath) -> None:
        """A server-side copy of this object (same store)."""
        import obstore

        try:
            obstore.copy(store(self), self._key, target.key)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise failure(self, "copy", exc) from None

    def walk_keys(self) -> Iterator[dict[str, Any]]:
        """Every object under this prefix (path relative to the bucket, size, last_modified, e_tag)."""
        import obstore

        prefix = f"{self._key}/" if self._key else None
        try:
            for chunk in obstore.list(store(self), prefix=prefix, chunk_size=1000):
                yield from (dict(meta) for meta in chunk)
        except Exception as exc:
            raise failure(self, "list", exc) from None

    def read_bytes(self) -> bytes:
        import obstore

        try:
            return bytes(obstore.get(store(self), self._key).bytes())
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise failure(self, "read", exc) from None

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes, *, create_only: bool = False) -> bool:
        """Write the object; with `create_only`, only when the key is free (a conditional PUT): False when taken."""
        import obstore
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        try:
            obstore.put(store(self), self._key, data, mode="create" if create_only else "overwrite")
        except (AlreadyExistsError, PreconditionError):
            if create_only:
                return False
            raise
        except Exception as exc:
            raise failure(self, "write", exc) from None
        return True

    def write_text(self, text: str, encoding: str = "utf-8") -> int:
        self.write_bytes(text.encode(encoding))
        return len(text)

    def unlink(self, missing_ok: bool = False) -> None:
        import obstore

        try:
            obstore.delete(store(self), self._key)
        except FileNotFoundError:
            if not missing_ok:
                raise
        except Exception as exc:
            raise failure(self, "delete", exc) from None

    def delete_tree(self) -> int:
        """Delete every object under this prefix; the number deleted."""
        import obstore

        keys = [meta["path"] for meta in self.walk_keys()]
        for start in range(0, len(keys), 1000):
            try:
                obstore.delete(store(self), keys[start : start + 1000])
            except Exception as exc:
                raise failure(self, "delete", exc) from None
        return len(keys)


Location: TypeAlias = Path | ObjectPath


def path(location: str | os.PathLike[str], *, what: str = "location") -> Location:
    """A `Path` for a local folder (made absolute), an `ObjectPath` for an object store URL."""
    if isinstance(location, ObjectPath):
        return location
    text = os.fspath(location)
    scheme = scheme_of(text)
    if scheme == "file":
        from urllib.request import url2pathname

        return Path(url2pathname(urlsplit(text).path))
    if scheme is not None:
        return ObjectPath(check_url(text, what=what))
    return Path(text).expanduser().absolute()


@dataclass(frozen=True)
class Credentials:
    """A storage credential's resolved values for the URLs under `url` (lakehouse.root applies the lakehouse's
    `storage-credentials`); without one, each library reads the standard environment variables."""

    url: str
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    allow_http: bool = False

    def __repr__(self) -> str:  # never the values
        return f"Credentials({self.url!r})"


_credentials: dict[str, Credentials] = {}


def use_credentials(credentials: Credentials) -> None:
    """Use `credentials` for every URL under `credentials.url` in this process (the longest matching URL wins)."""
    with _stores_lock:
        if _credentials.get(credentials.url.rstrip("/")) == credentials:
            return  # already in use: the stores made with it stay
        _credentials[credentials.url.rstrip("/")] = credentials
        _stores.clear()


def every_credential() -> list[Credentials]:
    """The credentials this process uses (handed to a work unit's process by execution/executor.py)."""
    with _stores_lock:
        return list(_credentials.values())


def credentials_for(url: str) -> Credentials | None:
    text = str(url).rstrip("/")
    matches = [c for prefix, c in _credentials.items() if text == prefix or text.startswith(prefix + "/")]
    if matches:
        return max(matches, key=lambda c: len(c.url))
    return _profile(text) if text.startswith("s3://") else None


_profiles: dict[str, Credentials] = {}


def _profile(url: str) -> Credentials | None:
    """The keys of the AWS profile `$AWS_PROFILE` (read by boto3, the aws extra), when no key is in the
    environment: obstore reads no profile, so the same keys reach all three libraries."""
    profile = os.environ.get("AWS_PROFILE")
    if not profile or os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    if profile in _profiles:
        return _profiles[profile]
    try:
        import boto3  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ConfigError(
            f"{url}: AWS_PROFILE={profile} is read with boto3, which is not installed: pip install 'lakeloader[aws]' "
            "(or export the profile's keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    try:
        session = boto3.Session(profile_name=profile)
        found = session.get_credentials()
        frozen = found.get_frozen_credentials() if found is not None else None
    except Exception as exc:
        raise ConfigError(
            f"{url}: AWS profile {profile} cannot be read ({type(exc).__name__}: {exc}); check ~/.aws/config and "
            "~/.aws/credentials (or AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)"
        ) from None
    if frozen is None or not frozen.access_key:
        raise ConfigError(f"{url}: AWS profile {profile} holds no keys; add them to it, or use a storage credential")
    from lakeloader.secrets.redact import register

    register(frozen.secret_key)
    if frozen.token:
        register(frozen.token)
    made = Credentials(url="s3://", access_key_id=frozen.access_key, secret_access_key=frozen.secret_key,
                       session_token=frozen.token, region=session.region_name,
                       endpoint_url=os.environ.get("AWS_ENDPOINT_URL"), allow_http=_allow_http())  # fmt: skip
    _profiles[profile] = made
    return made


def delta_options(location: str | os.PathLike[str]) -> dict[str, str] | None:
    """delta-rs' `storage_options` for a table at `location` (None: the environment's)."""
    found = credentials_for(os.fspath(location)) if is_url(location) else None
    if found is None:
        return None
    options = {"AWS_ACCESS_KEY_ID": found.access_key_id, "AWS_SECRET_ACCESS_KEY": found.secret_access_key}
    if found.session_token:
        options["AWS_SESSION_TOKEN"] = found.session_token
    if found.region:
        options["AWS_REGION"] = found.region
    if found.endpoint_url:
        options["AWS_ENDPOINT_URL"] = found.endpoint_url
    if found.allow_http:
        options["AWS_ALLOW_HTTP"] = "true"
    return options


def store(where: ObjectPath) -> Any:
    """The obstore store of `where`'s bucket (one per bucket, credential and process), configured by the storage
    credential that covers `where`, else from the environment."""
    from obstore.store import from_url

    found = credentials_for(str(where))
    key = (where.bucket_url, os.environ.get("AWS_ENDPOINT_URL", ""), found.url if found else "")
    with _stores_lock:
        made = _stores.get(key)
        if made is None:
            config: dict[str, Any] | None = None
            allow_http = _allow_http()
            if found is not None:
                config = {"access_key_id": found.access_key_id, "secret_access_key": found.secret_access_key}
                config.update({k: v for k, v in (("token", found.session_token), ("region", found.region),
                                                 ("endpoint", found.endpoint_url)) if v})  # fmt: skip
                allow_http = allow_http or found.allow_http
            try:
                options: Any = {"allow_http": True} if allow_http else None
                made = from_url(where.bucket_url, config=cast(Any, config), client_options=options)
            except Exception as exc:
                raise failure(where, "open", exc) from None
            _stores[key] = made
        return made


def _allow_http() -> bool:
    return os.environ.get("AWS_ALLOW_HTTP", "").lower() in ("1", "true", "yes")


def arrow_filesystem(where: ObjectPath) -> Any:
    """pyarrow's filesystem for `where` (S3 through Arrow's own client), with the storage credential that covers
    it, else configured from the environment."""
    import pyarrow.fs as pafs

    found = credentials_for(str(where))
    try:
        if found is not None and urlsplit(where.bucket_url).scheme == "s3":
            endpoint = urlsplit(found.endpoint_url) if found.endpoint_url else None
            return pafs.S3FileSystem(
                access_key=found.access_key_id,
                secret_key=found.secret_access_key,
                session_token=found.session_token,
                region=found.region or "us-east-1",
                endpoint_override=endpoint.netloc if endpoint else None,
                scheme=endpoint.scheme if endpoint else "https",
            )
        filesystem, _ = pafs.FileSystem.from_uri(where.bucket_url)
    except Exception as exc:
        raise failure(where, "open", exc) from None
    return filesystem


def arrow_path(where: str) -> str:
    """A data file's URL as pyarrow's object store filesystems name it (`bucket/key`)."""
    parts = urlsplit(where)
    return f"{parts.netloc}{parts.path}"


def failure(where: ObjectPath | str, doing: str, exc: Exception) -> TerminalError:
    """One line for a store that cannot be reached or refuses us (the library's text, with no credential)."""
    from lakeloader.secrets.redact import redact

    cause = " ".join(str(exc).split())
    if len(cause) > 300:
        cause = cause[:300] + "..."
    return TerminalError(
        f"{where}: cannot {doing} on the object store ({type(exc).__name__}: {redact(cause)}); check the URL, "
        "the endpoint and the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, "
        "or a storage credential: lakeloader storage-credentials create)"
    )


_probed: dict[tuple[str, str], bool] = {}
PROBE_FOLDER = "_lakeloader_probe"


def require_conditional_writes(where: ObjectPath) -> None:
    """Refuse, in one line, to write to a store that does not honour `PUT If-None-Match: *` (once per bucket and
    process): delta-rs publishes each commit that way, and a store that ignores the header lets two writers both
    "win" one version, losing a commit silently. The probe puts one key twice, create-only; the second must fail.
    """
    import uuid

    bucket = where.bucket_url
    key = (bucket, os.environ.get("AWS_ENDPOINT_URL", ""))
    if _probed.get(key):
        return
    probe = where / PROBE_FOLDER / uuid.uuid4().hex
    first = probe.write_bytes(b"1", create_only=True)
    second = probe.write_bytes(b"2", create_only=True)
    probe.unlink(missing_ok=True)
    if not first or second:
        raise TerminalError(
            f"{where}: the object store at {os.environ.get('AWS_ENDPOINT_URL') or bucket} does not honour "
            "conditional writes (a second PUT If-None-Match: * of one key succeeded), so concurrent Delta commits "
            "would be lost silently; lakeloader writes nothing there: use a store that returns 412 (AWS S3, "
            "SeaweedFS, MinIO, Azure Blob, GCS)"
        )
    _probed[key] = True
