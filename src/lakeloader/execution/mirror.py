"""A checkpoint on an object store, worked on in a local folder: pulled when opened, pushed as it changes.

The checkpoint's files (offsets, commits, the file ledger's SQLite database, schemas, cursors) need a file system:
SQLite and `flock` do not run on S3. So a checkpoint at `s3://bucket/cp` is a local mirror
(`$LAKELOADER_STATE_HOME/mirrors/s3/bucket/cp`) kept equal to the store:

- opened: every object that changed since the mirror last saw it (by ETag) is downloaded, files that vanished
  from the store are removed; a file deleted or moved here since the last sync stays so (a pipeline's flows pull
  the one mirror of its storage while another flow's full refresh has moved its checkpoint's files aside);
- step 1 of the commit protocol: `offsets/<N>.json` is published with a conditional PUT (`If-None-Match: *`),
  so of two runs planning batch N on two machines exactly one wins, as `link()` decides it on one disk;
- step 3, and the end of a run: every file that changed is uploaded, every file deleted locally is deleted.

The lock of a run is the mirror's local `flock`: it keeps two runs on one machine apart. Runs on two machines are
kept exact by the protocol itself (the conditional plan, and the stream's transaction re-read before each Delta
commit), as DESIGN.md requires of any two runs that bypass the lock.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from lakeloader.lakehouse import storage

MANIFEST = ".mirror.json"
LOCAL_ONLY = ("lock", "update.lock", MANIFEST)  # never on the store
ON_STORE = ("bad_records",)  # a Delta table written to the store directly: never mirrored
_mirrors: dict[Path, Mirror] = {}
_lock = threading.Lock()


class Mirror:
    """The local folder of one checkpoint on an object store."""

    def __init__(self, remote: storage.ObjectPath, local: Path) -> None:
        self.remote = remote
        self.local = local
        self._manifest: dict[str, list[Any]] = {}  # relative path -> [size, mtime_ns, etag] as last synced
        self._guard = threading.RLock()  # a pipeline's flows write their checkpoints from several threads

    # -- opening ---------------------------------------------------------------------------------------------
    def pull(self) -> None:
        """Make the local folder what the store holds (files of the mirror only)."""
        with self._guard:
            self._pull()

    def _pull(self) -> None:
        self.local.mkdir(parents=True, exist_ok=True)
        self._manifest = self._read_manifest()
        remote: dict[str, dict[str, Any]] = {}
        for meta in self.remote.walk_keys():
            rel = meta["path"][len(self.remote.key) + 1 :]
            if rel and not self._skipped(rel):
                remote[rel] = meta
        for rel, meta in remote.items():
            known = self._manifest.get(rel)
            target = self.local / rel
            if known is not None and known[2] == meta.get("e_tag"):  # as last synced: what is here is newer
                continue  # (a file gone from here since is a deletion the next push makes: not brought back)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.pull")
            try:
                data = (self.remote / rel).read_bytes()
            except FileNotFoundError:  # listed, then deleted by another machine's run before this read
                continue
            tmp.write_bytes(data)
            os.replace(tmp, target)
            self._remember(rel, meta.get("e_tag"))
        for rel in list(self._manifest):
            if rel not in remote:  # gone from the store (a start-over elsewhere): gone here too
                (self.local / rel).unlink(missing_ok=True)
                del self._manifest[rel]
        self._write_manifest()

    # -- pushing ---------------------------------------------------------------------------------------------
    def publish(self, path: Path, *, create_only: bool) -> bool:
        """Upload one file just written; with `create_only`, only if the store has no object of that name (False:
        another run published it first, and the local file is replaced by theirs)."""
        with self._guard:
            return self._publish(path, create_only=create_only)

    def _publish(self, path: Path, *, create_only: bool) -> bool:
        rel = path.relative_to(self.local).as_posix()
        target = self.remote / rel
        if not target.write_bytes(path.read_bytes(), create_only=create_only):
            path.write_bytes(target.read_bytes())
            self._remember(rel, None)
            self._write_manifest()
            return False
        self._remember(rel, None)
        self._write_manifest()
        return True

    def push(self) -> None:
        """Upload every file changed since the last sync; delete from the store what was deleted here."""
        with self._guard:
            self._push()

    def _push(self) -> None:
        present: set[str] = set()
        for path in sorted(self.local.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(self.local).as_posix()
            if self._skipped(rel) or path.name.endswith(".pull"):
                continue
            present.add(rel)
            st = path.stat()
            known = self._manifest.get(rel)
            if known is not None and known[0] == st.st_size and known[1] == st.st_mtime_ns:
                continue
            (self.remote / rel).write_bytes(path.read_bytes())
            self._remember(rel, None)
        for rel in [r for r in self._manifest if r not in present]:
            (self.remote / rel).unlink(missing_ok=True)
            del self._manifest[rel]
        self._write_manifest()

    # -- the manifest ----------------------------------------------------------------------------------------
    def _skipped(self, rel: str) -> bool:
        first = rel.split("/", 1)[0]
        return first in LOCAL_ONLY or first in ON_STORE

    def _remember(self, rel: str, etag: str | None) -> None:
        st = (self.local / rel).stat()
        if etag is None:  # just uploaded: the store's ETag, so the next pull downloads nothing
            etag = _etag(self.remote / rel)
        self._manifest[rel] = [st.st_size, st.st_mtime_ns, etag]

    def _read_manifest(self) -> dict[str, list[Any]]:
        try:
            data = json.loads((self.local / MANIFEST).read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.pop("remote", None) != str(self.remote):
            return {}  # another store's, or unreadable: everything is downloaded again
        return data

    def _write_manifest(self) -> None:
        tmp = self.local / f"{MANIFEST}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps({**self._manifest, "remote": str(self.remote)}))
        os.replace(tmp, self.local / MANIFEST)


def _etag(where: storage.ObjectPath) -> str | None:
    import obstore

    try:
        return str(obstore.head(storage.store(where), where.key).get("e_tag"))
    except Exception:
        return None


def open_mirror(remote: storage.ObjectPath) -> Mirror:
    """The mirror of the checkpoint at `remote`, pulled (one per local folder and process)."""
    from lakeloader.paths import mirror_folder

    local = mirror_folder(str(remote))
    with _lock:
        mirror = _mirrors.get(local)
        if mirror is None:
            mirror = _mirrors[local] = Mirror(remote, local)
    mirror.pull()
    return mirror


def mirror_of(path: Path) -> Mirror | None:
    """The mirror holding `path`, if it is inside one."""
    for folder, mirror in list(_mirrors.items()):
        if path.is_relative_to(folder):
            return mirror
    return None
