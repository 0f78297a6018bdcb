"""A stream's checkpoint folder: its stable stream id, the offsets log (planned batches) and the commits log.

Layout, as in Spark Structured Streaming: `metadata.json`, `offsets/<N>.json` (written durably BEFORE batch N
reads any data) and `commits/<N>.json` (written AFTER batch N is in Delta). Sources keep their own state in
`sources/` (the files source's ledger, the Postgres cursor). Nothing secret is ever written here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakeloader.errors import ConfigError, TerminalError
from lakeloader.execution.mirror import mirror_of, open_mirror
from lakeloader.lakehouse import storage
from lakeloader.secrets.redact import holds_secret

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
LOCK_FILE = "lock"
INVALIDATED = "invalidated"  # the state of a stream that was started over (its target dropped or replaced)


class SourceChangedError(ConfigError):
    """A checkpoint with committed batches opened for another source than the one it was made for."""


class StreamInUseError(TerminalError):
    """Another run holds the stream's checkpoint (Spark: "multiple streaming queries are concurrently using").

    Terminal for this run (retrying inside it cannot help); the next run, or one started with a lock wait, goes on.
    """


def write_json_atomic(path: Path, obj: Any, *, exclusive: bool = False) -> bool:
    """Write JSON to `path` durably: temp file, fsync, rename (or hard link), fsync of the folder.

    With `exclusive`, an existing `path` is never replaced: the file is published with a hard link, which fails
    when the name is taken, and False is returned (two processes racing to write it: exactly one wins).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    text = json.dumps(obj, sort_keys=True, default=str)
    if holds_secret(text):  # state is data: masking it would corrupt a plan or a schema; never write a secret
        raise TerminalError(
            f"{path}: refusing to write a secret value into stream state (a registered secret appears in a path, "
            "a name or a schema it records); rename what holds it, or change the secret"
        )
    data = text.encode()
    mirror = mirror_of(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    if exclusive:
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        if mirror is not None and not mirror.publish(path, create_only=True):
            return False  # published on the store by another run first: theirs is here now
    else:
        os.replace(tmp, path)
        if mirror is not None:
            mirror.publish(path, create_only=False)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def read_json(path: storage.Location) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TerminalError(
            f"checkpoint file {path} is corrupt ({exc.msg}); restore it or start a new checkpoint"
        ) from None


def _batch_ids(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())


class Checkpoint:
    """The checkpoint of one stream (one source into one table)."""

    def __init__(self, path: str | os.PathLike[str], *, target: str, source: str, address: str | None = None) -> None:
        """Open (or create) the checkpoint of the stream from `source` into `target`.

        `source` is what identifies the data (a folder and format, a database and relation); `address` is where
        it is served from (host:port), which may change (a failover, a restart on another port) with a warning.
        A checkpoint whose stream never committed a batch may be given another source (a first run with a
        typo, then the fix): it is planned again from nothing, when the run takes the lock.
        """
        where = storage.path(path, what="checkpoint")
        # on an object store: worked on in a local mirror, published to the store as the protocol goes
        self.mirror = open_mirror(where) if isinstance(where, storage.ObjectPath) else None
        self.location: storage.Location = where  # where it is, as the user named it
        self.path = self.mirror.local if self.mirror is not None else Path(where)
        self.target = target
        self.source = source
        self.address = address
        self.offsets_dir = self.path / "offsets"
        self.commits_dir = self.path / "commits"
        self.sources_dir = self.path / "sources"
        meta_file = self.path / "metadata.json"
        if meta_file.exists():
            meta = read_json(meta_file)
            if meta.get("target") != target:
                raise ConfigError(
                    f"checkpoint {self.path} belongs to table {meta.get('target')}, not {target}; "
                    "give each stream its own checkpoint folder"
                )
            if meta.get("source") != source:
                self._refuse_new_source(meta)
        else:
            meta = {
                "version": FORMAT_VERSION,
                "stream_id": str(uuid.uuid4()),
                "target": target,
                "source": source,
                "created_at": datetime.now(UTC).isoformat(),
            }
            if address is not None:
                meta["address"] = address
            if not write_json_atomic(meta_file, meta, exclusive=True):  # another run created it first: theirs
                meta = read_json(meta_file)
        self.stream_id: str = meta["stream_id"]

    def _refuse_new_source(self, meta: dict[str, Any]) -> None:
        if self.latest_committed() is not None:
            raise SourceChangedError(
                f"checkpoint {self.path} was made for source {meta.get('source')}, not {self.source}, and has "
                "committed batches from it; give each stream its own checkpoint folder"
            )

    def _settle_identity(self) -> None:
        """Under the lock: adopt a new source for a stream that never committed, and a new address (warned)."""
        meta = read_json(self.path / "metadata.json")
        changed = False
        if meta.get("source") != self.source:
            self._refuse_new_source(meta)  # another run may have committed meanwhile
            old = meta.get("source")
            self.start_over(f"re-planned for source {self.source} (was {old}; nothing was committed)")
            meta = read_json(self.path / "metadata.json")
            meta["source"] = self.source
            changed = True
            log.info(
                "checkpoint %s: no batch was committed from %s; planning again for %s", self.path, old, self.source
            )
        if self.address is not None and meta.get("address") != self.address:
            if meta.get("address") is not None:
                log.warning(
                    "stream into %s: the source moved from %s to %s since the last run; going on (the stream is "
                    "keyed on %s, not on the address)",
                    self.target,
                    meta["address"],
                    self.address,
                    self.source,
                )
            meta["address"] = self.address
            changed = True
        if changed:
            write_json_atomic(self.path / "metadata.json", meta)
        self.stream_id = meta["stream_id"]

    def latest_planned(self) -> int | None:
        ids = _batch_ids(self.offsets_dir)
        return ids[-1] if ids else None

    def latest_committed(self) -> int | None:
        ids = _batch_ids(self.commits_dir)
        return ids[-1] if ids else None

    def next_batch_id(self) -> int:
        planned = self.latest_planned()
        return 0 if planned is None else planned + 1

    def pending(self) -> tuple[int, dict[str, Any]] | None:
        """The last planned batch if it was never recorded as committed (a crash happened): replay it."""
        planned = self.latest_planned()
        if planned is None:
            return None
        committed = self.latest_committed()
        if committed is not None and committed >= planned:
            return None
        return planned, self.read_plan(planned)

    def read_plan(self, batch_id: int) -> dict[str, Any]:
        plan = read_json(self.offsets_dir / f"{batch_id}.json")
        return dict(plan["plan"])

    def write_plan(self, batch_id: int, plan: dict[str, Any]) -> None:
        """Step 1 of the protocol: record what batch N will read, before reading it."""
        expected = self.next_batch_id()
        if batch_id != expected:
            raise StreamInUseError(
                f"checkpoint {self.path}: batch {batch_id} planned out of order (next is {expected}); "
                "another run of this stream is planning too — run one at a time"
            )
        entry = {"batch_id": batch_id, "planned_at": datetime.now(UTC).isoformat(), "plan": plan}
        written = write_json_atomic(self.offsets_dir / f"{batch_id}.json", entry, exclusive=True)
        if not written and self.read_plan(batch_id) != json.loads(json.dumps(plan, default=str)):
            raise StreamInUseError(
                f"checkpoint {self.path}: another run planned batch {batch_id} of this stream meanwhile; "
                "run one at a time (nothing of this run was committed)"
            )

    def record_commit(self, batch_id: int, info: dict[str, Any]) -> None:
        """Step 3 of the protocol: batch N is in Delta."""
        write_json_atomic(
            self.commits_dir / f"{batch_id}.json",
            {"batch_id": batch_id, "committed_at": datetime.now(UTC).isoformat(), **info},
        )
        if self.mirror is not None:  # with the source's own state (the ledger) the batch recorded
            self.mirror.push()

    def read_commit(self, batch_id: int) -> dict[str, Any] | None:
        path = self.commits_dir / f"{batch_id}.json"
        return dict(read_json(path)) if path.exists() else None

    @contextlib.contextmanager
    def exclusive(self, *, wait: float = 0.0) -> Iterator[None]:
        """Hold the stream for one run: a second run waits up to `wait` seconds, then fails naming the holder.

        An advisory `flock` on `<checkpoint>/lock`, released when the run ends or its process dies (kill -9
        included), so a crashed run never leaves the stream locked.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        with hold(self.path / LOCK_FILE, what=f"stream into {self.target}: checkpoint {self.location}", wait=wait):
            if self.mirror is not None:
                self.mirror.pull()  # what another machine's run published meanwhile
            self._settle_identity()
            try:
                yield
            finally:
                if self.mirror is not None:
                    self.mirror.push()

    def start_over(self, reason: str) -> Path:
        """Begin the stream again from nothing, under a new stream id; the old state is kept aside, not deleted.

        Offsets, commits and source state move to `invalidated/<time>/`; `metadata.json` gets a new stream id,
        so nothing recorded under the old one (bad records, transactions) can make a new batch look done.
        Call it holding the lock (`exclusive`).
        """
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path / INVALIDATED / stamp
        aside.mkdir(parents=True)
        for entry in list(self.path.iterdir()):
            if entry.name not in (LOCK_FILE, "metadata.json", INVALIDATED):
                entry.rename(aside / entry.name)
        meta = read_json(self.path / "metadata.json")
        previous = meta["stream_id"]
        meta.update(
            stream_id=str(uuid.uuid4()),
            restarted_at=datetime.now(UTC).isoformat(),
            restart_reason=reason,
            previous_stream_ids=[*meta.get("previous_stream_ids", []), previous],
        )
        write_json_atomic(self.path / "metadata.json", meta)
        self.stream_id = meta["stream_id"]
        mirror = self.mirror or mirror_of(self.path)  # on an object store (its own, or its pipeline's storage)
        if mirror is not None:  # the old plans gone from the store too: batch 0 is published there conditionally
            mirror.push()
        return aside

    def source_state_path(self, name: str) -> Path:
        """A place for the source's own state (ledger, cursor) inside this checkpoint."""
        self.sources_dir.mkdir(parents=True, exist_ok=True)
        return self.sources_dir / name


@contextlib.contextmanager
def hold(lock_file: Path, *, what: str, wait: float = 0.0) -> Iterator[None]:
    """An exclusive `flock` on `lock_file` for as long as the block runs; who holds it is written into the file.

    Waits up to `wait` seconds for another holder, then fails with one line naming it (pid, host, program, since).
    """
    import fcntl

    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StreamInUseError(
                        f"{what} is in use by another run ({_holder(fd)}); wait for it to finish, or let this run "
                        "wait: --wait-for-lock 10m"
                    ) from None
                time.sleep(0.1)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "program": os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python",
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    """Who holds a checkpoint lock, from what the holder writes into the lock file right after taking it."""
    for _ in range(20):
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"pid {info['pid']} on {info['host']}, {info['program']}, since {info['since']}"
        except (ValueError, KeyError, OSError):
            time.sleep(0.05)  # the holder has the lock but has not written its name yet
    return "a process that did not say who it is"
