"""Type rules at every depth: widening never drops a nested field, evolution adds nested fields to the table."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from lakeloader.errors import SchemaMismatchError
from lakeloader.lakehouse import delta, types

NAME = pa.struct([("name", pa.string())])
NAME_EMAIL = pa.struct([("name", pa.string()), ("email", pa.string())])


def test_a_struct_with_a_field_the_target_lacks_does_not_widen() -> None:
    assert not types.can_widen(NAME_EMAIL, NAME)
    assert types.can_widen(NAME, NAME_EMAIL)  # a missing field reads as null
    assert not types.can_widen(pa.list_(NAME_EMAIL), pa.list_(NAME))
    assert not types.can_widen(pa.map_(pa.string(), NAME_EMAIL), pa.map_(pa.string(), NAME))
    assert types.can_widen(pa.struct([("n", pa.int32())]), pa.struct([("n", pa.int64())]))


def test_plan_append_evolves_nested_fields_or_refuses() -> None:
    table = pa.schema([("id", pa.int64()), ("c", NAME), ("l", pa.list_(NAME))])
    incoming = pa.schema([("id", pa.int32()), ("c", NAME_EMAIL), ("l", pa.list_(NAME_EMAIL))])
    target = types.plan_append(incoming, table, table_name="t", evolve=True)
    assert target == pa.schema([("id", pa.int64()), ("c", NAME_EMAIL), ("l", pa.list_(NAME_EMAIL))])
    with pytest.raises(SchemaMismatchError, match=r"c\.email"):
        types.plan_append(incoming, table, table_name="t", evolve=False)


def test_a_delta_append_adds_the_nested_field(tmp_path: Path) -> None:
    location = tmp_path / "t"
    delta.write(location, pa.table({"id": [1], "c": pa.array([{"name": "Ann"}], NAME)}))
    delta.write(location, pa.table({"id": [2], "c": pa.array([{"name": "Bob", "email": "b@x"}], NAME_EMAIL)}))
    rows = sorted(delta.open_table(location).to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
    assert rows == [{"id": 1, "c": {"name": "Ann", "email": None}}, {"id": 2, "c": {"name": "Bob", "email": "b@x"}}]
