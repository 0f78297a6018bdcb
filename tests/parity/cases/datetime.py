"""Dates and timestamps: fields (Sunday = 1), formats with quoted literals, date arithmetic keeping DATE, truncation,
epoch conversions, named time zones across DST, parsing with patterns, and the session time zone."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

NEW_YORK = {"spark.sql.session.timeZone": "America/New_York"}
ANSI_OFF = {"spark.sql.ansi.enabled": "false"}

CASES = [
    case("dayofweek_sunday_is_one", "SELECT id, d, dayofweek(d) AS r FROM times ORDER BY id"),
    case(
        "extract_dow",
        "SELECT id, extract(DOW FROM d) AS a, extract(DOW_ISO FROM d) AS b, weekday(d) AS c FROM times ORDER BY id",
    ),
    case(
        "date_fields",
        "SELECT id, year(d) AS y, month(d) AS m, day(d) AS dd, dayofyear(d) AS doy, quarter(d) AS q FROM times ORDER BY id",
    ),
    case("weekofyear_iso", "SELECT id, weekofyear(d) AS w, extract(WEEK FROM d) AS w2 FROM times ORDER BY id"),
    case("timestamp_fields_utc", "SELECT id, hour(ts) AS h, minute(ts) AS mi, second(ts) AS s FROM times ORDER BY id"),
    case(
        "timestamp_fields_new_york",
        "SELECT id, hour(ts) AS h, dayofmonth(ts) AS dd FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case("extract_second_fraction", "SELECT id, extract(SECOND FROM ts) AS r FROM times ORDER BY id"),
    case("date_part", "SELECT id, date_part('YEAR', ts) AS y, date_part('doy', d) AS doy FROM times ORDER BY id"),
    case(
        "date_format_quoted_literal", "SELECT id, date_format(ts, 'yyyy-MM-dd''T''HH:mm') AS r FROM times ORDER BY id"
    ),
    case(
        "date_format_patterns",
        "SELECT id, date_format(ts, 'EEEE MMM d, yyyy h:mm a') AS a, date_format(ts, 'HH:mm:ss.SSS') AS b, date_format(d, 'yy/M/d') AS c FROM times ORDER BY id",
    ),
    case(
        "date_format_week_fields",
        "SELECT id, date_format(d, 'E') AS a, date_format(d, 'D') AS b, date_format(d, 'Q') AS c FROM times ORDER BY id",
    ),
    case(
        "date_format_offset",
        "SELECT id, date_format(ts, 'yyyy-MM-dd HH:mm XXX') AS r FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case("date_format_ntz", "SELECT id, date_format(ntz, 'yyyy-MM-dd HH:mm:ss') AS r FROM times ORDER BY id"),
    case(
        "date_add_keeps_date",
        "SELECT id, date_add(d, 1) AS a, date_sub(d, 1) AS b, d + 1 AS c, dateadd(d, -30) AS e FROM times ORDER BY id",
    ),
    case(
        "add_months_month_end",
        "SELECT id, add_months(d, 1) AS a, add_months(d, -1) AS b, add_months(d, 12) AS c FROM times ORDER BY id",
    ),
    case(
        "date_plus_interval_day", "SELECT id, d + INTERVAL 1 DAY AS a, d - INTERVAL '2' DAY AS b FROM times ORDER BY id"
    ),
    case(
        "date_plus_interval_month",
        "SELECT id, d + INTERVAL 1 MONTH AS a, d + INTERVAL '1-1' YEAR TO MONTH AS b FROM times ORDER BY id",
    ),
    case(
        "timestamp_plus_interval",
        "SELECT id, ts + INTERVAL 1 HOUR AS a, ts - INTERVAL 90 MINUTES AS b, ntz + INTERVAL 1 DAY AS c FROM times ORDER BY id",
    ),
    case(
        "timestamp_plus_interval_day_dst",
        "SELECT id, ts + INTERVAL 1 DAY AS r FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "timestampadd",
        "SELECT id, timestampadd(HOUR, 25, ts) AS a, timestampadd(MONTH, 1, d) AS b FROM times ORDER BY id",
    ),
    case(
        "datediff_months_between",
        "SELECT id, datediff(d, DATE'2024-01-01') AS a, months_between(d, DATE'2024-01-31') AS b, months_between(ts, TIMESTAMP'2024-01-01 00:00:00', false) AS c FROM times ORDER BY id",
    ),
    case(
        "timestampdiff",
        "SELECT id, timestampdiff(HOUR, TIMESTAMP'2024-01-01 00:00:00', ts) AS a, date_diff(DAY, DATE'2024-01-01', d) AS b FROM times ORDER BY id",
    ),
    case(
        "last_day_next_day",
        "SELECT id, last_day(d) AS a, next_day(d, 'MO') AS b, next_day(d, 'Sunday') AS c FROM times ORDER BY id",
    ),
    case(
        "trunc_date",
        "SELECT id, trunc(d, 'MM') AS a, trunc(d, 'YEAR') AS b, trunc(d, 'week') AS c, trunc(d, 'Q') AS e FROM times ORDER BY id",
    ),
    case("trunc_invalid_unit", "SELECT trunc(DATE'2024-02-29', 'DD') AS r"),
    case(
        "date_trunc_timestamp",
        "SELECT id, date_trunc('HOUR', ts) AS a, date_trunc('MONTH', ts) AS b, date_trunc('WEEK', ts) AS c, date_trunc('DAY', ntz) AS e FROM times ORDER BY id",
    ),
    case("date_trunc_new_york", "SELECT id, date_trunc('DAY', ts) AS r FROM times ORDER BY id", settings=NEW_YORK),
    case(
        "unix_timestamp_types",
        "SELECT id, unix_timestamp(ts) AS a, to_unix_timestamp(ts) AS b, unix_seconds(ts) AS c, unix_millis(ts) AS e FROM times ORDER BY id",
    ),
    case("unix_timestamp_of_date", "SELECT id, unix_timestamp(d) AS r, unix_date(d) AS u FROM times ORDER BY id"),
    case(
        "unix_timestamp_with_pattern",
        "SELECT id, unix_timestamp(ds, 'yyyy-MM-dd') AS r FROM times ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "from_unixtime",
        "SELECT from_unixtime(0) AS a, from_unixtime(1709251199, 'yyyy-MM-dd HH:mm') AS b, from_unixtime(-1) AS c",
    ),
    case(
        "timestamp_seconds_millis",
        "SELECT timestamp_seconds(1709251199) AS a, timestamp_millis(-1) AS b, timestamp_micros(1) AS c, timestamp_seconds(1.5) AS e, date_from_unix_date(19782) AS f",
    ),
    case("from_utc_timestamp_berlin", "SELECT id, from_utc_timestamp(ts, 'Europe/Berlin') AS r FROM times ORDER BY id"),
    case(
        "to_utc_timestamp_new_york", "SELECT id, to_utc_timestamp(ts, 'America/New_York') AS r FROM times ORDER BY id"
    ),
    case(
        "from_utc_timestamp_offsets",
        "SELECT from_utc_timestamp(TIMESTAMP'2024-06-01 12:00:00', '+05:30') AS a, from_utc_timestamp(TIMESTAMP'2024-06-01 12:00:00', 'Asia/Kolkata') AS b",
    ),
    case("convert_timezone", "SELECT id, convert_timezone('UTC', 'Europe/Berlin', ntz) AS r FROM times ORDER BY id"),
    case(
        "to_date_default",
        "SELECT id, try_to_date(ds) AS r FROM times ORDER BY id",
        note="try_to_date: NULL on bad input",
    ),
    case(
        "to_date_pattern",
        "SELECT id, try_to_date(ds, 'dd/MM/yyyy') AS a, try_to_date(ds, 'yyyyMMdd') AS b FROM times ORDER BY id",
    ),
    case("to_date_invalid_raises", "SELECT to_date(ds, 'yyyy-MM-dd') AS r FROM times WHERE id = 4"),
    case(
        "to_date_invalid_non_ansi",
        "SELECT id, to_date(ds, 'yyyy-MM-dd') AS r FROM times ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "to_date_lenient_digits",
        "SELECT to_date('2024-2-9', 'yyyy-M-d') AS a, try_to_date('2024-2-9', 'yyyy-MM-dd') AS b",
    ),
    case(
        "to_timestamp_pattern",
        "SELECT id, try_to_timestamp(ds, 'yyyy-MM-dd HH:mm:ss') AS a, try_to_timestamp(ds, 'yyyy-MM-dd HH:mm') AS b FROM times ORDER BY id",
    ),
    case("to_timestamp_default", "SELECT id, try_to_timestamp(ds) AS r FROM times ORDER BY id"),
    case("to_timestamp_dst_gap_new_york", "SELECT to_timestamp('2024-03-10 02:30:00') AS r", settings=NEW_YORK),
    case(
        "to_timestamp_fraction",
        "SELECT to_timestamp('2024-01-01 10:00:00.123456789') AS a, to_timestamp('2024-01-01 10:00:00.5', 'yyyy-MM-dd HH:mm:ss.S') AS b",
    ),
    case(
        "to_timestamp_ntz",
        "SELECT to_timestamp_ntz('2024-03-10 02:30:00') AS a, to_timestamp_ltz('2024-03-10 02:30:00') AS b",
    ),
    case(
        "timestamp_literal_zone",
        "SELECT TIMESTAMP'2024-03-10 02:30:00 America/New_York' AS a, TIMESTAMP'2024-01-01T00:00:00Z' AS b, TIMESTAMP_NTZ'2024-01-01 00:00:00' AS c",
    ),
    case(
        "make_date_timestamp",
        "SELECT make_date(2024, 2, 29) AS a, try_make_timestamp(2024, 2, 30, 0, 0, 0) AS b, make_timestamp(2024, 3, 10, 2, 30, 45.5) AS c",
    ),
    case("make_date_invalid_raises", "SELECT make_date(2023, 2, 29) AS r"),
    case("timestamp_compare_date", "SELECT id, ts > d AS a, cast(ts AS DATE) = d AS b FROM times ORDER BY id"),
    case("ntz_vs_ltz_compare", "SELECT id, ntz = ts AS r FROM times ORDER BY id", settings=NEW_YORK),
    case("cast_ts_to_string_new_york", "SELECT id, cast(ts AS STRING) AS r FROM times ORDER BY id", settings=NEW_YORK),
    case("cast_ntz_to_ts_new_york", "SELECT id, cast(ntz AS TIMESTAMP) AS r FROM times ORDER BY id", settings=NEW_YORK),
    case("cast_ts_to_date_new_york", "SELECT id, cast(ts AS DATE) AS r FROM times ORDER BY id", settings=NEW_YORK),
    case("date_group_by_month", "SELECT date_trunc('MONTH', day) AS m, sum(v) AS s FROM sales GROUP BY 1"),
    case(
        "window_time_bucket",
        "SELECT window.start AS ws, window.end AS we, count(*) AS n FROM times WHERE ts IS NOT NULL GROUP BY window(ts, '1 day')",
    ),
    case("date_sequence", "SELECT sequence(DATE'2024-02-27', DATE'2024-03-02', INTERVAL 1 DAY) AS r"),
    case("dayname_monthname", "SELECT id, dayname(d) AS a, monthname(d) AS b FROM times ORDER BY id"),
]
