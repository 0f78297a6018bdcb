"""The parity harness itself: Spark answers and reads the very data lakeloader has, answers are cached and read
without Spark, the comparison says equal / refused / different for the right reasons, the corpus is sound.

What lakeloader answers is judged in test_parity.py; these tests pass whatever the translator does.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.parity import edge_data, engines
from tests.parity.compare import Answer, arrow_type_name, canonical, result, spark_type_to_arrow, verdict
from tests.parity.corpus import Case, all_cases, case
from tests.parity.oracle import ANSWERS, Oracle, answer_key
from tests.parity.report import PIPELINE, SQL, Report, Result

pytestmark = pytest.mark.slow

CASES = {c.id: c for c in all_cases()}


def _spark(oracle: Oracle, c: Case) -> Answer:
    found = oracle.answer(c)
    if found is None:
        pytest.skip(f"no cached Spark answer for {c.id} and Spark is not installed here: {oracle.unavailable}")
    return found


# -- Spark and the data ----------------------------------------------------------------------------------------
def test_spark_answers_and_both_paths_agree_on_a_trivial_query(
    oracle: Oracle, edge_lakehouse: tuple[Any, dict[str, list[str]]], parity_root: Path
) -> None:
    lh, _ = edge_lakehouse
    trivial = CASES["basic_literals"]
    spark = _spark(oracle, trivial)
    assert spark == Answer(names=["one", "s", "b"], types=["int32", "string", "bool"], rows=[[1, "x", True]])
    assert verdict(engines.sql_answer(lh, trivial), spark, ordered=False, names=set()).outcome == "equal"
    ours = engines.pipeline_answers(lh, [trivial], parity_root / "smoke")[trivial.id]
    assert verdict(ours, spark, ordered=False, names=set()).outcome == "equal"


@pytest.mark.parametrize("table", sorted(edge_data.TABLES))
def test_spark_reads_each_edge_table_as_delta_has_it(
    table: str, oracle: Oracle, edge_lakehouse: tuple[Any, dict[str, list[str]]]
) -> None:
    """Spark's temp view over the table's Parquet files gives the Delta table's rows and types exactly."""
    from lakeloader.lakehouse import delta

    lh, _ = edge_lakehouse
    spark = _spark(oracle, CASES[f"read_{table}"])
    location = lh.table(f"{edge_data.SCHEMA}.{table}").location
    stored = result(delta.dataset(location).to_table())
    assert stored.types == spark.types
    assert verdict(stored, spark, ordered=False, names=set()).outcome == "equal"


def test_edge_tables_are_written_with_the_types_they_declare(edge_lakehouse: tuple[Any, dict[str, list[str]]]) -> None:
    from lakeloader.lakehouse import delta

    lh, files = edge_lakehouse
    for name, table in edge_data.tables().items():
        location = lh.table(f"{edge_data.SCHEMA}.{name}").location
        logged = delta.open_table(location).schema().to_arrow()
        logged = logged if isinstance(logged, pa.Schema) else pa.schema(logged)
        assert [arrow_type_name(f.type) for f in logged] == [arrow_type_name(f.type) for f in table.schema]
        assert files[name] and all(Path(f).is_file() for f in files[name])


def test_edge_data_has_the_edges() -> None:
    data = edge_data.tables()
    doubles = data["nums"].column("d").to_pylist()
    assert any(v != v for v in doubles if v is not None)  # NaN
    assert float("inf") in doubles and float("-inf") in doubles and None in doubles
    assert any(str(v) == "-0.0" for v in doubles)
    limits = data["limits"]
    assert 2**63 - 1 in limits.column("l").to_pylist() and -(2**31) in limits.column("i").to_pylist()
    assert 127 in limits.column("t").to_pylist() and -32768 in limits.column("s").to_pylist()
    assert Decimal("9" * 38) in limits.column("huge").to_pylist()
    strings = data["strs"].column("s").to_pylist()
    assert "" in strings and None in strings and any(s and not s.isascii() for s in strings)
    dates = [str(d) for d in data["times"].column("d").to_pylist()]
    assert "2024-02-29" in dates and "2024-01-31" in dates
    arrays = data["nested"].column("arr").to_pylist()
    assert [] in arrays and None in arrays and any(a and None in a for a in arrays)
    texts = data["jsons"].column("j").to_pylist()
    assert "not json" in texts and '{"a":1' in texts
    assert edge_data.fingerprint() == edge_data.fingerprint(edge_data.tables())


# -- the cache ---------------------------------------------------------------------------------------------------
def test_an_answer_is_keyed_by_version_query_settings_and_data() -> None:
    key = answer_key("SELECT 1", {}, "data", "4.3.0")
    assert key == answer_key("SELECT 1", {}, "data", "4.3.0")
    assert (
        len(
            {
                key,
                answer_key("SELECT 2", {}, "data", "4.3.0"),
                answer_key("SELECT 1", {"spark.sql.ansi.enabled": "false"}, "data", "4.3.0"),
                answer_key("SELECT 1", {}, "other data", "4.3.0"),
                answer_key("SELECT 1", {}, "data", "4.0.0"),
            }
        )
        == 5
    )


def test_cached_answers_are_read_without_starting_spark(tmp_path: Path) -> None:
    def no_spark() -> dict[str, list[str]]:
        raise AssertionError("Spark was started for a cached answer")

    c = case("cached_one", "SELECT 1 AS one")
    written = Oracle(data_files=no_spark, fingerprint="fp", folder=tmp_path)
    written._store(c, Answer(names=["one"], types=["int32"], rows=[[1]]), ["int"])
    reader = Oracle(data_files=no_spark, fingerprint="fp", folder=tmp_path)
    assert reader.answer(c) == Answer(names=["one"], types=["int32"], rows=[[1]])
    assert reader.spark is None and reader.asked == 0
    record = json.loads(reader.path(c).read_text())
    assert record["id"] == "cached_one" and record["spark_types"] == ["int"]
    assert reader.stale([c]) == [] and reader.stale([]) == [reader.path(c)]
    changed = Oracle(data_files=no_spark, fingerprint="other data", folder=tmp_path)
    assert changed.cached(c) is None  # new data: a miss, never the old answer


@pytest.mark.skipif(os.environ.get("LAKELOADER_LATEST") == "1", reason="another pyspark: other keys")
def test_every_case_has_its_answer_committed_and_no_stale_one_is_left() -> None:
    oracle = Oracle(data_files=dict, fingerprint=edge_data.fingerprint())
    missing = [c.id for c in CASES.values() if not oracle.path(c).exists()]
    assert not missing, f"no Spark answer for {missing[:5]}...: run make parity-answers and commit tests/parity/answers"
    stale = oracle.stale(list(CASES.values()))
    assert not stale, f"{len(stale)} answers no case uses: run make parity-answers"
    assert oracle.folder == ANSWERS


# -- the corpus --------------------------------------------------------------------------------------------------
def test_case_ids_name_tables_and_cover_every_family() -> None:
    for c in CASES.values():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.id), c.id
        assert not c.ordered or re.search(r"\bORDER\s+BY\b", c.sql, re.I), c.id
    modules = {"casts", "arithmetic", "conditions", "strings", "datetime", "collections", "json", "aggregates"}
    from tests.parity import cases

    found = {p.stem for p in Path(cases.__file__).parent.glob("*.py")}
    assert modules | {"windows", "math", "queries", "basics"} <= found


def test_spark_answers_can_be_written_to_delta(oracle: Oracle) -> None:
    """Every result has plain, unique column names (Delta refuses `(a + 1)`) and no NULL-typed column."""
    for c in CASES.values():
        answer = oracle.cached(c)
        if answer is None or answer.error is not None:
            continue
        assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in answer.names), (c.id, answer.names)
        assert len({n.lower() for n in answer.names}) == len(answer.names), (c.id, answer.names)
        assert not any(t == "null" or t.startswith("unmapped") for t in answer.types), (c.id, answer.types)


ISSUE_21_EXAMPLES = [
    "cast_double_to_int_truncates", "try_cast_decimal_string_to_int", "dayofweek_sunday_is_one", "extract_dow",
    "transform_with_index", "percentile_interpolates", "min_by_with_null_value", "array_contains_null_element",
    "array_remove_keeps_nulls", "array_distinct_order", "date_format_quoted_literal", "regexp_replace_group_refs",
    "like_escaped_percent", "to_json_omits_nulls", "cast_ts_to_string", "cast_large_double_to_string",
    "split_trailing_empty", "hash_is_int", "from_utc_timestamp_berlin", "lateral_view_outer_explode",
    "order_by_nulls_first_asc", "concat_with_null", "substring_position_zero", "regexp_replace_all_matches",
    "divide_by_zero_raises", "sum_bigint_overflow_raises", "index_out_of_bounds_raises",
    "cast_invalid_string_to_int_raises", "divide_by_zero_non_ansi", "sum_int_is_bigint", "count_if",
    "running_sum_int_is_bigint", "avg_types", "decimal_division_type", "one_point_zero_over_three",
    "ceil_floor_types", "date_add_keeps_date", "add_months_month_end", "date_plus_interval_day",
    "unix_timestamp_types", "decimal_multiplication_type", "get_json_object_malformed_rows", "colon_path",
    "json_array_length", "json_object_keys", "pmod", "bround_half_even", "isnull_isnotnull", "trim_family",
    "format_number", "timestamp_seconds_millis", "schema_of_json", "explode_outer",
    "array_union_intersect_except", "str_to_map", "array_repeat", "map_filter", "xxhash64", "crc32",
    "split_limit", "trunc_date", "from_json_ddl_schema", "exists_forall", "any_value_bool_aggs",
    "lateral_view_json_tuple", "explode_map_as", "try_add_names_itself", "timestamp_fields_new_york",
]  # fmt: skip


def test_every_example_of_issue_21_is_a_case() -> None:
    assert not [x for x in ISSUE_21_EXAMPLES if x not in CASES]


def test_a_case_knows_what_a_refusal_may_name() -> None:
    c = case("x", "SELECT id, pmod(i, 2) AS r FROM nums LATERAL VIEW OUTER explode(a) t AS x WHERE s LIKE 'f(%'")
    assert {"pmod", "explode", "LATERAL VIEW", "OUTER", "LIKE"} <= c.names()
    assert "f" not in c.names()  # inside a string literal
    assert case("y", "SELECT j:a AS a FROM jsons").names() == {":"}
    assert case("z", "SELECT 1", settings={"spark.sql.ansi.enabled": "false"}).names() == {"spark.sql.ansi.enabled"}
    assert (
        case("o", "SELECT a FROM t ORDER BY a").ordered
        and not case("w", "SELECT row_number() OVER (ORDER BY a) AS r").ordered
    )


# -- the comparison ----------------------------------------------------------------------------------------------
def test_values_are_canonical_by_type() -> None:
    assert canonical(pa.array([float("nan"), -0.0, 0.0, None, float("inf")])) == ["nan", "-0.0", "0.0", None, "inf"]
    assert canonical(pa.array([Decimal("1.50"), Decimal("-0.00")], pa.decimal128(5, 2))) == ["1.5", "0"]
    ts = pa.array([0, -1], pa.timestamp("us", tz="UTC"))
    assert canonical(ts) == ["1970-01-01T00:00:00.000000Z", "1969-12-31T23:59:59.999999Z"]
    assert canonical(ts.cast(pa.timestamp("ns", tz="Europe/Berlin"))) == canonical(ts)  # the same instants
    assert canonical(pa.array([0], pa.timestamp("us"))) == ["1970-01-01T00:00:00.000000"]
    maps = pa.array([[("b", 2), ("a", None)], None], pa.map_(pa.string(), pa.int32()))
    assert canonical(maps) == [[["a", None], ["b", 2]], None]
    nested = pa.array([{"x": [1, None]}, None, {"x": None}]).slice(1)
    assert canonical(nested) == [None, {"x": None}]
    assert canonical(pa.array([b"\x00\xff"])) == ["0x00ff"]


def test_spark_types_map_to_the_arrow_types_lakeloader_must_give() -> None:
    spark_json: list[Any] = [
        "integer",
        "long",
        "short",
        "byte",
        "decimal(38,18)",
        "double",
        "float",
        "string",
        "binary",
        "boolean",
        "date",
        "timestamp",
        "timestamp_ntz",
        {"type": "array", "elementType": "integer", "containsNull": True},
        {"type": "map", "keyType": "string", "valueType": "integer", "valueContainsNull": True},
        {"type": "struct", "fields": [{"name": "a", "type": "integer", "nullable": True, "metadata": {}}]},
    ]
    arrow = [
        pa.int32(),
        pa.int64(),
        pa.int16(),
        pa.int8(),
        pa.decimal128(38, 18),
        pa.float64(),
        pa.float32(),
        pa.large_string(),
        pa.binary(),
        pa.bool_(),
        pa.date32(),
        pa.timestamp("us", tz="UTC"),
        pa.timestamp("us"),
        pa.large_list(pa.int32()),
        pa.map_(pa.string(), pa.int32()),
        pa.struct([("a", pa.int32())]),
    ]
    assert [spark_type_to_arrow(t) for t in spark_json] == [arrow_type_name(t) for t in arrow]
    assert arrow_type_name(pa.timestamp("us", tz="Etc/UTC")) != spark_type_to_arrow("timestamp")
    assert arrow_type_name(pa.timestamp("ns", tz="UTC")) != spark_type_to_arrow("timestamp")


def _table(column: pa.Array, name: str = "r") -> Answer:
    return result(pa.table({name: column}))


def test_verdicts() -> None:
    spark = _table(pa.array([1, None], pa.int32()))
    names = {"pmod"}
    assert verdict(_table(pa.array([None, 1], pa.int32())), spark, ordered=False, names=names).outcome == "equal"
    assert verdict(_table(pa.array([None, 1], pa.int32())), spark, ordered=True, names=names).why == "row order"
    assert verdict(_table(pa.array([1, None], pa.int64())), spark, ordered=True, names=names).why == "types"
    assert verdict(_table(pa.array([2, None], pa.int64())), spark, ordered=True, names=names).why == "types and values"
    assert verdict(_table(pa.array([1, 3], pa.int32())), spark, ordered=True, names=names).why == "values"
    assert verdict(_table(pa.array([1, None], pa.int32()), "x"), spark, ordered=True, names=names).why == "column names"
    refusal = Answer(error="NotSupportedError", message="pmod is not supported yet; rewrite with % (issue 21)")
    assert verdict(refusal, spark, ordered=True, names=names).outcome == "refused"
    raw = Answer(error="NotFoundError", message="function pmod does not exist (did you mean mod?); fix the SQL")
    assert verdict(raw, spark, ordered=True, names=names).outcome == "different"  # Spark has it: not a refusal
    engine = Answer(error="TerminalError", message="query failed: Binder Error: pmod(INTEGER); fix the SQL")
    assert verdict(engine, spark, ordered=True, names=names).outcome == "different"
    construct = Answer(error="ConfigError", message="construct Lateral: not supported yet; rewrite that part")
    assert verdict(construct, spark, ordered=True, names={"LATERAL VIEW"}).outcome == "refused"
    path = Answer(error="ConfigError", message="the JSON path operator `:` over a string is not supported yet")
    assert verdict(path, spark, ordered=True, names={":"}).outcome == "refused"
    unnamed = Answer(error="TerminalError", message="this query is not supported")
    assert verdict(unnamed, spark, ordered=True, names=names).outcome == "different"
    zero = Answer(error="DIVIDE_BY_ZERO", message="[DIVIDE_BY_ZERO] Division by zero.")
    assert (
        verdict(
            Answer(error="TerminalError", message="[DIVIDE_BY_ZERO] x / 0"), zero, ordered=True, names=names
        ).outcome
        == "equal"
    )
    assert (
        verdict(
            Answer(error="TerminalError", message="division by zero in x / y"), zero, ordered=True, names=names
        ).outcome
        == "equal"
    )
    assert verdict(_table(pa.array([float("inf")])), zero, ordered=True, names=names).outcome == "different"
    overflow = Answer(error="ARITHMETIC_OVERFLOW", message="[ARITHMETIC_OVERFLOW] overflow.")
    assert (
        verdict(Answer(error="TerminalError", message="x: invalid date"), overflow, ordered=True, names=names).outcome
        == "different"
    )


def test_nan_equals_nan_and_negative_zero_is_not_zero() -> None:
    spark = _table(pa.array([float("nan"), -0.0]))
    assert verdict(_table(pa.array([float("nan"), -0.0])), spark, ordered=True, names=set()).outcome == "equal"
    assert verdict(_table(pa.array([float("nan"), 0.0])), spark, ordered=True, names=set()).why == "values"


def test_the_report_says_n_e_r_d_per_path() -> None:
    c1, c2, c3 = case("a", "SELECT 1 AS x"), case("b", "SELECT 2 AS x"), case("c", "SELECT 3 AS x")
    spark = _table(pa.array([1], pa.int32()))
    from tests.parity.compare import Verdict

    report = Report("4.3.0", answered=3)
    report.results[SQL] = [
        Result(c1, Verdict("equal"), spark, spark),
        Result(c2, Verdict("refused"), Answer(error="E", message="m"), spark),
        Result(c3, Verdict("different", "values"), _table(pa.array([2], pa.int32())), spark),
    ]
    report.results[PIPELINE] = [Result(c1, Verdict("equal"), spark, spark)]
    lines = report.lines()
    assert "parity: 3 queries, 1 equal, 1 refused clearly, 1 different (lakeloader sql)" in lines
    assert "parity: 1 queries, 1 equal, 0 refused clearly, 0 different (pipeline)" in lines
    assert "  values (1):" in lines and "    c: ours [r int32] [[2]]" in lines
