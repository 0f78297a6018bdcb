"""The session time zone and Spark's text forms of dates and timestamps, for every datetime rule and cast.

Spark keeps a TIMESTAMP as an instant (DuckDB's TIMESTAMPTZ) and reads its fields, formats and parses wall-clock
text in the session time zone; DuckDB's own TimeZone setting stays UTC and is never relied on: an instant becomes
a wall-clock TIMESTAMP with `timezone(zone, ts)` and back with `spark_dt_instant` (Java's rules for wall-clock times
a DST change skips or repeats). Strings become dates and timestamps as Spark's casts read them (`yyyy`,
`yyyy-[m]m`, `yyyy-[m]m-[d]d`, a time after ' ' or 'T', a fraction, a zone suffix), with zone names as Java's
`ZoneId.of` takes them (offsets, `UTC+1`, the short IDs, region names, case-sensitively).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, typed, when
from lakeloader.sql.runtime import macro

T = exp.DType
_REGIONS = {  # area -> its zones, as Java 21's ZoneId.getAvailableZoneIds() lists them (Spark's zones)
    "": (
        "CET CST6CDT Cuba EET EST5EDT Egypt Eire GB GB-Eire GMT GMT0 Greenwich Hongkong Iceland Iran Israel "
        "Jamaica Japan Kwajalein Libya MET MST7MDT NZ NZ-CHAT Navajo PRC PST8PDT Poland Portugal ROK "
        "Singapore Turkey UCT UTC Universal W-SU WET Zulu"
    ),
    "Africa": (
        "Abidjan Accra Addis_Ababa Algiers Asmara Asmera Bamako Bangui Banjul Bissau Blantyre Brazzaville "
        "Bujumbura Cairo Casablanca Ceuta Conakry Dakar Dar_es_Salaam Djibouti Douala El_Aaiun Freetown "
        "Gaborone Harare Johannesburg Juba Kampala Khartoum Kigali Kinshasa Lagos Libreville Lome Luanda "
        "Lubumbashi Lusaka Malabo Maputo Maseru Mbabane Mogadishu Monrovia Nairobi Ndjamena Niamey Nouakchott "
        "Ouagadougou Porto-Novo Sao_Tome Timbuktu Tripoli Tunis Windhoek"
    ),
    "America": (
        "Adak Anchorage Anguilla Antigua Araguaina Aruba Asuncion Atikokan Atka Bahia Bahia_Banderas Barbados "
        "Belem Belize Blanc-Sablon Boa_Vista Bogota Boise Buenos_Aires Cambridge_Bay Campo_Grande Cancun "
        "Caracas Catamarca Cayenne Cayman Chicago Chihuahua Ciudad_Juarez Coral_Harbour Cordoba Costa_Rica "
        "Coyhaique Creston Cuiaba Curacao Danmarkshavn Dawson Dawson_Creek Denver Detroit Dominica Edmonton "
        "Eirunepe El_Salvador Ensenada Fort_Nelson Fort_Wayne Fortaleza Glace_Bay Godthab Goose_Bay "
        "Grand_Turk Grenada Guadeloupe Guatemala Guayaquil Guyana Halifax Havana Hermosillo Indianapolis "
        "Inuvik Iqaluit Jamaica Jujuy Juneau Knox_IN Kralendijk La_Paz Lima Los_Angeles Louisville "
        "Lower_Princes Maceio Managua Manaus Marigot Martinique Matamoros Mazatlan Mendoza Menominee Merida "
        "Metlakatla Mexico_City Miquelon Moncton Monterrey Montevideo Montreal Montserrat Nassau New_York "
        "Nipigon Nome Noronha Nuuk Ojinaga Panama Pangnirtung Paramaribo Phoenix Port-au-Prince Port_of_Spain "
        "Porto_Acre Porto_Velho Puerto_Rico Punta_Arenas Rainy_River Rankin_Inlet Recife Regina Resolute "
        "Rio_Branco Rosario Santa_Isabel Santarem Santiago Santo_Domingo Sao_Paulo Scoresbysund Shiprock "
        "Sitka St_Barthelemy St_Johns St_Kitts St_Lucia St_Thomas St_Vincent Swift_Current Tegucigalpa Thule "
        "Thunder_Bay Tijuana Toronto Tortola Vancouver Virgin Whitehorse Winnipeg Yakutat Yellowknife"
    ),
    "America/Argentina": (
        "Buenos_Aires Catamarca ComodRivadavia Cordoba Jujuy La_Rioja Mendoza Rio_Gallegos Salta San_Juan "
        "San_Luis Tucuman Ushuaia"
    ),
    "America/Indiana": "Indianapolis Knox Marengo Petersburg Tell_City Vevay Vincennes Winamac",
    "America/Kentucky": "Louisville Monticello",
    "America/North_Dakota": "Beulah Center New_Salem",
    "Antarctica": "Casey Davis DumontDUrville Macquarie Mawson McMurdo Palmer Rothera South_Pole Syowa Troll Vostok",
    "Arctic": "Longyearbyen",
    "Asia": (
        "Aden Almaty Amman Anadyr Aqtau Aqtobe Ashgabat Ashkhabad Atyrau Baghdad Bahrain Baku Bangkok Barnaul "
        "Beirut Bishkek Brunei Calcutta Chita Choibalsan Chongqing Chungking Colombo Dacca Damascus Dhaka "
        "Dili Dubai Dushanbe Famagusta Gaza Harbin Hebron Ho_Chi_Minh Hong_Kong Hovd Irkutsk Istanbul Jakarta "
        "Jayapura Jerusalem Kabul Kamchatka Karachi Kashgar Kathmandu Katmandu Khandyga Kolkata Krasnoyarsk "
        "Kuala_Lumpur Kuching Kuwait Macao Macau Magadan Makassar Manila Muscat Nicosia Novokuznetsk "
        "Novosibirsk Omsk Oral Phnom_Penh Pontianak Pyongyang Qatar Qostanay Qyzylorda Rangoon Riyadh Saigon "
        "Sakhalin Samarkand Seoul Shanghai Singapore Srednekolymsk Taipei Tashkent Tbilisi Tehran Tel_Aviv "
        "Thimbu Thimphu Tokyo Tomsk Ujung_Pandang Ulaanbaatar Ulan_Bator Urumqi Ust-Nera Vientiane "
        "Vladivostok Yakutsk Yangon Yekaterinburg Yerevan"
    ),
    "Atlantic": (
        "Azores Bermuda Canary Cape_Verde Faeroe Faroe Jan_Mayen Madeira Reykjavik South_Georgia St_Helena Stanley"
    ),
    "Australia": (
        "ACT Adelaide Brisbane Broken_Hill Canberra Currie Darwin Eucla Hobart LHI Lindeman Lord_Howe "
        "Melbourne NSW North Perth Queensland South Sydney Tasmania Victoria West Yancowinna"
    ),
    "Brazil": "Acre DeNoronha East West",
    "Canada": "Atlantic Central Eastern Mountain Newfoundland Pacific Saskatchewan Yukon",
    "Chile": "Continental EasterIsland",
    "Etc": (
        "GMT GMT+0 GMT+1 GMT+10 GMT+11 GMT+12 GMT+2 GMT+3 GMT+4 GMT+5 GMT+6 GMT+7 GMT+8 GMT+9 GMT-0 GMT-1 "
        "GMT-10 GMT-11 GMT-12 GMT-13 GMT-14 GMT-2 GMT-3 GMT-4 GMT-5 GMT-6 GMT-7 GMT-8 GMT-9 GMT0 Greenwich "
        "UCT UTC Universal Zulu"
    ),
    "Europe": (
        "Amsterdam Andorra Astrakhan Athens Belfast Belgrade Berlin Bratislava Brussels Bucharest Budapest "
        "Busingen Chisinau Copenhagen Dublin Gibraltar Guernsey Helsinki Isle_of_Man Istanbul Jersey "
        "Kaliningrad Kiev Kirov Kyiv Lisbon Ljubljana London Luxembourg Madrid Malta Mariehamn Minsk Monaco "
        "Moscow Nicosia Oslo Paris Podgorica Prague Riga Rome Samara San_Marino Sarajevo Saratov Simferopol "
        "Skopje Sofia Stockholm Tallinn Tirane Tiraspol Ulyanovsk Uzhgorod Vaduz Vatican Vienna Vilnius "
        "Volgograd Warsaw Zagreb Zaporozhye Zurich"
    ),
    "Indian": "Antananarivo Chagos Christmas Cocos Comoro Kerguelen Mahe Maldives Mauritius Mayotte Reunion",
    "Mexico": "BajaNorte BajaSur General",
    "Pacific": (
        "Apia Auckland Bougainville Chatham Chuuk Easter Efate Enderbury Fakaofo Fiji Funafuti Galapagos "
        "Gambier Guadalcanal Guam Honolulu Johnston Kanton Kiritimati Kosrae Kwajalein Majuro Marquesas "
        "Midway Nauru Niue Norfolk Noumea Pago_Pago Palau Pitcairn Pohnpei Ponape Port_Moresby Rarotonga "
        "Saipan Samoa Tahiti Tarawa Tongatapu Truk Wake Wallis Yap"
    ),
    "SystemV": "AST4 AST4ADT CST6 CST6CDT EST5 EST5EDT HST10 MST7 MST7MDT PST8 PST8PDT YST9 YST9YDT",
    "US": (
        "Alaska Aleutian Arizona Central East-Indiana Eastern Hawaii Indiana-Starke Michigan Mountain Pacific Samoa"
    ),
}
_SHORT_IDS = (  # Java's ZoneId.SHORT_IDS (ICU resolves each to the same zone)
    "ACT AET AGT ART AST BET BST CAT CNT CST CTT EAT ECT EST HST IET IST JST MIT MST NET NST PLT PNT PRT PST SST VST"
)
_WS = r"[\x00-\x20\x7f]"  # what Spark trims around a date or timestamp: ASCII whitespace and control bytes
_TIME = r"([0-9]{1,2})(?::([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]*))?([^0-9].*?)?)?)?"
_PATTERNS = {
    # a fixed offset as ZoneOffset.of reads it, maybe after UTC, GMT or UT
    "OFFSET": r"^(UTC|GMT|UT)?[+-]([0-9]|[0-9]{2}|[0-9]{2}:?[0-9]{2}|[0-9]{6}|[0-9]{2}:[0-9]{2}:[0-9]{2})$",
    # [+-]yyyy*[-[m]m[-[d]d[( |T)anything]]] (stringToDate)
    "DATE": rf"(?s)^{_WS}*([+-]?)([0-9]{{4,7}})(?:-([0-9]{{1,2}})(?:-([0-9]{{1,2}})(?:[ T].*)?)?)?{_WS}*$",
    # [+-]yyyy*[-[m]m[-[d]d[( |T)[h]h[:[m]m[:[s]s[.fraction][zone]]]]]] (stringToTimestamp)
    "TIMESTAMP": rf"(?s)^{_WS}*([+-]?)([0-9]{{4,6}})(?:-([0-9]{{1,2}})(?:-([0-9]{{1,2}})(?:[ T]{_TIME})?)?)?{_WS}*$",
    # a time alone, 'T' first or hh:mm (today's date)
    "TIME": r"(?s)^(?:T([0-9]{1,2})(?::([0-9]{1,2}))?|"
    rf"{_WS}*([0-9]{{1,2}}):([0-9]{{1,2}}))(?::([0-9]{{1,2}})(?:\.([0-9]*))?([^0-9].*?)?)?{_WS}*$",
}


def _zone_names() -> str:
    """The zone names Java knows as one string, `|name|name|...|`: one constant to search (a list of 600 names, or
    a regular expression of them, costs much more to bind and is copied into every use of the macro)."""
    names = [f"{area}/{name}" if area else name for area, text in _REGIONS.items() for name in text.split()]
    return "|" + "|".join(sorted(names + _SHORT_IDS.split())) + "|"


def _macro(name: str, definition: str) -> str:
    """A macro whose text names the patterns above as $DATE, $TIMESTAMP, ... (as SQL string literals)."""
    for key, pattern in _PATTERNS.items():
        definition = definition.replace(f"${key}", "'" + pattern.replace("'", "''") + "'")
    return macro(name, definition.replace("$ZONES", "'" + _zone_names() + "'"))


# Macros bind a value once with `list_transform([value], lambda spark_x: ...)[1]`: a macro's argument is copied
# wherever its parameter appears, and nested macros would otherwise copy a regular expression's result (or the
# list of zones) hundreds of times.
def _let(value: str, name: str, body: str) -> str:
    return f"list_transform([{value}], lambda {name}: {body})[1]"


# Zones as Java's ZoneId.of reads them: a fixed offset (its seconds), or a region name ICU knows the same way.
_macro(
    "spark_dt_offset_hms",
    """(sign, h, m, s) AS CASE WHEN h <= 18 AND m <= 59 AND s <= 59 AND h * 3600 + m * 60 + s <= 64800
    THEN (CASE WHEN sign = '-' THEN -1 ELSE 1 END) * (h * 3600 + m * 60 + s) END""",
)
_macro(
    "spark_dt_offset_digits",
    "(sign, d) AS "
    + _let(
        "d",
        "spark_d",
        """CASE WHEN length(spark_d) <= 2 THEN spark_dt_offset_hms(sign, CAST(spark_d AS INTEGER), 0, 0)
    ELSE spark_dt_offset_hms(sign, CAST(spark_d[1:2] AS INTEGER), CAST(spark_d[3:4] AS INTEGER),
        CAST(coalesce(nullif(spark_d[5:6], ''), '0') AS INTEGER)) END""",
    ),
)
_macro(
    "spark_dt_zone_offset",
    """(z) AS CASE WHEN z IN ('Z', 'UTC', 'GMT', 'UT') THEN 0
    WHEN regexp_matches(z, $OFFSET)
    THEN spark_dt_offset_digits(regexp_extract(z, '([+-])', 1), replace(regexp_extract(z, '[+-](.*)$', 1), ':', ''))
    END""",
)
_macro(
    "spark_dt_zone_region",
    "(z) AS CASE WHEN z <> '' AND strpos(z, '|') = 0 AND strpos($ZONES, '|' || z || '|') > 0 THEN z END",
)
_macro(  # Spark's getZoneId: '+1:30' is '+01:30', '+01:3' is '+01:03'; Java's trim
    "spark_dt_zone_text",
    r"""(z) AS regexp_replace(regexp_replace(regexp_replace(z, '^[\x00-\x20]+', ''),
    '([+-])([0-9]):', '\10\2:'), '([+-])([0-9]{2}):([0-9])$', '\1\2:0\3')""",
)
# A zone text as {o: its offset in seconds, r: its region}: at most one is set; neither for a name Java refuses.
_macro(
    "spark_dt_zone_of",
    "(z) AS "
    + _let(
        "spark_dt_zone_text(z)",
        "spark_z",
        "struct_pack(o := spark_dt_zone_offset(spark_z), r := spark_dt_zone_region(spark_z))",
    ),
)
# A wall-clock time in a zone as an instant, as Java resolves it: in a gap, moved forward by the gap's length
# (ICU does the same); in an overlap, the earlier instant (ICU takes the later one: try the offset of a day before).
_macro("spark_dt_zone_shift", "(zone, instant) AS timezone(zone, instant) - timezone('UTC', instant)")
_macro(
    "spark_dt_earlier",
    """(local, zone, later, earlier) AS CASE WHEN timezone(zone, earlier) = local THEN least(later, earlier)
    ELSE later END""",
)
_macro(
    "spark_dt_instant",
    """(local, zone) AS CASE WHEN zone = 'UTC' THEN timezone('UTC', local) ELSE spark_dt_earlier(local, zone,
    timezone(zone, local), timezone('UTC', local - spark_dt_zone_shift(zone, timezone(zone, local) - INTERVAL 1 DAY)))
    END""",
)
_macro(
    "spark_dt_zoned_by",
    """(local, zz) AS CASE
    WHEN struct_extract(zz, 'o') IS NOT NULL THEN timezone('UTC', local - to_seconds(struct_extract(zz, 'o')))
    WHEN struct_extract(zz, 'r') IS NOT NULL THEN spark_dt_instant(local, struct_extract(zz, 'r')) END""",
)
_macro(
    "spark_dt_instant_in",
    "(local, z) AS " + _let("spark_dt_zone_of(z)", "spark_zz", "spark_dt_zoned_by(local, spark_zz)"),
)

# Dates and timestamps from text, as Spark's casts read them (NULL when Spark's cast finds the text malformed).
_macro(
    "spark_dt_ymd",
    """(y, m, d) AS CASE WHEN y BETWEEN -5877641 AND 5881579 AND m BETWEEN 1 AND 12 THEN
    CASE WHEN d BETWEEN 1 AND dayofmonth(last_day(make_date(y, m, 1))) THEN make_date(y, m, d) END END""",
)
_macro(
    "spark_dt_date_parts",
    """(sign, y, m, d) AS CASE WHEN y <> '' THEN spark_dt_ymd(CAST(sign || y AS BIGINT),
    CAST(coalesce(nullif(m, ''), '1') AS BIGINT), CAST(coalesce(nullif(d, ''), '1') AS BIGINT)) END""",
)
_macro(
    "spark_dt_date_of",
    """(p) AS spark_dt_date_parts(struct_extract(p, 'sign'), struct_extract(p, 'y'), struct_extract(p, 'm'),
    struct_extract(p, 'd'))""",
)
_macro(
    "spark_dt_text_to_date",
    "(s) AS " + _let("regexp_extract(s, $DATE, ['sign', 'y', 'm', 'd'])", "spark_p", "spark_dt_date_of(spark_p)"),
)
_macro(
    "spark_dt_local_time",
    """(day, h, mi, s, f) AS CASE WHEN h <= 23 AND mi <= 59 AND s <= 59
    THEN CAST(day AS TIMESTAMP) + to_microseconds(((CAST(h AS BIGINT) * 60 + mi) * 60 + s) * 1000000 + f) END""",
)
_macro(
    "spark_dt_local_parts",
    """(day, h, mi, s, f) AS spark_dt_local_time(day, CAST(h AS BIGINT), CAST(coalesce(nullif(mi, ''), '0') AS BIGINT),
    CAST(coalesce(nullif(s, ''), '0') AS BIGINT), CAST(rpad(left(f, 6), 6, '0') AS BIGINT))""",
)
_macro(
    "spark_dt_local_of",
    """(p) AS spark_dt_local_parts(spark_dt_date_of(p), coalesce(nullif(struct_extract(p, 'h'), ''), '0'),
    struct_extract(p, 'mi'), struct_extract(p, 's'), struct_extract(p, 'f'))""",
)
_macro(
    "spark_dt_local_time_of",
    """(q, today) AS spark_dt_local_parts(today, coalesce(nullif(struct_extract(q, 'th'), ''), struct_extract(q, 'h')),
    coalesce(nullif(struct_extract(q, 'tm'), ''), struct_extract(q, 'mi')), struct_extract(q, 's'),
    struct_extract(q, 'f'))""",
)
_macro(
    "spark_dt_zoned",
    "(local, z, zone) AS "
    + _let(
        "local",
        "spark_local",
        "CASE WHEN z = '' THEN spark_dt_instant(spark_local, zone) ELSE spark_dt_instant_in(spark_local, z) END",
    ),
)
_TIMESTAMP_FIELDS = "['sign', 'y', 'm', 'd', 'h', 'mi', 's', 'f', 'z']"
_macro(
    "spark_dt_text_to_timestamp",
    "(s, zone) AS "
    + _let(
        f"regexp_extract(s, $TIMESTAMP, {_TIMESTAMP_FIELDS})",
        "spark_p",
        "CASE WHEN struct_extract(spark_p, 'y') <> '' THEN spark_dt_zoned(spark_dt_local_of(spark_p), "
        "struct_extract(spark_p, 'z'), zone) ELSE "
        + _let(
            "regexp_extract(s, $TIME, ['th', 'tm', 'h', 'mi', 's', 'f', 'z'])",
            "spark_q",
            "CASE WHEN coalesce(nullif(struct_extract(spark_q, 'th'), ''), struct_extract(spark_q, 'h')) <> '' THEN "
            "spark_dt_zoned(spark_dt_local_time_of(spark_q, CAST(timezone(zone, current_timestamp) AS DATE)), "
            "struct_extract(spark_q, 'z'), zone) END",
        )
        + " END",
    ),
)
_macro(  # TIMESTAMP_NTZ: a zone suffix must be a zone, and is ignored; a time alone is no timestamp
    "spark_dt_text_to_ntz",
    "(s) AS "
    + _let(
        f"regexp_extract(s, $TIMESTAMP, {_TIMESTAMP_FIELDS})",
        "spark_p",
        "CASE WHEN struct_extract(spark_p, 'z') = '' OR struct_extract(spark_dt_zone_of(struct_extract(spark_p, 'z')), "
        "'o') IS NOT NULL OR struct_extract(spark_dt_zone_of(struct_extract(spark_p, 'z')), 'r') IS NOT NULL "
        "THEN spark_dt_local_of(spark_p) END",
    ),
)

_macro(  # from_json's TIMESTAMP_NTZ (parseWithoutTimeZone): text with a zone suffix is no such timestamp
    "spark_dt_text_to_ntz_unzoned",
    "(s) AS "
    + _let(
        f"regexp_extract(s, $TIMESTAMP, {_TIMESTAMP_FIELDS})",
        "spark_p",
        "CASE WHEN struct_extract(spark_p, 'z') = '' THEN spark_dt_local_of(spark_p) END",
    ),
)

_DATE, _TIMESTAMP, _NTZ = types.of("date"), types.of("timestamp"), types.of("timestamp_ntz")
_NAMES = {"date": "DATE", "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP_NTZ"}


def is_utc(context: Context) -> bool:
    return context.settings.time_zone == "UTC"


def is_timestamp(t: exp.DataType | None) -> bool:
    """Spark's TIMESTAMP (an instant): DuckDB's TIMESTAMPTZ."""
    return types.kind(t) in (T.TIMESTAMPTZ, T.TIMESTAMPLTZ, T.TIMESTAMP)  # the parser's TIMESTAMP is Spark's


def is_ntz(t: exp.DataType | None) -> bool:
    """Spark's TIMESTAMP_NTZ (a wall-clock time): DuckDB's TIMESTAMP."""
    return types.kind(t) in (T.TIMESTAMPNTZ, T.DATETIME)


def is_date(t: exp.DataType | None) -> bool:
    return types.kind(t) == T.DATE


def utc_wall(instant: exp.Expr) -> exp.Expr:
    """A Spark TIMESTAMP as its UTC wall-clock time: `timezone('UTC', ts)` in microseconds' arithmetic (ICU's
    conversion made a date_trunc over 2M rows 4x slower; the values are the same)."""
    return typed(call("make_timestamp", call("epoch_us", instant)), _NTZ)


def utc_instant(local: exp.Expr) -> exp.Expr:
    """The instant a UTC wall-clock time names: `timezone('UTC', local)` in microseconds' arithmetic."""
    return typed(call("make_timestamptz", call("epoch_us", local)), _TIMESTAMP)


def wall(value: exp.Expr, context: Context) -> exp.Expr:
    """A Spark TIMESTAMP as the wall-clock time it shows in the session zone (a DuckDB TIMESTAMP)."""
    if is_utc(context):
        return utc_wall(value)
    return typed(call("timezone", context.zone, value), _NTZ)


def instant(local: exp.Expr, context: Context, zone: exp.Expr | None = None) -> exp.Expr:
    """The instant (Spark TIMESTAMP) a wall-clock time names in the session zone (or `zone`, an ICU name)."""
    if zone is None and is_utc(context):
        return utc_instant(local)
    if zone is None and context.settings.time_zone.startswith("GMT"):  # a fixed offset: no gaps, no overlaps
        return typed(call("timezone", context.zone, local), _TIMESTAMP)
    return typed(call("spark_dt_instant", local, zone if zone is not None else context.zone), _TIMESTAMP)


def _malformed(text: exp.Expr, to: str) -> exp.Expr:
    message = exp.DPipe(
        this=exp.DPipe(this=exp.Literal.string("[CAST_INVALID_INPUT] The value '"), expression=text.copy()),
        expression=exp.Literal.string(
            f'\' of the type "STRING" cannot be cast to "{_NAMES[to]}" because it is malformed. Correct the '
            "value as per the syntax, or change its target type. Use `try_cast` to tolerate malformed input and "
            "return NULL instead."
        ),
    )
    return call("error", message)


def _zone_seconds(text: str) -> int | None:
    """A zone text's fixed offset, as spark_dt_zone_offset reads it."""
    if text in ("Z", "UTC", "GMT", "UT"):
        return 0
    if not re.fullmatch(_PATTERNS["OFFSET"], text):
        return None
    sign = -1 if "-" in text else 1
    digits = re.split(r"[+-]", text, maxsplit=1)[1].replace(":", "")
    h, m, sec = (int(digits), 0, 0) if len(digits) <= 2 else (int(digits[:2]), int(digits[2:4]), int(digits[4:6] or 0))
    if h > 18 or m > 59 or sec > 59 or h * 3600 + m * 60 + sec > 64800:
        return None
    return sign * (h * 3600 + m * 60 + sec)


def _instant_in(local: dt.datetime, zone: str) -> dt.datetime | None:
    """A wall-clock time in a zone (a Java zone text, or the session's ICU name) as a UTC time; None when Python
    cannot tell (a name only Java and ICU know): the macro decides then."""
    text = re.sub(r"^[\x00-\x20]+", "", zone)
    text = re.sub(r"([+-])([0-9]):", r"\g<1>0\2:", text, count=1)
    text = re.sub(r"([+-])([0-9]{2}):([0-9])$", r"\1\2:0\3", text, count=1)
    seconds = _zone_seconds(text)
    if seconds is not None:
        return local - dt.timedelta(seconds=seconds)
    if "|" + text + "|" not in _zone_names():
        return None
    try:
        aware = local.replace(tzinfo=ZoneInfo(text), fold=0)  # fold 0: Java's earlier offset in an overlap
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def _folded(text: str, to: str, context: Context) -> exp.Expr | None:
    """A valid literal read at translation time, as the macros would read it (None: leave it to them)."""
    if to == "date":
        found = re.fullmatch(_PATTERNS["DATE"], text)
        if not found:
            return None
        sign, year, month, day = found.groups()
        try:
            value = dt.date(int(sign + year), int(month or 1), int(day or 1))
        except ValueError:
            return None
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    found = re.fullmatch(_PATTERNS["TIMESTAMP"], text)
    if not found:
        return None
    sign, year, month, day, h, mi, sec, fraction, zone = found.groups()
    try:
        local = dt.datetime(
            int(sign + year),
            int(month or 1),
            int(day or 1),
            int(h or 0),
            int(mi or 0),
            int(sec or 0),
            int(((fraction or "")[:6]).ljust(6, "0")),
        )
    except ValueError:
        return None
    if to == "timestamp_ntz":
        if zone and _instant_in(local, zone) is None:
            return None
        return exp.Cast(this=exp.Literal.string(local.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP"))
    session = context.settings.time_zone
    utc = _instant_in(
        local, zone if zone else (session[3:] if session.startswith("GMT") and len(session) > 3 else session)
    )
    if utc is None:
        return None
    return exp.Cast(this=exp.Literal.string(utc.isoformat(sep=" ") + "+00"), to=exp.DataType.build("TIMESTAMPTZ"))


def parsed(text: exp.Expr, to: str, context: Context, *, safe: bool) -> exp.Expr:
    """A string as Spark's cast reads it into `to` (date, timestamp, timestamp_ntz): malformed text is NULL when
    `safe` or ANSI is off, else CAST_INVALID_INPUT. A literal is read at translation time."""
    spark_type = types.of(to)
    if isinstance(text, exp.Literal) and text.is_string:
        folded = _folded(text.name, to, context)
        if folded is not None:
            return typed(folded, spark_type)
    if to == "date":
        value = call("spark_dt_text_to_date", text)
    elif to == "timestamp":
        value = call("spark_dt_text_to_timestamp", text, context.zone)
    else:
        value = call("spark_dt_text_to_ntz", text)
    if safe or not context.ansi:
        return typed(value, spark_type)
    raised = when(exp.Is(this=text.copy(), expression=exp.Null()), exp.Null(), _malformed(text, to))
    return typed(exp.Coalesce(this=value, expressions=[raised]), spark_type)


def as_date(value: exp.Expr, context: Context, *, safe: bool = False) -> exp.Expr | None:
    """`value` as Spark's DATE (a timestamp's date in the session zone, a string read as a cast reads it); None
    for a type Spark does not take as a date."""
    t = value.type
    if is_date(t):
        return value
    if is_timestamp(t):
        return typed(exp.Cast(this=wall(value, context), to=exp.DataType.build("DATE")), _DATE)
    if is_ntz(t):
        return typed(exp.Cast(this=value, to=exp.DataType.build("DATE")), _DATE)
    if types.is_string(t):
        return parsed(value, "date", context, safe=safe)
    if isinstance(value, exp.Null) or types.kind(t) == T.NULL:
        return typed(exp.Cast(this=exp.Null(), to=exp.DataType.build("DATE")), _DATE)
    return None


def as_timestamp(value: exp.Expr, context: Context, *, safe: bool = False) -> exp.Expr | None:
    """`value` as Spark's TIMESTAMP (a date at midnight and a TIMESTAMP_NTZ in the session zone)."""
    t = value.type
    if is_timestamp(t):
        return value
    if is_ntz(t):
        return instant(value, context)
    if is_date(t):
        return instant(exp.Cast(this=value, to=exp.DataType.build("TIMESTAMP")), context)
    if types.is_string(t):
        return parsed(value, "timestamp", context, safe=safe)
    if isinstance(value, exp.Null) or types.kind(t) == T.NULL:
        return typed(exp.Cast(this=exp.Null(), to=exp.DataType.build("TIMESTAMPTZ")), _TIMESTAMP)
    return None


def as_ntz(value: exp.Expr, context: Context, *, safe: bool = False) -> exp.Expr | None:
    """`value` as Spark's TIMESTAMP_NTZ (a TIMESTAMP's wall-clock time in the session zone)."""
    t = value.type
    if is_ntz(t):
        return value
    if is_timestamp(t):
        return wall(value, context)
    if is_date(t):
        return typed(exp.Cast(this=value, to=exp.DataType.build("TIMESTAMP")), _NTZ)
    if types.is_string(t):
        return parsed(value, "timestamp_ntz", context, safe=safe)
    if isinstance(value, exp.Null) or types.kind(t) == T.NULL:
        return typed(exp.Cast(this=exp.Null(), to=exp.DataType.build("TIMESTAMP")), _NTZ)
    return None
