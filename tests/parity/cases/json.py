"""JSON: paths (get_json_object and `:`), malformed rows giving NULL (never failing the query), from_json with a DDL
schema, to_json omitting NULL fields, json_tuple, schema_of_json, array length and object keys."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

CASES = [
    case(
        "get_json_object_paths",
        "SELECT id, get_json_object(j, '$.a') AS a, get_json_object(j, '$.c.d[2].e') AS e FROM jsons ORDER BY id",
    ),
    case("get_json_object_malformed_rows", "SELECT id, get_json_object(j, '$.b') AS r FROM jsons ORDER BY id"),
    case(
        "get_json_object_whole_and_array",
        "SELECT id, get_json_object(j, '$') AS whole, get_json_object(j, '$[1]') AS second FROM jsons ORDER BY id",
    ),
    case("get_json_object_wildcard", "SELECT id, get_json_object(j, '$.arr[*].k') AS r FROM jsons ORDER BY id"),
    case("get_json_object_nested_object", "SELECT id, get_json_object(j, '$.c') AS r FROM jsons ORDER BY id"),
    # `:` over a JSON string is Databricks SQL (a string out, NULL for a missing field or a malformed row); Apache
    # Spark applies `:` to VARIANT only, so Spark is asked the same question with get_json_object.
    case(
        "colon_path",
        "SELECT id, j:a AS a, j:b AS b FROM jsons ORDER BY id",
        spark_sql="SELECT id, get_json_object(j, '$.a') AS a, get_json_object(j, '$.b') AS b FROM jsons ORDER BY id",
    ),
    case(
        "colon_path_nested",
        "SELECT id, j:c.d[0] AS a, j:c.d[2].e AS b, j:arr[1].k AS c FROM jsons ORDER BY id",
        spark_sql="SELECT id, get_json_object(j, '$.c.d[0]') AS a, get_json_object(j, '$.c.d[2].e') AS b, get_json_object(j, '$.arr[1].k') AS c FROM jsons ORDER BY id",
    ),
    case(
        "colon_path_brackets",
        "SELECT id, j:['a'] AS a, j:['c']['d'] AS d FROM jsons ORDER BY id",
        spark_sql="SELECT id, get_json_object(j, '$.a') AS a, get_json_object(j, '$.c.d') AS d FROM jsons ORDER BY id",
    ),
    case(
        "colon_path_cast",
        "SELECT id, j:a::INT AS r FROM jsons WHERE id IN (1, 2, 8) ORDER BY id",
        spark_sql="SELECT id, cast(get_json_object(j, '$.a') AS INT) AS r FROM jsons WHERE id IN (1, 2, 8) ORDER BY id",
    ),
    case("variant_colon_path", "SELECT id, cast(try_parse_json(j):a AS STRING) AS a FROM jsons ORDER BY id"),
    case("json_array_length", "SELECT id, json_array_length(j) AS r FROM jsons ORDER BY id"),
    case("json_object_keys", "SELECT id, json_object_keys(j) AS r FROM jsons ORDER BY id"),
    case("from_json_ddl_schema", "SELECT id, from_json(j, 'a INT, b STRING') AS r FROM jsons ORDER BY id"),
    case("from_json_fields", "SELECT id, from_json(j, 'a DOUBLE, b STRING').a AS a FROM jsons ORDER BY id"),
    case(
        "from_json_nested_schema", "SELECT id, from_json(j, 'c STRUCT<d: ARRAY<STRING>>') AS r FROM jsons ORDER BY id"
    ),
    case("from_json_array_schema", "SELECT id, from_json(j, 'ARRAY<INT>') AS r FROM jsons ORDER BY id"),
    case("from_json_map_schema", "SELECT from_json('{\"x\": 1, \"y\": null}', 'MAP<STRING, INT>') AS r"),
    case(
        "from_json_failfast_raises",
        "SELECT from_json(j, 'a INT', map('mode', 'FAILFAST')) AS r FROM jsons WHERE id = 5",
    ),
    case("to_json_omits_nulls", "SELECT id, to_json(st) AS r FROM nested ORDER BY id"),
    case(
        "to_json_named_struct",
        "SELECT to_json(named_struct('a', 1, 'b', CAST(NULL AS STRING), 'c', array(1, NULL))) AS r",
    ),
    case("to_json_map_and_array", "SELECT id, to_json(m) AS a, to_json(arr) AS b FROM nested ORDER BY id"),
    case(
        "to_json_types",
        "SELECT to_json(named_struct('d', DATE'2024-02-29', 't', TIMESTAMP'2024-01-01 10:00:00', 'x', 1.50BD, 'f', 0.1D)) AS r",
    ),
    case("json_tuple", "SELECT id, json_tuple(j, 'a', 'b') AS (a, b) FROM jsons"),
    case("lateral_view_json_tuple", "SELECT id, a, b FROM jsons LATERAL VIEW json_tuple(j, 'a', 'b') t AS a, b"),
    case("schema_of_json", 'SELECT schema_of_json(\'{"a": 1, "b": ["x"], "c": {"d": 1.5}}\') AS r'),
    case("schema_of_json_array", 'SELECT schema_of_json(\'[{"a": 1}, {"b": true}]\') AS r'),
    case(
        "to_json_from_json_roundtrip", "SELECT id, to_json(from_json(j, 'a INT, b STRING')) AS r FROM jsons ORDER BY id"
    ),
    case("parse_json_try", "SELECT id, try_parse_json(j) IS NULL AS bad FROM jsons ORDER BY id"),
    case("json_with_unicode_escape", "SELECT get_json_object('{\"a\":\"\\\\u00e9\"}', '$.a') AS r"),
]
