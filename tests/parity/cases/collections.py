"""Arrays, maps, structs: NULL elements, empty and NULL arrays, 1-based access and its ANSI errors, higher-order
functions (the lambda index counts from 0), order-keeping set functions, explode and LATERAL VIEW (OUTER)."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

ANSI_OFF = {"spark.sql.ansi.enabled": "false"}

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
]
