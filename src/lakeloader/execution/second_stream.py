"""One stream per source and target, unless asked: a new (or mistyped) checkpoint over a table that another stream
already fills from the same source would load everything again, which Auto Loader does without a word.

The metastore's stream records say which streams were pointed at the table and from where; the Delta log says
which of them the table really holds (a `transaction_version` of the snapshot the run opens anyway). A stream
the records do not know (written from another lakehouse root) is found in the commit info of the commits since
the log's last checkpoint, where each stream batch names its checkpoint and source. The check runs only before
a stream's first batch into the table: a stream already in it costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError
from lakeloader.execution.checkpoint import Checkpoint, read_json
from lakeloader.execution.registry import adopt_default_checkpoints, registered, source_key
from lakeloader.lakehouse import delta, deltalog, storage

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

ALLOW_FLAG = "--allow-second-stream (Python: allow_second_stream=True)"


class SecondStreamError(ConfigError):
    """A new stream would fill a table that another stream already fills from the same source."""


def commit_metadata(checkpoint: Checkpoint) -> dict[str, Any]:
    """What each stream batch records in its Delta commit info, so the log itself names the stream."""
    return {"checkpoint": str(checkpoint.path), "stream_source": checkpoint.source}


def refuse_second_stream(
    lakehouse: Lakehouse, checkpoint: Checkpoint, location: storage.Location, *, allow: bool, again: str
) -> None:
    """Refuse, in one line naming the other stream and its checkpoint, a stream's first batch into a table that
    another stream already fills from the same source. Call it holding the stream's lock, after `check_target`.

    `again` says what this stream would do (`load every file again`). A checkpoint moved or renamed keeps its
    stream id, so it is not another stream; nor is the stream's own past under an id a start-over retired.
    """
    if allow or checkpoint.latest_committed() is not None or not delta.is_delta_table(location):
        return
    table = delta.open_table(location)
    if table.transaction_version(checkpoint.stream_id) is not None:
        return  # its first batch is in (a crash before the checkpoint recorded it)
    meta = read_json(checkpoint.path / "metadata.json")
    own = {checkpoint.stream_id, *meta.get("previous_stream_ids", [])}
    key = source_key(checkpoint.source)
    adopt_default_checkpoints(lakehouse)
    known: set[str] = set()
    for other in registered(lakehouse.metastore, target=checkpoint.target):
        known |= other.stream_ids
        if other.checkpoint == checkpoint.path or other.stream_ids & own or other.source_key != key:
            continue
        for stream_id in sorted(other.stream_ids):
            done = table.transaction_version(stream_id)
            if done is not None:
                moved = other.address if other.address and other.address != checkpoint.address else None
                raise _refusal(
                    checkpoint, f"stream {other.name}", str(other.checkpoint), int(done), again,
                    gone=not other.exists, served_from=moved,
                )  # fmt: skip
    for info in deltalog.recent_commit_infos(location, latest=int(table.version())):
        writer, source = info.get("lakeloader.stream_id"), info.get("lakeloader.stream_source")
        if not writer or writer in own or writer in known or not source or source_key(str(source)) != key:
            continue
        done = table.transaction_version(str(writer))
        if done is not None:
            where = str(info.get("lakeloader.checkpoint") or "unknown")
            raise _refusal(checkpoint, "a stream this lakehouse has no record of", where, int(done), again)


def _refusal(
    checkpoint: Checkpoint,
    other: str,
    other_checkpoint: str,
    batch: int,
    again: str,
    *,
    gone: bool = False,
    served_from: str | None = None,
) -> SecondStreamError:
    source = source_key(checkpoint.source).removeprefix("files:")
    where = f"checkpoint {other_checkpoint}" + (", a folder that is gone" if gone else "")
    if served_from:
        where += f", reading the server at {served_from}"
    fix = "" if gone else f"run with its checkpoint {other_checkpoint}, or "
    return SecondStreamError(
        f"table {checkpoint.target} is already filled from {source} by {other} ({where}; its batch {batch} is in), "
        f"and checkpoint {checkpoint.path} is new to the table and would {again}: {fix}pass {ALLOW_FLAG} to fill "
        "it from a second stream on purpose"
    )
