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
    # -- to_json: Jackson's text of every type --------------------------------------------------------------------
    case(
        "to_json_nested_nulls",
        "SELECT to_json(named_struct('a', named_struct('b', CAST(NULL AS INT), 'c', named_struct('d', CAST(NULL AS STRING))), 'e', CAST(NULL AS STRUCT<x: INT>), 'f', array(array(1, NULL), NULL), 'g', map('k', named_struct('z', CAST(NULL AS INT))))) AS r",
        note="NULL fields are left out at every level of structs; NULL elements and map values are null",
    ),
    case(
        "to_json_columns_with_nulls",
        "SELECT id, to_json(sarr) AS a, to_json(array(st, NULL)) AS b, to_json(named_struct('arr', arr, 'm', m, 'st', st)) AS c FROM nested ORDER BY id",
    ),
    case(
        "to_json_string_escapes",
        "SELECT to_json(named_struct('s', concat('a\"b\\\\c/', chr(10), chr(9), chr(13), chr(8), chr(12), chr(1), chr(31), chr(127), 'é✓ 😀', chr(8232)))) AS r, to_json(array('', NULL, 'x')) AS a",
    ),
    case(
        "to_json_doubles",
        "SELECT to_json(named_struct('n', double('NaN'), 'p', double('Infinity'), 'm', double('-Infinity'), 'b', 1e20D, 'c', 1e-5D, 'z', -0.0D, 'y', 1e7D, 'x', 1e-3D, 'w', 123456789.125D, 'd', 0.1D, 'e', 1.0D / 3)) AS r",
    ),
    case(
        "to_json_floats",
        "SELECT to_json(array(float(0.1), float(1e10), float('NaN'), float(-0.0), float(3.4028235e38), float(1.0E-7))) AS r",
    ),
    case(
        "to_json_decimals",
        "SELECT to_json(named_struct('a', 0E-7BD, 'b', CAST(0.0000001 AS DECIMAL(20,10)), 'c', CAST(-0.000000012 AS DECIMAL(20,10)), 'd', CAST(0.000001 AS DECIMAL(20,10)), 'e', CAST(123 AS DECIMAL(38,0)), 'f', 1.50BD, 'g', CAST(0 AS DECIMAL(10,3)), 'h', CAST(-12345.6789 AS DECIMAL(38,18)))) AS r",
    ),
    case(
        "to_json_sales_rows",
        "SELECT id, to_json(named_struct('grp', grp, 'v', v, 'amt', amt, 'x', x, 'day', day)) AS r FROM sales ORDER BY id",
    ),
    case(
        "to_json_dates_timestamps_utc",
        "SELECT to_json(named_struct('d', DATE'2024-02-29', 'd0', DATE'0001-01-01', 't', TIMESTAMP'2024-01-01 10:00:00.123456', 'u', TIMESTAMP'2024-01-01 10:00:00.9999', 'v', TIMESTAMP'1969-12-31 23:59:59.5', 'n', TIMESTAMP_NTZ'2024-01-01 10:00:00', 'o', TIMESTAMP_NTZ'2024-01-01 10:00:00.123')) AS r",
    ),
    case(
        "to_json_timestamps_new_york",
        "SELECT to_json(named_struct('winter', TIMESTAMP'2024-01-01 10:00:00.123456', 'summer', TIMESTAMP'2024-07-01 10:00:00', 'n', TIMESTAMP_NTZ'2024-01-01 10:00:00.5', 'd', DATE'2024-03-10')) AS r",
        settings={"spark.sql.session.timeZone": "America/New_York"},
    ),
    case(
        "to_json_map_keys",
        "SELECT to_json(map(1, 'x', 2, NULL)) AS a, to_json(map(DATE'2024-01-01', 1)) AS b, to_json(map(true, array(1))) AS c, to_json(map(1.5D, 1, 1e20D, 2)) AS d, to_json(map('k\"q', named_struct('a', 1))) AS e, to_json(map(CAST(0.00000001 AS DECIMAL(20,10)), 1)) AS f",
    ),
    case(
        "to_json_binary_booleans_integers",
        "SELECT to_json(named_struct('b', X'0102FF', 'e', X'', 't', true, 'f', false, 'y', CAST(-1 AS TINYINT), 's', CAST(-5 AS SMALLINT), 'l', 9223372036854775807L)) AS r",
    ),
    case(
        "to_json_top_level_shapes",
        "SELECT to_json(array(map('a', 1), map('b', 2))) AS a, to_json(CAST(array() AS ARRAY<INT>)) AS b, to_json(map()) AS c, to_json(array(named_struct('a', NULL))) AS d, to_json(CAST(NULL AS STRUCT<a: INT>)) AS e, to_json(named_struct('we\"ird', 3, 'é', 5, 'a b', 6)) AS f",
    ),
    case(
        "to_json_option_ignore_null_fields",
        "SELECT to_json(named_struct('a', CAST(NULL AS INT), 'b', named_struct('c', CAST(NULL AS STRING)), 'd', array(1, NULL)), map('ignoreNullFields', 'false')) AS r",
    ),
    case(
        "to_json_option_formats",
        "SELECT to_json(named_struct('t', TIMESTAMP'2024-01-01 10:00:00', 'd', DATE'2024-01-01'), map('timestampFormat', 'yyyy/MM/dd HH:mm', 'dateFormat', 'dd.MM.yyyy')) AS r",
    ),
    case("to_json_option_pretty", "SELECT to_json(named_struct('a', 1), map('pretty', 'true')) AS r"),
    # -- from_json: Spark's JSON reader, PERMISSIVE ------------------------------------------------------------
    case(
        "from_json_malformed_and_partial_rows",
        "SELECT id, from_json(j, 'a INT, b STRING, c STRUCT<d: ARRAY<INT>>') AS r FROM jsons ORDER BY id",
    ),
    case(
        "from_json_partial_results",
        'SELECT from_json(\'{"s":{"x":"bad","y":2},"b":1}\', \'s STRUCT<x: INT, y: INT>, b INT\') AS a, from_json(\'{"a":[1,"x",3],"b":1}\', \'a ARRAY<INT>, b INT\') AS b, from_json(\'{"a":1,"b":"x"}\', \'MAP<STRING, INT>\') AS c, from_json(\'[{"x":"bad","y":1},{"x":2}]\', \'ARRAY<STRUCT<x: INT, y: INT>>\') AS d, from_json(\'{"m":{"k":{"x":"bad","y":1}}}\', \'m MAP<STRING, STRUCT<x: INT, y: INT>>\') AS e, from_json(\'[1,"x",3]\', \'ARRAY<INT>\') AS f',
    ),
    case(
        "from_json_integers",
        'SELECT from_json(\'{"a":2147483648,"b":9223372036854775808,"c":1.0,"d":"1","e":"","f":true,"g":255,"h":256,"i":-129,"j":32768,"k":-0,"l":-9223372036854775808}\', \'a INT, b BIGINT, c INT, d INT, e INT, f INT, g TINYINT, h TINYINT, i TINYINT, j SMALLINT, k INT, l BIGINT\') AS r',
    ),
    case(
        "from_json_doubles_and_specials",
        'SELECT from_json(\'{"a":NaN,"b":Infinity,"c":-Infinity,"d":+INF,"e":-INF,"f":1e400,"g":3,"h":0.1}\', \'a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE, e DOUBLE, f DOUBLE, g DOUBLE, h FLOAT\') AS a, from_json(\'{"a":"NaN","b":"Infinity","c":"-INF","d":"+INF","e":"1.5","f":"nan","g":1e39}\', \'a DOUBLE, b DOUBLE, c DOUBLE, d FLOAT, e DOUBLE, f DOUBLE, g FLOAT\') AS b, from_json(\'{"a":nan,"b":1}\', \'a DOUBLE, b INT\') AS c',
    ),
    case(
        "from_json_decimals",
        'SELECT from_json(\'{"a":1.005,"b":"1,234.5","c":12345.6,"d":1e2,"e":true,"f":"abc","g":0.1234567890123456789,"h":-1.005,"i":"","j":12345678901234.5678,"k":999.995}\', \'a DECIMAL(5,2), b DECIMAL(10,2), c DECIMAL(5,2), d DECIMAL(5,2), e DECIMAL(5,2), f DECIMAL(5,2), g DECIMAL(38,19), h DECIMAL(5,2), i DECIMAL(5,2), j DECIMAL(18,4), k DECIMAL(5,2)\') AS r',
    ),
    case(
        "from_json_strings_of_any_value",
        'SELECT from_json(\'{"a":{"b":1,"c":[1.5e3,"x\\\\u0001é"]},"c":[1,{"d":null}],"e":1.50,"f":-0.0,"g":1E400,"h":12345678901234567890123,"i":true,"j":"\\\\u00e9\\\\n\\\\"","k":NaN,"l":[NaN,-Infinity],"m":0.1234567890123456789,"n":null}\', \'a STRING, c STRING, e STRING, f STRING, g STRING, h STRING, i STRING, j STRING, k STRING, l STRING, m STRING, n STRING\') AS r',
    ),
    case(
        "from_json_booleans_and_binary_refused",
        'SELECT from_json(\'{"a":true,"b":"true","c":1,"d":null}\', \'a BOOLEAN, b BOOLEAN, c BOOLEAN, d BOOLEAN\') AS a',
    ),
    case("from_json_binary", "SELECT from_json('{\"b\":\"AQL/\"}', 'b BINARY') AS r"),
    case(
        "from_json_dates",
        'SELECT CAST(from_json(\'{"a":"2024-01-01","b":"2024-1-1","c":"2024-01-01T10:00:00","d":"2024","e":20240101,"f":"01/02/2024","g":"2024-01-01 xyz","h":" 2024-01-01 ","i":"123","j":"-5","k":"2024-01-01GMT","l":"2024-13-01","m":""}\', \'a DATE, b DATE, c DATE, d DATE, e DATE, f DATE, g DATE, h DATE, i DATE, j DATE, k DATE, l DATE, m DATE\') AS STRING) AS r',
    ),
    case(
        "from_json_timestamps_utc",
        'SELECT from_json(\'{"a":"2024-01-01T10:00:00","b":"2024-01-01 10:00:00.123456","c":"2024-01-01T10:00:00+02:00","d":1700000000,"e":"2024-01-01","f":1.5,"g":"2024-01-01T10:00:00Z","h":"bad","i":"2024-01-01T10:00:00GMT+01:00","j":-5}\', \'a TIMESTAMP, b TIMESTAMP, c TIMESTAMP, d TIMESTAMP, e TIMESTAMP, f TIMESTAMP, g TIMESTAMP, h TIMESTAMP, i TIMESTAMP, j TIMESTAMP\') AS a, from_json(\'{"a":"2024-01-01 10:00:00+02:00","b":"2024-01-01T10:00:00Z","c":"2024-01-01 10:00","d":"2024-01-01","e":1700000000}\', \'a TIMESTAMP_NTZ, b TIMESTAMP_NTZ, c TIMESTAMP_NTZ, d TIMESTAMP_NTZ, e TIMESTAMP_NTZ\') AS b',
    ),
    case(
        "from_json_timestamps_new_york",
        'SELECT from_json(\'{"a":"2024-01-01T10:00:00","b":1700000000,"c":"2024-03-10T02:30:00","d":"2024-11-03 01:30:00","e":"2024-07-01T10:00:00Z"}\', \'a TIMESTAMP, b TIMESTAMP, c TIMESTAMP, d TIMESTAMP, e TIMESTAMP\') AS r, from_json(\'{"d":"2024-01-01T23:30:00"}\', \'d DATE\') AS s',
        settings={"spark.sql.session.timeZone": "America/New_York"},
    ),
    case(
        "from_json_missing_extra_and_case",
        'SELECT from_json(\'{"a":1,"z":[1,2,{"q":3}],"B":2}\', \'a INT, b INT, c ARRAY<STRING>\') AS a, from_json(\'{"a":1,"a":2,"b":{"x":1,"x":null}}\', \'a INT, b STRUCT<x: INT>\') AS c, from_json(\'{"a b":1,"c.d":2}\', \'`a b` INT, `c.d` INT\') AS d',
    ),
    case(
        "from_json_fields_differing_in_case",
        "SELECT from_json('{\"a\":1,\"A\":2}', 'A INT, a INT') AS r",
        note="Spark's struct holds both; DuckDB's struct field names are case-insensitive (refused)",
    ),
    case(
        "from_json_root_shapes",
        "SELECT from_json('null', 'a INT') AS a, from_json('1', 'a INT') AS b, from_json('  ', 'a INT') AS c, from_json('[{\"a\":1}]', 'a INT') AS d, from_json('{\"x\":1}', 'ARRAY<STRUCT<x: INT>>') AS e, from_json('{\"x\":1}', 'ARRAY<INT>') AS f, from_json('[]', 'ARRAY<INT>') AS g, from_json('{}', 'MAP<STRING, INT>') AS h, from_json('[1,null,2]', 'ARRAY<INT>') AS i",
    ),
    case(
        "from_json_relaxed_syntax",
        "SELECT from_json('{''a'':''x'',\"b\":1}', 'a STRING, b INT') AS a, from_json('{\"a\":1} xyz', 'a INT') AS b, from_json('{\"a\":1,}', 'a INT') AS c, from_json('{\"a\":01}', 'a INT') AS d, from_json('{a:1}', 'a INT') AS e, from_json(concat('{\"a\":1,\"b\":\"x', chr(9), 'y\"}'), 'a INT, b STRING') AS f, from_json('[1,2]x', 'ARRAY<INT>') AS g, from_json('{\"a\":1,\"b\":\"\\\\q\"}', 'a INT, b STRING') AS h, from_json(' {\"a\" : 1 } ', 'a INT') AS i",
    ),
    case("from_json_jsons_as_map", "SELECT id, from_json(j, 'MAP<STRING, STRING>') AS r FROM jsons ORDER BY id"),
    case(
        "from_json_decimal_edges",
        'SELECT from_json(\'{"a":1e-400,"b":1.5E-3,"c":0.005,"d":"1e2","e":"-1,000.5","f":" 1.5","g":NaN,"h":123456789012345678901234567890,"i":-0.0}\', \'a DECIMAL(5,2), b DECIMAL(5,2), c DECIMAL(5,2), d DECIMAL(5,2), e DECIMAL(10,2), f DECIMAL(5,2), g DECIMAL(5,2), h DECIMAL(38,0), i DECIMAL(5,2)\') AS r',
    ),
    case(
        "from_json_string_escapes",
        'SELECT from_json(\'{"a":{"s":"x\\\\u0001y","t":"\\\\u00e9","u":"\\\\/","v":"\\\\ud83d\\\\ude00","w":"tab\\\\there"},"s":"x\\\\u0001y\\\\/\\\\ud83d\\\\ude00"}\', \'a STRING, s STRING\') AS r',
    ),
    case(
        "from_json_deep_nesting",
        'SELECT from_json(\'{"a":{"b":[{"c":{"k":[1.5,NaN,null,2]}},{"c":{"k":[1,"x"]}},{"c":null},{}]}}\', \'a STRUCT<b: ARRAY<STRUCT<c: MAP<STRING, ARRAY<DOUBLE>>>>>\') AS r',
    ),
    case(
        "to_json_from_json_new_york",
        "SELECT id, to_json(from_json(concat('{\"t\":\"2024-0', id % 9 + 1, '-10T02:30:00\",\"x\":', id, '.25}'), 't TIMESTAMP, x DOUBLE')) AS r FROM jsons ORDER BY id",
        settings={"spark.sql.session.timeZone": "America/New_York"},
    ),
    case("from_json_map_duplicate_keys", 'SELECT from_json(\'{"a":1,"a":2,"b":3}\', \'MAP<STRING, INT>\') AS r'),
    case(
        "from_json_schema_of_json",
        'SELECT id, from_json(j, schema_of_json(\'{"a":1,"b":"x"}\')) AS r FROM jsons ORDER BY id',
    ),
    case(
        "schema_of_json_inference",
        'SELECT schema_of_json(\'{"z":1,"a":[1,2.5],"big":123456789012345678901234,"n":null,"e":[],"o":{},"s":"x","m":[{"b":1},{"a":true}],"x":[1,"y"]}\') AS a, schema_of_json(\'1\') AS b, schema_of_json(\'[]\') AS c, schema_of_json(\'"s"\') AS d, schema_of_json(\'{"a b":1,"1":2}\') AS e',
    ),
]
