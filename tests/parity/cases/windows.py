"""Window functions: running sums (BIGINT over ints), frames with ties, ranking, lag/lead with NULLs, NULLs in
partition and order keys."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

CASES = [
    case(
        "running_sum_int_is_bigint",
        "SELECT id, grp, sum(v) OVER (PARTITION BY grp ORDER BY id) AS rs FROM sales ORDER BY id",
    ),
    case("running_sum_range_ties", "SELECT id, sum(v) OVER (ORDER BY day) AS rs FROM sales ORDER BY id"),
    case(
        "running_sum_rows_frame",
        "SELECT id, sum(v) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS rs FROM sales ORDER BY id",
    ),
    case("running_sum_decimal", "SELECT id, sum(amt) OVER (PARTITION BY grp ORDER BY id) AS rs FROM sales ORDER BY id"),
    case("window_total_and_share", "SELECT id, v, v / sum(v) OVER (PARTITION BY grp) AS share FROM sales ORDER BY id"),
    case("window_avg_decimal", "SELECT id, avg(amt) OVER (PARTITION BY grp) AS a FROM sales ORDER BY id"),
    case("window_count_if", "SELECT id, count_if(v > 5) OVER (PARTITION BY grp) AS n FROM sales ORDER BY id"),
    case("row_number_nulls_first", "SELECT id, row_number() OVER (ORDER BY v, id) AS rn FROM sales ORDER BY id"),
    case(
        "row_number_partition_nulls",
        "SELECT id, row_number() OVER (PARTITION BY grp ORDER BY v DESC, id) AS rn FROM sales ORDER BY id",
    ),
    case(
        "rank_dense_rank",
        "SELECT id, rank() OVER (ORDER BY v) AS r, dense_rank() OVER (ORDER BY v) AS dr FROM sales ORDER BY id",
    ),
    case(
        "percent_rank_cume_dist",
        "SELECT id, percent_rank() OVER (ORDER BY v) AS pr, cume_dist() OVER (ORDER BY v) AS cd FROM sales ORDER BY id",
    ),
    case("ntile", "SELECT id, ntile(3) OVER (ORDER BY id) AS t FROM sales ORDER BY id"),
    case(
        "lag_lead",
        "SELECT id, lag(v) OVER (ORDER BY id) AS prev, lead(v, 2) OVER (ORDER BY id) AS next2 FROM sales ORDER BY id",
    ),
    case("lag_default", "SELECT id, lag(v, 1, -1) OVER (PARTITION BY grp ORDER BY id) AS prev FROM sales ORDER BY id"),
    case("lag_ignore_nulls", "SELECT id, lag(v) IGNORE NULLS OVER (ORDER BY id) AS prev FROM sales ORDER BY id"),
    case(
        "first_last_value",
        "SELECT id, first_value(v) OVER (PARTITION BY grp ORDER BY id) AS fv, last_value(v) OVER (PARTITION BY grp ORDER BY id) AS lv FROM sales ORDER BY id",
    ),
    case(
        "first_value_ignore_nulls",
        "SELECT id, first_value(v, true) OVER (ORDER BY id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS fv FROM sales ORDER BY id",
    ),
    case("nth_value", "SELECT id, nth_value(v, 2) OVER (ORDER BY id) AS n2 FROM sales ORDER BY id"),
    case(
        "window_min_max_range",
        "SELECT id, max(x) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS mx FROM sales ORDER BY id",
    ),
    case(
        "window_range_numeric",
        "SELECT id, count(*) OVER (ORDER BY v RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS n FROM sales ORDER BY id",
    ),
    case(
        "window_named",
        "SELECT id, sum(v) OVER w AS s, count(v) OVER w AS n FROM sales WINDOW w AS (PARTITION BY grp) ORDER BY id",
    ),
    case("window_order_desc_nulls", "SELECT id, row_number() OVER (ORDER BY x DESC, id) AS rn FROM sales ORDER BY id"),
    case(
        "dedupe_latest_per_key",
        "SELECT id, grp, v FROM (SELECT *, row_number() OVER (PARTITION BY grp ORDER BY day DESC, id DESC) AS rn FROM sales) WHERE rn = 1",
    ),
    case("window_sum_overflow_raises", "SELECT sum(l) OVER (ORDER BY id) AS r FROM limits WHERE id IN (1, 3)"),
]

# ranking: Spark's types over ties and NULLs
CASES += [
    case(
        "ranks_partitioned_ties",
        "SELECT id, rank() OVER w AS r, dense_rank() OVER w AS dr, percent_rank() OVER w AS pr, cume_dist() OVER w AS cd FROM sales WINDOW w AS (PARTITION BY grp ORDER BY v) ORDER BY id",
    ),
    case(
        "rank_types",
        "SELECT typeof(row_number() OVER (ORDER BY id)) AS a, typeof(ntile(2) OVER (ORDER BY id)) AS b, typeof(rank() OVER (ORDER BY id)) AS c, typeof(cume_dist() OVER (ORDER BY id)) AS e FROM sales LIMIT 1",
        ordered=False,
    ),
    case(
        "ntile_uneven",
        "SELECT id, ntile(4) OVER (PARTITION BY grp ORDER BY id) AS a, ntile(100) OVER (ORDER BY id) AS b FROM sales ORDER BY id",
    ),
    case(
        "rank_desc_nulls_last",
        "SELECT id, rank() OVER (ORDER BY x DESC NULLS LAST) AS r, dense_rank() OVER (ORDER BY day NULLS LAST) AS d FROM sales ORDER BY id",
    ),
    case(
        "qualify_row_number",
        "SELECT id, grp FROM sales QUALIFY row_number() OVER (PARTITION BY grp ORDER BY id DESC) = 1",
    ),
]

# offsets
CASES += [
    case(
        "lag_lead_offsets",
        "SELECT id, lag(v, 3) OVER (ORDER BY id) AS a, lead(v, -1) OVER (ORDER BY id) AS b, lag(v, 0) OVER (ORDER BY id) AS c, lead(v, 20, 0) OVER (ORDER BY id) AS e FROM sales ORDER BY id",
    ),
    case(
        "lead_default_cast",
        "SELECT id, lead(v, 1, 1.5) OVER (ORDER BY id) AS a, lag(amt, 1, 0) OVER (ORDER BY id) AS b FROM sales ORDER BY id",
    ),
    case(
        "lag_strings_unicode",
        "SELECT id, lag(s) OVER (ORDER BY id) AS a, lead(s, 1, 'none') OVER (ORDER BY id) AS b FROM strs ORDER BY id",
    ),
    case(
        "lag_dates",
        "SELECT id, lag(d) OVER (ORDER BY id) AS a, lead(ts) OVER (ORDER BY id) AS b FROM times ORDER BY id",
    ),
    case(
        "lead_ignore_nulls_partitioned",
        "SELECT id, lead(v) IGNORE NULLS OVER (PARTITION BY grp ORDER BY id) AS a, lag(x, 2) IGNORE NULLS OVER (ORDER BY id) AS b FROM sales ORDER BY id",
    ),
    case(
        "nth_value_forms",
        "SELECT id, nth_value(v, 3) IGNORE NULLS OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS a, nth_value(x, 2) OVER (PARTITION BY grp ORDER BY id) AS b FROM sales ORDER BY id",
    ),
]

# first and last values over frames
CASES += [
    case(
        "first_last_ignore_nulls_frames",
        "SELECT id, first_value(x) IGNORE NULLS OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS a, last_value(x, true) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS b FROM sales ORDER BY id",
    ),
    case(
        "first_last_aggregate_names_over_window",
        "SELECT id, first(v) OVER (PARTITION BY grp ORDER BY id) AS a, last(v, true) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS b, any_value(amt) OVER (ORDER BY id) AS c FROM sales ORDER BY id",
    ),
    case(
        "last_value_range_peers",
        "SELECT id, last_value(id) OVER (ORDER BY day) AS a, first_value(id) OVER (ORDER BY day DESC) AS b FROM sales ORDER BY id",
    ),
]

# aggregates over windows
CASES += [
    case(
        "window_avg_int_running",
        "SELECT id, avg(v) OVER (PARTITION BY grp ORDER BY id) AS a, avg(t) OVER (ORDER BY id) AS b FROM sales, (SELECT 1 AS t) ORDER BY id",
    ),
    case(
        "window_double_sum_bounded",
        "SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS a, avg(x) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) AS b FROM sales ORDER BY id",
    ),
    case(
        "window_double_sum_partition",
        "SELECT id, sum(x) OVER (PARTITION BY grp) AS a, avg(x) OVER () AS b FROM sales ORDER BY id",
    ),
    case("window_double_sum_running", "SELECT id, sum(x) OVER (ORDER BY id) AS a FROM sales ORDER BY id"),
    case(
        "window_avg_ints_running",
        "SELECT id, avg(i) OVER (ORDER BY id) AS a, avg(s) OVER (PARTITION BY grp ORDER BY id) AS b, avg(t) OVER (ORDER BY d RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) AS c FROM nums ORDER BY id",
    ),
    case(
        "window_avg_bigint_past_2_53",
        "SELECT id, avg(l) OVER (ORDER BY id) AS a FROM limits ORDER BY id",
        note="Spark adds the doubles row by row; past 2^53 the order matters: refused at run time",
    ),
    case(
        "window_decimal_avg_running",
        "SELECT id, avg(amt) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS a FROM sales ORDER BY id",
    ),
    case(
        "window_bigint_sum_non_ansi",
        "SELECT id, sum(l) OVER (ORDER BY id) AS r FROM limits ORDER BY id",
        settings={"spark.sql.ansi.enabled": "false"},
    ),
    case(
        "window_min_max_strings",
        "SELECT id, min(s) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a, max(s) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS b FROM strs ORDER BY id",
    ),
    case(
        "window_bool_and_mode",
        "SELECT id, bool_and(v > 3) OVER (PARTITION BY grp) AS a, mode(v, true) OVER (PARTITION BY grp) AS b, mode(v) OVER (PARTITION BY grp) AS c FROM sales WHERE grp IN ('a', 'c') ORDER BY id",
    ),
    case(
        "window_count_distinct_kinds",
        "SELECT id, count(v) OVER (ORDER BY day RANGE BETWEEN INTERVAL 1 DAY PRECEDING AND CURRENT ROW) AS a FROM sales ORDER BY id",
    ),
    case(
        "window_collect_set",
        "SELECT id, sort_array(collect_set(v) OVER (PARTITION BY grp)) AS a FROM sales ORDER BY id",
    ),
    case(
        "window_empty_frame",
        "SELECT id, sum(v) OVER (ORDER BY id ROWS BETWEEN 3 FOLLOWING AND 5 FOLLOWING) AS a, count(v) OVER (ORDER BY id ROWS BETWEEN 3 FOLLOWING AND 5 FOLLOWING) AS b FROM sales ORDER BY id",
    ),
]

# counter_diff (Spark 4.3)
CASES += [
    case(
        "counter_diff",
        "SELECT id, counter_diff(v) OVER (PARTITION BY grp ORDER BY id) AS a, counter_diff(v) OVER (ORDER BY id) AS b FROM sales ORDER BY id",
    ),
    case("counter_diff_negative_raises", "SELECT counter_diff(i) OVER (ORDER BY id) AS a FROM limits"),
    case(
        "counter_diff_types",
        "SELECT id, counter_diff(amt) OVER (ORDER BY id) AS a, counter_diff(l) OVER (ORDER BY id) AS b FROM sales, (SELECT 5L AS l) ORDER BY id",
    ),
    case(
        "counter_diff_start_time",
        "SELECT t, counter_diff(c, s) OVER (ORDER BY t) AS d FROM VALUES (1, 100, TIMESTAMP_NTZ '2026-01-01 00:00:00'), (2, 200, TIMESTAMP_NTZ '2026-01-01 00:00:00'), (3, 250, NULL), (4, 300, TIMESTAMP_NTZ '2026-01-01 00:02:00'), (5, NULL, TIMESTAMP_NTZ '2026-01-01 00:03:00'), (6, 400, TIMESTAMP_NTZ '2026-01-01 00:02:00') AS tab(t, c, s) ORDER BY t",
    ),
    case(
        "counter_diff_start_time_goes_back",
        "SELECT counter_diff(c, s) OVER (ORDER BY t) AS d FROM VALUES (1, 100, TIMESTAMP '2026-01-01 00:02:00'), (2, 200, TIMESTAMP '2026-01-01 00:01:00') AS tab(t, c, s)",
    ),
]
