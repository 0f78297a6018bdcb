"""Where streams are: every checkpoint an ingest opens is recorded in the metastore (kind `stream`, scoped to its
target table, named by its folder), so `lakeloader streams` finds it wherever it lives and a second stream from
the same source into one table can be named.

A record holds the stream's listed name, its source identity, its stream ids (the current one and those a
start-over retired) and the settings a run used (a Postgres cursor and lookback). The checkpoint stays the
truth about the stream's progress, and the Delta log about what its target holds; a record only says where to
look. Pipelines' flows keep their checkpoints in the pipeline's storage and are found there, not recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeloader.errors import LakeloaderError, NotFoundError, TerminalError
from lakeloader.execution.checkpoint import Checkpoint, read_json
from lakeloader.lakehouse import storage

if TYPE_CHECKING:
    from lakeloader.lakehouse.metastore import Metastore, Record
    from lakeloader.lakehouse.root import Lakehouse

RECORD_KIND = "stream"
META = "metadata.json"


@dataclass(frozen=True)
class StreamRecord:
    """One known stream: its listed name, checkpoint folder, target and source."""

    name: str
    checkpoint: storage.Location  # a local folder, or a checkpoint on an object store
    target: str
    kind: str  # files | postgres | flow (a pipeline's)
    source: str  # the checkpoint's source identity: files:<format>:<folder>, postgresql:<db>/<relation>, ...
    stream_id: str
    previous_stream_ids: tuple[str, ...] = ()
    address: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    registered_at: str = ""
    pipeline: str | None = None

    @property
    def stream_ids(self) -> set[str]:
        """Every id the stream has committed under: a start-over (reset, target dropped) retires the old one."""
        return {self.stream_id, *self.previous_stream_ids}

    @property
    def source_key(self) -> str:
        return source_key(self.source)

    @property
    def exists(self) -> bool:
        return (self.checkpoint / META).is_file()

    @property
    def folder(self) -> Path:
        """The checkpoint's local folder: itself, or the local mirror of one on an object store (pulled now)."""
        if isinstance(self.checkpoint, storage.ObjectPath):
            from lakeloader.execution.mirror import open_mirror

            return open_mirror(self.checkpoint).local
        return self.checkpoint

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "source": self.source,
            "checkpoint": str(self.checkpoint),
            "stream_id": self.stream_id,
            "previous_stream_ids": list(self.previous_stream_ids),
            "address": self.address,
            "settings": self.settings,
            "registered_at": self.registered_at,
            "pipeline": self.pipeline,
        }


def source_key(source: str) -> str:
    """What "the same source" compares: a files stream's folder, whatever format it is read as; else the identity
    (a Postgres stream's database and relation, as its checkpoint is keyed)."""
    if source.startswith("files:"):
        return "files:" + source.split(":", 2)[-1]
    return source


def kind_of(source: str) -> str:
    if source.startswith("files:"):
        return "files"
    if source.startswith("postgresql"):
        return "postgres"
    return "flow"


def _from_record(record: Record) -> StreamRecord:
    p = record.properties
    return StreamRecord(
        name=str(p.get("name") or record.name),
        checkpoint=storage.path(record.name),
        target=record.scope,
        kind=str(p.get("kind", "files")),
        source=str(p.get("source", "")),
        stream_id=str(p.get("stream_id", "")),
        previous_stream_ids=tuple(p.get("previous_stream_ids", ())),
        address=p.get("address"),
        settings=dict(p.get("settings") or {}),
        registered_at=record.created_at,
    )


def _held_stream_id(folder: storage.Location) -> str | None:
    try:
        return str(read_json(folder / META).get("stream_id"))
    except (OSError, TerminalError):
        return None


def register(
    metastore: Metastore, checkpoint: Checkpoint, *, kind: str, settings: dict[str, Any] | None = None
) -> StreamRecord:
    """Record (or bring up to date) the stream of `checkpoint`; call it holding the stream's lock.

    A new checkpoint gets the target's name as its listed name (`main.bronze.t`), or `main.bronze.t#2`, ... when
    other streams fill the same table; a checkpoint moved or renamed (its old folder gone, the same stream id)
    takes over its old record and name. Writes to the metastore only when something changed.
    """
    meta = read_json(checkpoint.path / META)
    props: dict[str, Any] = {
        "kind": kind,
        "source": checkpoint.source,
        "address": checkpoint.address,
        "stream_id": checkpoint.stream_id,
        "previous_stream_ids": list(meta.get("previous_stream_ids", [])),
        "settings": settings or {},
    }
    where = str(checkpoint.location)
    existing = metastore.get_record(RECORD_KIND, where, scope=checkpoint.target)
    if existing is not None:
        props["name"] = existing.properties.get("name") or checkpoint.target
        if existing.properties == props:
            return _from_record(existing)
    else:
        props["name"] = _claim_name(metastore, checkpoint)
    return _from_record(
        metastore.put_record(kind=RECORD_KIND, scope=checkpoint.target, name=where, properties=props, replace=True)
    )


def _claim_name(metastore: Metastore, checkpoint: Checkpoint) -> str:
    others = [_from_record(r) for r in metastore.find_records(RECORD_KIND, scope=checkpoint.target)]
    for other in others:
        moved = checkpoint.stream_id in other.stream_ids and _held_stream_id(other.checkpoint) != other.stream_id
        if moved:  # the same stream, whose folder is gone from where it was recorded: this is its new place
            metastore.delete_records(RECORD_KIND, scope=checkpoint.target, names=[str(other.checkpoint)])
            return other.name
    taken = {o.name for o in others}
    name, n = checkpoint.target, 1
    while name in taken:
        n += 1
        name = f"{checkpoint.target}#{n}"
    return name


def registered(metastore: Metastore, *, target: str | None = None) -> list[StreamRecord]:
    """The recorded streams (of one target), oldest first."""
    found = [_from_record(r) for r in metastore.find_records(RECORD_KIND, scope=target)]
    return sorted(found, key=lambda r: (r.registered_at, r.name))


def adopt_default_checkpoints(lakehouse: Lakehouse) -> list[StreamRecord]:
    """Record the checkpoints in the lakehouse's default places that streams opened before they were recorded.

    Returns those it could not record (a lakehouse this user may only read), read from their own metadata.
    """
    base = lakehouse.state_dir / "checkpoints"
    if not base.is_dir():
        return []
    known = {str(r.checkpoint) for r in registered(lakehouse.metastore)}
    unrecorded = []
    for meta_file in sorted([*base.glob(f"*/{META}"), *base.glob(f"*/postgres/{META}")]):
        folder = meta_file.parent.absolute()
        record = None if str(folder) in known else record_of(folder)
        if record is None:
            continue  # recorded already, or not a stream's checkpoint
        if getattr(lakehouse.metastore, "read_only", False):
            unrecorded.append(record)
            continue
        checkpoint = Checkpoint(folder, target=record.target, source=record.source)
        checkpoint.address = record.address
        register(lakehouse.metastore, checkpoint, kind=record.kind)
    return unrecorded


def pipeline_flows(lakehouse: Lakehouse) -> list[StreamRecord]:
    """The streaming flows of pipelines kept in the default storage (`<state>/pipelines/<name>/checkpoints/
    <table>/<flow>`), named `<pipeline>/<flow>`."""
    out = []
    for meta_file in sorted(lakehouse.state_dir.glob(f"pipelines/*/checkpoints/*/*/{META}")):
        folder = meta_file.parent
        if ".replaced-" in folder.name:
            continue
        pipeline = folder.parents[2].name
        record = record_of(folder, name=f"{pipeline}/{folder.name}", kind="flow")
        if record is not None:
            out.append(dataclasses.replace(record, pipeline=pipeline))
    return out


def record_of(folder: Path, *, name: str | None = None, kind: str | None = None) -> StreamRecord | None:
    """A record made from a checkpoint folder's own metadata (a stream that is not recorded)."""
    try:
        meta = read_json(folder / META)
    except (OSError, TerminalError):
        return None
    if not isinstance(meta, dict) or "stream_id" not in meta or "target" not in meta:
        return None
    source = str(meta.get("source", ""))
    return StreamRecord(
        name=name or str(folder),
        checkpoint=folder.absolute(),
        target=str(meta.get("target", "")),
        kind=kind or kind_of(source),
        source=source,
        stream_id=str(meta["stream_id"]),
        previous_stream_ids=tuple(meta.get("previous_stream_ids", ())),
        address=meta.get("address"),
        registered_at=str(meta.get("created_at", "")),
    )


def every_stream(lakehouse: Lakehouse) -> list[StreamRecord]:
    """The recorded streams (default checkpoints adopted first), then the pipelines' flows."""
    unrecorded = adopt_default_checkpoints(lakehouse)
    return [*registered(lakehouse.metastore), *unrecorded, *pipeline_flows(lakehouse)]


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.startswith(("~", "."))


def find(lakehouse: Lakehouse, text: str) -> StreamRecord:
    """The stream named `text` in `lakeloader streams list`, or the one whose checkpoint folder is `text` (a plain
    path or a /Volumes/... path; a checkpoint no one recorded is read from its own metadata)."""
    streams = every_stream(lakehouse)
    named = [s for s in streams if s.name == text]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise TerminalError(
            f"stream name {text} is held by {len(named)} checkpoints ({', '.join(str(s.checkpoint) for s in named)}); "
            "pass the checkpoint folder instead"
        )
    if not _looks_like_path(text):
        with contextlib.suppress(LakeloaderError):  # a two-level table name, in the current catalog
            full = str(lakehouse.parse_table_name(text))
            named = [s for s in streams if s.name == full]
            if len(named) == 1:
                return named[0]
    if _looks_like_path(text):
        folder = lakehouse.resolve_path(text)
        for s in streams:
            if s.checkpoint == folder:
                return s
        record = record_of(folder)
        if record is not None:
            return record
        raise NotFoundError(
            f"checkpoint {folder}: no stream's metadata.json there (not a checkpoint, or its stream never ran); "
            "lakeloader streams list shows the known streams and their checkpoints"
        )
    close = difflib.get_close_matches(text, [s.name for s in streams], n=3, cutoff=0.6)
    also = f" (did you mean {', '.join(close)}?)" if close else ""
    raise NotFoundError(
        f"stream {text} is not known{also}; lakeloader streams list shows the names, or pass the checkpoint folder"
    )
