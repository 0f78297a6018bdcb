"""Array functions with Spark's answers: three-valued `array_contains`/`arrays_overlap`, set functions that keep
the first occurrences in order and keep NULLs, Spark's NULL placement in sorts (nested NULLs first too), `slice`
and `array_insert` with Spark's positions and errors, `sequence` over integers, dates and timestamps, and
`concat`/`||`/`reverse` of arrays."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions.collections import (
    any_null,
    apply,
    array_of,
    as_type,
    coerced,
    element,
    fully_known,
    is_array,
    is_null,
    lam,
    literal_int,
    meet,
    raise_spark,
    ref,
    spark_cast,
    struct,
    tightest,
    type_of,
)
from lakeloader.sql.registry import REGISTRY, Rewrite, Rule, rule, same
from lakeloader.sql.runtime import macro

T = exp.DType


def _same_type(node: exp.Expr) -> exp.DataType | None:
    return node.this.type if node.this is not None else None


def _element_type(node: exp.Expr) -> exp.DataType | None:
    return element(node.this.type)


_CONTAINS = macro(
    "spark_array_contains",
    "(a, v) AS CASE WHEN a IS NULL OR v IS NULL THEN NULL WHEN list_contains(a, v) THEN true "
    "WHEN list_position(a, NULL) IS NOT NULL THEN NULL ELSE false END",
)


def _met(node: exp.Expr, function: str, *, wider: bool = False, null: bool = False) -> tuple[exp.Expr, exp.Expr]:
    """The array and the value of `function(array, value)` cast to the type Spark makes them meet at (a NULL
    literal value is Spark's DATATYPE_MISMATCH.NULL_TYPE, unless `null`)."""
    array, value = node.this, node.expression
    if isinstance(value, exp.Null) and not null:
        raise_spark(f"function {function}: a NULL literal has no type (Spark: DATATYPE_MISMATCH.NULL_TYPE); cast it")
    common = coerced(element(array.type), value.type, wider=wider, function=function, error="ARRAY_FUNCTION_DIFF_TYPES")
    return meet(array, array_of(common)), meet(value, common)


def _met_array_type(node: exp.Expr) -> exp.DataType | None:
    item, value = element(node.this.type), node.expression.type
    if fully_known(item) and fully_known(value):
        assert item is not None and value is not None
        return array_of(tightest(item, value))
    return type_of(node.this)


@rule("array_contains", nodes=(exp.ArrayContains,), returns=lambda node: types.of("boolean"))
def _array_contains(node: exp.ArrayContains, context: Context) -> exp.Expr:
    """NULL, not false, when the value is missing and the array holds a NULL."""
    return apply(_CONTAINS, *_met(node, "array_contains", wider=True))


@rule("array_position", nodes=(exp.ArrayPosition,), returns=lambda node: types.of("bigint"))
def _array_position(node: exp.ArrayPosition, context: Context) -> exp.Expr:
    """1-based, 0 when missing, a bigint."""
    array, value = _met(node, "array_position")
    found = call("coalesce", call("list_position", array, value), exp.Literal.number(0))
    return cast(when(any_null(array, value), exp.Null(), found), "bigint")


_REMOVE = macro(
    "spark_array_remove",
    "(a, v) AS CASE WHEN v IS NULL THEN NULL ELSE list_filter(a, lambda spark_e: spark_e IS NULL OR spark_e <> v) END",
)


@rule("array_remove", nodes=(exp.ArrayRemove,), returns=_met_array_type)
def _array_remove(node: exp.ArrayRemove, context: Context) -> exp.Expr:
    """Every element equal to the value goes; NULL elements stay."""
    return typed(apply(_REMOVE, *_met(node, "array_remove")), node.type)


_DISTINCT = macro(
    "spark_array_distinct",
    "(a) AS list_filter(a, lambda spark_e, spark_i: list_position(a, spark_e) = spark_i)",
)
_UNION = macro(
    "spark_array_union",
    "(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE spark_array_distinct(list_concat(a, b)) END",
)
_INTERSECT = macro(
    "spark_array_intersect",
    "(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE list_filter(spark_array_distinct(a), "
    "lambda spark_e: list_position(b, spark_e) IS NOT NULL) END",
)
_EXCEPT = macro(
    "spark_array_except",
    "(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE list_filter(spark_array_distinct(a), "
    "lambda spark_e: list_position(b, spark_e) IS NULL) END",
)


@rule("array_distinct", nodes=(exp.ArrayDistinct,), returns=_same_type)
def _array_distinct(node: exp.ArrayDistinct, context: Context) -> exp.Expr:
    """First occurrences in their order, one NULL kept."""
    return typed(apply(_DISTINCT, node.this), node.type)


def _pair(node: exp.Expr) -> list[exp.Expr]:
    return [node.this, node.expression] if isinstance(node, exp.ArrayExcept) else list(node.expressions[:2])


def _set_type(node: exp.Expr) -> exp.DataType | None:
    first, second = (a.type for a in _pair(node))
    if fully_known(first) and fully_known(second) and is_array(first) and is_array(second):
        assert first is not None and second is not None
        return tightest(first, second)
    return type_of(_pair(node)[0])


def _met_arrays(node: exp.Expr, function: str) -> tuple[exp.Expr, exp.Expr]:
    """Both arrays of a binary array function cast to the type Spark makes them meet at (the tightest)."""
    a, b = _pair(node)
    common = coerced(a.type, b.type, wider=False, function=function, error="BINARY_ARRAY_DIFF_TYPES")
    return meet(a, common), meet(b, common)


def _set_function(name: str, function: str) -> Rewrite:
    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        return as_type(apply(name, *_met_arrays(node, function)), node.type)

    return rewrite


rule("array_union", returns=_set_type)(_set_function(_UNION, "array_union"))
rule("array_intersect", nodes=(exp.ArrayIntersect,), returns=_set_type)(_set_function(_INTERSECT, "array_intersect"))
rule("array_except", nodes=(exp.ArrayExcept,), returns=_set_type)(_set_function(_EXCEPT, "array_except"))

_OVERLAP = macro(
    "spark_arrays_overlap",
    "(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN list_has_any(a, b) THEN true WHEN len(a) > 0 AND "
    "len(b) > 0 AND (list_position(a, NULL) IS NOT NULL OR list_position(b, NULL) IS NOT NULL) THEN NULL "
    "ELSE false END",
)


@rule("arrays_overlap", returns=lambda node: types.of("boolean"))
def _arrays_overlap(node: exp.Anonymous, context: Context) -> exp.Expr:
    """True on a common non-NULL element; else NULL when both are non-empty and one holds a NULL; else false."""
    return apply(_OVERLAP, *_met_arrays(node, "arrays_overlap"))


def _sort_type(node: exp.Expr) -> exp.DataType | None:
    if isinstance(node.expression, exp.Lambda):
        from lakeloader.sql.functions.lambdas import typed_body

        item = element(node.this.type)
        typed_body(node.expression, [item, item])
    return type_of(node.this)


def _nested(t: exp.DataType | None) -> bool:
    return types.kind(t) in (T.STRUCT, T.ARRAY, T.MAP)


def _order_key(value: exp.Expr, t: exp.DataType | None, depth: int = 0) -> exp.Expr:
    """A value DuckDB orders as Spark orders `value`: inside structs and arrays a NULL comes first (DuckDB puts
    it last), so each part is keyed by whether it is NULL, then by its own key."""
    if types.kind(t) == T.STRUCT and t is not None:
        parts: list[tuple[str, exp.Expr]] = []
        for i, field in enumerate(t.expressions):
            part = call("struct_extract", value.copy(), exp.Literal.string(field.name))
            parts += [
                (f"n{i}", exp.Not(this=is_null(part.copy()))),
                (f"v{i}", _order_key(part, field.args.get("kind"), depth)),
            ]
        return struct(parts)
    if types.kind(t) == T.ARRAY:
        item, name = element(t), f"spark_o{depth}"
        keyed = struct([("n", exp.Not(this=is_null(ref(name)))), ("v", _order_key(ref(name), item, depth + 1))])
        return call("list_transform", value, lam([name], keyed))
    if types.kind(t) == T.MAP:
        raise_spark("maps have no order in Spark (DATATYPE_MISMATCH.INVALID_ORDERING_TYPE); sort by their keys")
    return value


def _sorted(array: exp.Expr, item: exp.DataType | None, up: bool, nulls_first: bool) -> exp.Expr:
    order = [
        exp.Literal.string("ASC" if up else "DESC"),
        exp.Literal.string("NULLS FIRST" if nulls_first else "NULLS LAST"),
    ]
    if not _nested(item):
        return call("list_sort", array, *order)
    name = "spark_k"
    keyed = when(is_null(ref(name)), exp.Null(), struct([("k", _order_key(ref(name), item)), ("v", ref(name))]))
    pairs = call("list_sort", call("list_transform", array, lam([name], keyed)), *order)
    return call("list_transform", pairs, lam([name], call("struct_extract", ref(name), exp.Literal.string("v"))))


@rule("sort_array", "array_sort", nodes=(exp.ArraySort,), returns=_sort_type)
def _array_sort(node: exp.ArraySort, context: Context) -> exp.Expr:
    """`sort_array(a[, asc])`: NULLs first ascending, last descending; `array_sort(a)`: ascending, NULLs last;
    NULLs inside struct and array elements first (ascending), as Spark orders them; `array_sort(a, comparator)`:
    a stable sort by the comparator's sign (lambdas.py)."""
    if isinstance(node.expression, exp.Lambda):
        from lakeloader.sql.functions.lambdas import sort_by_comparator

        return sort_by_comparator(node, context)
    asc, nulls_first = node.args.get("asc"), node.args.get("nulls_first")
    if asc is not None and not isinstance(asc, exp.Boolean):
        raise_spark(
            "function sort_array: its second argument must be true or false (Spark: DATATYPE_MISMATCH."
            "NON_FOLDABLE_INPUT)"
        )
    up = asc is None or bool(asc.this)
    first = bool(nulls_first.this) if isinstance(nulls_first, exp.Boolean) else not up
    return typed(_sorted(node.this, element(node.this.type), up, first), node.type)


def _extreme(node: exp.Expr, context: Context) -> exp.Expr:
    """`array_min`/`array_max`: NULLs skipped, NaN the greatest; structs and arrays ordered as Spark orders them."""
    array, item = node.this, element(node.this.type)
    function = "list_min" if isinstance(node, exp.ArrayMin) else "list_max"
    if not _nested(item):
        return typed(call(function, array), node.type)
    name = "spark_k"
    keyed = when(is_null(ref(name)), exp.Null(), struct([("k", _order_key(ref(name), item)), ("v", ref(name))]))
    found = call(function, call("list_transform", array, lam([name], keyed)))
    return typed(call("struct_extract", found, exp.Literal.string("v")), node.type)


rule("array_min", nodes=(exp.ArrayMin,), returns=_element_type)(_extreme)
rule("array_max", nodes=(exp.ArrayMax,), returns=_element_type)(_extreme)


@rule("array_join", nodes=(exp.ArrayToString,), returns=lambda node: types.of("string"))
def _array_join(node: exp.ArrayToString, context: Context) -> exp.Expr:
    """NULL elements skipped, or replaced by the third argument; elements that are not strings are cast to
    strings as Spark casts them; NULL for a NULL array, delimiter or replacement."""
    array, separator, replacement = node.this, node.expression, node.args.get("null")
    item_type, item = element(array.type), "spark_j"
    if not types.is_string(item_type):
        array = call("list_transform", array, lam([item], spark_cast(ref(item), item_type, "string", context)))
    if replacement is not None:
        array = call("list_transform", array, lam([item], call("coalesce", ref(item), replacement)))
    joined = call("coalesce", call("array_to_string", array, separator), exp.Literal.string(""))
    nulls = [node.this, separator] + ([replacement] if replacement is not None else [])
    return typed(when(any_null(*nulls), exp.Null(), joined), types.of("string"))


@rule("array_repeat", returns=lambda node: array_of(node.expressions[0].type))
def _array_repeat(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`array_repeat(x, n)`: n copies of x (a NULL x too); n <= 0 gives an empty array, a NULL n NULL."""
    value, count = node.expressions
    copies = call("list_transform", call("range", call("greatest", cast(count, "bigint"), exp.Literal.number(0))),
                  lam(["spark_r"], value))  # fmt: skip
    return as_type(when(is_null(count.copy()), exp.Null(), copies), node.type)


def _appended(node: exp.Expr, context: Context) -> exp.Expr:
    """`array_append`/`array_prepend`: NULL for a NULL array; a NULL value is added."""
    function = "array_append" if isinstance(node, exp.ArrayAppend) else "array_prepend"
    array, value = _met(node, function, null=True)
    added = call("list_append", array, value) if isinstance(node, exp.ArrayAppend) else \
        call("list_prepend", value, array)  # fmt: skip
    return as_type(when(is_null(array.copy()), exp.Null(), added), node.type)


rule("array_append", nodes=(exp.ArrayAppend,), returns=_met_array_type)(_appended)
rule("array_prepend", nodes=(exp.ArrayPrepend,), returns=_met_array_type)(_appended)
same("array_compact", nodes=(exp.ArrayCompact,), returns=_same_type, note="drops NULL elements")

_INSERT = macro(
    "spark_array_insert",
    "(a, p, v) AS CASE WHEN a IS NULL OR p IS NULL THEN NULL WHEN p = 0 THEN error('[INVALID_INDEX_OF_ZERO] The "
    "index 0 is invalid. An index shall be either < 0 or > 0 (the first element has index 1).') WHEN p > len(a) "
    "THEN list_append(list_resize(a, p - 1), v) WHEN p > 0 THEN list_concat(list_append(a[1:p - 1], v), a[p:]) "
    "WHEN -p > len(a) THEN list_concat(list_resize([v], -p - len(a)), a) "
    "ELSE list_concat(list_append(a[1:len(a) + p + 1], v), a[len(a) + p + 2:]) END",
)


@rule("array_insert", nodes=(exp.ArrayInsert,), returns=_met_array_type)
def _array_insert(node: exp.ArrayInsert, context: Context) -> exp.Expr:
    """1-based position, -1 after the last element; past either end the array is padded with NULLs; position 0
    is INVALID_INDEX_OF_ZERO."""
    array, value = _met(node, "array_insert", null=True)
    return as_type(apply(_INSERT, array, node.args["position"], value), node.type)


def concat_arrays(arrays: list[exp.Expr], spark_type: exp.DataType | None) -> exp.Expr:
    """Spark's `concat` of arrays: NULL when any array is NULL (DuckDB's `list_concat` skips a NULL)."""
    joined = arrays[0]
    for other in arrays[1:]:
        joined = call("list_concat", joined, other)
    return as_type(when(any_null(*arrays), exp.Null(), joined), spark_type)


@rule("flatten", nodes=(exp.Flatten,), returns=_element_type)
def _flatten(node: exp.Flatten, context: Context) -> exp.Expr:
    """NULL when the array or any inner array is NULL."""
    array = node.this
    has_null = exp.Not(this=is_null(call("list_position", array, exp.Null())))
    return typed(when(has_null, exp.Null(), call("flatten", array.copy())), node.type)


_SLICE = macro(
    "spark_slice",
    "(a, s, n) AS CASE WHEN a IS NULL OR s IS NULL OR n IS NULL THEN NULL WHEN s = 0 THEN "
    "error('[INVALID_PARAMETER_VALUE.START] The value of parameter(s) `start` in `slice` is invalid: Expects a "
    "positive or a negative value for `start`, but got 0.') WHEN n < 0 THEN error('[INVALID_PARAMETER_VALUE.LENGTH]"
    " The value of parameter(s) `length` in `slice` is invalid: Expects `length` greater than or equal to 0, but "
    "got ' || n || '.') WHEN s < 0 AND -s > len(a) THEN list_slice(a, 1, 0) WHEN s > 0 THEN list_slice(a, s, "
    "s - 1 + n) ELSE list_slice(a, len(a) + s + 1, len(a) + s + n) END",
)


@rule("slice", nodes=(exp.ArraySlice,), returns=_same_type)
def _slice(node: exp.ArraySlice, context: Context) -> exp.Expr:
    """`slice(a, start, length)`: 1-based start, from the end when negative; start 0 and a negative length are
    errors (INVALID_PARAMETER_VALUE), whatever ANSI says."""
    if not node.args.get("is_length"):
        raise_spark("function slice: only slice(array, start, length) is Spark SQL")
    return typed(apply(_SLICE, node.this, node.args["start"], node.args["end"]), node.type)


def _zip_type(node: exp.Expr) -> exp.DataType | None:
    fields = []
    for i, array in enumerate(node.expressions):
        item = element(array.type)
        if item is None or not types.is_known(item):
            return None
        fields.append(exp.ColumnDef(this=exp.to_identifier(_zip_name(array, i), quoted=True), kind=item.copy()))
    return exp.DataType(this=T.ARRAY, expressions=[exp.DataType(this=T.STRUCT, expressions=fields, nested=True)],
                        nested=True)  # fmt: skip


def _zip_name(array: exp.Expr, index: int) -> str:
    """A field of `arrays_zip`'s structs: the argument's name when it is a column, else its position."""
    if isinstance(array, exp.Column) and not array.table:
        return array.name
    return str(index)


@rule("arrays_zip", nodes=(exp.ArraysZip,), returns=_zip_type)
def _arrays_zip(node: exp.ArraysZip, context: Context) -> exp.Expr:
    """Structs of the i-th elements, the shorter arrays padded with NULLs; NULL when any array is NULL."""
    arrays = node.expressions
    if not arrays:
        return typed(call("list_value"), node.type)
    index = "spark_z"
    longest = call("greatest", *[call("len", a.copy()) for a in arrays])
    at = exp.Add(this=ref(index), expression=exp.Literal.number(1))
    fields = struct([(_zip_name(a, i), call("list_extract", a.copy(), at.copy())) for i, a in enumerate(arrays)])
    zipped = call("list_transform", call("range", longest), lam([index], fields))
    return typed(when(any_null(*arrays), exp.Null(), zipped), node.type)


@rule("reverse", nodes=(exp.Reverse,), returns=_same_type)
def reverse(node: exp.Reverse, context: Context) -> exp.Expr:
    """`reverse` of an array (of a string: the strings' rule, when there is one)."""
    if is_array(node.this.type):
        return typed(call("list_reverse", node.this), node.type)
    return _other(node, context, "reverse")


@rule("shuffle", nodes=(exp.Shuffle,), returns=_same_type, note="a random permutation, as in Spark")
def _shuffle(node: exp.Shuffle, context: Context) -> exp.Expr:
    """Each element keyed by a random number, sorted by it."""
    array, item = node.this, "spark_s"
    keyed = call("list_transform", array, lam([item], struct([("r", call("random")), ("v", ref(item))])))
    value = call("struct_extract", ref(item), exp.Literal.string("v"))
    return typed(call("list_transform", call("list_sort", keyed), lam([item], value)), node.type)


# -- sequence -------------------------------------------------------------------------------------------------
_ILLEGAL = (
    "error('[ILLEGAL_SEQUENCE_BOUNDARIES] function sequence: Illegal sequence boundaries: ' || s || ' to ' || e || "
    "' by ' || st)"
)
_SEQUENCE = macro(
    "spark_sequence",
    "(s, e, st) AS CASE WHEN s IS NULL OR e IS NULL OR st IS NULL THEN NULL WHEN (st > 0 AND s > e) OR (st < 0 AND "
    f"s < e) OR (st = 0 AND s <> e) THEN {_ILLEGAL} WHEN s = e THEN [s] ELSE generate_series(s, e, st) END",
)
# A temporal step's length with 28-day months (Spark's estimate): its sign is the sequence's direction.
_STEP_MICROS = macro(
    "spark_interval_micros",
    "(iv) AS (date_part('year', iv) * 12 + date_part('month', iv)) * 2419200000000 + date_part('day', iv) * "
    "86400000000 + (date_part('hour', iv) * 3600 + date_part('minute', iv) * 60) * 1000000 + "
    "date_part('microseconds', iv)",
)
_TEMPORAL_STEPS = macro(
    "spark_temporal_steps",
    "(s, e, st, us, span) AS CASE WHEN s IS NULL OR e IS NULL OR st IS NULL THEN NULL WHEN (us > 0 AND s > e) OR "
    f"(us < 0 AND s < e) OR (us = 0 AND s <> e) THEN {_ILLEGAL} WHEN s = e THEN [s] ELSE list_filter("
    "list_transform(range(0, span // abs(us) + 2), lambda spark_i: s + st * spark_i), lambda spark_t: "
    "CASE WHEN us > 0 THEN spark_t <= e ELSE spark_t >= e END) END",
)
_TEMPORAL = macro(
    "spark_temporal_sequence",
    "(s, e, st) AS spark_temporal_steps(s, e, st, spark_interval_micros(st), "
    "abs(date_diff('microsecond', CAST(s AS TIMESTAMP), CAST(e AS TIMESTAMP))))",
)
_BY_DAY = macro(
    "spark_temporal_sequence_by_day",
    "(s, e) AS spark_temporal_sequence(s, e, CASE WHEN s <= e THEN INTERVAL 1 DAY ELSE INTERVAL (-1) DAY END)",
)
_BY_ONE = macro("spark_sequence_by_one", "(s, e) AS spark_sequence(s, e, CASE WHEN s <= e THEN 1 ELSE -1 END)")


_TEMPORAL_KINDS = (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ, T.TIMESTAMPNTZ)
_ZONED_STEPS = """CASE WHEN spark_p.s IS NULL OR spark_p.e IS NULL OR spark_p.st IS NULL THEN NULL
WHEN (spark_interval_micros(spark_p.st) > 0 AND spark_p.s > spark_p.e)
  OR (spark_interval_micros(spark_p.st) < 0 AND spark_p.s < spark_p.e)
  OR (spark_interval_micros(spark_p.st) = 0 AND spark_p.s <> spark_p.e)
THEN error('[ILLEGAL_SEQUENCE_BOUNDARIES] function sequence: Illegal sequence boundaries: ' || spark_p.s || ' to '
  || spark_p.e || ' by ' || spark_p.st)
WHEN spark_p.s = spark_p.e THEN [spark_p.s]
ELSE list_filter(list_transform(range(0, abs(date_diff('microsecond', CAST(spark_p.s AS TIMESTAMP),
  CAST(spark_p.e AS TIMESTAMP))) // abs(spark_interval_micros(spark_p.st)) + 2), lambda spark_i: STEP),
  lambda spark_t: CASE WHEN spark_interval_micros(spark_p.st) > 0 THEN spark_t <= spark_p.e
  ELSE spark_t >= spark_p.e END) END"""
_ZONED_LOCAL = (
    "timezone(ZONE, spark_p.s) + to_months(CAST((date_part('year', spark_p.st) * 12 + date_part('month', spark_p.st))"
    " * spark_i AS INT)) + to_days(CAST(date_part('day', spark_p.st) * spark_i AS INT))"
)
_ZONED_KEPT_OFFSET = "timezone('UTC', LOCAL - (timezone(ZONE, spark_p.s) - timezone('UTC', spark_p.s)))"
_ZONED_SAME_DAY = (
    "(date_part('year', spark_p.st) * 12 + date_part('month', spark_p.st)) * spark_i = 0 AND "
    "date_part('day', spark_p.st) * spark_i = 0"
)
_ZONED_MICROS = (
    "to_microseconds(CAST(((date_part('hour', spark_p.st) * 3600 + date_part('minute', spark_p.st) * 60) * 1000000"
    " + date_part('microseconds', spark_p.st)) * spark_i AS BIGINT))"
)


def _zoned_sequence(start: exp.Expr, end: exp.Expr, step: exp.Expr | None, context: Context) -> exp.Expr:
    """Timestamps in a session zone other than UTC, as Spark steps them: the months and days of the step added
    to the start's wall-clock time in the zone (Java's resolution of a time a DST change skips or repeats), then
    its hours and smaller parts added to that instant."""
    import sqlglot

    from lakeloader.sql.functions.datetime_zones import instant

    def parsed(text: str, **parts: exp.Expr) -> exp.Expr:
        tree = sqlglot.parse_one(text, read="duckdb")
        for placeholder in [c for c in tree.find_all(exp.Column) if c.name in parts]:
            placeholder.replace(parts[placeholder.name].copy())
        return tree

    local = parsed(_ZONED_LOCAL, ZONE=context.zone)
    # Java's ZonedDateTime.plusMonths/plusDays keeps the start's offset when the new wall time may have it (an
    # overlap); otherwise it resolves the wall time as always (a gap moves it forward)
    kept = parsed(_ZONED_KEPT_OFFSET, LOCAL=exp.Paren(this=local), ZONE=context.zone)
    keeps = exp.EQ(this=call("timezone", context.zone, kept.copy()), expression=local.copy())
    shifted = when(keeps, kept, instant(local.copy(), context))
    same_day = parsed(_ZONED_SAME_DAY)  # no months or days to add: the start itself, not its wall time again
    moment = exp.Add(this=when(same_day, parsed("spark_p.s"), shifted), expression=parsed(_ZONED_MICROS))
    body = parsed(_ZONED_STEPS, STEP=exp.Paren(this=moment))
    if step is None:
        one, minus = (exp.Interval(this=exp.Literal.string(n), unit=exp.Var(this="DAY")) for n in ("1", "-1"))
        step = when(exp.LTE(this=start.copy(), expression=end.copy()), one, minus)
    bound = struct([("s", start), ("e", end), ("st", step)])
    stepped = call("list_transform", exp.Array(expressions=[bound]), lam(["spark_p"], body))
    return call("list_extract", stepped, exp.Literal.number(1))


def _sequence_type(node: exp.Expr) -> exp.DataType | None:
    start, end = node.args["start"].type, node.args["end"].type
    if types.is_integral(start) and types.is_integral(end):
        assert start is not None and end is not None
        return array_of(types.wider(start, end))
    if types.kind(start) in _TEMPORAL_KINDS and types.kind(start) == types.kind(end):
        return array_of(start)
    return None


def _check_boundaries(start: exp.Expr, end: exp.Expr, step: exp.Expr | None) -> None:
    """Literal boundaries a step cannot reach: Spark's error, said before the query runs."""
    values = [literal_int(start), literal_int(end), literal_int(step) if step is not None else 1]
    if any(v is None for v in values) or step is None:
        return
    first, last, by = (v for v in values if v is not None)
    if (by > 0 and first > last) or (by < 0 and first < last) or (by == 0 and first != last):
        raise_spark(f"function sequence: Illegal sequence boundaries: {first} to {last} by {by} (Spark's error)")


@rule("sequence", nodes=(exp.GenerateSeries,), returns=_sequence_type)
def _sequence(node: exp.GenerateSeries, context: Context) -> exp.Expr:
    """`sequence(start, stop[, step])`: both ends included; the step defaults to 1 (1 day for dates), -1 when
    stop < start; a step the wrong way is Spark's illegal-boundaries error. Dates and timestamps step by an
    interval from the start each time (`start + i * step`: Jan 31 + 1 month is Feb 29, then Mar 31)."""
    start, end, step = node.args["start"], node.args["end"], node.args.get("step")
    spark_type = node.type
    item = element(spark_type)
    if types.is_integral(item):
        assert item is not None
        _check_boundaries(start, end, step)
        ends = [cast(start, item), cast(end, item)]
        made = apply(_SEQUENCE, *ends, cast(step, item)) if step is not None else apply(_BY_ONE, *ends)
        return as_type(made, spark_type)
    kind = types.kind(item)
    if kind not in _TEMPORAL_KINDS:
        raise_spark("function sequence: only integers, dates and timestamps of one type are supported")
    if kind == T.TIMESTAMPTZ and context.settings.time_zone != "UTC":
        return typed(_zoned_sequence(start, end, step, context), spark_type)
    made = apply(_TEMPORAL, start, end, step) if step is not None else apply(_BY_DAY, start, end)
    if kind == T.DATE:
        made = call("list_transform", made, lam(["spark_d"], cast(ref("spark_d"), "date")))
    return typed(made, spark_type)


# -- shared with strings: concat, ||, reverse of arrays ----------------------------------------------------------
# The strings family owns these names for strings: its rule, registered after this module, hands array
# arguments to `concat_arrays` / `reverse` (or keeps the rule found here and calls it, as json.py does with
# LATERAL VIEW); a rule registered before this module gets everything that is not an array.
_STRING_RULES: dict[type[exp.Expr], Rule | None] = {
    cls: REGISTRY.by_node.get(cls) for cls in (exp.Concat, exp.DPipe, exp.Reverse)
}


def _other(node: exp.Expr, context: Context, what: str) -> exp.Expr:
    found = _STRING_RULES.get(type(node))
    if found is not None and found.rewrite is not None:
        return found.rewrite(node, context)
    if found is not None:
        return node
    raise_spark(f"function {what} of strings is not supported yet")


def _concat_type(node: exp.Expr) -> exp.DataType | None:
    parts = node.expressions if isinstance(node, exp.Concat) else [node.this, node.expression]
    if not parts or not all(is_array(p.type) for p in parts):
        return None
    items = [element(p.type) for p in parts]
    if not all(types.is_known(t) for t in items):
        return type_of(parts[0])
    found = items[0]
    for other in items[1:]:
        assert found is not None and other is not None
        found = types.wider(found, other) if types.is_numeric(found) and types.is_numeric(other) else found
    return array_of(found)


@rule("concat", "||", nodes=(exp.Concat, exp.DPipe), returns=_concat_type)
def _concat(node: exp.Expr, context: Context) -> exp.Expr:
    """`concat(a, b, ...)` and `a || b` of arrays: NULL when any array is NULL."""
    parts = node.expressions if isinstance(node, exp.Concat) else [node.this, node.expression]
    if parts and all(is_array(p.type) for p in parts):
        return concat_arrays(list(parts), _concat_type(node))  # its own type: a strings rule may type the node
    return _other(node, context, "concat" if isinstance(node, exp.Concat) else "||")
