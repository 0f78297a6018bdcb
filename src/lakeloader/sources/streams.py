"""Stream state for every source: list a lakehouse's streams, show one (its checkpoint, its source's own state,
its target, its last commit), and reset one (its state moved aside, nothing written to its table) — dlt's
`pipeline info` and `pipeline drop`. Each source says what its state is in `SOURCE_STATE`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeloader.errors import NotFoundError, TerminalError
from lakeloader.execution import registry
from lakeloader.execution.checkpoint import Checkpoint, read_json
from lakeloader.execution.registry import StreamRecord
from lakeloader.execution.stream_state import checkpoint_state, last_plan, target_state
from lakeloader.lakehouse import storage

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

RESET_REASON = "reset by lakeloader streams reset"


def _files_state(record: StreamRecord) -> dict[str, Any]:
    """The ledger's summary, as `lakeloader files state --summary` gives it."""
    from lakeloader.sources.files.ledger import FileLedger, ledger_of

    _, fmt, folder = record.source.split(":", 2)
    path = ledger_of(record.folder)
    counts = FileLedger.open_existing(path).counts() if path.is_file() else {}
    return {"folder": folder, "format": fmt, "files": sum(counts.values()), "ledger": counts}


def _postgres_state(record: StreamRecord) -> dict[str, Any]:
    """The cursor, its high-water mark, the lookback and the last batch's range."""
    from lakeloader.sources.postgres.source import STATE_NAME

    settings = record.settings
    cursor_file = record.folder / "sources" / STATE_NAME / "cursor.json"
    cursor = read_json(cursor_file) if cursor_file.is_file() else {}
    state = checkpoint_state(record.folder)
    last = state["last_commit"]
    plan = (last_plan(record.folder, int(last["batch_id"])) if last else None) or {}
    last_batch = None if last is None else {**last, **{k: plan.get(k) for k in ("kind", "lo", "hi")}}
    return {
        "relation": record.source.split("/", 1)[-1],
        "address": record.address,
        "mode": settings.get("mode"),
        "write_mode": settings.get("write_mode"),
        "cursor": cursor.get("cursor", settings.get("cursor")),
        "high_water_mark": cursor.get("hwm"),
        "lookback": settings.get("lookback"),
        "primary_key": settings.get("primary_key") or [],
        "last_batch": last_batch,
        "reloaded_because": cursor.get("reloaded_because"),
    }


SOURCE_STATE: dict[str, Callable[[StreamRecord], dict[str, Any]]] = {
    "files": _files_state,
    "postgres": _postgres_state,
}


def _location(lakehouse: Lakehouse, target: str) -> storage.Location | None:
    info = lakehouse.metastore.get(target)
    return storage.path(info.location) if info is not None and info.location else None


def list_streams(lakehouse: Lakehouse) -> list[dict[str, Any]]:
    """Every stream the lakehouse knows: ingests' checkpoints wherever they are, and default-storage pipeline flows."""
    rows = []
    for record in registry.every_stream(lakehouse):
        row = {k: v for k, v in record.to_dict().items() if k not in ("settings", "previous_stream_ids")}
        if not record.exists:
            row.update(status="missing", batches=None, rows=None, last_commit_at=None)
        else:
            state = checkpoint_state(record.folder)
            last = state["last_commit"]
            row.update(
                status="running" if state["running"] else "idle",
                stream_id=state["stream_id"],
                batches=state["batches"],
                rows=state["rows"],
                last_commit_at=last["committed_at"] if last else None,
            )
        rows.append(row)
    return rows


def show_stream(lakehouse: Lakehouse, stream: str) -> dict[str, Any]:
    """A stream's state: `stream` is a name from `list_streams` or a checkpoint folder (a /Volumes/... path too)."""
    record = _existing(lakehouse, stream)
    state = checkpoint_state(record.folder)
    ids = [state["stream_id"], *state["previous_stream_ids"]]
    out = {k: v for k, v in record.to_dict().items() if k not in ("stream_id", "previous_stream_ids")}
    out.update(state=state, target_table=target_state(_location(lakehouse, record.target), ids))
    describe = SOURCE_STATE.get(record.kind)
    if describe is not None:
        out[record.kind] = describe(record)
    return out


def _existing(lakehouse: Lakehouse, stream: str) -> StreamRecord:
    record = registry.find(lakehouse, stream)
    if not record.exists:
        raise NotFoundError(
            f"stream {record.name}: its checkpoint {record.checkpoint} is gone (moved or deleted); run the stream "
            "with its new checkpoint folder, which takes over its name"
        )
    return record


def plan_reset(lakehouse: Lakehouse, stream: str) -> dict[str, Any]:
    """What `reset_stream` would do, and what the stream's next run would then do to its table."""
    return _plan(lakehouse, _existing(lakehouse, stream))


def _plan(lakehouse: Lakehouse, record: StreamRecord) -> dict[str, Any]:
    if record.kind == "flow":
        raise TerminalError(
            f"stream {record.name} is flow {record.checkpoint.name} of pipeline {record.pipeline}, whose state is the "
            f"pipeline's; start it over with lakeloader pipelines run --full-refresh-selection {record.target}"
        )
    state = checkpoint_state(record.folder)
    if state["running"]:
        raise TerminalError(
            f"stream {record.name} is running ({state['running']}); stop it first, then reset its checkpoint"
        )
    table = target_state(_location(lakehouse, record.target), [state["stream_id"]])
    next_run, duplicates = _next_run(record, table)
    return {
        "name": record.name,
        "kind": record.kind,
        "checkpoint": str(record.checkpoint),
        "target": record.target,
        "stream_id": state["stream_id"],
        "batches": state["batches"],
        "rows": state["rows"],
        "table_rows": table["rows"],
        "table_version": table["version"],
        "next_run": next_run,
        "duplicates": duplicates,
    }


def reset_stream(lakehouse: Lakehouse, stream: str, *, wait: float = 0.0) -> dict[str, Any]:
    """Start a stream over: its offsets, commits and source state (ledger, high-water mark) move to
    `<checkpoint>/invalidated/<time>/`, and it gets a new stream id, so its next run reads its source from the
    start. Nothing is written to its table: what the next run does with the rows already there is in `next_run`."""
    record = _existing(lakehouse, stream)
    plan = _plan(lakehouse, record)
    meta = read_json(record.folder / "metadata.json")
    checkpoint = Checkpoint(record.checkpoint, target=str(meta["target"]), source=str(meta["source"]))
    with checkpoint.exclusive(wait=wait):
        aside = checkpoint.start_over(RESET_REASON)
        checkpoint.address = record.address
        registry.register(lakehouse.metastore, checkpoint, kind=record.kind, settings=record.settings)
    return {**plan, "previous_stream_id": plan["stream_id"], "stream_id": checkpoint.stream_id, "kept_in": str(aside)}


def _next_run(record: StreamRecord, table: dict[str, Any]) -> tuple[str, bool]:
    """(what the stream's next run does after a reset, whether the table may then hold rows twice)."""
    rows, target = int(table["rows"]), record.target
    if not rows:
        return f"the next run loads its source from the start into {target}, which holds no rows", False
    drop = f"drop the table first (lakeloader tables drop {target}) to load it once"
    if record.kind == "files":
        folder = record.source.split(":", 2)[-1]
        return (
            f"the next run loads every file under {folder} again into {target}, which holds {rows:,} rows: they "
            f"would be there twice; {drop}",
            True,
        )
    settings, relation = record.settings, record.source.split("/", 1)[-1]
    mode, keys = settings.get("mode"), ", ".join(settings.get("primary_key") or [])
    if mode == "incremental" and keys:
        return (
            f"the next run reads {relation} again from the start; the {rows:,} rows {target} holds are skipped by "
            f"primary key ({keys}) and cursor value, so none is doubled",
            False,
        )
    if mode == "incremental":
        return (
            f"the next run would append {relation}'s rows again to {target}, which holds {rows:,} rows, and refuses "
            f"to without a primary key; {drop}, or run it with --primary-key",
            True,
        )
    if mode == "merge":
        return f"the next run merges {relation} from the start into {target} by primary key: no row is doubled", False
    if mode == "full" and settings.get("write_mode") == "overwrite":
        return f"the next run replaces the {rows:,} rows of {target} with a snapshot of {relation}", False
    if mode == "full":
        return (
            f"the next run appends a snapshot of {relation} to the {rows:,} rows of {target}, as every run of a "
            "full append does",
            True,
        )
    return (
        f"the next run reads its source from the start into {target}, which holds {rows:,} rows: they may be "
        f"there twice; {drop}",
        True,
    )
