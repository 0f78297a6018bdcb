"""Comparisons, NULL handling, conditional functions, and row order (NULLs first for ASC, last for DESC)."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

CASES = [
    case("order_by_nulls_first_asc", "SELECT id, i FROM nums ORDER BY i, id"),
    case("order_by_nulls_last_desc", "SELECT id, i FROM nums ORDER BY i DESC, id"),
    case("order_by_nulls_last_explicit", "SELECT id, i FROM nums ORDER BY i ASC NULLS LAST, id"),
    case("order_by_double_nan_inf", "SELECT id, d FROM nums ORDER BY d, id"),
    case("order_by_double_desc", "SELECT id, d FROM nums ORDER BY d DESC, id"),
    case("order_by_string_bytes", "SELECT id, s FROM strs ORDER BY s, id"),
    case("order_by_date_nulls", "SELECT id, d FROM times ORDER BY d DESC NULLS FIRST, id"),
    case("order_by_limit", "SELECT id, amt FROM nums ORDER BY amt DESC, id LIMIT 3"),
    case("nan_equals_nan", "SELECT id, d = d AS eq, d > 1e308 AS gt, d <=> d AS nse FROM nums ORDER BY id"),
    case("nan_greater_than_infinity", "SELECT count(*) AS n FROM nums WHERE d > cast('Infinity' AS DOUBLE)"),
    case("negative_zero_equals_zero", "SELECT count(*) AS n FROM nums WHERE d = 0"),
    case("group_by_negative_zero", "SELECT cast(d AS STRING) AS k, count(*) AS n FROM nums WHERE d = 0 GROUP BY d"),
    case(
        "null_safe_equality",
        "SELECT a.id AS a_id, b.id AS b_id FROM nums a JOIN nums b ON a.i <=> b.i ORDER BY a.id, b.id",
    ),
    case(
        "join_on_null_keys_drops",
        "SELECT a.id AS a_id, b.id AS b_id FROM nums a JOIN nums b ON a.grp = b.grp WHERE a.id < 5 ORDER BY a.id, b.id",
    ),
    case("in_with_null", "SELECT id, i IN (1, NULL) AS a, i NOT IN (1, NULL) AS b FROM nums ORDER BY id"),
    case("between", "SELECT id, d BETWEEN 0 AND 2 AS r FROM nums ORDER BY id"),
    case(
        "case_when_null",
        "SELECT id, CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' ELSE 'zero or null' END AS r FROM nums ORDER BY id",
    ),
    case(
        "case_simple_form", "SELECT id, CASE grp WHEN 'a' THEN 1 WHEN NULL THEN 2 ELSE 3 END AS r FROM nums ORDER BY id"
    ),
    case(
        "if_function", "SELECT id, if(i > 2, 'big', 'small') AS a, if(i IS NULL, 'n', 'v') AS b FROM nums ORDER BY id"
    ),
    case(
        "coalesce_types",
        "SELECT id, coalesce(i, l) AS a, coalesce(amt, 0) AS b, coalesce(grp, 'none') AS c FROM nums ORDER BY id",
    ),
    case(
        "nvl_nvl2_nullif",
        "SELECT id, nvl(i, -1) AS a, nvl2(i, 'has', 'none') AS b, nullif(i, 0) AS c, ifnull(grp, '?') AS e FROM nums ORDER BY id",
    ),
    case("isnull_isnotnull", "SELECT id, isnull(i) AS a, isnotnull(grp) AS b, isnan(d) AS c FROM nums ORDER BY id"),
    case("nanvl", "SELECT id, nanvl(d, -1D) AS r FROM nums ORDER BY id"),
    case(
        "greatest_least_nulls",
        "SELECT id, greatest(i, t, 2) AS a, least(i, s, -1) AS b, greatest(d, 0D) AS c FROM nums ORDER BY id",
    ),
    case(
        "boolean_three_valued",
        "SELECT id, (i > 0) AND (d > 0) AS a, (i > 0) OR (d > 0) AS b, NOT (i > 0) AS c FROM nums ORDER BY id",
    ),
    case("equal_null_function", "SELECT id, equal_null(grp, 'a') AS r FROM nums ORDER BY id"),
    case("string_number_comparison", "SELECT id, n = 42 AS r FROM strs WHERE id IN (1, 2, 8) ORDER BY id"),
    case("decimal_vs_double_compare", "SELECT id, amt = d AS a, amt > 1 AS b FROM nums ORDER BY id"),
    case("distinct_nulls", "SELECT DISTINCT grp FROM nums"),
    case("count_distinct_nulls", "SELECT count(DISTINCT grp) AS a, count(DISTINCT i, grp) AS b FROM nums"),
    case(
        "union_type_widening",
        "SELECT i AS v FROM nums WHERE id = 1 UNION ALL SELECT d AS v FROM nums WHERE id = 2 UNION ALL SELECT amt AS v FROM nums WHERE id = 3",
    ),
    case("union_distinct_nan", "SELECT d FROM nums UNION SELECT d FROM nums"),
    case("except_intersect", "SELECT grp FROM nums EXCEPT SELECT grp FROM sales"),
    case("group_by_all", "SELECT grp, count(*) AS n FROM nums GROUP BY ALL"),
    case("having", "SELECT grp, sum(i) AS s FROM nums GROUP BY grp HAVING sum(i) > 3"),
    case("qualify", "SELECT id, grp FROM nums QUALIFY row_number() OVER (PARTITION BY grp ORDER BY id) = 1"),
    case("left_join_nulls", "SELECT n.id, s.v FROM nums n LEFT JOIN sales s ON n.id = s.id AND s.v > 5 ORDER BY n.id"),
    case(
        "full_outer_join",
        "SELECT n.grp AS g1, s.grp AS g2 FROM (SELECT DISTINCT grp FROM nums) n FULL OUTER JOIN (SELECT DISTINCT grp FROM sales) s ON n.grp = s.grp",
    ),
    case("left_anti_semi", "SELECT id FROM nums n LEFT ANTI JOIN sales s ON n.grp = s.grp"),
    case("distinct_negative_zero", "SELECT DISTINCT d, f FROM nums WHERE d = 0"),
    case("distinct_negative_zero_alias", "SELECT DISTINCT d AS x FROM nums WHERE id IN (3, 8) OR d IS NULL ORDER BY x"),
    case(
        "group_by_negative_zero_key",
        "SELECT d AS k, f, count(*) AS n, CAST(d AS STRING) AS t, -d AS m FROM nums WHERE d = 0 OR d IS NULL GROUP BY d, f ORDER BY k",
    ),
    case("group_by_negative_zero_ordinal", "SELECT f, count(*) AS n FROM nums WHERE id IN (3, 8) GROUP BY 1"),
    case("group_by_all_negative_zero", "SELECT d, count(*) AS n FROM nums WHERE id IN (8, 3) GROUP BY ALL"),
    case(
        "distinct_negative_zero_subquery",
        "SELECT x, count(*) AS n FROM (SELECT DISTINCT d AS x, grp FROM nums WHERE id IN (3, 8)) GROUP BY x",
    ),
]
