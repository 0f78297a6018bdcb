"""Arrays, maps, structs: NULL elements, empty and NULL arrays, 1-based access and its ANSI errors, higher-order
functions (the lambda index counts from 0), order-keeping set functions, explode and LATERAL VIEW (OUTER)."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

ANSI_OFF = {"spark.sql.ansi.enabled": "false"}
NEW_YORK = {"spark.sql.session.timeZone": "America/New_York"}
BERLIN = {"spark.sql.session.timeZone": "Europe/Berlin"}

CASES = [
    case(
        "array_literal_types",
        "SELECT array(1, 2) AS a, array(1, NULL) AS b, cast(array() AS ARRAY<INT>) AS c, array(1, 2.5) AS e, array('a', NULL) AS f",
    ),
    case(
        "size_and_cardinality",
        "SELECT id, size(arr) AS a, cardinality(sarr) AS b, size(m) AS c FROM nested ORDER BY id",
    ),
    case("size_null_non_legacy", "SELECT size(cast(NULL AS ARRAY<INT>)) AS r"),
    case(
        "array_contains_null_element",
        "SELECT array_contains(array(5, NULL), 7) AS a, array_contains(array(5, NULL), 5) AS b, array_contains(array(5, 6), cast(NULL AS INT)) AS c",
    ),
    case("array_contains_column", "SELECT id, array_contains(arr, 1) AS r FROM nested ORDER BY id"),
    case(
        "array_position", "SELECT id, array_position(arr, 1) AS a, array_position(arr, 9) AS b FROM nested ORDER BY id"
    ),
    case("array_remove_keeps_nulls", "SELECT id, array_remove(arr, 1) AS r FROM nested ORDER BY id"),
    case(
        "array_distinct_order", "SELECT id, array_distinct(arr) AS a, array_distinct(sarr) AS b FROM nested ORDER BY id"
    ),
    case(
        "array_union_intersect_except",
        "SELECT id, array_union(arr, array(1, 9)) AS u, array_intersect(arr, array(1, 3, NULL)) AS i, array_except(arr, array(1)) AS e FROM nested ORDER BY id",
    ),
    case(
        "arrays_overlap",
        "SELECT id, arrays_overlap(arr, array(2, 99)) AS a, arrays_overlap(arr, array(99)) AS b FROM nested ORDER BY id",
    ),
    case(
        "array_sort_nulls",
        "SELECT id, array_sort(arr) AS a, sort_array(arr) AS b, sort_array(arr, false) AS c FROM nested ORDER BY id",
    ),
    case("array_min_max", "SELECT id, array_min(arr) AS a, array_max(arr) AS b FROM nested ORDER BY id"),
    case(
        "array_join_nulls",
        "SELECT id, array_join(sarr, ',') AS a, array_join(sarr, ',', '?') AS b FROM nested ORDER BY id",
    ),
    case(
        "array_repeat",
        "SELECT array_repeat('x', 3) AS a, array_repeat(cast(NULL AS STRING), 2) AS b, array_repeat(1, 0) AS c, array_repeat(1, -1) AS e",
    ),
    case(
        "array_append_prepend",
        "SELECT id, array_append(arr, 9) AS a, array_prepend(arr, 0) AS b, array_compact(arr) AS c FROM nested ORDER BY id",
    ),
    case(
        "array_insert",
        "SELECT array_insert(array(1, 2, 3), 2, 9) AS a, array_insert(array(1, 2, 3), -1, 9) AS b, array_insert(array(1), 5, 9) AS c",
    ),
    case("concat_arrays", "SELECT id, concat(arr, array(7)) AS r, arr || array(8) AS p FROM nested ORDER BY id"),
    case(
        "flatten_arrays",
        "SELECT flatten(array(array(1, 2), array(), array(NULL, 3))) AS a, flatten(array(array(1), NULL)) AS b",
    ),
    case("slice_arrays", "SELECT id, slice(arr, 2, 2) AS a, slice(arr, -2, 2) AS b FROM nested ORDER BY id"),
    case("slice_start_zero_raises", "SELECT slice(array(1, 2), 0, 1) AS r"),
    case("sequence_ints", "SELECT sequence(1, 5) AS a, sequence(5, 1) AS b, sequence(1, 10, 3) AS c"),
    case("arrays_zip", "SELECT arrays_zip(array(1, 2, 3), array('a', 'b')) AS r"),
    case("reverse_shuffle_free", "SELECT id, reverse(arr) AS r FROM nested ORDER BY id"),
    case(
        "element_at_one_based",
        "SELECT id, element_at(arr, 1) AS a, element_at(arr, -1) AS b FROM nested WHERE size(arr) > 0 ORDER BY id",
    ),
    case("element_at_out_of_bounds_raises", "SELECT element_at(arr, 5) AS r FROM nested WHERE id = 1"),
    case("element_at_zero_raises", "SELECT element_at(arr, 0) AS r FROM nested WHERE id = 1"),
    case(
        "try_element_at",
        "SELECT id, try_element_at(arr, 5) AS a, try_element_at(m, 'zz') AS b, try_element_at(m, 'a') AS c FROM nested ORDER BY id",
    ),
    case("index_zero_based", "SELECT id, arr[0] AS a, arr[1] AS b FROM nested WHERE size(arr) > 1 ORDER BY id"),
    case("index_out_of_bounds_raises", "SELECT arr[5] AS r FROM nested WHERE id = 1"),
    case(
        "index_out_of_bounds_non_ansi",
        "SELECT id, arr[5] AS a, element_at(arr, 9) AS b FROM nested ORDER BY id",
        settings=ANSI_OFF,
    ),
    case("get_function", "SELECT id, get(arr, 0) AS a, get(arr, 10) AS b FROM nested ORDER BY id"),
    case("map_access_missing_key", "SELECT id, m['a'] AS a, m['zz'] AS b FROM nested ORDER BY id"),
    case("element_at_map_missing_key", "SELECT id, element_at(m, 'zz') AS r FROM nested ORDER BY id"),
    case(
        "map_functions", "SELECT id, map_keys(m) AS k, map_values(m) AS v, map_entries(m) AS e FROM nested ORDER BY id"
    ),
    case("map_contains_key", "SELECT id, map_contains_key(m, 'a') AS r FROM nested ORDER BY id"),
    case(
        "map_literals",
        "SELECT map('a', 1, 'b', NULL) AS a, cast(map() AS MAP<STRING, INT>) AS b, map_from_arrays(array('x', 'y'), array(1, 2)) AS c",
    ),
    case("map_duplicate_key_raises", "SELECT map('a', 1, 'a', 2) AS r"),
    case("map_from_entries", "SELECT map_from_entries(array(struct('k', 1), struct('j', 2))) AS r"),
    case("map_concat", "SELECT id, map_concat(m, map('new', 0)) AS r FROM nested WHERE id IN (1, 3) ORDER BY id"),
    case("map_filter", "SELECT id, map_filter(m, (k, v) -> v > 1) AS r FROM nested ORDER BY id"),
    case(
        "transform_values_keys",
        "SELECT id, transform_values(m, (k, v) -> v * 10) AS a, transform_keys(m, (k, v) -> upper(k)) AS b FROM nested ORDER BY id",
    ),
    case(
        "map_zip_with",
        "SELECT map_zip_with(map('a', 1, 'b', 2), map('b', 3, 'c', 4), (k, v1, v2) -> coalesce(v1, 0) + coalesce(v2, 0)) AS r",
    ),
    case("struct_access", "SELECT id, st.a AS a, st.b AS b, st['a'] AS c FROM nested ORDER BY id"),
    case(
        "struct_construction",
        "SELECT id, struct(id, st.b) AS a, named_struct('x', id, 'y', NULL) AS b FROM nested ORDER BY id",
    ),
    case(
        "named_struct_empty_field_name",
        "SELECT named_struct('', 1, 'b', 2).b AS r",
        note="refused: DuckDB names every field",
    ),
    case(
        "transform_with_index",
        "SELECT id, transform(arr, (x, i) -> x + i) AS a, transform(arr, (x, i) -> i) AS b FROM nested ORDER BY id",
    ),
    case("transform_plain", "SELECT id, transform(sarr, x -> concat(x, '!')) AS r FROM nested ORDER BY id"),
    case(
        "filter_with_index",
        "SELECT id, filter(arr, x -> x > 1) AS a, filter(arr, (x, i) -> i % 2 = 0) AS b FROM nested ORDER BY id",
    ),
    case("filter_null_predicate", "SELECT id, filter(arr, x -> x IS NULL) AS r FROM nested ORDER BY id"),
    case(
        "exists_forall", "SELECT id, exists(arr, x -> x > 2) AS a, forall(arr, x -> x > 0) AS b FROM nested ORDER BY id"
    ),
    case(
        "aggregate_reduce",
        "SELECT id, aggregate(arr, 0, (acc, x) -> acc + coalesce(x, 0)) AS a, reduce(arr, 0L, (acc, x) -> acc + x, acc -> acc * 10) AS b FROM nested ORDER BY id",
    ),
    case("zip_with", "SELECT id, zip_with(arr, arr, (x, y) -> x * y) AS r FROM nested ORDER BY id"),
    case("array_sort_comparator", "SELECT array_sort(array(3, 1, 2), (a, b) -> b - a) AS r"),
    case("explode_drops_empty_and_null", "SELECT id, explode(arr) AS x FROM nested"),
    case("explode_outer", "SELECT id, explode_outer(arr) AS x FROM nested"),
    case("posexplode", "SELECT id, posexplode(sarr) AS (pos, x) FROM nested"),
    case("posexplode_outer", "SELECT id, posexplode_outer(sarr) AS (pos, x) FROM nested"),
    case("explode_map_as", "SELECT id, explode(m) AS (k, v) FROM nested"),
    case("explode_default_names", "SELECT id, explode(m) FROM nested"),
    case("explode_default_col_name", "SELECT id, explode(arr) FROM nested"),
    case("lateral_view_explode", "SELECT id, x FROM nested LATERAL VIEW explode(arr) t AS x"),
    case("lateral_view_outer_explode", "SELECT id, x FROM nested LATERAL VIEW OUTER explode(arr) t AS x"),
    case("lateral_view_posexplode", "SELECT id, p, x FROM nested LATERAL VIEW posexplode(sarr) t AS p, x"),
    case("lateral_view_explode_map", "SELECT id, k, v FROM nested LATERAL VIEW explode(m) t AS k, v"),
    case(
        "lateral_view_two",
        "SELECT id, x, y FROM nested LATERAL VIEW explode(arr) a AS x LATERAL VIEW OUTER explode(sarr) b AS y WHERE id < 3",
    ),
    case("inline_structs", "SELECT inline(array(struct(1, 'a'), struct(2, NULL))) AS (n, s)"),
    case(
        "inline_outer_empty",
        "SELECT id, n, s FROM nested LATERAL VIEW OUTER inline(cast(array() AS ARRAY<STRUCT<n: INT, s: STRING>>)) t AS n, s WHERE id = 1",
    ),
    case("explode_in_from", "SELECT col AS x FROM explode(array(1, NULL, 3))"),
    case("stack", "SELECT stack(2, 'a', 1, 'b', 2) AS (k, v)"),
    case(
        "collect_after_explode",
        "SELECT id, sort_array(collect_list(x)) AS xs FROM nested LATERAL VIEW explode(arr) t AS x GROUP BY id",
    ),
    case("array_equality", "SELECT id, arr = array(1, 2, 3) AS r FROM nested ORDER BY id"),
    case("array_of_struct_field", "SELECT arrays_zip(array(1, 2), array(3, 4)).`0` AS r"),
    # -- size, access -------------------------------------------------------------------------------------------
    case(
        "size_null_legacy_non_ansi",
        "SELECT id, size(arr) AS a, array_size(arr) AS b, cardinality(m) AS c, size(m) AS d FROM nested ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "size_of_literals",
        "SELECT size(array()) AS a, size(map()) AS b, size(array(NULL)) AS c, array_size(array(1, 2)) AS e",
    ),
    case("index_negative_raises", "SELECT arr[-1] AS r FROM nested WHERE id = 1"),
    case(
        "index_null_index",
        "SELECT id, arr[cast(NULL AS INT)] AS a, element_at(arr, cast(NULL AS INT)) AS b FROM nested ORDER BY id",
    ),
    case(
        "index_column_index",
        "SELECT id, arr[size(arr) - 1] AS a, element_at(arr, -size(arr)) AS b FROM nested WHERE size(arr) > 0 ORDER BY id",
    ),
    case("try_element_at_zero_raises", "SELECT try_element_at(arr, 0) AS r FROM nested WHERE id = 1"),
    case(
        "element_at_negative_out_of_bounds_non_ansi",
        "SELECT id, element_at(arr, -9) AS r FROM nested ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "get_negative_and_null",
        "SELECT id, get(arr, -1) AS a, get(sarr, 1) AS b, get(arr, cast(NULL AS INT)) AS c FROM nested ORDER BY id",
    ),
    case(
        "map_access_null_key_value",
        "SELECT id, m['b'] AS a, element_at(m, 'k') AS b, try_element_at(m, 'b') AS c FROM nested ORDER BY id",
    ),
    case(
        "map_access_int_keys",
        "SELECT map(1, 'a', 2, 'b')[2] AS a, map(1, 'a')[3] AS b, element_at(map(1.5D, 'x'), 1.5D) AS c",
    ),
    case(
        "struct_field_null_struct",
        "SELECT id, st.b AS a, st['b'] AS b, named_struct('p', st).p.a AS c FROM nested ORDER BY id",
    ),
    case(
        "nested_array_access",
        "SELECT array(array(1, 2), array(3))[1][0] AS a, element_at(array(array(1, 2)), 1)[1] AS b, array(map('k', 1))[0]['k'] AS c",
    ),
    # -- constructors -------------------------------------------------------------------------------------------
    case(
        "array_widening",
        "SELECT array(1, 2L) AS a, array(1, 1.5D) AS b, array(1.5, 10.25) AS c, array(cast(1 AS TINYINT), 300) AS e, array(DATE'2024-01-01', TIMESTAMP'2024-01-01 10:00:00') AS f",
    ),
    case("array_string_and_number_raises", "SELECT array('a', 1) AS r"),
    case("array_string_and_number_ansi", "SELECT array('1', 2) AS a, map('k', 1, 'j', '2') AS b"),
    case(
        "array_string_and_number_non_ansi", "SELECT array('1', 2) AS a, map('k', 1, 'j', 'x') AS b", settings=ANSI_OFF
    ),
    case("array_boolean_and_number_raises", "SELECT array(true, 1) AS r"),
    case(
        "array_of_columns",
        "SELECT id, array(id, NULL, id * 2) AS a, array(st, NULL) AS b, array(arr, arr) AS c FROM nested ORDER BY id",
    ),
    case("array_of_unicode", "SELECT id, array(s, upper(s)) AS a FROM strs WHERE id IN (4, 12) ORDER BY id"),
    case("map_null_key_raises", "SELECT map(cast(NULL AS STRING), 1) AS r"),
    case(
        "map_widening",
        "SELECT map('a', 1, 'b', 2.5) AS a, map(1, 'x', 2L, NULL) AS b, map('k', array(1), 'j', array()) AS c",
    ),
    case(
        "map_from_arrays_nulls",
        "SELECT map_from_arrays(array('a', 'b'), array(1, NULL)) AS a, map_from_arrays(cast(NULL AS ARRAY<STRING>), array(1)) AS b",
    ),
    case("map_from_arrays_null_key_raises", "SELECT map_from_arrays(array('a', NULL), array(1, 2)) AS r"),
    case("map_from_arrays_length_raises", "SELECT map_from_arrays(array('a'), array(1, 2)) AS r"),
    case("map_from_arrays_duplicate_raises", "SELECT map_from_arrays(array('a', 'a'), array(1, 2)) AS r"),
    case(
        "map_from_entries_nulls",
        "SELECT map_from_entries(array(struct('a', 1), NULL)) AS a, map_from_entries(cast(array() AS ARRAY<STRUCT<k: STRING, v: INT>>)) AS b, map_from_entries(cast(NULL AS ARRAY<STRUCT<k: STRING, v: INT>>)) AS c",
    ),
    case(
        "map_from_entries_named_fields",
        "SELECT map_from_entries(array(named_struct('x', 1, 'y', 'one'), named_struct('x', 2, 'y', NULL))) AS r",
    ),
    case("map_from_entries_of_map_entries", "SELECT id, map_from_entries(map_entries(m)) AS r FROM nested ORDER BY id"),
    case(
        "map_concat_nulls",
        "SELECT id, map_concat(m, cast(NULL AS MAP<STRING, INT>)) AS a, map_concat(m, map()) AS b, map_concat(m) AS c FROM nested ORDER BY id",
    ),
    case("map_concat_duplicate_raises", "SELECT map_concat(m, map('a', 9)) AS r FROM nested WHERE id = 1"),
    case(
        "map_keys_values_order",
        "SELECT map_keys(map('z', 1, 'a', 2, 'm', 3)) AS k, map_values(map('z', 1, 'a', 2, 'm', 3)) AS v, map_entries(map(2, 'b', 1, 'a')) AS e",
    ),
    case(
        "map_contains_key_nulls",
        "SELECT id, map_contains_key(m, 'k') AS a, map_contains_key(m, 'zz') AS b, map_contains_key(m, cast(NULL AS STRING)) AS c FROM nested ORDER BY id",
    ),
    case(
        "str_to_map_delimiters",
        "SELECT str_to_map('a:1,b:2,c') AS a, str_to_map('') AS b, str_to_map('a:1:2,b=3,') AS c, str_to_map('x=1;y=2', ';', '=') AS e, str_to_map('k1 v1|k2 v2', '[|]', ' ') AS f",
    ),
    case("str_to_map_column", "SELECT id, str_to_map(s, ' ', 'l') AS r FROM strs ORDER BY id"),
    case("str_to_map_duplicate_raises", "SELECT str_to_map('a:1,a:2') AS r"),
    case("str_to_map_unicode", "SELECT str_to_map('ü:1,日本:二', ',', ':') AS r"),
    case(
        "struct_names_and_nesting",
        "SELECT struct(1, 'a') AS a, struct(id AS x, arr) AS b, named_struct('a', named_struct('b', array(1))) AS c, struct(st) AS e FROM nested WHERE id = 1",
    ),
    case(
        "struct_field_from_function",
        "SELECT id, named_struct('n', size(arr), 's', array_join(sarr, '-')).s AS r FROM nested ORDER BY id",
    ),
    # -- array functions ----------------------------------------------------------------------------------------
    case(
        "array_contains_types",
        "SELECT id, array_contains(sarr, '') AS a, array_contains(sarr, 'ünï') AS b, array_contains(arr, cast(NULL AS INT)) AS c FROM nested ORDER BY id",
    ),
    case("map_key_cast", "SELECT map('1', 'a')[1] AS a, map(1, 'a')['1'] AS b, element_at(map(1L, 'x'), 1) AS c"),
    case("map_key_cast_invalid_raises", "SELECT map(1, 'a')['x'] AS r"),
    case("index_of_string_raises", "SELECT s[0] AS r FROM strs WHERE id = 1"),
    case("element_at_of_string_raises", "SELECT element_at(s, 1) AS r FROM strs WHERE id = 1"),
    case("size_of_string_raises", "SELECT size(s) AS r FROM strs WHERE id = 1"),
    case("index_by_string_raises", "SELECT arr['a'] AS r FROM nested WHERE id = 1"),
    case(
        "array_element_value_coercion",
        "SELECT array_contains(array(1, 2), 1.0) AS a, array_contains(array(1.5D), 1) AS b, array_position(array(1), 1L) AS c, array_remove(array(1, 2), 1L) AS e, array_position(array(DATE'2024-01-01'), TIMESTAMP'2024-01-01 00:00:00') AS f, array_prepend(array(1.5D), 1) AS g, array_insert(array(1), 1, 2L) AS h",
    ),
    case("array_contains_string_number_raises", "SELECT array_contains(array(1, 2), '1') AS r"),
    case("array_contains_null_literal_raises", "SELECT array_contains(array(1), NULL) AS r"),
    case("array_position_decimal_int_raises", "SELECT array_position(array(1.5), 1) AS r"),
    case("array_remove_decimal_raises", "SELECT array_remove(array(1), 1.5) AS r"),
    case("array_append_decimal_raises", "SELECT array_append(array(1), 1.5) AS r"),
    case(
        "array_set_coercion",
        "SELECT array_union(array(1), array(1.5D)) AS a, array_union(array(array(1)), array(array(2L))) AS b, arrays_overlap(array(1), array(1L)) AS c, array_contains(array(array(1)), array(2L)) AS e, array_except(array(1L, 2L), array(2)) AS f",
    ),
    case("array_union_string_number_raises", "SELECT array_union(array(1), array('a')) AS r"),
    case("arrays_overlap_decimal_raises", "SELECT arrays_overlap(array(1), array(1.5)) AS r"),
    case(
        "array_union_decimals_raises",
        "SELECT array_union(array(cast(1 AS DECIMAL(5,2))), array(cast(1 AS DECIMAL(6,1)))) AS r",
    ),
    case(
        "map_contains_key_coercion",
        "SELECT map_contains_key(map(1, 'a'), 1L) AS a, map_contains_key(map(1L, 'a'), 2) AS b",
    ),
    case("map_contains_key_string_raises", "SELECT map_contains_key(map(1, 'a'), '1') AS r"),
    case(
        "array_contains_nan",
        "SELECT array_contains(array(1.5D, double('NaN')), double('NaN')) AS a, array_contains(array(0.0D), -0.0D) AS b, array_contains(array(array(1), NULL), array(1)) AS c",
    ),
    case(
        "array_position_nulls",
        "SELECT id, array_position(sarr, 'b') AS a, array_position(arr, cast(NULL AS INT)) AS b, array_position(sarr, '') AS c FROM nested ORDER BY id",
    ),
    case(
        "array_remove_null_value",
        "SELECT id, array_remove(arr, cast(NULL AS INT)) AS a, array_remove(sarr, 'b') AS b FROM nested ORDER BY id",
    ),
    case(
        "array_distinct_doubles",
        "SELECT array_distinct(array(0.0D, -0.0D, double('NaN'), double('NaN'), NULL, 1.0D, NULL)) AS a, array_distinct(array('b', 'B', 'b', '')) AS b, array_distinct(array(array(1), array(1), NULL, NULL)) AS c",
    ),
    case(
        "array_union_types",
        "SELECT array_union(array(1, 2), array(2L, 3L)) AS a, array_union(array('a', NULL), array(NULL, 'b')) AS b, array_union(cast(NULL AS ARRAY<INT>), array(1)) AS c, array_union(cast(array() AS ARRAY<INT>), array()) AS e",
    ),
    case(
        "array_intersect_except_nulls",
        "SELECT array_intersect(array(1, NULL, 2, 2), array(NULL, 2)) AS a, array_except(array(1, NULL, 2, 1), array(2)) AS b, array_except(array(1, NULL), array(NULL)) AS c, array_intersect(array(1), cast(NULL AS ARRAY<INT>)) AS e",
    ),
    case(
        "arrays_overlap_nulls",
        "SELECT arrays_overlap(array(1, NULL), array(2)) AS a, arrays_overlap(array(), array(NULL)) AS b, arrays_overlap(array(1), array(1, NULL)) AS c, arrays_overlap(array(NULL), array(NULL)) AS e, arrays_overlap(cast(NULL AS ARRAY<INT>), array(1)) AS f",
    ),
    case(
        "sort_array_special_values",
        "SELECT sort_array(array(2.0D, -0.0D, 0.0D, double('NaN'), NULL, double('-inf'), double('inf'))) AS a, sort_array(array(2.0D, NULL, double('NaN'), -1.0D), false) AS b, array_sort(array(2.0D, NULL, double('NaN'), -1.0D)) AS c",
    ),
    case(
        "sort_array_strings_and_nested",
        "SELECT sort_array(array('b', 'B', 'é', 'e', '', NULL)) AS a, array_sort(array(array(2), array(1, NULL), NULL, array())) AS b, sort_array(array(named_struct('a', 2), named_struct('a', NULL), NULL)) AS c",
    ),
    case(
        "sort_array_column_direction",
        "SELECT id, sort_array(sarr, id % 2 = 0) AS a, array_sort(sarr) AS b FROM nested ORDER BY id",
    ),
    case(
        "array_min_max_special",
        "SELECT array_max(array(1.0D, double('NaN'), NULL)) AS a, array_min(array(1.0D, double('NaN'))) AS b, array_max(cast(array() AS ARRAY<INT>)) AS c, array_min(array('b', 'a', NULL)) AS e, array_max(array(DATE'2024-01-01', NULL, DATE'2023-01-01')) AS f",
    ),
    case("array_min_max_columns", "SELECT id, array_min(sarr) AS a, array_max(sarr) AS b FROM nested ORDER BY id"),
    case(
        "array_join_non_strings",
        "SELECT array_join(array(1, NULL, 3), '-') AS a, array_join(array(true, false), '|') AS b, array_join(array(DATE'2024-01-01', NULL), ',', 'none') AS c, array_join(array(1L), cast(NULL AS STRING)) AS e",
    ),
    case(
        "array_join_unicode",
        "SELECT id, array_join(array(s, s), ' ✓ ') AS r FROM strs WHERE id IN (2, 3, 4, 12) ORDER BY id",
    ),
    case(
        "array_repeat_columns",
        "SELECT id, array_repeat(st, 2) AS a, array_repeat(arr, 1) AS b, array_repeat(id, id - 3) AS c FROM nested ORDER BY id",
    ),
    case(
        "array_append_prepend_nulls",
        "SELECT id, array_append(sarr, NULL) AS a, array_prepend(sarr, cast(NULL AS STRING)) AS b, array_append(arr, 2L) AS c FROM nested ORDER BY id",
    ),
    case(
        "array_compact_nested",
        "SELECT array_compact(array(array(1), NULL, array())) AS a, array_compact(cast(NULL AS ARRAY<INT>)) AS b, array_compact(array(cast(NULL AS INT), NULL)) AS c",
    ),
    case(
        "array_insert_edges",
        "SELECT array_insert(array(1), -3, 9) AS a, array_insert(array(1, 2), -2, 9) AS b, array_insert(array(1, 2), -1, 9) AS c, array_insert(array(1, 2), 3, 9) AS e, array_insert(array(1, 2), 2, cast(NULL AS INT)) AS f",
    ),
    case(
        "array_insert_columns",
        "SELECT id, array_insert(arr, 2, 0) AS a, array_insert(sarr, -1, 'z') AS b, array_insert(arr, cast(NULL AS INT), 1) AS c FROM nested ORDER BY id",
    ),
    case("array_insert_zero_raises", "SELECT array_insert(array(1, 2), 0, 9) AS r"),
    case(
        "concat_arrays_nulls",
        "SELECT concat(array(1), cast(NULL AS ARRAY<INT>)) AS a, concat(array(1), array(2L)) AS b, concat(array('a'), array(), array(NULL)) AS c",
    ),
    case(
        "flatten_edges",
        "SELECT flatten(array(array(array(1)), array(array(2, NULL)))) AS a, flatten(cast(NULL AS ARRAY<ARRAY<INT>>)) AS b, flatten(array(cast(array() AS ARRAY<INT>), array())) AS c",
    ),
    case(
        "slice_edges",
        "SELECT slice(array(1, 2, 3), -5, 2) AS a, slice(array(1, 2, 3), 5, 2) AS b, slice(array(1, 2, 3), 1, 0) AS c, slice(array(1, 2, 3), -1, 5) AS e, slice(array(1, 2, 3), 2, cast(NULL AS INT)) AS f",
    ),
    case("slice_negative_length_raises", "SELECT slice(array(1, 2, 3), 1, -1) AS r"),
    case(
        "slice_columns",
        "SELECT id, slice(sarr, 1, 1) AS a, slice(arr, -size(arr), size(arr)) AS b FROM nested WHERE size(arr) > 0 ORDER BY id",
    ),
    case(
        "sequence_types",
        "SELECT sequence(1, 1, 0) AS a, sequence(5, 1, -2) AS b, sequence(1L, 3) AS c, sequence(cast(1 AS TINYINT), cast(3 AS TINYINT)) AS e, sequence(-2, 2) AS f",
    ),
    case("sequence_wrong_step_raises", "SELECT sequence(1, 5, -1) AS r"),
    case("sequence_zero_step_raises", "SELECT sequence(1, 5, 0) AS r"),
    case(
        "sequence_nulls",
        "SELECT sequence(1, cast(NULL AS INT)) AS a, sequence(cast(NULL AS INT), 2) AS b, sequence(1, 3, cast(NULL AS INT)) AS c",
    ),
    case("sequence_columns", "SELECT id, sequence(id, 3) AS a, sequence(1, size(arr)) AS b FROM nested ORDER BY id"),
    case(
        "sequence_dates",
        "SELECT sequence(DATE'2024-01-31', DATE'2024-05-01', INTERVAL 1 MONTH) AS a, sequence(DATE'2024-01-01', DATE'2024-01-03') AS b, sequence(DATE'2024-03-01', DATE'2024-02-27') AS c, sequence(DATE'2024-02-28', DATE'2024-03-10', INTERVAL 1 WEEK) AS e, sequence(DATE'2020-02-29', DATE'2024-03-01', INTERVAL 1 YEAR) AS f",
    ),
    case("sequence_dates_column", "SELECT id, sequence(d, d + 2) AS r FROM times ORDER BY id"),
    case(
        "sequence_timestamps",
        "SELECT sequence(TIMESTAMP'2024-03-10 00:00:00', TIMESTAMP'2024-03-10 03:00:00', INTERVAL 90 MINUTES) AS a, sequence(TIMESTAMP'2024-01-31 12:00:00', TIMESTAMP'2024-04-30 12:00:00', INTERVAL 1 MONTH) AS b",
    ),
    case(
        "sequence_ntz",
        "SELECT sequence(TIMESTAMP_NTZ'2024-03-10 00:00:00', TIMESTAMP_NTZ'2024-03-12 00:00:00', INTERVAL 1 DAY) AS r",
    ),
    case(
        "sequence_timestamps_dst_days",
        "SELECT sequence(TIMESTAMP'2024-03-09 02:30:00', TIMESTAMP'2024-03-12 02:30:00', INTERVAL 1 DAY) AS a, sequence(TIMESTAMP'2024-11-02 01:30:00', TIMESTAMP'2024-11-04 01:30:00', INTERVAL 1 DAY) AS b, sequence(TIMESTAMP'2024-03-10 00:00:00', TIMESTAMP'2024-03-10 05:00:00', INTERVAL 2 HOURS) AS c",
        settings=NEW_YORK,
    ),
    case(
        "sequence_timestamps_zone_months",
        "SELECT sequence(TIMESTAMP'2024-01-31 23:30:00', TIMESTAMP'2024-06-01 00:00:00', INTERVAL 1 MONTH) AS a, sequence(TIMESTAMP'2024-03-12 00:00:00', TIMESTAMP'2024-03-09 00:00:00') AS b",
        settings=BERLIN,
    ),
    case(
        "sequence_timestamps_overlap_offset",
        "SELECT sequence(TIMESTAMP'2024-12-03 01:30:00', TIMESTAMP'2024-10-01 00:00:00', INTERVAL -1 MONTH) AS a, sequence(TIMESTAMP'2024-10-03 01:30:00', TIMESTAMP'2024-12-01 00:00:00', INTERVAL 1 MONTH) AS b",
        settings=NEW_YORK,
    ),
    case(
        "sequence_timestamps_column_zone",
        "SELECT id, sequence(ts, ts + INTERVAL 2 DAYS, INTERVAL 1 DAY) AS r FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "arrays_zip_names",
        "SELECT id, arrays_zip(arr, sarr) AS a, arrays_zip(array(st.a), arr) AS b, arrays_zip(arr) AS c FROM nested ORDER BY id",
    ),
    case(
        "arrays_zip_empty",
        "SELECT arrays_zip(cast(array() AS ARRAY<INT>), cast(array() AS ARRAY<STRING>)) AS a, arrays_zip(array(1), cast(NULL AS ARRAY<INT>)) AS b",
    ),
    case(
        "reverse_nested",
        "SELECT reverse(array(array(1, 2), NULL)) AS a, reverse(cast(NULL AS ARRAY<INT>)) AS b, reverse(cast(array() AS ARRAY<STRING>)) AS c",
    ),
    case(
        "shuffle_keeps_elements",
        "SELECT id, array_sort(shuffle(arr)) AS a, size(shuffle(sarr)) AS b FROM nested ORDER BY id",
    ),
    # -- higher-order functions ---------------------------------------------------------------------------------
    case(
        "transform_types",
        "SELECT id, transform(arr, x -> cast(x AS STRING)) AS a, transform(arr, x -> x * 1.5) AS b, transform(sarr, x -> length(x)) AS c FROM nested ORDER BY id",
    ),
    case(
        "transform_nested_lambdas",
        "SELECT transform(array(array(1, 2), array(3)), (xs, i) -> transform(xs, (x, j) -> x * 10 + i * 100 + j)) AS r",
    ),
    case(
        "transform_outer_column",
        "SELECT id, transform(arr, x -> x + id) AS a, transform(sarr, (s, i) -> concat(s, cast(i AS STRING))) AS b FROM nested ORDER BY id",
    ),
    case(
        "transform_to_struct",
        "SELECT id, transform(arr, (x, i) -> named_struct('v', x, 'i', i)) AS r FROM nested ORDER BY id",
    ),
    case("transform_overflow_raises", "SELECT transform(array(2147483647), x -> x + 1) AS r"),
    case(
        "filter_index_and_nulls",
        "SELECT id, filter(sarr, (s, i) -> i > 0 OR s IS NULL) AS a, filter(arr, x -> NULL) AS b FROM nested ORDER BY id",
    ),
    case(
        "exists_forall_nulls",
        "SELECT exists(array(1, NULL), x -> x > 1) AS a, exists(array(2, NULL), x -> x > 1) AS b, forall(array(1, NULL), x -> x > 0) AS c, forall(array(0, NULL), x -> x > 0) AS e, exists(array(), x -> x > 0) AS f, forall(cast(array() AS ARRAY<INT>), x -> x > 0) AS g",
    ),
    case(
        "exists_subquery_still_works",
        "SELECT id FROM nested o WHERE EXISTS (SELECT 1 FROM strs q WHERE q.id = o.id + 10) ORDER BY id",
    ),
    case(
        "aggregate_types",
        "SELECT aggregate(array(1, 2, 3), 0L, (acc, x) -> acc + x) AS a, aggregate(array(1.5D, 2.25D), 0D, (acc, x) -> acc + x) AS b, aggregate(array('a', 'b'), '', (acc, x) -> concat(acc, x)) AS c",
    ),
    case(
        "aggregate_decimal_mismatch_raises",
        "SELECT aggregate(array(1.5, 2.25), cast(0 AS DECIMAL(10, 2)), (acc, x) -> acc + x) AS r",
    ),
    case(
        "aggregate_finish_null_array",
        "SELECT id, aggregate(arr, 0L, (acc, x) -> acc + coalesce(x, 0), acc -> coalesce(acc, -1)) AS r FROM nested ORDER BY id",
    ),
    case(
        "aggregate_order",
        "SELECT aggregate(array(1, 2, 3), 0, (acc, x) -> acc * 10 + x) AS a, reduce(array('x', 'y'), 'z', (acc, x) -> concat(acc, x), acc -> upper(acc)) AS b",
    ),
    case("aggregate_type_mismatch_raises", "SELECT aggregate(array(1L), 0, (acc, x) -> acc + x) AS r"),
    case(
        "zip_with_lengths",
        "SELECT id, zip_with(arr, sarr, (x, s) -> concat(cast(x AS STRING), s)) AS a, zip_with(arr, array(1), (x, y) -> coalesce(x, 0) + coalesce(y, 0)) AS b FROM nested ORDER BY id",
    ),
    case(
        "array_sort_comparator_nulls",
        "SELECT id, array_sort(arr, (l, r) -> CASE WHEN l IS NULL AND r IS NULL THEN 0 WHEN l IS NULL THEN -1 WHEN r IS NULL THEN 1 WHEN l < r THEN 1 WHEN l > r THEN -1 ELSE 0 END) AS r FROM nested ORDER BY id",
    ),
    case(
        "array_sort_comparator_stable",
        "SELECT array_sort(array('bb', 'a', 'cc', 'd', 'ee'), (l, r) -> length(l) - length(r)) AS r",
    ),
    case(
        "map_filter_nulls",
        "SELECT id, map_filter(m, (k, v) -> v IS NULL) AS a, map_filter(m, (k, v) -> k > 'a') AS b FROM nested ORDER BY id",
    ),
    case(
        "transform_values_types",
        "SELECT id, transform_values(m, (k, v) -> concat(k, cast(v AS STRING))) AS a, transform_values(m, (k, v) -> v IS NULL) AS b FROM nested ORDER BY id",
    ),
    case("transform_keys_duplicate_raises", "SELECT transform_keys(map('a', 1, 'b', 2), (k, v) -> 'same') AS r"),
    case("transform_keys_null_raises", "SELECT transform_keys(map('a', 1), (k, v) -> cast(NULL AS STRING)) AS r"),
    case(
        "map_zip_with_nulls",
        "SELECT id, map_zip_with(m, map('a', 100, 'q', 5), (k, v1, v2) -> concat(k, ':', cast(v1 AS STRING), '/', cast(v2 AS STRING))) AS r FROM nested ORDER BY id",
    ),
    # -- generators ---------------------------------------------------------------------------------------------
    case("explode_structs", "SELECT id, explode(array(st, NULL)) AS s FROM nested WHERE id < 3"),
    case("explode_outer_map", "SELECT id, explode_outer(m) AS (k, v) FROM nested"),
    case("explode_nested_arrays", "SELECT explode(array(array(1, 2), NULL, array())) AS a"),
    case("posexplode_map", "SELECT id, posexplode(m) FROM nested"),
    case("posexplode_outer_default_names", "SELECT id, posexplode_outer(arr) FROM nested"),
    case(
        "inline_default_names",
        "SELECT inline(array(named_struct('a', 1, 'b', 'x'), named_struct('a', 2, 'b', NULL), NULL))",
    ),
    case("inline_outer_select", "SELECT inline_outer(cast(array() AS ARRAY<STRUCT<a: INT, b: STRING>>))"),
    case("stack_default_names", "SELECT stack(3, 1, 'a', 2, 'b', 3)"),
    case("stack_widening", "SELECT stack(2, 1, 2.5D, 2L, NULL) AS (a, b)"),
    case("stack_with_columns", "SELECT id, stack(2, id, s, id * 10, upper(s)) AS (n, t) FROM strs WHERE id < 4"),
    case("explode_with_where_order", "SELECT id, explode(sarr) AS x FROM nested WHERE id < 3 ORDER BY id, x"),
    case("explode_sequence", "SELECT explode(sequence(1, 5)) AS n"),
    case("explode_sequence_squares", "SELECT id, id * id AS square FROM (SELECT explode(sequence(1, 10)) AS id)"),
    case("explode_then_aggregate", "SELECT x, count(*) AS n FROM (SELECT explode(arr) AS x FROM nested) GROUP BY x"),
    case("explode_in_expression_raises", "SELECT explode(arr) + 1 AS r FROM nested"),
    case("two_generators_cross_product", "SELECT id, explode(arr) AS a, explode(sarr) AS b FROM nested"),
    case("lateral_view_qualified", "SELECT n.id, t.x FROM nested n LATERAL VIEW explode(n.arr) t AS x WHERE t.x > 1"),
    case("lateral_view_outer_map", "SELECT id, k, v FROM nested LATERAL VIEW OUTER explode(m) t AS k, v"),
    case("lateral_view_default_name", "SELECT id, col FROM nested LATERAL VIEW explode(sarr) t"),
    case("lateral_view_posexplode_outer", "SELECT id, p, x FROM nested LATERAL VIEW OUTER posexplode(arr) t AS p, x"),
    case(
        "lateral_view_inline",
        "SELECT id, a, b FROM nested LATERAL VIEW inline(array(st, named_struct('a', 0, 'b', 'z'))) t AS a, b",
    ),
    case(
        "lateral_view_stack",
        "SELECT id, k, v FROM nested LATERAL VIEW stack(2, 'one', id, 'two', id * 2) t AS k, v WHERE id < 3",
    ),
    case(
        "lateral_view_chained",
        "SELECT id, x, y FROM nested LATERAL VIEW explode(arr) a AS x LATERAL VIEW explode(sequence(1, x)) b AS y WHERE id = 1",
    ),
    case(
        "lateral_view_with_join",
        "SELECT n.id, s.s, x FROM nested n JOIN strs s ON s.id = n.id LATERAL VIEW explode(n.sarr) t AS x",
    ),
    case(
        "lateral_view_group_by",
        "SELECT x, count(*) AS n, sum(id) AS ids FROM nested LATERAL VIEW OUTER explode(arr) t AS x GROUP BY x",
    ),
    case("explode_from_alias", "SELECT t.v FROM explode(array(10, 20)) AS t(v)"),
    case("posexplode_in_from", "SELECT * FROM posexplode(array('a', 'b'))"),
]
