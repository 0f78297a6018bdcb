"""Acceptance (issue 10): files whose nested schemas evolve — fields added, widened or retyped, colliding by case,
dropped, at random depths — in every format and evolution mode. Every value written is found again: in its
column, in `_rescued_data` (same nesting), or in the bad records; only mode `none` may drop new fields, as
documented.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakeloader.errors import SchemaMismatchError
from lakeloader.lakehouse.root import Lakehouse
from lakeloader.sources.files.runner import ingest_files

# A type is "int" | "long" | "float" | "string" | ("struct", ((name, type), ...)) | ("list", struct type)
Type = Any
LEAVES = ("int", "long", "float", "string")
NAMES = ["a", "b", "c", "d", "e", "ab", "bc"]
MISSING = object()


def _is_struct(t: Type) -> bool:
    return isinstance(t, tuple) and t[0] == "struct"


def _leaf(draw: st.DrawFn, fmt: str) -> Type:
    return draw(st.sampled_from(("string",) if fmt == "csv" else LEAVES))


def _type(draw: st.DrawFn, fmt: str, depth: int) -> Type:
    if fmt == "csv" or depth >= 3 or draw(st.integers(0, 2)):
        return _leaf(draw, fmt)
    inner = _struct(draw, fmt, depth + 1)
    return inner if draw(st.booleans()) else ("list", inner)


def _struct(draw: st.DrawFn, fmt: str, depth: int, taken: tuple[str, ...] = ()) -> Type:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    return ("struct", tuple((n, _type(draw, fmt, depth)) for n in names if n not in taken))


def _structs(t: Type, path: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """Paths (field indexes) of every struct in `t`, itself included."""
    out = [path]
    for i, (_, ft) in enumerate(t[1]):
        inner = ft[1] if isinstance(ft, tuple) and ft[0] == "list" else ft
        if _is_struct(inner):
            out += _structs(inner, (*path, i))
    return out


def _edit(t: Type, path: tuple[int, ...], change: Any) -> Type:
    """`t` with the struct at `path` replaced by change(struct)."""
    if not path:
        return change(t)
    fields = list(t[1])
    name, ft = fields[path[0]]
    if isinstance(ft, tuple) and ft[0] == "list":
        fields[path[0]] = (name, ("list", _edit(ft[1], path[1:], change)))
    else:
        fields[path[0]] = (name, _edit(ft, path[1:], change))
    return ("struct", tuple(fields))


@st.composite
def _evolve(draw: st.DrawFn, t: Type, fmt: str) -> Type:
    """One change at a random depth: add, drop, widen or retype a field, or give one another case."""
    where = draw(st.sampled_from(_structs(t) if fmt != "csv" else [()]))
    op = draw(st.sampled_from(["add", "drop", "widen", "retype", "case"]))

    def change(s: Type) -> Type:
        fields = [f for f in s[1] if f[0] != "id"]
        keep = [f for f in s[1] if f[0] == "id"]
        lower = {n.lower() for n, _ in s[1]}
        if op == "add" or not fields:
            free = [n for n in NAMES if n not in lower]
            if free:
                fields.append((draw(st.sampled_from(free)), _type(draw, fmt, len(where) + 1)))
        elif op == "drop" and len(fields) > 1:
            fields.pop(draw(st.integers(0, len(fields) - 1)))
        elif op == "widen":
            i = draw(st.integers(0, len(fields) - 1))
            name, ft = fields[i]
            wider = {"int": "long", "long": "float", "float": "string"}
            fields[i] = (name, wider.get(ft, ft) if fmt != "csv" else ft)
        elif op == "retype":
            i = draw(st.integers(0, len(fields) - 1))
            name, ft = fields[i]
            fields[i] = (name, _leaf(draw, fmt) if not isinstance(ft, str) else _type(draw, fmt, len(where) + 1))
        else:  # case: the same name in another case, beside it (not CSV: Spark renames those) or instead of it
            i = draw(st.integers(0, len(fields) - 1))
            name, ft = fields[i]
            other = name.upper() if name.islower() else name.lower()
            if other in {n for n, _ in s[1]}:
                pass  # that spelling is there already (two fields of one name are not valid input)
            elif fmt != "csv" and draw(st.booleans()):
                fields.insert(i + 1, (other, _type(draw, fmt, len(where) + 1)))
            else:
                fields[i] = (other, ft)
        return ("struct", tuple(keep + fields))

    return _edit(t, where, change)


def _value(draw: st.DrawFn, t: Type) -> Any:
    if t == "int":
        return draw(st.integers(-(2**31), 2**31 - 1))
    if t == "long":
        return draw(st.integers(-(2**40), 2**40))
    if t == "float":
        return draw(st.sampled_from([0.5, -1.25, 3.75, 1e-3]))
    if t == "string":
        return draw(st.text(alphabet="xyzXYZ q", min_size=1, max_size=4))
    if t[0] == "list":
        return [_value(draw, t[1]) for _ in range(draw(st.integers(0, 2)))]
    return {name: _value(draw, ft) for name, ft in t[1]}


_ids = itertools.count(1)


@st.composite
def scenario(draw: st.DrawFn, fmt: str) -> list[tuple[Type, list[dict[str, Any]]]]:
    """2–4 files: (schema, rows), each schema one or two changes from the one before."""
    first = _struct(draw, fmt, 1, taken=("id",))
    t: Type = ("struct", (("id", "long" if fmt != "csv" else "string"), *first[1]))
    files = []
    for k in range(draw(st.integers(2, 4))):
        if k:
            for _ in range(draw(st.integers(1, 2))):
                t = draw(_evolve(t, fmt))
        rows = []
        for _ in range(draw(st.integers(1, 3))):
            row = _value(draw, t)
            row["id"] = next(_ids) if fmt != "csv" else str(next(_ids))
            rows.append(row)
        files.append((t, rows))
    return files


# -- writing the files ---------------------------------------------------------------------------------------
_ARROW = {"int": pa.int32(), "long": pa.int64(), "float": pa.float64(), "string": pa.string()}


def _arrow(t: Type) -> pa.DataType:
    if isinstance(t, str):
        return _ARROW[t]
    if t[0] == "list":
        return pa.list_(_arrow(t[1]))
    return pa.struct([pa.field(n, _arrow(ft)) for n, ft in t[1]])


_avro_names = itertools.count()


def _avro(t: Type) -> Any:
    if isinstance(t, str):
        return {"int": "int", "long": "long", "float": "double", "string": "string"}[t]
    if t[0] == "list":
        return {"type": "array", "items": _avro(t[1])}
    return {
        "type": "record",
        "name": f"r{next(_avro_names)}",
        "fields": [{"name": n, "type": _avro(ft)} for n, ft in t[1]],
    }


def _write(fmt: str, path: Path, t: Type, rows: list[dict[str, Any]]) -> None:
    if fmt == "json":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(list(_arrow(t)))), path)
    elif fmt == "avro":
        import fastavro

        with open(path, "wb") as fh:
            fastavro.writer(fh, _avro(t), rows)
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        names = [n for n, _ in t[1]]
        writer.writerow(names)
        writer.writerows([[r[n] for n in names] for r in rows])
        path.write_text(buf.getvalue())


# -- finding every value again -----------------------------------------------------------------------------
def _same(stored: Any, value: Any) -> bool:
    """Equal as values: a number widened losslessly (0 → 0.0) is the same, text compares as text."""
    numbers = (int, float)
    if isinstance(stored, numbers) and isinstance(value, numbers) and not isinstance(stored, bool):
        return bool(stored == value)
    return (str(stored).lower() if isinstance(stored, bool) else str(stored)) == str(value)


def _leaves(v: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(v, dict):
        return [leaf for k, x in v.items() for leaf in _leaves(x, (*path, k))]
    if isinstance(v, list):
        return [leaf for i, x in enumerate(v) for leaf in _leaves(x, (*path, i))]
    return [(path, v)]


def _lookup(obj: Any, path: tuple[Any, ...], *, any_case: bool = False) -> Any:
    for step in path:
        if isinstance(obj, str) and obj[:1] in "[{":  # a nested value stored as its JSON text
            try:
                obj = json.loads(obj)
            except ValueError:
                return MISSING
        if isinstance(step, int) and isinstance(obj, list) and step < len(obj):
            obj = obj[step]
        elif isinstance(step, str) and isinstance(obj, dict):
            if step in obj:
                obj = obj[step]
            elif any_case and [k for k in obj if k.lower() == step.lower()]:
                obj = obj[next(k for k in obj if k.lower() == step.lower())]
            else:
                return MISSING
        else:
            return MISSING
    return obj


def _known(schema: pa.DataType, path: tuple[Any, ...]) -> bool:
    """True if the table's type has `path` in this very spelling (list indexes step into elements)."""
    t = schema
    for step in path:
        if isinstance(step, int):
            if not pa.types.is_list(t):
                return False
            t = t.value_type
            continue
        if not pa.types.is_struct(t):
            return False
        hits = [t.field(i) for i in range(t.num_fields) if t.field(i).name == step]
        if not hits:
            return False
        t = hits[0].type
    return True


def _check(lh: Lakehouse, table: str, bad_location: Path, mode: str, written: list[dict[str, Any]]) -> None:
    from deltalake import DeltaTable

    got = pa.table(DeltaTable(str(lh.table(table).location)).to_pyarrow_table())
    by_id = {str(r["id"]): r for r in got.to_pylist() if r.get("id") is not None}
    bad_rows: dict[str, list[Any]] = {}
    if (bad_location / "_delta_log").is_dir():
        for b in DeltaTable(str(bad_location)).to_pyarrow_table().to_pylist():
            if b["raw"]:
                with_id = json.loads(b["raw"])
                bad_rows.setdefault(str(with_id.get("id")), []).append(with_id)
    table_type = pa.struct(list(got.schema))
    for row in written:
        rid = str(row["id"])
        stored = by_id.get(rid)
        assert stored is not None or rid in bad_rows, f"row {rid} is nowhere: {row}"
        rescued = json.loads(stored["_rescued_data"]) if stored and stored.get("_rescued_data") else {}
        for path, value in _leaves(row):
            places = [_lookup(rescued, path)] + [_lookup(b, path) for b in bad_rows.get(rid, [])]
            if stored is not None:
                places.append(_lookup(stored, path, any_case=mode == "none"))
            if any(p is not MISSING and p is not None and _same(p, value) for p in places):
                continue
            if mode == "none" and not _known(table_type, path):
                continue  # mode none ignores new fields (other spellings too), knowingly, as Auto Loader documents
            raise AssertionError(f"value {value!r} at {path} of row {rid} is nowhere: {row} → {stored}")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["addNewColumns", "rescue", "failOnNewColumns", "none"])
@pytest.mark.parametrize("fmt", ["json", "parquet", "avro", "csv"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_value_is_found_again(lakehouse: Lakehouse, tmp_path: Path, fmt: str, mode: str, data: Any) -> None:
    lh = lakehouse
    lh.create_catalog("main", if_not_exists=True)
    lh.create_schema("bronze", if_not_exists=True)
    files = data.draw(scenario(fmt), label="files")
    typed = fmt == "json" and data.draw(st.booleans(), label="inferColumnTypes")
    run = uuid.uuid4().hex[:8]
    landing, cp, table = tmp_path / run / "landing", tmp_path / run / "cp", f"bronze.t_{run}"
    landing.mkdir(parents=True)
    options: dict[str, Any] = {"format": fmt, "inferColumnTypes": typed, "zeroByteFileGracePeriod": "0s"}
    if fmt == "csv":
        options["header"] = True
    written: list[dict[str, Any]] = []
    k = 0
    while k < len(files):
        together = 2 if k + 1 < len(files) and data.draw(st.booleans(), label="two in one batch") else 1
        for t, rows in files[k : k + together]:
            path = landing / f"{k:02d}.{fmt}"
            _write(fmt, path, t, rows)
            os.utime(path, ns=(10**18 + k * 10**9,) * 2)
            written += rows
            k += 1
        try:
            ingest_files(table, path=landing, checkpoint=cp, lakehouse=lh, schemaEvolutionMode=mode, **options)
        except SchemaMismatchError:
            assert mode == "failOnNewColumns"
            # the fix the message offers: let this batch add its columns, then go on failing on new ones
            ingest_files(
                table, path=landing, checkpoint=cp, lakehouse=lh, schemaEvolutionMode="addNewColumns", **options
            )
    _check(lh, table, cp / "bad_records", mode, written)
