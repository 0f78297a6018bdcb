"""Dates and timestamps: fields (Sunday = 1), formats with quoted literals, date arithmetic keeping DATE, truncation,
epoch conversions, named time zones across DST, parsing with patterns, and the session time zone."""

# ruff: noqa: E501  (a query reads best on one line)

from tests.parity.corpus import case

NEW_YORK = {"spark.sql.session.timeZone": "America/New_York"}
KOLKATA = {"spark.sql.session.timeZone": "Asia/Kolkata"}
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
    # -- fields ---------------------------------------------------------------------------------------------------
    case(
        "extract_field_aliases",
        "SELECT id, extract(Y FROM ts) AS y, extract(QTR FROM ts) AS q, extract(MON FROM ts) AS mo, extract(W FROM ts) AS w, extract(D FROM ts) AS dd, extract(DOY FROM ts) AS doy, extract(H FROM ts) AS h, extract(M FROM ts) AS mi, extract(SEC FROM ts) AS s, extract(YEAROFWEEK FROM d) AS yw FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "date_part_string_fields",
        "SELECT id, date_part('dow', ts) AS a, date_part('DOW_ISO', d) AS b, datepart('hours', ts) AS c, date_part('seconds', ts) AS e, date_part('week', d) AS f FROM times ORDER BY id",
    ),
    case(
        "fields_of_ntz_and_strings",
        "SELECT id, year(ntz) AS y, hour(ntz) AS h, minute(ntz) AS mi, dayofweek(ntz) AS w, month(ds) AS m FROM times WHERE id IN (1, 2, 5, 6, 9) ORDER BY id",
    ),
    case("hour_of_date", "SELECT id, hour(d) AS h, second(d) AS s FROM times ORDER BY id", settings=NEW_YORK),
    case("year_of_invalid_string_raises", "SELECT year(ds) AS r FROM times WHERE id = 3"),
    case("year_of_invalid_string_non_ansi", "SELECT id, year(ds) AS r FROM times ORDER BY id", settings=ANSI_OFF),
    case(
        "weekday_names_new_york",
        "SELECT id, weekday(ts) AS a, dayname(ts) AS b, monthname(ts) AS c, dayofweek(ts) AS e, weekofyear(ts) AS f FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "fields_kolkata",
        "SELECT id, hour(ts) AS h, minute(ts) AS mi, day(ts) AS dd, quarter(ts) AS q FROM times ORDER BY id",
        settings=KOLKATA,
    ),
    # -- formatting -----------------------------------------------------------------------------------------------
    case(
        "date_format_letters",
        "SELECT id, date_format(ts, 'G GGGG y yy yyy yyyy yyyyy') AS a, date_format(ts, 'Q QQ QQQ QQQQ q M MM MMM MMMM L LLLL') AS b, date_format(ts, 'd dd D DD DDD E EEE EEEE F') AS c, date_format(ts, 'a h hh K KK k kk H HH m mm s ss') AS e, date_format(ts, 'S SS SSS SSSS SSSSSS SSSSSSS SSSSSSSSS') AS f FROM times ORDER BY id",
    ),
    case(
        "date_format_offsets_new_york",
        "SELECT id, date_format(ts, 'X XX XXX XXXX XXXXX') AS a, date_format(ts, 'x xx xxx xxxx xxxxx') AS b, date_format(ts, 'Z ZZ ZZZ ZZZZ ZZZZZ') AS c, date_format(ts, 'O OOOO VV') AS e FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "date_format_offsets_kolkata",
        "SELECT id, date_format(ts, 'yyyy-MM-dd HH:mm X XXX Z O OOOO VV') AS r FROM times ORDER BY id",
        settings=KOLKATA,
    ),
    case(
        "date_format_offsets_utc",
        "SELECT id, date_format(ts, 'X x Z ZZZZ ZZZZZ O z zzzz VV') AS r FROM times ORDER BY id",
    ),
    case(
        "date_format_literals",
        "SELECT id, date_format(ts, 'yyyy/MM/dd, HH.mm: -_ % ''quoted'' ''''') AS r FROM times ORDER BY id",
        note="quoted text and a quote in the pattern ('' in Spark 4's SQL is a quote)",
    ),
    case(
        "date_format_of_date_and_ntz_new_york",
        "SELECT id, date_format(d, 'yyyy-MM-dd HH:mm XXX') AS a, date_format(ntz, 'yyyy-MM-dd HH:mm:ss XXX') AS b FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "date_format_of_string",
        "SELECT id, date_format(ds, 'EEE d MMM yyyy') AS r FROM times WHERE id IN (1, 2, 5, 6, 10) ORDER BY id",
    ),
    case(
        "date_format_unquoted_letter_raises", "SELECT date_format(TIMESTAMP'2024-01-05 13:04:05', 'yyyy-MM-ddTHH') AS r"
    ),
    case("date_format_week_based_raises", "SELECT date_format(TIMESTAMP'2024-01-05 13:04:05', 'w u e') AS r"),
    case(
        "from_unixtime_column",
        "SELECT id, from_unixtime(l) AS a, from_unixtime(i, 'yyyy-MM-dd HH:mm:ss XXX') AS b FROM limits WHERE id IN (3, 4) ORDER BY id",
    ),
    case(
        "from_unixtime_new_york", "SELECT from_unixtime(1710054000) AS a, from_unixtime(-86400) AS b", settings=NEW_YORK
    ),
    # -- parsing ---------------------------------------------------------------------------------------------------
    case(
        "to_timestamp_patterns",
        "SELECT try_to_timestamp('2024-01-05 11:02 pm', 'yyyy-MM-dd hh:mm a') AS a, try_to_timestamp('05 jan 2024', 'dd MMM yyyy') AS b, try_to_timestamp('05 JANUARY 2024 10', 'dd MMMM yyyy HH') AS c, try_to_timestamp('2024-032', 'yyyy-DDD') AS e, try_to_timestamp('10:30', 'HH:mm') AS f, try_to_timestamp('24-1-5', 'yy-M-d') AS g, try_to_timestamp('2024-01-05 1:2:3', 'yyyy-MM-dd H:m:s') AS h",
    ),
    case(
        "to_timestamp_pattern_widths",
        "SELECT try_to_timestamp('02024-01-05', 'yyyy-MM-dd') AS a, try_to_timestamp('2024-1-05', 'yyyy-MM-dd') AS b, try_to_timestamp('2024-01-05 01:02:03.5678', 'yyyy-MM-dd HH:mm:ss.SSS') AS c, try_to_timestamp('2024-01-05 01:02:03.12', 'yyyy-MM-dd HH:mm:ss.SSSSSS') AS e, try_to_timestamp('2024-01-05 ', 'yyyy-MM-dd') AS f, try_to_timestamp('2024-01-05 25:00', 'yyyy-MM-dd HH:mm') AS g, try_to_timestamp('2024-02-29 12:00 AM', 'yyyy-MM-dd hh:mm a') AS h",
    ),
    case(
        "to_timestamp_pattern_offsets",
        "SELECT try_to_timestamp('2024-01-05 10:00 +01:00', 'yyyy-MM-dd HH:mm XXX') AS a, try_to_timestamp('2024-01-05 10:00 Z', 'yyyy-MM-dd HH:mm X') AS b, try_to_timestamp('2024-01-05 10:00 -0130', 'yyyy-MM-dd HH:mm Z') AS c, try_to_timestamp('2024-01-05 10:00 Europe/Berlin', 'yyyy-MM-dd HH:mm VV') AS e, try_to_timestamp('2024-07-05 10:00 America/New_York', 'yyyy-MM-dd HH:mm VV') AS f",
        settings=NEW_YORK,
    ),
    case(
        "to_timestamp_pattern_new_york_dst",
        "SELECT to_timestamp('2024-03-10 02:30', 'yyyy-MM-dd HH:mm') AS a, to_timestamp('2024-11-03 01:30', 'yyyy-MM-dd HH:mm') AS b, to_timestamp_ntz('2024-03-10 02:30', 'yyyy-MM-dd HH:mm') AS c",
        settings=NEW_YORK,
    ),
    case(
        "to_date_pattern_with_offset",
        "SELECT to_date('2024-01-05 23:00 -05:00', 'yyyy-MM-dd HH:mm XXX') AS a, to_date('2024-01-05 23:00', 'yyyy-MM-dd HH:mm') AS b, to_date('20240105', 'yyyyMMdd') AS c",
    ),
    case("to_timestamp_pattern_invalid_raises", "SELECT to_timestamp(ds, 'dd/MM/yyyy') AS r FROM times WHERE id = 1"),
    case(
        "to_timestamp_pattern_non_ansi",
        "SELECT id, to_timestamp(ds, 'yyyy-MM-dd HH:mm:ss') AS a, to_date(ds, 'yyyyMMdd') AS b FROM times ORDER BY id",
        settings=ANSI_OFF,
    ),
    case(
        "to_timestamp_of_timestamps",
        "SELECT id, to_timestamp(d) AS a, to_timestamp(ntz) AS b, to_date(ts) AS c, to_date(ntz) AS e, to_timestamp_ntz(ts) AS f FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case("to_timestamp_of_numbers", "SELECT to_timestamp(1.5) AS a, to_timestamp(100) AS b, to_timestamp(-1) AS c"),
    case("to_timestamp_invalid_raises", "SELECT to_timestamp(ds) AS r FROM times WHERE id = 3"),
    case(
        "to_timestamp_quoted_pattern",
        "SELECT id, try_to_timestamp(ds, 'yyyy-MM-dd''T''HH:mm:ss') AS a FROM times ORDER BY id",
        note="a quoted T in the pattern ('' in Spark 4's SQL is a quote)",
    ),
    case(
        "unix_timestamp_default_pattern",
        "SELECT id, unix_timestamp(ds) AS a, to_unix_timestamp(ds, 'yyyy-MM-dd') AS b FROM times ORDER BY id",
        settings=ANSI_OFF,
    ),
    case("unix_timestamp_invalid_raises", "SELECT unix_timestamp(ds) AS r FROM times WHERE id = 1"),
    case(
        "unix_timestamp_new_york",
        "SELECT id, unix_timestamp(d) AS a, unix_timestamp(ntz) AS b, unix_timestamp('2024-03-10 02:30:00') AS c FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    # -- epoch -----------------------------------------------------------------------------------------------------
    case(
        "epoch_round_down",
        "SELECT id, unix_seconds(ts) AS a, unix_millis(ts) AS b, unix_micros(ts) AS c, unix_date(d) AS e FROM times ORDER BY id",
    ),
    case(
        "timestamp_from_epoch_columns",
        "SELECT id, timestamp_seconds(i) AS a, timestamp_millis(l) AS b, timestamp_micros(l) AS c, date_from_unix_date(i) AS e FROM nums ORDER BY id",
    ),
    case(
        "timestamp_seconds_fraction",
        "SELECT timestamp_seconds(-1.5) AS a, timestamp_seconds(CAST(1.25 AS DOUBLE)) AS b, timestamp_seconds(0.1234567D) AS c, timestamp_seconds(-0.0000015D) AS e, timestamp_seconds(CAST('NaN' AS DOUBLE)) AS f, timestamp_seconds(CAST(1.5 AS FLOAT)) AS g",
    ),
    case("timestamp_seconds_decimal_rounding_raises", "SELECT timestamp_seconds(CAST(0.1234567 AS DECIMAL(8,7))) AS r"),
    case(
        "epoch_of_ntz_new_york",
        "SELECT id, unix_seconds(ntz) AS a, unix_timestamp(ntz) AS b, unix_millis(ntz) AS c, unix_micros(ntz) AS e FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case("timestamp_seconds_overflow_raises", "SELECT timestamp_seconds(l) AS r FROM limits WHERE id = 1"),
    case(
        "timestamp_millis_overflow_non_ansi",
        "SELECT id, timestamp_millis(l) AS r FROM limits ORDER BY id",
        settings=ANSI_OFF,
    ),
    # -- zones -----------------------------------------------------------------------------------------------------
    case(
        "from_utc_timestamp_zones",
        "SELECT id, from_utc_timestamp(ts, 'America/New_York') AS a, from_utc_timestamp(ts, 'GMT+8') AS b, to_utc_timestamp(ts, 'Asia/Kolkata') AS c, to_utc_timestamp(ts, '-08:00') AS e FROM times ORDER BY id",
    ),
    case(
        "from_utc_timestamp_session_new_york",
        "SELECT id, from_utc_timestamp(ts, 'Europe/Berlin') AS a, to_utc_timestamp(ts, 'Europe/Berlin') AS b FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "from_utc_timestamp_of_string_and_date",
        "SELECT from_utc_timestamp('2024-06-01 12:00:00', 'Europe/Berlin') AS a, from_utc_timestamp(DATE'2024-06-01', 'Asia/Tokyo') AS b, to_utc_timestamp(TIMESTAMP_NTZ'2024-06-01 12:00:00', 'Asia/Tokyo') AS c",
    ),
    case(
        "from_utc_timestamp_zone_column",
        "SELECT z, from_utc_timestamp(TIMESTAMP'2024-06-01 12:00:00', z) AS a, to_utc_timestamp(TIMESTAMP'2024-06-01 12:00:00', z) AS b FROM VALUES ('Europe/Berlin'), ('+05:30'), ('UTC'), ('PST'), ('GMT-3'), (NULL) AS v(z) ORDER BY z",
    ),
    case(
        "convert_timezone_two_arguments",
        "SELECT id, convert_timezone('Asia/Tokyo', ntz) AS a, convert_timezone('America/New_York', 'UTC', ntz) AS b FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case("current_timezone_new_york", "SELECT current_timezone() AS r", settings=NEW_YORK),
    case(
        "current_date_consistent",
        "SELECT current_date() = to_date(current_timestamp()) AS a, current_timestamp() >= TIMESTAMP'2024-01-01 00:00:00' AS b, now() = current_timestamp() AS c, curdate() = current_date() AS e",
        settings=NEW_YORK,
    ),
    # -- constructors ----------------------------------------------------------------------------------------------
    case(
        "make_timestamp_edges",
        "SELECT make_timestamp(2024, 1, 5, 10, 59, 60) AS a, try_make_timestamp(2024, 1, 5, 10, 59, 60.5) AS b, make_timestamp(2024, 1, 5, 10, 0, 0.123456) AS c, try_make_timestamp(2024, 1, 5, 24, 0, 0) AS e, make_timestamp(2024, 1, 5, 10, 0, 0, 'Asia/Tokyo') AS f",
    ),
    case(
        "make_timestamp_new_york_dst",
        "SELECT make_timestamp(2024, 3, 10, 2, 30, 0) AS a, make_timestamp(2024, 11, 3, 1, 30, 0) AS b, make_timestamp_ntz(2024, 3, 10, 2, 30, 0) AS c, make_timestamp_ltz(2024, 3, 10, 2, 30, 0) AS e",
        settings=NEW_YORK,
    ),
    case(
        "make_timestamp_invalid_non_ansi",
        "SELECT make_timestamp(2023, 2, 29, 0, 0, 0) AS a, make_date(2024, 13, 1) AS b, make_timestamp_ntz(2024, 1, 1, 0, 61, 0) AS c, try_make_timestamp_ntz(2024, 1, 1, 0, 0, 0) AS e",
        settings=ANSI_OFF,
    ),
    case("make_timestamp_invalid_raises", "SELECT make_timestamp(2024, 1, 1, 0, 0, 61) AS r"),
    case(
        "make_date_columns",
        "SELECT t.id, make_date(year(t.d), month(t.d), 1) AS a, make_date(2024, 2, n.i) AS b FROM times t JOIN nums n ON t.id = n.id WHERE n.i > 0 ORDER BY t.id",
    ),
    # -- arithmetic ------------------------------------------------------------------------------------------------
    case(
        "date_add_of_timestamps_and_strings",
        "SELECT id, date_add(ts, 1) AS a, date_sub(ds, 1) AS b, dateadd(ntz, 2) AS c FROM times WHERE id IN (1, 2, 5, 6, 7) ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "add_months_of_timestamps",
        "SELECT id, add_months(ts, 1) AS a, add_months('2024-01-31', 1) AS b, add_months(d, -12) AS c FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "date_plus_intervals",
        "SELECT id, d + INTERVAL 1 WEEK AS a, d - INTERVAL -3 MONTHS AS b, d + INTERVAL 2 YEARS AS c, d + INTERVAL '1 2:03:04.5' DAY TO SECOND AS e, d + INTERVAL 36 HOURS AS f FROM times ORDER BY id",
    ),
    case(
        "timestamp_plus_intervals_new_york",
        "SELECT id, ts + INTERVAL 25 HOURS AS a, ts - INTERVAL 1 DAY AS b, ts + INTERVAL 1 MONTH AS c, ts + INTERVAL '1 00:30' DAY TO MINUTE AS e, ts + INTERVAL '0 23:59:59.999999' DAY TO SECOND AS f FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "ntz_plus_intervals",
        "SELECT id, ntz + INTERVAL '1-2' YEAR TO MONTH AS a, ntz - INTERVAL '10:30' HOUR TO MINUTE AS b, ntz + INTERVAL 1 DAY AS c FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case("interval_plus_date", "SELECT id, INTERVAL 1 DAY + d AS a, 1 + d AS b, d - 1 AS c FROM times ORDER BY id"),
    case(
        "timestampadd_units_new_york",
        "SELECT id, timestampadd(DAY, 1, ts) AS a, timestampadd(WEEK, -1, ts) AS b, timestampadd(QUARTER, 1, ts) AS c, timestampadd(YEAR, 1, d) AS e, timestampadd(MINUTE, 90, ts) AS f, timestampadd(MILLISECOND, 1, ts) AS g, timestampadd(MICROSECOND, -1, ts) AS h FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "timestampadd_ntz",
        "SELECT id, timestampadd(HOUR, 1, ntz) AS a, dateadd(MONTH, 1, ntz) AS b FROM times ORDER BY id",
    ),
    case(
        "timestampdiff_units",
        "SELECT id, timestampdiff(MONTH, TIMESTAMP'2024-01-31 12:00:00', ts) AS a, timestampdiff(QUARTER, d, DATE'2025-01-01') AS b, timestampdiff(YEAR, d, DATE'2024-02-29') AS c, timestampdiff(WEEK, d, DATE'2024-12-31') AS e, timestampdiff(MINUTE, ts, TIMESTAMP'2024-03-10 08:00:00') AS f, timestampdiff(SECOND, ts, TIMESTAMP'2024-01-01 00:00:00') AS g, timestampdiff(MILLISECOND, ts, TIMESTAMP'2024-03-10 07:00:00') AS h, timestampdiff(MICROSECOND, ts, TIMESTAMP'2024-03-10 07:00:00') AS k FROM times ORDER BY id",
    ),
    case(
        "timestampdiff_new_york_dst",
        "SELECT id, timestampdiff(HOUR, TIMESTAMP'2024-03-09 12:00:00', ts) AS a, timestampdiff(DAY, TIMESTAMP'2024-03-09 12:00:00', ts) AS b, date_diff(HOUR, ts, TIMESTAMP'2024-11-04 00:00:00') AS c FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "datediff_mixed",
        "SELECT id, datediff(ts, d) AS a, datediff('2024-03-01', d) AS b, date_diff(ntz, DATE'2024-01-01') AS c FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "months_between_rules",
        "SELECT months_between(DATE'2024-03-31', DATE'2024-02-29') AS a, months_between(DATE'2024-03-30', DATE'2024-02-29') AS b, months_between(TIMESTAMP'2024-03-15 12:00:00', TIMESTAMP'2024-02-15 00:00:00') AS c, months_between(TIMESTAMP'2024-03-16 06:00:00', TIMESTAMP'2024-02-15 18:30:00', false) AS e, months_between('2024-01-01', '2023-01-31') AS f, months_between(DATE'2023-01-01', DATE'2024-12-31') AS g",
    ),
    case(
        "months_between_new_york",
        "SELECT id, months_between(ts, TIMESTAMP'2024-02-10 12:00:00') AS a, months_between(d, ts) AS b FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "next_day_names",
        "SELECT id, next_day(d, 'tu') AS a, next_day(d, 'FRIDAY') AS b, next_day(ts, 'sat') AS c FROM times ORDER BY id",
    ),
    case("next_day_invalid_raises", "SELECT next_day(DATE'2024-01-01', 'xx') AS r"),
    case(
        "next_day_invalid_non_ansi",
        "SELECT next_day(DATE'2024-01-01', 'xx') AS a, next_day(DATE'2024-01-01', NULL) AS b",
        settings=ANSI_OFF,
    ),
    case(
        "last_day_of_timestamps",
        "SELECT id, last_day(ts) AS a, last_day(ds) AS b FROM times WHERE id IN (1, 2, 5, 6, 7) ORDER BY id",
        settings=NEW_YORK,
    ),
    # -- truncation ------------------------------------------------------------------------------------------------
    case(
        "trunc_units",
        "SELECT id, trunc(d, 'YYYY') AS a, trunc(d, 'YY') AS b, trunc(d, 'MON') AS c, trunc(d, 'MONTH') AS e, trunc(d, 'QUARTER') AS f, trunc(ts, 'WEEK') AS g, trunc(d, 'DD') AS h FROM times ORDER BY id",
    ),
    case(
        "date_trunc_units",
        "SELECT id, date_trunc('YEAR', ts) AS a, date_trunc('QUARTER', ts) AS b, date_trunc('MM', ts) AS c, date_trunc('DD', ts) AS e, date_trunc('MINUTE', ts) AS f, date_trunc('SECOND', ts) AS g, date_trunc('MILLISECOND', ts) AS h, date_trunc('MICROSECOND', ts) AS k, date_trunc('DECADE', ts) AS m FROM times ORDER BY id",
    ),
    case(
        "date_trunc_new_york_units",
        "SELECT id, date_trunc('HOUR', ts) AS a, date_trunc('WEEK', ts) AS b, date_trunc('MONTH', ts) AS c, date_trunc('YEAR', ts) AS e FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "date_trunc_kolkata",
        "SELECT id, date_trunc('DAY', ts) AS a, date_trunc('HOUR', ts) AS b, date_trunc('MINUTE', ts) AS c FROM times ORDER BY id",
        settings=KOLKATA,
    ),
    case(
        "date_trunc_of_date_and_string",
        "SELECT date_trunc('MONTH', DATE'2024-02-29') AS a, date_trunc('HOUR', '2024-02-29 10:30:00') AS b",
    ),
    # -- comparisons -----------------------------------------------------------------------------------------------
    case(
        "compare_timestamps_with_text_new_york",
        "SELECT id, ts >= '2024-03-10 03:00:00' AS a, d = '2024-02-29' AS b, ntz < '2024-03-10' AS c, ts < d AS e FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "filter_by_timestamp_literal",
        "SELECT id FROM times WHERE ts >= TIMESTAMP'2024-03-10 03:00:00' AND d <> DATE'2024-12-31' ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "date_add_int_wraps",
        "SELECT datediff(date_add(DATE'2024-01-01', 2147483647), DATE'1970-01-01') AS a, datediff(date_sub(DATE'2024-01-01', 2147483647), DATE'1970-01-01') AS b, datediff(date_sub(DATE'2024-01-01', -2147483648), DATE'1970-01-01') AS c, datediff(date_add(TIMESTAMP'2024-01-01 10:00:00', 2147483647), DATE'1970-01-01') AS d, datediff(date_add(DATE'2024-01-01', -2147483648), DATE'1970-01-01') AS e, datediff(date_add(DATE'1970-01-01', 2147483646), DATE'1970-01-01') AS f, datediff(date_sub(TIMESTAMP'2024-01-01 10:00:00', -2147483648), DATE'1970-01-01') AS g, datediff(date_add(DATE'2024-01-01', -2147483647), DATE'1970-01-01') AS h, datediff(DATE'2024-01-01' + 2147483647, DATE'1970-01-01') AS i, datediff(DATE'2024-01-01' - (-2147483648), DATE'1970-01-01') AS j, datediff(2147483647 + DATE'2024-01-01', DATE'1970-01-01') AS k",
        note="Spark adds the days as a Java int: the day count wraps around, with ANSI on too (days, as Delta cannot hold such dates)",
    ),
    case(
        "date_add_int_wraps_columns",
        "SELECT id, datediff(date_add(d, 2147483647), DATE'1970-01-01') AS a, datediff(date_sub(d, 2147483647), DATE'1970-01-01') AS b, datediff(date_add(ts, 2147483647), DATE'1970-01-01') AS c, datediff(date_sub(ts, -2147483648), DATE'1970-01-01') AS e FROM times WHERE id NOT IN (5, 8) ORDER BY id",
    ),
    case(
        "date_add_beyond_duckdb_dates",
        "SELECT datediff(date_add(DATE'1970-01-01', 2147483647), DATE'1970-01-01') AS a, datediff(date_sub(DATE'1969-12-31', 2147483647), DATE'1970-01-01') AS b",
        note="day 2147483647 is a Spark date but not a DuckDB one: refused at run time in one line",
    ),
    # -- time windows ----------------------------------------------------------------------------------------------
    case(
        "window_tumbling_count",
        "SELECT window(ts, '1 hour') AS w, count(*) AS n FROM times GROUP BY window(ts, '1 hour') ORDER BY w",
    ),
    case(
        "window_rows_null_time_left_out",
        "SELECT id, window(ntz, '10 minutes', '10 minutes', '3 minutes') AS w, window(ntz, '10 minutes', '10 minutes', '3 minutes').end AS e FROM times ORDER BY id",
    ),
    case(
        "window_of_dates_and_spans",
        "SELECT id, window(d, '1 day') AS a FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "window_utc_aligned_in_new_york",
        "SELECT id, window(ts, 'interval 1 day') AS a FROM times ORDER BY id",
        settings=NEW_YORK,
    ),
    case(
        "window_composite_duration",
        "SELECT window(ts, '1 hour 30 minutes').start AS s, sum(id) AS n FROM times GROUP BY 1 ORDER BY 1",
    ),
    case(
        "window_unaliased_is_named_window",
        "SELECT window(ts, '12 hours'), count(*) AS n, max(window.end) AS e FROM times GROUP BY window(ts, '12 hours') ORDER BY 1",
    ),
    case(
        "window_fields_typed",
        "SELECT id, hour(w.start) AS h, date_format(w.end, 'HH:mm') AS e FROM (SELECT id, window(ts, '1 hour') AS w FROM times) ORDER BY id",
    ),
    case(
        "struct_field_of_table_column_typed",
        "SELECT id, st.a + 2147483647L AS a, length(st.b) AS n FROM nested ORDER BY id",
    ),
    case(
        "window_in_subquery_and_where",
        "SELECT w.start AS s, count(*) AS n FROM (SELECT window(ts, '7 days') AS w FROM times WHERE id > 2) GROUP BY w.start ORDER BY s",
    ),
]
