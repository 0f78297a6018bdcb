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

# sum, avg, try_* at the edges
CASES += [
    case("avg_double_specials", "SELECT grp, avg(d) AS a, avg(f) AS b, avg(t) AS c FROM nums GROUP BY grp"),
    case("avg_decimal_by_group", "SELECT grp, avg(big) AS a, avg(amt) AS b FROM nums GROUP BY grp"),
    case("avg_decimal_all_null_group", "SELECT avg(amt) AS a, sum(amt) AS b, avg(v) AS c FROM sales WHERE grp = 'c'"),
    case(
        "avg_distinct_decimal",
        "SELECT avg(DISTINCT amt) AS a, sum(DISTINCT amt) AS b, count(DISTINCT amt) AS c FROM sales",
    ),
    case("mean_alias", "SELECT mean(v) AS a, mean(amt) AS b, mean(x) AS c FROM sales"),
    case("avg_decimal_overflow_raises", "SELECT avg(huge) AS a FROM limits WHERE id IN (1, 3)"),
    case("avg_decimal_overflow_non_ansi", "SELECT avg(huge) AS a FROM limits WHERE id IN (1, 3)", settings=ANSI_OFF),
    case("avg_bigint_limits_each", "SELECT id, avg(l) AS a, avg(i) AS b, avg(s) AS c FROM limits GROUP BY id"),
    case("try_avg_forms", "SELECT try_avg(huge) AS a, try_avg(l) AS b, try_avg(i) AS c FROM limits"),
    case("try_avg_doubles_decimals", "SELECT try_avg(d) AS a, try_avg(amt) AS b, try_avg(big) AS c FROM nums"),
    case("try_avg_overflow", "SELECT try_avg(huge) AS a FROM limits WHERE id IN (1, 3)"),
    case(
        "try_sum_types",
        "SELECT try_sum(s) AS a, try_sum(t) AS b, try_sum(amt) AS c, try_sum(d) AS e, try_sum(big) AS f FROM nums",
    ),
    case("try_sum_decimal_overflow", "SELECT try_sum(huge) AS a FROM limits WHERE id IN (1, 3)"),
    case(
        "try_sum_non_ansi",
        "SELECT try_sum(l) AS a, try_sum(huge) AS b FROM limits WHERE id IN (1, 3)",
        settings=ANSI_OFF,
    ),
    case("sum_int_limits_by_id", "SELECT sum(i) AS a, sum(s) AS b, sum(t) AS c FROM limits"),
    case("sum_small_ints_non_ansi", "SELECT sum(t) AS a, sum(l) AS b FROM limits WHERE id <> 3", settings=ANSI_OFF),
    case(
        "count_if_nulls",
        "SELECT grp, count_if(x > 1.5) AS a, count_if(NULL) AS b, count_if(v IS NULL) AS c FROM sales GROUP BY grp",
    ),
    case(
        "count_distinct_pairs",
        "SELECT count(DISTINCT grp, v) AS a, count(grp, v) AS b, count(DISTINCT day) AS c FROM sales",
    ),
]

# min, max, min_by, max_by
CASES += [
    case(
        "min_max_temporal",
        "SELECT min(d) AS a, max(d) AS b, min(ts) AS c, max(ts) AS e, min(ntz) AS f, max(ntz) AS g FROM times",
    ),
    case("min_max_bool_decimal", "SELECT min(v > 5) AS a, max(v > 5) AS b, min(amt) AS c, max(amt) AS e FROM sales"),
    case("min_max_strings_unicode", "SELECT min(s) AS a, max(s) AS b, min(n) AS c, max(n) AS e FROM strs WHERE id > 3"),
    case(
        "min_max_arrays",
        "SELECT max(arr) AS a, min(arr) AS b, max(sarr) AS c, min(sarr) AS e FROM nested WHERE id <> 3",
    ),
    case("min_max_struct_by_group", "SELECT id % 2 AS k, max(st) AS a, min(st) AS b FROM nested GROUP BY id % 2"),
    case("max_by_string_and_date", "SELECT min_by(s, id) AS a, max_by(s, id) AS b, max_by(id, s) AS c FROM strs"),
    case("max_by_date_key", "SELECT max_by(v, day) AS a, min_by(amt, day) AS b FROM sales"),
    case("max_by_k", "SELECT max_by(id, x, 3) AS a, min_by(id, x, 2) AS b, max_by(v, x, 20) AS c FROM sales"),
    case("max_by_no_keys", "SELECT max_by(id, v) AS a, min_by(id, v, 2) AS b FROM sales WHERE grp = 'c'"),
    case("min_by_over_window", "SELECT id, max_by(v, x) OVER (PARTITION BY grp) AS m FROM sales ORDER BY id"),
]

# first, last, any_value (deterministic only: one candidate per group, or a window's order)
CASES += [
    case(
        "first_last_ignore_nulls_groups",
        "SELECT grp, first(v, true) AS a, last(v) IGNORE NULLS AS b, any_value(v, true) AS c, first_value(v, true) AS e FROM sales WHERE id IN (3, 4, 9, 10, 11) GROUP BY grp",
    ),
    case(
        "first_last_single_rows",
        "SELECT grp, first(v) AS a, last(amt) AS b, any_value(x) AS c, last_value(day) AS e FROM sales WHERE id IN (4, 5, 8, 10) GROUP BY grp",
    ),
]

# booleans and bits
CASES += [
    case(
        "bool_aggs_nulls",
        "SELECT grp, bool_and(v > 1) AS a, bool_or(v > 100) AS b, every(x IS NULL) AS c, some(v IS NULL) AS e FROM sales GROUP BY grp",
    ),
    case(
        "bool_aggs_empty", "SELECT bool_and(v > 1) AS a, bool_or(v > 1) AS b, any(v > 1) AS c FROM sales WHERE id > 100"
    ),
    case(
        "bit_aggs_limits",
        "SELECT bit_and(l) AS a, bit_or(i) AS b, bit_xor(s) AS c, bit_xor(t) AS e, bit_or(l) AS f FROM limits",
    ),
    case("bit_aggs_empty", "SELECT bit_and(v) AS a, bit_xor(v) AS b FROM sales WHERE grp = 'c'"),
]

# collections and strings
CASES += [
    case("collect_list_strings", "SELECT sort_array(collect_list(s)) AS a, sort_array(collect_set(s)) AS b FROM strs"),
    case(
        "collect_list_distinct",
        "SELECT grp, sort_array(collect_list(DISTINCT v)) AS a, size(collect_set(x)) AS b FROM sales GROUP BY grp",
    ),
    case(
        "collect_list_empty_group",
        "SELECT collect_list(v) AS a, collect_set(v) AS b, array_agg(v) AS c FROM sales WHERE id > 100",
    ),
    case(
        "collect_list_of_arrays",
        "SELECT id % 2 AS k, size(collect_list(arr)) AS a, size(collect_list(st)) AS b FROM nested GROUP BY id % 2",
    ),
    case(
        "collect_list_over_window",
        "SELECT id, collect_list(v) OVER (PARTITION BY grp ORDER BY id) AS a, collect_list(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS b FROM sales ORDER BY id",
    ),
    case(
        "collect_union", "SELECT sort_array(collect_union(arr)) AS a, sort_array(collect_union(sarr)) AS b FROM nested"
    ),
    case("collect_union_empty", "SELECT collect_union(arr) AS a FROM nested WHERE id IN (3, 4)"),
    case(
        "listagg_unicode_ordered",
        "SELECT listagg(s, ', ') WITHIN GROUP (ORDER BY id) AS a, string_agg(s, '') WITHIN GROUP (ORDER BY id DESC) AS b FROM strs",
    ),
    case(
        "listagg_distinct_desc",
        "SELECT listagg(DISTINCT grp, '/') WITHIN GROUP (ORDER BY grp DESC) AS a FROM sales",
        note="with a second DISTINCT listagg in another order Spark 4.3 fails internally (Py4JJavaError)",
    ),
    case(
        "listagg_distinct_default_delimiter", "SELECT listagg(DISTINCT grp) WITHIN GROUP (ORDER BY grp) AS b FROM sales"
    ),
    case(
        "listagg_order_nulls_first",
        "SELECT grp, listagg(CAST(id AS STRING), '-') WITHIN GROUP (ORDER BY v, id) AS a FROM sales GROUP BY grp",
    ),
    case("listagg_all_null", "SELECT listagg(s, ',') AS a, string_agg(s) AS b FROM strs WHERE id = 3"),
]

# mode
CASES += [
    case("mode_deterministic_ties", "SELECT mode(x, true) AS a, mode(amt, true) AS b FROM sales"),
    case("mode_deterministic_strings", "SELECT mode(s, true) AS a, mode(n, true) AS b FROM strs"),
    case(
        "mode_within_group",
        "SELECT grp, mode() WITHIN GROUP (ORDER BY v) AS a, mode() WITHIN GROUP (ORDER BY v DESC) AS b FROM sales GROUP BY grp",
    ),
    case("mode_all_null", "SELECT mode(v) AS a, mode(v, true) AS b FROM sales WHERE grp = 'c'"),
    case("mode_strings", "SELECT mode(grp, true) AS a, mode(day, true) AS b FROM sales"),
]

# percentiles
CASES += [
    case(
        "percentile_doubles_decimals",
        "SELECT percentile(x, 0.33) AS a, percentile(amt, 0.5) AS b, percentile(x, 0) AS c, percentile(x, 1) AS e FROM sales",
    ),
    case(
        "percentile_specials",
        "SELECT percentile(d, 0.5) AS a, percentile(d, 0.1) AS b, median(i) AS c, median(big) AS e FROM nums",
    ),
    case(
        "percentile_frequency",
        "SELECT grp, percentile(v, 0.5, id) AS a, percentile(x, 0.25, 2) AS b FROM sales GROUP BY grp",
    ),
    case("percentile_out_of_range", "SELECT percentile(v, 1.5) AS a FROM sales"),
    case(
        "percentile_disc_cont_grid",
        "SELECT grp, percentile_disc(0.25) WITHIN GROUP (ORDER BY v) AS a, percentile_disc(0.75) WITHIN GROUP (ORDER BY v DESC) AS b, percentile_cont(0.3) WITHIN GROUP (ORDER BY x DESC) AS c, percentile_cont(0.9) WITHIN GROUP (ORDER BY amt) AS e FROM sales GROUP BY grp",
    ),
    case("median_by_group", "SELECT grp, median(x) AS a, median(amt) AS b FROM sales GROUP BY grp"),
    case(
        "percentile_bounded_window",
        "SELECT id, percentile(v, 0.5) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS a FROM sales ORDER BY id",
    ),
    case("median_partition_window", "SELECT id, median(v) OVER (PARTITION BY grp) AS a FROM sales ORDER BY id"),
]

# statistics
CASES += [
    case(
        "stddev_variance_specials",
        "SELECT grp, stddev(d) AS a, var_pop(d) AS b, stddev_pop(i) AS c, variance(amt) AS e FROM nums GROUP BY grp",
    ),
    case("std_alias_single_rows", "SELECT std(x) AS a, var_pop(x) AS b, stddev_pop(x) AS c FROM sales WHERE id = 1"),
    case(
        "variance_empty",
        "SELECT variance(x) AS a, stddev(x) AS b, skewness(x) AS c, corr(x, v) AS e FROM sales WHERE id > 100",
    ),
    case(
        "skewness_kurtosis_groups",
        "SELECT grp, skewness(x) AS a, kurtosis(x) AS b, skewness(v) AS c, kurtosis(amt) AS e FROM sales GROUP BY grp",
    ),
    case(
        "moments_specials", "SELECT skewness(d) AS a, kurtosis(f) AS b, skewness(i) AS c, kurtosis(big) AS e FROM nums"
    ),
    case(
        "covar_corr_groups",
        "SELECT grp, covar_pop(x, v) AS a, covar_samp(amt, x) AS b, corr(x, v) AS c, corr(v, v) AS e FROM sales GROUP BY grp",
    ),
    case(
        "covar_corr_specials",
        "SELECT covar_pop(d, i) AS a, covar_samp(f, d) AS b, corr(d, l) AS c, corr(i, l) AS e FROM nums",
    ),
    case(
        "regr_all",
        "SELECT regr_count(v, x) AS a, regr_avgx(v, x) AS b, regr_avgy(v, x) AS c, regr_slope(v, x) AS e, regr_intercept(v, x) AS f, regr_r2(v, x) AS g, regr_sxx(v, x) AS h, regr_sxy(v, x) AS i, regr_syy(v, x) AS j FROM sales",
    ),
    case(
        "regr_by_group_decimal",
        "SELECT grp, regr_avgx(v, amt) AS a, regr_avgy(amt, x) AS b, regr_slope(amt, x) AS c, regr_r2(x, amt) AS e, regr_count(amt, v) AS f FROM sales GROUP BY grp",
    ),
    case(
        "regr_degenerate",
        "SELECT regr_r2(a, b) AS r1, regr_r2(b, a) AS r2, regr_slope(a, b) AS s, regr_intercept(b, a) AS i, corr(a, b) AS c FROM VALUES (1.0D, 1.0D), (1.0D, 2.0D) AS t(a, b)",
    ),
    case(
        "stddev_bounded_window",
        "SELECT id, stddev(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a, corr(v, x) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING) AS b FROM sales ORDER BY id",
    ),
    case("variance_partition_window", "SELECT id, var_samp(x) OVER (PARTITION BY grp) AS a FROM sales ORDER BY id"),
    case("skewness_running_window", "SELECT id, skewness(x) OVER (ORDER BY id) AS a FROM sales ORDER BY id"),
]

# FILTER, DISTINCT, grouping sets
CASES += [
    case(
        "filter_rewritten_aggregates",
        "SELECT grp, avg(amt) FILTER (WHERE v > 5) AS a, percentile(v, 0.5) FILTER (WHERE id < 12) AS b, count(DISTINCT v) FILTER (WHERE x > 0) AS c, collect_list(v) FILTER (WHERE v <> 20) AS e FROM sales GROUP BY grp",
    ),
    case(
        "filter_over_window",
        "SELECT id, sum(v) FILTER (WHERE x > 1) OVER (PARTITION BY grp) AS a, count(*) FILTER (WHERE v IS NULL) OVER (ORDER BY id) AS b FROM sales ORDER BY id",
    ),
    case(
        "rollup_two_columns",
        "SELECT grp, day, grouping_id() AS g, grouping(day) AS gd, sum(v) AS s FROM sales WHERE id < 9 GROUP BY ROLLUP(grp, day)",
    ),
    case(
        "grouping_sets_grouping_id_args",
        "SELECT grp, v, grouping_id(grp, v) AS g, count(*) AS n FROM sales WHERE id < 6 GROUP BY GROUPING SETS ((grp, v), (grp), ())",
    ),
    case(
        "grouping_in_having_order",
        "SELECT grp, sum(v) AS s FROM sales GROUP BY CUBE(grp) HAVING grouping(grp) = 0 OR sum(v) > 0 ORDER BY grouping(grp), grp",
    ),
    case(
        "grouping_types",
        "SELECT typeof(grouping(grp)) AS a, typeof(grouping_id()) AS b FROM sales GROUP BY ROLLUP(grp) LIMIT 1",
        ordered=False,
    ),
]

# PIVOT
CASES += [
    case(
        "pivot_grouped_counts",
        "SELECT * FROM (SELECT grp, v, id % 2 AS k FROM sales) PIVOT (count(v) AS n, sum(v) AS s FOR grp IN ('a' AS a, 'b' AS b, 'c' AS c)) ORDER BY k",
    ),
    case(
        "pivot_collect_and_avg",
        "SELECT * FROM (SELECT id % 3 AS k, v FROM sales) PIVOT (collect_list(v) AS l, avg(v) AS m FOR k IN (0 AS zero, 1 AS one, 7 AS seven))",
    ),
    case(
        "pivot_table_source",
        "SELECT * FROM sales PIVOT (max(amt) FOR grp IN ('a' AS a, 'd' AS d)) ORDER BY id",
    ),
    case(
        "pivot_tuple_values",
        "SELECT * FROM (SELECT grp, id % 2 AS k, v FROM sales) PIVOT (sum(v) FOR (grp, k) IN (('a', 1) AS a1, ('b', 0) AS b0))",
    ),
    case(
        "pivot_unaliased_values",
        "SELECT * FROM (SELECT grp, x FROM sales) PIVOT (avg(x) FOR grp IN ('a', 'b', 'z'))",
    ),
    case(
        "avg_decimal_38_18_keeps_22_places",
        "SELECT avg(x) AS a FROM VALUES (CAST(1 AS DECIMAL(38,18))), (CAST(0 AS DECIMAL(38,18))), "
        "(CAST(0 AS DECIMAL(38,18))) AS t(x)",
    ),
    case("avg_decimal_38_18_groups", "SELECT grp, avg(big) AS a, avg(-big) AS b FROM nums GROUP BY grp ORDER BY grp"),
    case(
        "avg_decimal_38_18_groups_non_ansi",
        "SELECT grp, avg(big) AS a, avg(big / 3) AS b FROM nums GROUP BY grp ORDER BY grp",
        settings=ANSI_OFF,
    ),
]
