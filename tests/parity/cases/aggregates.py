"""Aggregates: result types (sum of ints is BIGINT, avg of decimal(p,s) is decimal(p+4,s+4)), NULL handling,
overflow in sum, percentile interpolation, min_by/max_by with NULLs, collect_* and FILTER clauses."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

ANSI_OFF = {"spark.sql.ansi.enabled": "false"}

CASES = [
    case("sum_int_is_bigint", "SELECT grp, sum(v) AS s FROM sales GROUP BY grp"),
    case("sum_small_ints", "SELECT sum(s) AS a, sum(t) AS b, sum(i) AS c, sum(l) AS e FROM nums"),
    case("sum_decimal_type", "SELECT grp, sum(amt) AS s FROM sales GROUP BY grp"),
    case("sum_decimal_38", "SELECT sum(big) AS s FROM nums WHERE id <> 6"),
    case("sum_double_specials", "SELECT sum(d) AS a, sum(f) AS b FROM nums"),
    case("sum_bigint_overflow_raises", "SELECT sum(l) AS s FROM limits WHERE id IN (1, 3)"),
    case("sum_bigint_overflow_non_ansi", "SELECT sum(l) AS s FROM limits WHERE id IN (1, 3)", settings=ANSI_OFF),
    case("sum_bigint_limits_cancel", "SELECT sum(l) AS s FROM limits", note="max + min + 1: no overflow on the way"),
    case("sum_decimal_overflow_raises", "SELECT sum(huge) AS s FROM limits WHERE id <> 2"),
    case("try_sum_overflow", "SELECT try_sum(l) AS a, try_sum(i) AS b FROM limits WHERE id IN (1, 3)"),
    case("avg_types", "SELECT grp, avg(v) AS a, avg(amt) AS b, avg(x) AS c FROM sales GROUP BY grp"),
    case("avg_decimal_38", "SELECT avg(big) AS a FROM nums WHERE id <> 6"),
    case("avg_int_limits", "SELECT avg(i) AS a, avg(l) AS b FROM limits"),
    case(
        "count_forms",
        "SELECT count(*) AS a, count(v) AS b, count(1) AS c, count(DISTINCT v) AS e, count(NULL) AS f FROM sales",
    ),
    case("count_if", "SELECT grp, count_if(v > 5) AS n FROM sales GROUP BY grp"),
    case("sum_of_empty_group", "SELECT sum(v) AS s, count(v) AS n, avg(v) AS a, max(v) AS m FROM sales WHERE id > 100"),
    case("min_max_specials", "SELECT min(d) AS a, max(d) AS b, min(f) AS c, max(f) AS e FROM nums"),
    case("min_max_strings_dates", "SELECT min(s) AS a, max(s) AS b FROM strs"),
    case("min_by_with_null_value", "SELECT grp, min_by(v, x) AS a, max_by(v, x) AS b FROM sales GROUP BY grp"),
    case(
        "min_by_null_key_ignored",
        "SELECT min_by(id, x) AS a, max_by(id, x) AS b FROM sales",
        note="x has NULL keys and a unique least and greatest; with tied keys Spark's pick is not defined",
    ),
    case("min_by_value_null", "SELECT min_by(a, b) AS r FROM VALUES (NULL, 1), (5, 2) AS t(a, b)"),
    case(
        "percentile_interpolates",
        "SELECT grp, percentile(v, 0.5) AS p50, percentile(v, 0.25) AS p25 FROM sales GROUP BY grp",
    ),
    case("percentile_array", "SELECT percentile(v, array(0.1, 0.9)) AS r FROM sales"),
    case(
        "percentile_cont_disc",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS a, percentile_disc(0.5) WITHIN GROUP (ORDER BY v) AS b FROM sales",
    ),
    case("median", "SELECT grp, median(v) AS m FROM sales GROUP BY grp"),
    case("percentile_approx_small", "SELECT percentile_approx(v, 0.5) AS r FROM sales"),
    case(
        "collect_list_skips_nulls",
        "SELECT grp, sort_array(collect_list(v)) AS l, sort_array(collect_set(v)) AS s FROM sales GROUP BY grp",
    ),
    case("array_agg", "SELECT grp, sort_array(array_agg(v)) AS r FROM sales GROUP BY grp"),
    # first/last without a window's ORDER BY are nondeterministic in Spark itself: not a parity question
    case(
        "any_value_bool_aggs",
        "SELECT grp, bool_and(v > 1) AS a, bool_or(v > 10) AS b, every(v > 0) AS c, some(v > 15) AS e FROM sales GROUP BY grp",
    ),
    case("bool_aggs_any", "SELECT grp, any(v > 15) AS r FROM sales GROUP BY grp"),
    case(
        "stddev_variance",
        "SELECT grp, stddev(x) AS a, variance(x) AS b, stddev_pop(x) AS c, var_pop(x) AS e FROM sales GROUP BY grp",
    ),
    case("stddev_single_row", "SELECT stddev_samp(x) AS a, var_samp(x) AS b FROM sales WHERE id = 1"),
    case("corr_covar", "SELECT corr(v, x) AS a, covar_pop(v, x) AS b, covar_samp(v, x) AS c FROM sales"),
    case(
        "filter_clause",
        "SELECT grp, sum(v) FILTER (WHERE x > 1) AS s, count(*) FILTER (WHERE v IS NULL) AS n FROM sales GROUP BY grp",
    ),
    case("sum_distinct", "SELECT sum(DISTINCT v) AS a, avg(DISTINCT v) AS b FROM sales"),
    case("group_by_null_group", "SELECT grp, count(*) AS n FROM sales GROUP BY grp"),
    case(
        "grouping_sets",
        "SELECT grp, day, sum(v) AS s FROM sales WHERE id < 8 GROUP BY GROUPING SETS ((grp), (day), ())",
    ),
    case("rollup_grouping", "SELECT grp, grouping(grp) AS g, sum(v) AS s FROM sales GROUP BY ROLLUP(grp)"),
    case(
        "cube_grouping_id",
        "SELECT grp, v, grouping_id() AS gid, count(*) AS n FROM sales WHERE id <= 3 GROUP BY CUBE(grp, v)",
    ),
    case(
        "pivot",
        "SELECT * FROM (SELECT grp, v FROM sales WHERE grp IS NOT NULL) PIVOT (sum(v) FOR grp IN ('a' AS a, 'b' AS b, 'c' AS c))",
    ),
    case("approx_count_distinct", "SELECT approx_count_distinct(v) AS r FROM sales"),
    case("mode", "SELECT mode(v) AS r FROM sales WHERE grp = 'a'"),
    case("max_of_struct_and_array", "SELECT max(st) AS a, min(arr) AS b FROM nested"),
    case("aggregate_over_empty_table_no_group", "SELECT count(*) AS n, sum(i) AS s FROM nums WHERE 1 = 0"),
    case("sum_decimal_scale_growth", "SELECT sum(amt * 1.5) AS r, sum(amt) / count(*) AS q FROM sales"),
    case("kurtosis_skewness", "SELECT skewness(x) AS a, kurtosis(x) AS b FROM sales"),
    case("bit_and_or_xor", "SELECT bit_and(v) AS a, bit_or(v) AS b, bit_xor(v) AS c FROM sales"),
    case("histogram_numeric_free_listagg", "SELECT listagg(grp, '|') WITHIN GROUP (ORDER BY id) AS r FROM sales"),
]
