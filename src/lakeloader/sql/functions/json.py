"""JSON over strings as Spark reads it: get_json_object and Databricks' `:` paths, json_tuple, json_array_length,
json_object_keys. A malformed row gives NULL for that row (never an error for the query), as Spark's does.

Spark reads these with Jackson, which accepts a little more than RFC 8259 (single-quoted strings, raw control
characters inside strings, text after the first value) and less than DuckDB's reader (no NaN or Infinity, no
trailing commas): `spark_json_doc` turns a row into the strict JSON Spark would have seen, or NULL. Values come
back as Jackson writes them: a string leaf as its text, anything else as compact JSON whose fractional numbers
are Java doubles (`1.5e3` is `1500.0`, `1.7e9` is `1.7E9`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, typed
from lakeloader.sql.functions.generators import Rows, generator
from lakeloader.sql.functions.generators import _generate as generate
from lakeloader.sql.registry import refuse, rule, same
from lakeloader.sql.runtime import macro


def let(value: str, name: str, body: str) -> str:
    """`body` with `name` bound to `value` once per row (a one-element list's lambda): a macro argument used many
    times would otherwise be expanded as many times, and DuckDB's binding time grows with each level."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


# -- a row as the strict JSON Jackson would have read ----------------------------------------------------------
_STRING = r'"(?:[^"\\]|\\.)*"'
# DuckDB takes NaN, Infinity and trailing commas; Jackson refuses them (outside strings).
_DUCKDB_ONLY = r"(?i)[:\[,]\s*[-+]?(nan|inf)|,\s*[\]}]"
macro(
    "spark_json_duckdb_only",
    f"""(j) AS regexp_matches(j, '{_DUCKDB_ONLY}')
    AND regexp_matches(regexp_replace(j, '{_STRING}', '""', 'g'), '{_DUCKDB_ONLY}')""",
)
# What Jackson reads and DuckDB does not (Spark's get_json_object family: single quotes, raw control characters
# in strings, text after the first value): the row as tokens (strings whole, brackets, the rest), strings
# re-quoted and escaped, cut after the bracket that closes the first value.
TOKENS = r"""(?s)"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[{}\[\]]|[^"'{}\[\]]+|."""
_CHAR = r"""CASE WHEN spark_c = '\''' THEN '''' WHEN spark_c = '"' THEN '\"'
                 WHEN ord(spark_c) < 32 THEN printf('\u%04X', ord(spark_c)) ELSE spark_c END"""
macro(
    "spark_json_string",
    rf"""(k) AS '"' || array_to_string(list_transform(
    regexp_extract_all(substr(k, 2, length(k) - 2), '(?s)\\.|.'), lambda spark_c: {_CHAR}), '') || '"'""",
)
macro(
    "spark_json_end",
    """(tokens) AS list_reduce(
    list_transform(tokens, lambda spark_k: CASE WHEN spark_k IN ('{', '[') THEN 1
                                                WHEN spark_k IN ('}', ']') THEN -1 ELSE 0 END),
    lambda spark_s, spark_x: CASE WHEN spark_s.stop > 0 THEN spark_s
        ELSE {'depth': spark_s.depth + spark_x, 'at': spark_s.at + 1,
              'stop': CASE WHEN spark_x = -1 AND spark_s.depth = 1 THEN spark_s.at + 1 ELSE 0 END} END,
    {'depth': 0, 'at': 0, 'stop': 0}).stop""",
)
_QUOTED = """length(spark_k) >= 2 AND ((starts_with(spark_k, '"') AND ends_with(spark_k, '"'))
                                   OR (starts_with(spark_k, '''') AND ends_with(spark_k, '''')))"""


def relaxed_tokens(token: str) -> str:
    """A macro's definition `(tokens)`: the tokens of the first JSON value (up to spark_json_end), each made strict
    by `token` (SQL over `spark_k`), joined; NULL when the value does not end."""
    body = f"""CASE WHEN spark_e > 0 THEN array_to_string(list_transform(spark_t[1:spark_e],
    lambda spark_k: {token}), '') END"""
    return "(tokens) AS " + let("tokens", "spark_t", let("spark_json_end(spark_t)", "spark_e", body))


macro("spark_json_relaxed_", relaxed_tokens(f"CASE WHEN {_QUOTED} THEN spark_json_string(spark_k) ELSE spark_k END"))
macro(
    "spark_json_relaxed",
    f"""(j) AS CASE WHEN regexp_matches(j, '^\\s*[\\[{{]')
    THEN spark_json_relaxed_(regexp_extract_all(j, '{TOKENS.replace("'", "''")}')) END""",
)
macro("spark_json_checked", "(r) AS " + let("r", "spark_r", "CASE WHEN json_valid(spark_r) "
      "AND NOT spark_json_duckdb_only(spark_r) THEN spark_r END"))  # fmt: skip
DOC = macro(
    "spark_json_doc",
    "(j) AS "
    + let(
        "j",
        "spark_j",
        """CASE
    WHEN json_valid(spark_j) THEN CASE WHEN NOT spark_json_duckdb_only(spark_j) THEN spark_j END
    ELSE spark_json_checked(spark_json_relaxed(spark_j)) END""",
    ),
)

# -- values as Jackson writes them (doubles as Java's Double.toString) -------------------------------------
# Java's Double.toString (Float.toString: `f32`) of `x`, from DuckDB's shortest text `t` of it: plain between
# 1e-3 and 1e7 ('0.001', '1.0'), else scientific ('1.0E7', '1.0E-4'); where one digit is the shortest, Java
# (JDK 19+) writes the closest two digits that read back as `x` (the smallest subnormal is 4.9E-324). Casts to
# STRING call it too. Its parts are bound once (the lambda): nested macros passing expressions down were 30x
# dearer for DuckDB to bind. `d`: the significant digits, `e`: the exponent of the first.
macro(
    "spark_json_java_digits",
    """(s, d, e) AS CASE WHEN d = '' THEN s || '0.0'
    WHEN e >= 0 AND e < 7
        THEN s || rpad(d[1:e + 1], CAST(e + 1 AS INTEGER), '0') || '.' || coalesce(nullif(d[e + 2:], ''), '0')
    WHEN e < 0 AND e >= -3 THEN s || '0.' || repeat('0', CAST(-e - 1 AS INTEGER)) || d
    ELSE s || d[1] || '.' || coalesce(nullif(d[2:], ''), '0') || 'E' || e END""",
)
macro(  # `two`: |x| to two significant digits (10 to 99), the first at 10^k
    "spark_json_java_two",
    """(s, d, e, x, f32, k, two) AS CASE WHEN two BETWEEN 11 AND 99 AND two % 10 <> 0 AND abs(x) = CASE
    WHEN f32 THEN CAST(CAST(CAST(two AS VARCHAR) || 'e' || (k - 1) AS FLOAT) AS DOUBLE)
    ELSE CAST(CAST(two AS VARCHAR) || 'e' || (k - 1) AS DOUBLE) END
    THEN spark_json_java_digits(s, CAST(two AS VARCHAR), k) ELSE spark_json_java_digits(s, d, e) END""",
)
macro(  # `r`: |x| / 10^e
    "spark_json_java_near",
    """(s, d, e, x, f32, r) AS CASE WHEN length(d) <> 1 THEN spark_json_java_digits(s, d, e)
    ELSE spark_json_java_two(s, d, e, x, f32, CASE WHEN r < 1 THEN e - 1 ELSE e END,
        CAST(round(CASE WHEN r < 1 THEN 100 * r ELSE 10 * r END) AS INTEGER)) END""",
)
macro(
    "spark_json_java_of",
    """(q, f32) AS spark_json_java_near(q.s, q.d, q.e, q.x, f32,
    CASE WHEN q.e < -300 THEN abs(q.x) * 1e300 * pow(10, -q.e - 300) ELSE abs(q.x) / pow(10, q.e) END)""",
)
macro(  # `m`: DuckDB's digits before any exponent
    "spark_json_java_parts",
    """(t, m, x) AS struct_pack(s := CASE WHEN starts_with(t, '-') THEN '-' ELSE '' END,
    d := rtrim(ltrim(replace(m, '.', ''), '0'), '0'),
    e := length(split_part(m, '.', 1)) - 1 + coalesce(TRY_CAST(split_part(t, 'e', 2) AS INTEGER), 0)
        - (length(replace(m, '.', '')) - length(ltrim(replace(m, '.', ''), '0'))),
    x := x)""",
)
macro(
    "spark_json_java",
    """(t, x, f32) AS CASE WHEN isnan(x) THEN 'NaN' WHEN isinf(x) THEN CASE WHEN x > 0 THEN 'Infinity' ELSE
    '-Infinity' END ELSE list_transform([spark_json_java_parts(t, split_part(ltrim(t, '-'), 'e', 1), x)],
    lambda spark_q: spark_json_java_of(spark_q, f32))[1] END""",
)
_JSON_TOKENS = r'"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|[^"0-9-]+'
macro(
    "spark_json_number",
    """(k) AS CASE
    WHEN TRY_CAST(k AS DOUBLE) IS NULL OR isinf(TRY_CAST(k AS DOUBLE))
        THEN CASE WHEN starts_with(k, '-') THEN '"-Infinity"' ELSE '"Infinity"' END
    ELSE spark_json_java(CAST(TRY_CAST(k AS DOUBLE) AS VARCHAR), TRY_CAST(k AS DOUBLE), false) END""",
)
JSON_TEXT = macro(
    "spark_json_text",
    f"""(t) AS CASE
    WHEN t IS NULL OR NOT regexp_matches(t, '[0-9][.eE]') THEN t
    ELSE array_to_string(list_transform(regexp_extract_all(t, '{_JSON_TOKENS}'),
        lambda spark_k: CASE WHEN regexp_matches(spark_k, '^-?[0-9].*[.eE]') THEN spark_json_number(spark_k)
                             ELSE spark_k END), '') END""",
)
# the value at a path of a strict document: a string as its text, NULL for JSON null after a field name (Spark
# writes nothing for it), anything else as JSON
GET = macro(
    "spark_json_get",
    "(doc, path, keyed) AS "
    + let(
        "doc",
        "spark_d",
        """CASE json_type(spark_d, path)
    WHEN 'NULL' THEN CASE WHEN keyed THEN NULL ELSE 'null' END
    WHEN 'VARCHAR' THEN json_extract_string(spark_d, path)
    ELSE spark_json_text(CAST(json_extract(spark_d, path) AS VARCHAR)) END""",
    ),
)
# `[*]`: the matches as JSON (a field's null is no match); none: NULL, one: itself, more: a JSON array
macro(
    "spark_json_each_",
    "(items, always_array) AS "
    + let(
        "items",
        "spark_i",
        """CASE
    WHEN spark_i IS NULL OR len(spark_i) = 0 THEN NULL
    WHEN len(spark_i) = 1 AND NOT always_array THEN spark_i[1]
    ELSE '[' || array_to_string(spark_i, ',') || ']' END""",
    ),
)
EACH = macro(
    "spark_json_each",
    """(doc, path, keyed, always_array) AS spark_json_each_(list_transform(
    list_filter(CAST(json_extract(doc, path) AS VARCHAR[]),
                lambda spark_v: spark_v IS NOT NULL AND NOT (keyed AND spark_v = 'null')),
    lambda spark_v: spark_json_text(spark_v)), always_array)""",
)


# -- paths -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One instruction of a Spark JSON path: a field name (`key`), an array index, or `[*]` (`each`)."""

    key: str | None = None
    index: int | None = None
    each: bool = False


_WS = re.compile(r"\s*")


def spark_path(text: str) -> list[Step] | None:
    """A path as Spark's JsonPathParser reads it (None: not a path Spark accepts, which gives NULL for every
    row). `$`, `.name`, `['name']`, `[n]`, `[*]`; `.*` and `['*']` (field wildcards) are kept as `Step()`.
    Scala's RegexParsers skip whitespace before string literals and regexes, not before single characters."""
    if not text.startswith("$"):
        return None
    steps: list[Step] = []
    at = 1

    def literal(word: str, start: int) -> int | None:
        start = _WS.match(text, start).end()  # type: ignore[union-attr]
        return start + len(word) if text.startswith(word, start) else None

    def regex(pattern: str, start: int) -> re.Match[str] | None:
        start = _WS.match(text, start).end()  # type: ignore[union-attr]
        return re.compile(pattern).match(text, start)

    while at < len(text):
        end = literal(".*", at) or literal("['*']", at)
        if end is not None:
            steps.append(Step())
            at = end
            continue
        if text.startswith(".", at) and (name := regex(r"[^.\[]+", at + 1)):
            steps.append(Step(key=name.group()))
            at = name.end()
            continue
        start = literal("['", at)
        if start is not None and (name := regex(r"[^'?]+", start)) and (end := literal("']", name.end())):
            steps.append(Step(key=name.group()))
            at = end
            continue
        if text.startswith("[*]", at):
            steps.append(Step(each=True))
            at += 3
            continue
        if text.startswith("[", at) and (number := regex(r"\d+", at + 1)) and text.startswith("]", number.end()):
            steps.append(Step(index=int(number.group())))
            at = number.end() + 1
            continue
        if not text[at:].strip():
            break  # trailing whitespace: `phrase` allows it
        return None
    return steps


def _from_sqlglot(path: exp.JSONPath) -> list[Step] | None:
    """The steps of a path sqlglot already parsed (a `:` path, or a literal it read as JSONPath)."""
    steps: list[Step] = []
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            continue
        inner = part.this if isinstance(part, exp.JSONPathKey | exp.JSONPathSubscript) else None
        if isinstance(part, exp.JSONPathKey) and isinstance(inner, str):
            steps.append(Step(key=inner))
        elif isinstance(part, exp.JSONPathKey | exp.JSONPathWildcard) and not isinstance(part, exp.JSONPathSubscript):
            steps.append(Step())
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(inner, int):
            steps.append(Step(index=inner))
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(inner, exp.JSONPathWildcard):
            steps.append(Step(each=True))
        else:
            return None  # a slice, a filter, recursive descent: not Spark path syntax
    return steps


def _duckdb_path(steps: list[Step]) -> str:
    out = "$"
    for step in steps:
        if step.key is not None:
            out += '."' + step.key.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif step.index is not None:
            out += f"[{step.index}]"
        else:
            out += "[*]"
    return out


def _refused(what: str, why: str) -> exp.Expr:
    from lakeloader.sql.translate import TranslateError

    raise TranslateError(f"{what}: {why}; rewrite that part of the query")


def value_at(doc: exp.Expr, steps: list[Step] | None, what: str) -> exp.Expr:
    """The string Spark's get_json_object gives for `steps` of the strict document `doc`."""
    string = types.of("string")
    if steps is None:
        return typed(exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR")), string)
    if any(s.key is None and s.index is None and not s.each for s in steps):
        _refused(what, "a field wildcard (`.*` or `['*']`) in a JSON path is not supported; name the field")
    wildcards = [i for i, s in enumerate(steps) if s.each]
    keyed = exp.Boolean(this=bool(steps) and steps[-1].key is not None)
    path = exp.Literal.string(_duckdb_path(steps))
    if not wildcards:
        return typed(call(GET, doc, path, keyed), string)
    if len(wildcards) > 1:
        _refused(what, "more than one `[*]` in a JSON path is not supported (Spark flattens them as Hive did)")
    after_index = wildcards[0] > 0 and steps[wildcards[0] - 1].index is not None  # `[0][*]` keeps the array
    return typed(call(EACH, doc, path, keyed, exp.Boolean(this=after_index)), string)


def _path_steps(path: exp.Expr, what: str) -> list[Step] | None:
    if isinstance(path, exp.JSONPath):
        return _from_sqlglot(path)
    if isinstance(path, exp.Literal) and path.is_string:
        return spark_path(path.this)
    if isinstance(path, exp.Null):
        return None
    return _refused(what, "the JSON path must be a string literal")  # type: ignore[return-value]


def document(value: exp.Expr) -> exp.Expr:
    return call(DOC, value)


@rule("get_json_object", nodes=(exp.JSONExtractScalar,), returns=lambda node: types.of("string"))
def _get_json_object(node: exp.JSONExtractScalar, context: Context) -> exp.Expr:
    """`get_json_object(json, '$.path')`: NULL for a missing path, a malformed row or a JSON null field."""
    return value_at(document(node.this), _path_steps(node.expression, "get_json_object"), "get_json_object")


def _json_extract_type(node: exp.Expr) -> exp.DataType | None:
    return types.of("string") if types.is_string(node.this.type) else None


@rule(":", nodes=(exp.JSONExtract,), returns=_json_extract_type)
def _colon_path(node: exp.JSONExtract, context: Context) -> exp.Expr:
    """Databricks' `json_string:path`: what get_json_object gives for the same path."""
    source = node.this
    if not types.is_string(source.type):
        shown = source.type.sql(dialect="spark") if types.is_known(source.type) else "an expression of unknown type"
        _refused("construct `:`", f"a path over {shown} is not supported (VARIANT is not); use a JSON string")
    steps = _from_sqlglot(node.expression) if isinstance(node.expression, exp.JSONPath) else None
    return value_at(document(source), steps, "construct `:`")


@rule("json_array_length", returns=lambda node: types.of("int"))
def _json_array_length(node: exp.Anonymous, context: Context) -> exp.Expr:
    """The number of elements of a top-level JSON array; NULL for anything else or a malformed row."""
    doc = document(node.expressions[0])
    length = call("json_array_length", doc.copy())
    counted = exp.Case(ifs=[exp.If(this=exp.EQ(this=call("json_type", doc), expression=exp.Literal.string("ARRAY")),
                                   true=exp.Cast(this=length, to=exp.DataType.build("INTEGER")))])  # fmt: skip
    return typed(counted, types.of("int"))


@rule("json_object_keys", nodes=(exp.JSONKeys,), returns=lambda node: types.of("array<string>"))
def _json_object_keys(node: exp.Expr, context: Context) -> exp.Expr:
    """The keys of a top-level JSON object, in order (duplicates kept); NULL for anything else."""
    doc = document(node.this)
    is_object = exp.EQ(this=call("json_type", doc), expression=exp.Literal.string("OBJECT"))
    return typed(exp.Case(ifs=[exp.If(this=is_object, true=call("json_keys", doc.copy()))]), types.of("array<string>"))


# -- json_tuple ------------------------------------------------------------------------------------------------
@generator("json_tuple")
def _json_tuple(node: exp.Expr, names: list[str] | None, context: Context) -> Rows:
    """`json_tuple(json, 'a', 'b')`: one row per input row (all NULL for a malformed or NULL document), each
    field of the top-level object as get_json_object gives `$['field']`; columns c0, c1, ... unless named."""
    source, *fields = node.expressions
    if not fields:
        _refused("function json_tuple", "it needs at least one field name")
    chosen = names if names is not None else [f"c{i}" for i in range(len(fields))]
    if len(chosen) != len(fields):
        _refused("function json_tuple", f"it gives {len(fields)} column(s) but the query names {len(chosen)}")
    doc = exp.column("spark_jt")  # the document, parsed once per row for every field
    values = []
    for field in fields:
        if isinstance(field, exp.Null) or (isinstance(field, exp.Cast) and isinstance(field.this, exp.Null)):
            values.append(value_at(doc.copy(), None, "json_tuple"))
        elif isinstance(field, exp.Literal) and field.is_string:
            values.append(value_at(doc.copy(), [Step(key=field.this)], "json_tuple"))
        else:
            _refused("function json_tuple", "the field names must be string literals")
    row: exp.Expr = values[0]
    if len(values) > 1:
        row = exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier(name, quoted=True), expression=value)
                for name, value in zip(chosen, values, strict=True)
            ]
        )
    once = exp.Lambda(this=row, expressions=[exp.to_identifier("spark_jt")])
    return Rows(call("list_transform", exp.Array(expressions=[document(source)]), once), chosen, len(values) == 1)


rule("json_tuple")(generate)  # where it stands (SELECT list, AS (...), LATERAL VIEW) is the generators' rule


# The rest of sqlglot's path syntax: no Spark path has them (a rule above gives NULL, as Spark does for a path
# it cannot read), so they pass as parts of their path.
same(nodes=(exp.JSONPathRecursive, exp.JSONPathSlice, exp.JSONPathFilter, exp.JSONPathScript, exp.JSONPathSelector,
            exp.JSONPathUnion))  # fmt: skip
refuse("try_parse_json", "parse_json", why="VARIANT is not supported; use get_json_object or a : path on the string")
