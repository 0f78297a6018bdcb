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
