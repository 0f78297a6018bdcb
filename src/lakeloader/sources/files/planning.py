"""Planning a files batch: ONE listing per run (Spark's availableNow: what is there at the start), minus the ledger,
then a second look at each planned file so files still being written wait for the next run.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from lakeloader.errors import ConfigError
from lakeloader.execution.checkpoint import Checkpoint
from lakeloader.lakehouse import delta, storage
from lakeloader.sources.files import discovery, extras
from lakeloader.sources.files.discovery import AnyLister, FileEntry
from lakeloader.sources.files.ledger import FileLedger, LedgerEntry
from lakeloader.sources.files.options import FilesOptions

log = logging.getLogger(__name__)


def no_metadata_error(table_name: str) -> ConfigError:
    return ConfigError(
        f"table {table_name}: allowOverwrites finds a rewritten file's rows by _metadata.file_path but the table "
        "has no _metadata column; turn allowOverwrites off (rewritten files are then left alone), or load into "
        "a new table with allowOverwrites on from its first run"
    )


def table_has_metadata(location: storage.Location | None) -> bool:
    return location is None or not delta.is_delta_table(location) or "_metadata" in extras.table_schema(location).names


class Planner:
    """Takes the new files of the folder, batch by batch, within maxFilesPerTrigger / maxBytesPerTrigger."""

    def __init__(
        self,
        *,
        lister: AnyLister,
        ledger: FileLedger,
        options: FilesOptions,
        table_location: storage.Location | None,
        table_name: str,
    ) -> None:
        self.lister = lister
        self.ledger = ledger
        self.options = options
        self.table_location = table_location
        self.table_name = table_name
        self.queue: deque[tuple[FileEntry, bool]] | None = None
        self.waiting = 0
        self.refused: list[str] = []

    def _discover(self, checkpoint: Checkpoint) -> deque[tuple[FileEntry, bool]]:
        started = self.ledger.started() or checkpoint.latest_planned() is not None
        if self.options.allow_overwrites:  # a known path may come back changed: look at every file
            versions = self.ledger.seen()
            listing = self.lister.listing()
            new = [(e, e.path in versions) for e in listing.files if versions.get(e.path) != (e.size, e.mtime_ns)]
            if any(replace for _, replace in new) and not table_has_metadata(self.table_location):
                raise no_metadata_error(self.table_name)  # before a plan that could never commit is written
        else:  # one listing and a set lookup per file; known files are not even stat'ed
            known = self.ledger.paths()
            after = None
            root = str(self.lister.root) + "/"
            if self.options.use_incremental_listing == "true" and "://" in root:  # Auto Loader's option: S3 lists
                after = max((p for p in known if p.startswith(root)), default=None)  # keys in lexical order
            listing = self.lister.listing(known=known, start_after=after)
            new = [(e, False) for e in listing.files]
        self.refused = listing.refused
        if listing.refused:
            log.warning(
                "files source: %d symlinks lead outside %s and are never read (first: %s)",
                len(listing.refused),
                self.lister.root,
                listing.refused[0],
            )
        if not started:  # includeExistingFiles is read when the stream first starts, as in Auto Loader
            skipped = [] if self.options.include_existing_files else [e for e, _ in new]
            self.ledger.start(LedgerEntry(e.path, e.size, e.mtime_ns, -1, "skipped") for e in skipped)
            if skipped:
                return deque()
        new.sort(key=lambda item: (item[0].mtime_ns, item[0].path))
        return deque(new)

    def plan_next(self, checkpoint: Checkpoint, *, unlimited: bool = False) -> dict[str, Any] | None:
        if self.queue is None:
            self.queue = self._discover(checkpoint)
        files: list[list[Any]] = []
        size = 0
        max_files = None if unlimited else self.options.max_files_per_trigger
        max_bytes = None if unlimited else self.options.max_bytes_per_trigger
        while self.queue and (max_files is None or len(files) < max_files):
            if max_bytes is not None and files and size >= max_bytes:
                break
            take: list[tuple[FileEntry, bool]] = []
            while self.queue and len(take) < 256:
                take.append(self.queue.popleft())
            stable, waiting, empty = discovery.split_stable(
                [e for e, _ in take], zero_byte_grace=self.options.zero_byte_file_grace
            )
            self.waiting += len(waiting)
            ok = {e.path: e for e in stable + empty}
            leftover: list[tuple[FileEntry, bool]] = []
            for entry, replace in take:
                got = ok.get(entry.path)
                if got is None:
                    continue
                if (max_files is not None and len(files) >= max_files) or (
                    max_bytes is not None and files and size >= max_bytes
                ):
                    leftover.append((entry, replace))
                    continue
                files.append([got.path, got.size, got.mtime_ns, replace])
                size += got.size
            self.queue.extendleft(reversed(leftover))  # next batch starts where this one stopped
        if not files:
            return None
        return {"batch_id": checkpoint.next_batch_id(), "files": files, "bytes": size}
