"""from_json as Spark's JacksonParser reads a string into a DDL schema (PERMISSIVE mode), and schema_of_json.

A row is first made the strict JSON Jackson would have read with from_json's options (single quotes allowed,
NaN/Infinity/+INF/-INF allowed, raw control characters in strings refused, text after the first value ignored),
or NULL when Jackson fails on it. Then each value is converted as Spark's converters do, where a value that does
not fit its type *fails*: a failed struct field is NULL and the rest of the struct is kept (partial results); a
failed array element or map value makes the whole array or map fail; a root struct of a malformed row, of a JSON
array or of a scalar has every field NULL; NULL and blank text give NULL. Numbers go to integers only from JSON
integers in range, to doubles also from the strings "NaN", "Infinity", "-INF", ...; a decimal also from a string
(commas dropped), rounded half up, from the number's own digits; a STRING takes any value (objects, arrays and
numbers as Jackson writes them); dates and timestamps are read from strings as Spark's casts read them (a
timestamp also from a JSON integer of seconds). Field names are case-sensitive; a repeated name keeps its last
value. Two rows fail the query instead: one whose object read as a MAP repeats a key (Spark keeps both entries, a
DuckDB MAP cannot), and one holding the private-use character U+E000 (see MARK).
"""

from __future__ import annotations

import itertools

import sqlglot
from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, typed
from lakeloader.sql.functions.collections import cheap, raise_spark
from lakeloader.sql.functions.json import TOKENS, let, relaxed_tokens
from lakeloader.sql.functions.json_schema import Unsupported, schema, struct_fields
from lakeloader.sql.functions.json_write import options_of
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType
_STRING_TOKEN = r'"(?:[^"\\]|\\.)*"'

# -- a row as the strict JSON from_json's Jackson would have read ------------------------------------------------
# A single-quoted string re-quoted; a raw control character in it is kept, so that the document stays invalid.
macro(
    "spark_fj_quoted",
    r"""(k) AS '"' || array_to_string(list_transform(
    regexp_extract_all(substr(k, 2, length(k) - 2), '(?s)\\.|.'),
    lambda spark_c: CASE WHEN spark_c = '\''' THEN '''' WHEN spark_c = '"' THEN '\"' ELSE spark_c END), '') || '"'""",
)
macro(
    "spark_fj_token",
    r"""(k) AS CASE
    WHEN length(k) >= 2 AND starts_with(k, '"') AND ends_with(k, '"') THEN k
    WHEN length(k) >= 2 AND starts_with(k, '''') AND ends_with(k, '''') THEN spark_fj_quoted(k)
    ELSE regexp_replace(regexp_replace(k, '\+(INF|Infinity)\b', 'Infinity', 'g'), '-INF\b', '-Infinity', 'g') END""",
)
macro("spark_fj_relaxed_", relaxed_tokens("spark_fj_token(spark_k)"))
macro(
    "spark_fj_relaxed",
    f"""(j) AS CASE WHEN regexp_matches(j, '^[ \\t\\n\\r]*[\\[{{]')
    THEN spark_fj_relaxed_(regexp_extract_all(j, '{TOKENS.replace("'", "''")}')) END""",
)
# What DuckDB reads and Jackson does not: NaN and the infinities other than as Jackson spells them, trailing commas.
_FOREIGN = r"(?i)nan|inf|,\s*[\]}]"
macro(
    "spark_fj_foreign",
    f"""(r) AS regexp_matches(r, '{_FOREIGN}') AND regexp_matches(
    regexp_replace(regexp_replace(regexp_replace(r, '{_STRING_TOKEN}', '""', 'g'), '[-+]NaN', 'nan', 'g'),
        'NaN|-?Infinity', '0', 'g'), '{_FOREIGN}')""",
)
macro("spark_fj_checked", "(r) AS " + let("r", "spark_r", "CASE WHEN json_valid(spark_r) AND NOT "
      "spark_fj_foreign(spark_r) THEN spark_r END"))  # fmt: skip
macro(  # `j`: a cheap expression (a column), named several times
    "spark_fj_doc",
    """(j) AS CASE WHEN json_valid(j) AND NOT spark_json_duckdb_only(j) THEN j
    ELSE spark_fj_checked(spark_fj_relaxed(j)) END""",
)
# Numbers: DuckDB keeps a fractional number as a double and writes it back its own way; Jackson reads its text
# exactly (a decimal) and writes it as a Java double. Each fractional number (and NaN, Infinity) of a row is
# kept as the string MARK + its text (+ MARK + its Java text, where a STRING may hold it: computed once per row
# costs less than in each field), which the readers below take apart. A row holding MARK itself is refused (a
# private-use character, which the readers could not tell from a number).
MARK = "\ue000"
# a string, or a fractional number (the second group: an integer is left as it is)
_MARKED = r'("(?:[^"\\]|\\.)*")|(-?[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)|NaN|-?Infinity)'
macro(
    "spark_fj_plain",
    rf"""(j) AS strpos(j, '{MARK}') = 0 AND strpos(j, '\ue000') = 0 AND strpos(j, '\uE000') = 0""",
)
macro(  # every string gains an empty mark after it, which is then dropped
    "spark_fj_mark",
    f"""(d) AS CASE WHEN regexp_matches(d, '[0-9][.eE]|NaN|Infinity')
    THEN replace(regexp_replace(d, '{_MARKED}', '\\1"{MARK}\\2"', 'g'), '"{MARK}"', '') ELSE d END""",
)
macro(
    "spark_fj_java_mark",
    f"""(o) AS '"{MARK}' || o || '{MARK}' || spark_json_java(CAST(TRY_CAST(o AS DOUBLE) AS VARCHAR),
    TRY_CAST(o AS DOUBLE), false) || '"'""",
)
macro(  # `m`: a marked row, named three times; its text between marks zipped with the marks, Java's text added
    "spark_fj_mark_java",
    f"""(m) AS CASE WHEN m IS NULL OR strpos(m, '{MARK}') = 0 THEN m ELSE array_to_string(list_transform(list_zip(
    regexp_split_to_array(m, '"{MARK}[^"]*"'), list_transform(regexp_extract_all(m, '"{MARK}([^"]*)"', 1),
        lambda spark_o: spark_fj_java_mark(spark_o))), lambda spark_z: spark_z[1] || coalesce(spark_z[2], '')), '')
    END""",
)
macro(  # a Java text as Jackson writes it: NaN and the infinities quoted
    "spark_fj_java_text",
    """(x) AS CASE WHEN x IN ('NaN', 'Infinity', '-Infinity') THEN '"' || x || '"' ELSE x END""",
)
macro(  # JSON text with its marked numbers as Jackson writes them
    "spark_fj_unmarked",
    f"""(t) AS CASE WHEN strpos(t, '{MARK}') = 0 THEN t ELSE regexp_replace(regexp_replace(t,
    '"{MARK}[^"]*{MARK}(-?(?:NaN|Infinity))"', '"\\1"', 'g'), '"{MARK}[^"]*{MARK}([^"]*)"', '\\1', 'g') END""",
)

# -- values --------------------------------------------------------------------------------------------------
# The macros below take cheap arguments (a lambda variable, a list element) and name them several times rather
# than bind them: DuckDB's cost of binding grows exponentially with the depth of nested lambdas.
#
# An object's values of the given names (the last of a repeated name, as Spark keeps); NULL for a non-object.
macro(
    "spark_fj_fields",
    """(o, names, paths) AS CASE WHEN json_type(o) <> 'OBJECT' THEN NULL
    WHEN len(json_keys(o)) = len(list_distinct(json_keys(o))) THEN json_extract(o, paths)
    ELSE list_transform(names, lambda spark_n: json_extract(o, '$.*')[
        len(json_keys(o)) + 1 - list_position(list_reverse(json_keys(o)), spark_n)]) END""",
)
# (JSON paths inside macros: sqlglot would write json_extract as `->`, which DuckDB reads as a lambda in a lambda)
macro("spark_fj_items", "(v) AS CAST(json_extract(v, '$[*]') AS JSON[])")
macro("spark_fj_values", "(v) AS json_extract(v, '$.*')")
macro("spark_fj_integer", "(v) AS CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT') THEN CAST(v AS VARCHAR) END")
macro(  # Jackson's getByteValue: -128 to 255, then Java's (byte)
    "spark_fj_byte",
    """(n) AS CASE WHEN n BETWEEN -128 AND 255 THEN CAST(CASE WHEN n > 127 THEN n - 256 ELSE n END AS TINYINT)
    END""",
)
macro("spark_fj_marked", f"(s) AS CASE WHEN starts_with(s, '{MARK}') THEN split_part(s, '{MARK}', 2) END")
macro(
    "spark_fj_special",
    """(s) AS CASE WHEN s = 'NaN' THEN 'NaN' WHEN s IN ('+INF', '+Infinity', 'Infinity') THEN 'Infinity'
    WHEN s IN ('-INF', '-Infinity') THEN '-Infinity' END""",
)
macro(
    "spark_fj_fractional",
    """(v) AS CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(v AS VARCHAR)
    WHEN json_type(v) = 'VARCHAR' THEN coalesce(spark_fj_marked(json_extract_string(v, '$')),
        spark_fj_special(json_extract_string(v, '$'))) END""",
)
# java.math.BigDecimal's syntax, after Spark drops the commas (Locale.US)
macro(
    "spark_fj_decimal_text",
    r"""(s) AS CASE WHEN regexp_matches(replace(s, ',', ''), '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$')
    THEN replace(s, ',', '') END""",
)
macro(
    "spark_fj_decimal",
    """(v) AS CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(v AS VARCHAR)
    WHEN json_type(v) = 'VARCHAR' THEN coalesce(spark_fj_marked(json_extract_string(v, '$')),
        spark_fj_decimal_text(json_extract_string(v, '$'))) END""",
)
# A non-string value read into a STRING: the JSON Jackson writes for it (its numbers marked: see above), a
# character beyond U+FFFF as its two escaped UTF-16 halves (Jackson's UTF-8 writer does not combine them).
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"
macro(
    "spark_fj_halves",
    """(c) AS printf('\\u%04X\\u%04X', 55296 + ((unicode(c) - 65536) >> 10), 56320 + ((unicode(c) - 65536) & 1023))""",
)
macro(
    "spark_fj_escaped",
    f"""(t) AS CASE WHEN t IS NULL OR NOT regexp_matches(t, '{_ASTRAL}') THEN t
    ELSE array_to_string(list_transform(list_zip(regexp_split_to_array(t, '{_ASTRAL}'),
        list_transform(regexp_extract_all(t, '{_ASTRAL}'), lambda spark_a: spark_fj_halves(spark_a))),
        lambda spark_z: spark_z[1] || coalesce(spark_z[2], '')), '') END""",
)
macro(
    "spark_fj_string",
    f"""(v) AS CASE WHEN json_type(v) = 'VARCHAR' THEN CASE WHEN starts_with(json_extract_string(v, '$'), '{MARK}')
        THEN spark_fj_java_text(split_part(json_extract_string(v, '$'), '{MARK}', 3))
        ELSE json_extract_string(v, '$') END
    WHEN json_type(v) <> 'NULL' THEN list_transform([spark_fj_unmarked(CAST(v AS VARCHAR))],
        lambda spark_u: spark_fj_escaped(spark_u))[1] END""",
)
macro("spark_fj_text", "(v) AS CASE WHEN json_type(v) = 'VARCHAR' THEN nullif(json_extract_string(v, '$'), '') END")
# Dates: Spark's cast of the text (without 'GMT', which the cast's date never reads), then the text as a number of
# days (Spark 1.5's form)
macro(
    "spark_fj_date_",
    r"""(s) AS coalesce(spark_dt_text_to_date(replace(s, 'GMT', '')),
    CASE WHEN regexp_matches(s, '^[+-]?[0-9]{1,10}$') AND TRY_CAST(s AS BIGINT) BETWEEN -2000000000 AND 2000000000
    THEN DATE '1970-01-01' + TRY_CAST(s AS INTEGER) END)""",
)
macro("spark_fj_date", "(v) AS spark_fj_date_(spark_fj_text(v))")
macro(  # a JSON integer: seconds since the epoch
    "spark_fj_seconds",
    """(n) AS CASE WHEN n BETWEEN -9223372036854 AND 9223372036854 THEN make_timestamptz(n * 1000000) END""",
)
macro(
    "spark_fj_timestamp",
    """(v, zone) AS CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT')
    THEN spark_fj_seconds(TRY_CAST(CAST(v AS VARCHAR) AS BIGINT))
    ELSE coalesce(spark_dt_text_to_timestamp(spark_fj_text(v), zone),
        spark_dt_text_to_timestamp(replace(spark_fj_text(v), 'GMT', ''), zone)) END""",
)
macro("spark_fj_ntz", "(v) AS spark_dt_text_to_ntz_unzoned(spark_fj_text(v))")
macro(  # a MAP holds a key once; Spark's holds a repeated key twice
    "spark_fj_map",
    """(k, v) AS CASE WHEN len(k) = len(list_distinct(k)) THEN map(k, v) ELSE error('[UNSUPPORTED_FEATURE] '
    || 'function from_json: a JSON object read as a MAP repeats a key (Spark keeps both entries, a DuckDB MAP '
    || 'cannot); read it as a STRUCT or a STRING') END""",
)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _path(name: str) -> str:
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _holds(t: exp.DataType, kinds: tuple[exp.DType, ...]) -> bool:
    """Does a type hold one of `kinds` (itself, or in its elements, values or fields)?"""
    if t.this in kinds:
        return True
    if t.this == T.STRUCT:
        return any(_holds(kind, kinds) for _, kind in struct_fields(t))
    return any(_holds(e, kinds) for e in t.expressions if isinstance(e, exp.DataType))


class _Reader:
    """The DuckDB SQL text that converts a JSON value to a Spark type (NULL when it fails or is JSON null). A
    value is named by a cheap expression (a lambda variable or an element of one), which the text repeats."""

    def __init__(self, zone: str) -> None:
        self.zone = zone
        self.names = itertools.count(1)

    def fresh(self) -> str:
        return f"spark_r{next(self.names)}"

    def value(self, v: str, t: exp.DataType) -> str:
        kind = t.this
        scalar = {
            T.BOOLEAN: f"CASE WHEN json_type({v}) = 'BOOLEAN' THEN CAST(CAST({v} AS VARCHAR) AS BOOLEAN) END",
            T.TINYINT: f"spark_fj_byte(TRY_CAST(spark_fj_integer({v}) AS BIGINT))",
            T.SMALLINT: f"TRY_CAST(spark_fj_integer({v}) AS SMALLINT)",
            T.INT: f"TRY_CAST(spark_fj_integer({v}) AS INTEGER)",
            T.BIGINT: f"TRY_CAST(spark_fj_integer({v}) AS BIGINT)",
            T.FLOAT: f"TRY_CAST(spark_fj_fractional({v}) AS FLOAT)",
            T.DOUBLE: f"TRY_CAST(spark_fj_fractional({v}) AS DOUBLE)",
            T.TEXT: f"spark_fj_string({v})",
            T.DATE: f"spark_fj_date({v})",
            T.TIMESTAMPTZ: f"spark_fj_timestamp({v}, {self.zone})",
            T.TIMESTAMPNTZ: f"spark_fj_ntz({v})",
        }
        if kind in scalar:
            return scalar[kind]
        if kind == T.DECIMAL:
            return f"TRY_CAST(spark_fj_decimal({v}) AS {types.to_duckdb(t)})"
        if kind == T.STRUCT:
            return f"CASE WHEN json_type({v}) = 'OBJECT' THEN {self.struct(v, t)} END"
        if kind == T.ARRAY:
            return self.array(v, t)
        return self.map(v, t)

    def struct(self, o: str, t: exp.DataType) -> str:
        """The struct of object `o`'s fields (every field NULL when `o` is no object)."""
        fields = struct_fields(t)
        values = self.fresh()
        names = "[" + ", ".join(_sql_string(name) for name, _ in fields) + "]"
        paths = "[" + ", ".join(_sql_string(_path(name)) for name, _ in fields) + "]"
        items = ", ".join(
            f"{_sql_name(name)} := {self.value(f'{values}[{i}]', kind)}" for i, (name, kind) in enumerate(fields, 1)
        )
        return let(f"spark_fj_fields({o}, {names}, {paths})", values, f"struct_pack({items})")

    def _converted(self, items: str, t: exp.DataType, made: str) -> str:
        """`made` of the converted `items` (a list of JSON values, named `spark_c`... in it): NULL when an item
        fails (is NULL without being JSON null)."""
        converted, e, c = self.fresh(), self.fresh(), self.fresh()
        every = (f"len(list_filter({converted}, lambda {c}: {c} IS NOT NULL)) = "
                 f"len(list_filter({items}, lambda {e}: json_type({e}) <> 'NULL'))")  # fmt: skip
        body = f"CASE WHEN {every} THEN {made.format(converted)} END"
        return let(f"list_transform({items}, lambda {e}: {self.value(e, t)})", converted, body)

    def array(self, v: str, t: exp.DataType) -> str:
        items = f"spark_fj_items({v})"
        return f"CASE WHEN json_type({v}) = 'ARRAY' THEN {self._converted(items, t.expressions[0], '{}')} END"

    def map(self, v: str, t: exp.DataType) -> str:
        made = f"spark_fj_map(json_keys({v}), {{}})"
        items = f"spark_fj_values({v})"
        return f"CASE WHEN json_type({v}) = 'OBJECT' THEN {self._converted(items, t.expressions[1], made)} END"

    def root(self, doc: str, t: exp.DataType) -> str:
        if t.this == T.STRUCT:
            return self.struct(doc, t)
        if t.this == T.MAP:
            return self.map(doc, t)
        element = t.expressions[0]
        if element.this == T.STRUCT:  # an object read into an array of structs: an array of it alone
            alone = f"[{self.struct(doc, element)}]"
            return f"CASE WHEN json_type({doc}) = 'OBJECT' THEN {alone} ELSE {self.array(doc, t)} END"
        return self.array(doc, t)


def _from_json_type(node: exp.Expr) -> exp.DataType | None:
    try:
        return schema(node.args.get("expression"))
    except Unsupported:
        return None


_MODES = {"mode": "mode"}
_RESERVED = (
    "error('[UNSUPPORTED_FEATURE] function from_json: the text holds the private-use character U+E000, which "
    "lakeloader reserves for reading JSON numbers')"
)


def _document(spark_type: exp.DataType) -> str:
    """The strict JSON of the row `spark_fj_input`, its numbers marked where the schema reads their text."""
    strict = "spark_fj_doc(spark_fj_input)"
    if not _holds(spark_type, (T.TEXT, T.FLOAT, T.DOUBLE, T.DECIMAL)):
        return strict
    marked = "spark_fj_mark(spark_fj_d0)"
    if _holds(spark_type, (T.TEXT,)):
        marked = let(marked, "spark_fj_d1", "spark_fj_mark_java(spark_fj_d1)")
    return f"CASE WHEN spark_fj_plain(spark_fj_input) THEN {let(strict, 'spark_fj_d0', marked)} ELSE {_RESERVED} END"


@rule(
    "from_json",
    nodes=(exp.FromJson,),
    returns=_from_json_type,
    note="a DDL schema literal; PERMISSIVE mode, no other option; BINARY and CHAR/VARCHAR fields refused",
)
def _from_json(node: exp.FromJson, context: Context) -> exp.Expr:
    """`from_json(text, 'a INT, b STRING')` as Spark reads it in PERMISSIVE mode (see the module's docstring)."""
    try:
        spark_type = schema(node.args.get("expression"))
    except Unsupported as unsupported:
        raise_spark(f"function from_json: {unsupported}")
    options = options_of(node.args.get("options"), "from_json", _MODES)
    if options.get("mode", "PERMISSIVE").upper() != "PERMISSIVE":
        raise_spark(f"function from_json: mode {options['mode']} is not supported (only PERMISSIVE)")
    if types.is_known(node.this.type) and not types.is_string(node.this.type):
        raise_spark(f"function from_json: its input is {node.this.type.sql(dialect='spark')}, not a STRING")
    reader = _Reader(context.zone.sql(dialect="duckdb"))
    body = let(_document(spark_type), "spark_fj_d", reader.root("spark_fj_d", spark_type))
    blank = r"spark_fj_input IS NULL OR regexp_matches(spark_fj_input, '^[ \t\n\r]*$')"
    text = f"CASE WHEN {blank} THEN NULL ELSE {body} END"
    named = "spark_fj_input" if cheap(node.this) else "spark_fj_source"
    if named == "spark_fj_source":  # the input is named five times: computed once
        text = let(named, "spark_fj_input", text)
    tree = sqlglot.parse_one(f"CAST({text} AS {types.to_duckdb(spark_type)})", read="duckdb")
    source = exp.Cast(this=node.this, to=exp.DataType.build("VARCHAR"))
    for placeholder in [c for c in tree.find_all(exp.Column) if c.name == named]:
        placeholder.replace(source.copy())
    return typed(tree, spark_type)
