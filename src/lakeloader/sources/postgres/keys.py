"""Primary keys of a batch, checked before anything is committed: no NULL key, one row per key for a merge.

A NULL key never matches (`t.id = s.id` is NULL), so its row would be added again by every run; two rows of one
key would both be inserted by a first merge and fail every later one. Both stop the batch with one line naming
the key and a sample. With `sequence_by` (Databricks' APPLY CHANGES word) a merge keeps, of the rows of one key,
the one with the highest sequence value instead; two rows of one key at one sequence value stay an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pyarrow as pa

from lakeloader.errors import TerminalError

SAMPLE = 3


def _sample(table: pa.Table, keys: Sequence[str]) -> str:
    rows = table.slice(0, SAMPLE).to_pylist()
    return ", ".join("(" + ", ".join(f"{k}={row[k]!r}" for k in keys) + f": {row['n']} rows)" for row in rows)


def _null_key_error(where: str, keys: Sequence[str], count: int) -> TerminalError:
    names = ", ".join(keys)
    test = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    return TerminalError(
        f"postgres source {where}: primary key {names} is NULL in {count} row(s); a NULL key matches no row, so "
        f"such rows would be added again by every run: filter them out (--filter '{test}') or pick a key that is "
        "never NULL"
    )


def _null_keys(batch: pa.RecordBatch | pa.Table, keys: Sequence[str]) -> int:
    import pyarrow.compute as pc

    nulls = None
    for key in keys:
        column = batch.column(key)
        this = pc.is_null(column)
        nulls = this if nulls is None else pc.or_(nulls, this)
    return 0 if nulls is None else int(pc.sum(nulls).as_py() or 0)


def _repeated(keys_table: pa.Table, keys: Sequence[str]) -> pa.Table:
    import pyarrow.compute as pc

    counts = keys_table.group_by(list(keys)).aggregate([([], "count_all")]).rename_columns([*keys, "n"])
    return counts.filter(pc.greater(counts.column("n"), 1))


def checked(
    data: pa.RecordBatchReader,
    *,
    keys: Sequence[str],
    unique: bool,
    where: str,
    fail: Callable[[TerminalError], TerminalError],
) -> pa.RecordBatchReader:
    """`data` as it streams, failing on a NULL key, and (with `unique`) on a key seen twice, at its end.

    `fail` records the error for the retry logic (a reader's error comes back from delta-rs as its own text)
    and returns it to be raised.
    """
    seen: list[pa.Table] = []

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in data:
            count = _null_keys(batch, keys)
            if count:
                raise fail(_null_key_error(where, keys, count))
            if unique:
                seen.append(pa.Table.from_batches([batch.select(list(keys))]))
            yield batch
        if unique and seen:
            repeated = _repeated(pa.concat_tables(seen), keys)
            if repeated.num_rows:
                raise fail(
                    TerminalError(
                        f"postgres source {where}: primary key {', '.join(keys)} is not unique in the rows read: "
                        f"{repeated.num_rows} key(s) appear more than once, e.g. {_sample(repeated, keys)}; a merge "
                        "needs one row per key: fix --primary-key, or keep the latest row of each key with "
                        "--sequence-by COLUMN"
                    )
                )

    return pa.RecordBatchReader.from_batches(data.schema, batches())


def latest_per_key(table: pa.Table, *, keys: Sequence[str], sequence_by: str, where: str) -> pa.Table:
    """Of the rows of each key, the one with the highest `sequence_by` (NULLs and ties are errors)."""
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return table
    count = _null_keys(table, keys)
    if count:
        raise _null_key_error(where, keys, count)
    nulls = int(pc.sum(pc.is_null(table.column(sequence_by))).as_py() or 0)
    if nulls:
        raise TerminalError(
            f"postgres source {where}: sequence_by column {sequence_by} is NULL in {nulls} row(s), which cannot be "
            f"ordered (as in Databricks' APPLY CHANGES); filter them out (--filter '{sequence_by} IS NOT NULL')"
        )
    index = "__lakeloader_row"
    slim = table.select([*keys, sequence_by]).append_column(index, pa.array(range(table.num_rows), pa.int64()))
    latest = slim.group_by(list(keys)).aggregate([(sequence_by, "max")])
    top = slim.join(latest, keys=[*keys, sequence_by], right_keys=[*keys, f"{sequence_by}_max"], join_type="inner")
    if top.num_rows != latest.num_rows:
        tied = _repeated(top.select(list(keys)), keys)
        raise TerminalError(
            f"postgres source {where}: {tied.num_rows} key(s) have two rows at the same {sequence_by}, e.g. "
            f"{_sample(tied, keys)}; which is the latest cannot be told: use a sequence_by column that orders them"
        )
    rows = top.column(index)
    return table.take(pc.take(rows, pc.sort_indices(rows)))  # in the order they were read
