"""Substrings and positions with Spark's answers: positions counted from 1 in code points, substring's position
0 and negative positions (UTF8String.substringSQL), left and right, instr and locate, split_part and
substring_index (overlapping occurrences), find_in_set and overlay; a binary's substring counts bytes."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions.strings import (
    BINARY,
    INT,
    STRING,
    as_bigint,
    as_string,
    fixed,
    is_binary,
    number,
    refused,
    spark_call,
    string_or_binary,
)
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

_INT_MAX = 2147483647


# -- macros --------------------------------------------------------------------------------------------------------
# substring(s, pos, len) as UTF8String.substringSQL: position 0 is 1, a negative position counts from the end, the
# slice [start, start + len) is clamped to the string.
_SLICE = macro(
    "spark_str_slice",
    "(s, start, n) AS CASE WHEN greatest(start, 0) >= start + n THEN '' "
    "ELSE substring(s, greatest(start, 0) + 1, start + n - greatest(start, 0)) END",
)
SUBSTRING = macro(
    "spark_substring",
    "(s, pos, n) AS CASE WHEN s IS NULL OR pos IS NULL OR n IS NULL THEN NULL "
    f"ELSE {_SLICE}(s, CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN length(s) + pos ELSE 0 END, n) END",
)
_BINARY_SLICE = macro(
    "spark_binary_slice",
    "(b, start, n) AS CASE WHEN greatest(start, 0) >= start + n THEN ''::BLOB "
    "ELSE unhex(substring(hex(b), 2 * greatest(start, 0) + 1, 2 * (start + n - greatest(start, 0)))) END",
)
BINARY_SUBSTRING = macro(
    "spark_binary_substring",
    "(b, pos, n) AS CASE WHEN b IS NULL OR pos IS NULL OR n IS NULL THEN NULL "
    f"ELSE {_BINARY_SLICE}(b, CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN octet_length(b) + pos ELSE 0 END,"
    " n) END",
)
_LEFT = macro(
    "spark_left",
    f"(s, n) AS CASE WHEN s IS NULL THEN NULL WHEN n <= 0 THEN '' ELSE {SUBSTRING}(s, 1, n) END",
)
_RIGHT = macro(
    "spark_right",
    f"(s, n) AS CASE WHEN s IS NULL THEN NULL WHEN n <= 0 THEN '' ELSE {SUBSTRING}(s, -n, n) END",
)
_LOCATE = macro(  # UTF8String.indexOf: an empty substring is found at once; a start below 1 finds nothing
    "spark_locate",
    "(sub, s, pos) AS CASE WHEN pos IS NULL THEN 0 WHEN sub IS NULL OR s IS NULL THEN NULL WHEN pos < 1 THEN 0 "
    "WHEN sub = '' THEN 1 "
    "ELSE CASE WHEN strpos(substring(s, pos), sub) = 0 THEN 0 ELSE strpos(substring(s, pos), sub) + pos - 1 END END",
)
_SPLIT_PART = macro(
    "spark_split_part",
    "(s, d, n) AS CASE WHEN s IS NULL OR d IS NULL OR n IS NULL THEN NULL "
    "WHEN n = 0 THEN error('[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be either < 0 or > 0 "
    "(the first element has index 1).') "
    "ELSE coalesce(list_extract(CASE WHEN d = '' THEN [s] ELSE string_split(s, d) END, n), '') END",
)
_OCCURRENCES = macro(  # every start (overlapping, 1-based) of `d` in `s`, as UTF8String.indexOf steps through
    "spark_str_occurrences",
    "(s, d) AS list_filter(range(1, length(s) + 1), lambda i: substring(s, i, length(d)) = d)",
)
_SUBSTRING_INDEX = macro(
    "spark_substring_index",
    "(s, d, n) AS CASE WHEN s IS NULL OR d IS NULL OR n IS NULL THEN NULL WHEN d = '' OR n = 0 THEN '' "
    f"WHEN n > 0 THEN CASE WHEN len({_OCCURRENCES}(s, d)) < n THEN s "
    f"ELSE left(s, {_OCCURRENCES}(s, d)[n] - 1) END "
    f"ELSE CASE WHEN len({_OCCURRENCES}(s, d)) < -n THEN s "
    f"ELSE substring(s, {_OCCURRENCES}(s, d)[len({_OCCURRENCES}(s, d)) + n + 1] + length(d)) END END",
)
_FIND_IN_SET = macro(
    "spark_find_in_set",
    "(x, l) AS CASE WHEN x IS NULL OR l IS NULL THEN NULL WHEN contains(x, ',') THEN 0 "
    "ELSE coalesce(list_position(string_split(l, ','), x), 0) END",
)


# -- rules -----------------------------------------------------------------------------------------------------------
@rule("substring", "substr", nodes=(exp.Substring,), returns=string_or_binary)
def _substring(node: exp.Substring, context: Context) -> exp.Expr:
    value = node.this
    start = as_bigint(node.args["start"], context)
    length_arg = node.args.get("length")
    length = as_bigint(length_arg, context) if length_arg is not None else number(_INT_MAX)
    if is_binary(value):
        return spark_call(BINARY_SUBSTRING, value, start, length, returns=BINARY)
    return spark_call(SUBSTRING, as_string(value, context), start, length)


@rule("left", nodes=(exp.Left,), returns=fixed(STRING))
def _left(node: exp.Left, context: Context) -> exp.Expr:
    return spark_call(_LEFT, as_string(node.this, context), as_bigint(node.expression, context))


@rule("right", nodes=(exp.Right,), returns=fixed(STRING))
def _right(node: exp.Right, context: Context) -> exp.Expr:
    return spark_call(_RIGHT, as_string(node.this, context), as_bigint(node.expression, context))


@rule("instr", "locate", "position", nodes=(exp.StrPosition,), returns=fixed(INT))
def _locate(node: exp.StrPosition, context: Context) -> exp.Expr:
    """The 1-based position (in characters) of a substring, from an optional start; 0 when absent."""
    start = node.args.get("position")
    position = as_bigint(start, context) if start is not None else number(1)
    found = call(_LOCATE, as_string(node.args["substr"], context), as_string(node.this, context), position)
    return cast(found, INT)


@rule("split_part", nodes=(exp.SplitPart,), returns=fixed(STRING))
def _split_part(node: exp.SplitPart, context: Context) -> exp.Expr:
    """The n-th part (from the end when negative) split by a literal delimiter; '' past the end; part 0 is
    INVALID_INDEX_OF_ZERO."""
    return spark_call(
        _SPLIT_PART,
        as_string(node.this, context),
        as_string(node.args["delimiter"], context),
        as_bigint(node.args["part_index"], context),
    )


@rule("substring_index", nodes=(exp.SubstringIndex,), returns=fixed(STRING))
def _substring_index(node: exp.SubstringIndex, context: Context) -> exp.Expr:
    """Before the n-th occurrence of the delimiter (after the n-th from the end when negative); occurrences may
    overlap, as Spark searches from one character after the last."""
    return spark_call(
        _SUBSTRING_INDEX,
        as_string(node.this, context),
        as_string(node.args["delimiter"], context),
        as_bigint(node.args["count"], context),
    )


@rule("find_in_set", returns=fixed(INT))
def _find_in_set(node: exp.Anonymous, context: Context) -> exp.Expr:
    """The 1-based place of a string in a comma-separated list; 0 when absent or when it holds a comma."""
    needle, haystack = (as_string(a, context) for a in node.expressions)
    return cast(call(_FIND_IN_SET, needle, haystack), INT)


@rule("overlay", nodes=(exp.Overlay,), returns=fixed(STRING))
def _overlay(node: exp.Overlay, context: Context) -> exp.Expr:
    """substring(s, 1, pos - 1) || replace || substring(s, pos + len), len defaulting to the replacement's."""
    value, placing = node.this, node.expression
    if is_binary(value) or is_binary(placing):
        raise refused("function overlay", "a binary argument is not supported")
    value, placing = as_string(value, context), as_string(placing, context)
    start = as_bigint(node.args["from_"], context)
    count = node.args.get("for_")
    width: exp.Expr = call("length", placing.copy())
    if count is not None:
        size = as_bigint(count, context)
        width = when(exp.GTE(this=size, expression=number(0)), size.copy(), width)
    head = call(SUBSTRING, value, number(1), exp.Sub(this=start, expression=number(1)))
    tail = call(SUBSTRING, value.copy(), exp.Add(this=start.copy(), expression=width), number(_INT_MAX))
    return typed(exp.Paren(this=exp.DPipe(this=exp.DPipe(this=head, expression=placing), expression=tail)), STRING)
