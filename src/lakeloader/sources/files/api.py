"""`read_files`: a one-off read of files into Arrow (Databricks' `read_files` table function), no checkpoint."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from lakeloader.errors import TerminalError
from lakeloader.sources.files import extras
from lakeloader.sources.files.discovery import make_lister
from lakeloader.sources.files.formats import create_reader, read_file, sniff
from lakeloader.sources.files.options import parse_options
from lakeloader.sources.files.schema import SchemaFitter, load_declared_schema


def read_files(path: str | os.PathLike[str], *, format: str, schema: Any = None, **options: Any) -> pa.Table:
    """Read every matching file under `path` into one Arrow table.

    Schemas of all files are merged (new columns added); malformed input follows `mode` (PERMISSIVE keeps the
    raw text in `_corrupt_record`, DROPMALFORMED drops it, FAILFAST raises). `/Volumes/...` paths resolve in
    the lakehouse of $LAKELOADER_ROOT.
    """
    from lakeloader.lakehouse.root import Lakehouse

    opts = parse_options({**options, "format": format})
    root = Lakehouse().resolve_location(path) if os.fspath(path).startswith("/Volumes/") else path
    declared = schema if isinstance(schema, pa.Schema) or schema is None else load_declared_schema(schema)
    files = sorted(make_lister(root, path_glob_filter=opts.path_glob_filter).list_files(), key=lambda e: e.path)
    for e in files:
        sniff.check(e.path, opts.format)
    reader = create_reader(opts.format)
    fitter = SchemaFitter(
        schema=declared,
        mode=opts.evolution_mode(declared=declared is not None) if declared is not None else "addNewColumns",
        rescue_column=opts.rescue_column(declared=declared is not None),
        strings_only=opts.format in ("json", "csv") and not opts.infer_column_types and declared is None,
        text_format=opts.format in ("json", "csv", "text"),
        hints=opts.schema_hints,
        table_name=os.fspath(path),
    )
    decoded = [(e, read_file(reader, e.path, opts, declared)) for e in files]
    for e, got in decoded:
        if got.table is not None and got.table.num_columns:
            fitter.observe(got.table.schema, e.path)
    if fitter.schema is None:
        fitter.schema = pa.schema([])
    tables: list[pa.Table] = []
    corrupt_any = False
    now = datetime.now(UTC)
    for e, got in decoded:
        bad = list(got.bad)
        table = None
        if got.table is not None and got.table.num_columns:
            fitted = fitter.fit(got.table, e.path)
            bad += fitted.bad
            table = fitted.table
        if bad and opts.mode == "FAILFAST":
            raise TerminalError(f"file {bad[0].file_path}: {bad[0].reason}; mode is FAILFAST")
        corrupt = [b for b in bad if b.raw is not None and b.rows == 1]
        if corrupt and opts.mode == "PERMISSIVE" and opts.format in ("json", "csv", "text"):
            table = extras.append_corrupt(table, fitter.schema, corrupt, opts.corrupt_record_column)
            corrupt_any = True
        if table is not None:
            file = [e.path, e.size, e.mtime_ns]
            tables.append(extras.add_columns(table, file, opts, batch_id=0, ingested_at=now))
    out = extras.output_schema(fitter, opts, corrupt=corrupt_any)
    return pa.concat_tables([extras.conform(t, out) for t in tables]) if tables else out.empty_table()
