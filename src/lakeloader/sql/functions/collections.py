"""Collections with Spark's answers: `size`, 0-based `arr[i]` and 1-based `element_at` with their ANSI errors,
`array(...)` widened as Spark widens, maps that refuse NULL and duplicate keys (NULL_MAP_KEY, DUPLICATED_MAP_KEY),
structs; and the helpers the family's other modules (arrays, lambdas, generators) build with."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NoReturn

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.registry import REGISTRY, Returns, Rule, rule, same
from lakeloader.sql.runtime import macro

T = exp.DType
_INT = types.of("int")


# -- helpers (generators.py uses them too) --------------------------------------------------------------------
def raise_spark(message: str) -> NoReturn:
    """Refuse the query in one line (the translator's error)."""
    from lakeloader.sql.translate import TranslateError

    raise TranslateError(f"{message}; rewrite that part of the query")


def first_argument(node: exp.Expr) -> exp.Expr:
    """A function's first argument (an exp.Anonymous keeps its name in `this`)."""
    found: exp.Expr = node.expressions[0] if isinstance(node, exp.Anonymous) else node.this
    return found


def type_of(node: exp.Expr | None) -> exp.DataType | None:
    """A node's Spark type (None for no node)."""
    return node.type if node is not None else None


def is_array(t: exp.DataType | None) -> bool:
    return types.kind(t) == T.ARRAY


def is_map(t: exp.DataType | None) -> bool:
    return types.kind(t) == T.MAP


def element(t: exp.DataType | None) -> exp.DataType | None:
    """An array type's element type (None when unknown)."""
    if is_array(t) and t is not None and t.expressions and isinstance(t.expressions[0], exp.DataType):
        return t.expressions[0]
    return None


def array_of(t: exp.DataType | None) -> exp.DataType | None:
    return exp.DataType(this=T.ARRAY, expressions=[t.copy()], nested=True) if types.is_known(t) and t else None


def map_types(t: exp.DataType | None) -> tuple[exp.DataType | None, exp.DataType | None]:
    """A map type's key and value types (None when unknown)."""
    if is_map(t) and t is not None and len(t.expressions) == 2:
        key, value = t.expressions
        return (key if isinstance(key, exp.DataType) else None, value if isinstance(value, exp.DataType) else None)
    return None, None


def ref(name: str) -> exp.Expr:
    """A reference to a DuckDB lambda parameter."""
    return exp.column(name)


def struct(fields: list[tuple[str, exp.Expr]]) -> exp.Struct:
    """A DuckDB struct `{'name': value, ...}` (Spark's field names kept as they are)."""
    return exp.Struct(
        expressions=[exp.PropertyEQ(this=exp.to_identifier(name, quoted=True), expression=v) for name, v in fields]
    )


def lam(params: list[str], body: exp.Expr) -> exp.Lambda:
    """A DuckDB lambda `LAMBDA p1, p2 : body`."""
    return exp.Lambda(this=body, expressions=[exp.to_identifier(p) for p in params])


_CHEAP = (exp.Column, exp.Literal, exp.Null, exp.Boolean, exp.Identifier, exp.Var)
_BIND = itertools.count(1)


def cheap(node: exp.Expr) -> bool:
    """A value DuckDB reads at no cost (a column, a literal), so a macro may name it many times."""
    while isinstance(node, exp.Paren | exp.Neg | exp.Dot | exp.Cast):
        node = node.this
    return isinstance(node, _CHEAP)


def bind(args: list[exp.Expr], build: Callable[[list[exp.Expr]], exp.Expr]) -> exp.Expr:
    """`build(args)` for a translation that names its arguments several times: an argument that costs something
    is computed (and written, and bound by DuckDB) once per row, as a struct field of a one-element
    `list_transform`. Without it, nested uses copy their operands at every level: the SQL grows exponentially."""
    if all(cheap(a) for a in args):
        return build(args)
    bound = f"spark_b{next(_BIND)}"
    fields = struct([(f"a{i}", a) for i, a in enumerate(args)])
    parts = [call("struct_extract", ref(bound), exp.Literal.string(f"a{i}")) for i in range(len(args))]
    for part, arg in zip(parts, args, strict=True):
        part.type = arg.type.copy() if arg.type is not None else None
    applied = call("list_transform", exp.Array(expressions=[fields]), lam([bound], build(parts)))
    return call("list_extract", applied, exp.Literal.number(1))


def apply(name: str, *args: exp.Expr) -> exp.Expr:
    """`name(args)` for a macro that names its arguments several times (some inside a lambda, once per element),
    each argument computed once per row (`bind`)."""
    return bind(list(args), lambda parts: call(name, *parts))


def spark_cast(value: exp.Expr, source: exp.DataType | None, to: str, context: Context) -> exp.Expr:
    """`CAST(value AS to)` with Spark's meaning (the casts rule's translation, or its refusal)."""
    from lakeloader.sql.registry import REGISTRY

    value.type = source.copy() if source is not None else None
    node = exp.Cast(this=value, to=types.of(to))
    node.type = types.of(to)
    found = REGISTRY.by_node.get(exp.Cast)
    return found.rewrite(node, context) if found is not None and found.rewrite is not None else node


def is_null(node: exp.Expr) -> exp.Expr:
    return exp.Is(this=node, expression=exp.Null())


def any_null(*nodes: exp.Expr) -> exp.Expr:
    condition: exp.Expr = is_null(nodes[0].copy())
    for node in nodes[1:]:
        condition = exp.Or(this=condition, expression=is_null(node.copy()))
    return condition


def literal_int(node: exp.Expr) -> int | None:
    """The value of an integer literal (`-1` included), else None."""
    if isinstance(node, exp.Literal) and not node.is_string and node.this.lstrip("-").isdigit():
        return int(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and node.this.this.isdigit():
        return -int(node.this.this)
    return None


def as_type(node: exp.Expr, spark_type: exp.DataType | None) -> exp.Expr:
    """`node` cast to Spark's type when it is a known array or map of plain values (DuckDB may have widened the
    elements: `generate_series` gives BIGINT[]); anything else only carries the type."""
    if spark_type is None or not types.is_known(spark_type) or _has_struct_or_null(spark_type):
        return typed(node, spark_type)
    return cast(node, spark_type)


def _has_struct_or_null(t: exp.DataType) -> bool:
    return any(isinstance(n, exp.DataType) and n.this in (T.STRUCT, T.NULL, T.UNKNOWN) for n in t.walk())


# -- Spark's coercion of an array's elements and a value (or another array's elements) ---------------------------
_INTEGRAL_DIGITS = {T.TINYINT: 3, T.SMALLINT: 5, T.INT: 10, T.BIGINT: 20}
_TIMESTAMPS = (T.TIMESTAMP, T.TIMESTAMPTZ, T.TIMESTAMPNTZ)


def fully_known(t: exp.DataType | None) -> bool:
    """A type with no unknown part (nested types included)."""
    return t is not None and not any(isinstance(n, exp.DataType) and n.this == T.UNKNOWN for n in t.walk())


def tightest(a: exp.DataType, b: exp.DataType) -> exp.DataType | None:
    """Spark's `findTightestCommonType`: the same type, NULL beside anything, a wider integer or floating type, a
    decimal that holds the integer, a timestamp beside a date, element-wise for arrays; None when there is none
    (Spark then refuses the query)."""
    if a.sql("spark") == b.sql("spark") or types.kind(b) == T.NULL:
        return a
    if types.kind(a) == T.NULL:
        return b
    ka, kb = types.kind(a), types.kind(b)
    if types.is_numeric(a) and types.is_numeric(b) and T.DECIMAL not in (ka, kb):
        return types.wider(a, b)
    for decimal, integral in ((a, b), (b, a)):
        if types.kind(decimal) == T.DECIMAL and types.kind(integral) in _INTEGRAL_DIGITS:
            p, s = types.precision_scale(decimal)
            return decimal if p - s >= _INTEGRAL_DIGITS[types.kind(integral)] else None
    if {ka, kb} <= {T.DATE, *_TIMESTAMPS} and (ka == T.DATE or kb == T.DATE):
        return a if ka != T.DATE else b
    if ka == kb == T.ARRAY:
        inner = tightest(element(a) or types.of("int"), element(b) or types.of("int"))
        return array_of(inner) if inner is not None else None
    return None


def wider_no_string(a: exp.DataType, b: exp.DataType) -> exp.DataType | None:
    """Spark's `findWiderTypeWithoutStringPromotion`: the tightest type, else the wider number (decimals too)."""
    found = tightest(a, b)
    if found is not None:
        return found
    if types.is_numeric(a) and types.is_numeric(b):
        return types.wider(a, b)
    if types.kind(a) == types.kind(b) == T.ARRAY:
        inner = wider_no_string(element(a) or types.of("int"), element(b) or types.of("int"))
        return array_of(inner) if inner is not None else None
    return None


def coerced(
    element_type: exp.DataType | None, value_type: exp.DataType | None, *, wider: bool, function: str, error: str
) -> exp.DataType | None:
    """The type an array's elements and a value meet at in `function`, as Spark coerces them (None when a type
    is unknown); a pair Spark refuses is refused with its error class."""
    if not fully_known(element_type) or not fully_known(value_type):
        return None
    assert element_type is not None and value_type is not None
    found = (wider_no_string if wider else tightest)(element_type, value_type)
    if found is None:
        raise_spark(
            f"function {function}: {element_type.sql('spark')} and {value_type.sql('spark')} have no common type "
            f"(Spark: DATATYPE_MISMATCH.{error}); cast one of them"
        )
    return found


def meet(value: exp.Expr, spark_type: exp.DataType | None) -> exp.Expr:
    """`value` cast to the common type it meets another at (as it is when it has that type already)."""
    if spark_type is None or value.type is None or value.type.sql("spark") == spark_type.sql("spark"):
        return value
    return cast(value, spark_type)


# -- size, access ---------------------------------------------------------------------------------------------
@rule("size", "array_size", nodes=(exp.ArraySize,), returns=lambda node: _INT)
def _size(node: exp.ArraySize, context: Context) -> exp.Expr:
    """`size(NULL)` is NULL in ANSI mode and -1 without it; `array_size(NULL)` is always NULL. The parser makes
    one node for both: the name's length (4 or 10 characters) tells them apart."""
    written = node.meta.get("end", 0) - node.meta.get("start", 0) + 1
    return _cardinality(node.this, legacy_null=not context.ansi and written == len("size"))


@rule("cardinality", returns=lambda node: _INT)
def _cardinality_call(node: exp.Anonymous, context: Context) -> exp.Expr:
    return _cardinality(node.expressions[0], legacy_null=not context.ansi)


def _cardinality(value: exp.Expr, *, legacy_null: bool) -> exp.Expr:
    _need_collection(value, "size")
    length = cast(call("len" if is_array(value.type) else "cardinality", value), "int")
    if legacy_null:
        length = call("coalesce", length, exp.Literal.number(-1))
    return typed(length, _INT)


def _need_collection(value: exp.Expr, function: str, *, struct: bool = False) -> None:
    """An argument Spark requires to be an array or a map (or a struct): refused, as Spark refuses it, when its
    type is known to be something else."""
    kinds = (T.ARRAY, T.MAP, T.STRUCT) if struct else (T.ARRAY, T.MAP)
    if types.is_known(value.type) and types.kind(value.type) not in kinds:
        assert value.type is not None
        error = "INVALID_EXTRACT_BASE_FIELD_TYPE" if struct else "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"
        raise_spark(f"{function} needs an array or a map, not {value.type.sql('spark')} (Spark: {error})")


def _bracket_type(node: exp.Expr) -> exp.DataType | None:
    container = node.this.type
    if is_array(container):
        return element(container)
    if is_map(container):
        return map_types(container)[1]
    return None


_ARRAY_INDEX = macro(
    "spark_array_index",
    "(a, i, ansi) AS CASE WHEN a IS NULL OR i IS NULL THEN NULL WHEN i >= 0 AND i < len(a) THEN a[i + 1] "
    "WHEN ansi THEN error('[INVALID_ARRAY_INDEX] The index ' || i || ' is out of bounds. The array has ' || len(a) "
    "|| ' elements. Use the SQL function `get()` to tolerate accessing element at invalid index and return NULL "
    "instead.') END",
)
_ELEMENT_AT = macro(
    "spark_element_at",
    "(a, i, ansi) AS CASE WHEN a IS NULL OR i IS NULL THEN NULL WHEN i = 0 THEN error('[INVALID_INDEX_OF_ZERO] The "
    "index 0 is invalid. An index shall be either < 0 or > 0 (the first element has index 1).') WHEN abs(i) <= "
    "len(a) THEN list_extract(a, i) WHEN ansi THEN error('[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index ' || i || "
    "' is out of bounds. The array has ' || len(a) || ' elements. Use `try_element_at` to tolerate accessing "
    "element at invalid index and return NULL instead.') END",
)


@rule("element_at", "try_element_at", "[]", nodes=(exp.Bracket,), returns=_bracket_type)
def _bracket(node: exp.Bracket, context: Context) -> exp.Expr:
    """`arr[i]` (0-based), `element_at(arr, i)` (1-based, from the end when negative), `try_element_at`, `m[k]`,
    `st['field']`. Out of bounds: INVALID_ARRAY_INDEX(_IN_ELEMENT_AT) in ANSI mode, NULL without it or with
    `try_`; index 0 of `element_at` is INVALID_INDEX_OF_ZERO always."""
    container, spark_type = node.this, node.type
    if len(node.expressions) != 1:
        raise_spark("construct [] with several indexes is not Spark SQL")
    key = node.expressions[0]
    safe = bool(node.args.get("safe"))
    element_at = node.args.get("offset") == 1
    _need_collection(container, "element_at" if element_at else "construct []", struct=not element_at)
    if is_map(container.type):
        key_type = map_types(container.type)[0]
        if key_type is not None and types.is_known(key.type) and key.type != key_type:  # Spark casts the key
            key = spark_cast(key, key.type, key_type.sql("spark"), context)
        return typed(call("map_extract_value", container, key), spark_type)
    if types.kind(container.type) == T.STRUCT:
        return typed(call("struct_extract", container, key), spark_type)
    if types.is_known(key.type) and not types.is_integral(key.type) and types.kind(key.type) != T.NULL:
        assert key.type is not None
        raise_spark(f"an array's index must be an integer, not {key.type.sql('spark')} (Spark: DATATYPE_MISMATCH."
                    "UNEXPECTED_INPUT_TYPE)")  # fmt: skip
    ansi = exp.Boolean(this=context.ansi and not safe)
    if element_at:
        return typed(apply(_ELEMENT_AT, container, key, ansi), spark_type)
    return typed(apply(_ARRAY_INDEX, container, key, ansi), spark_type)


@rule("get", returns=lambda node: element(node.expressions[0].type))
def _get(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`get(arr, i)`: 0-based, NULL out of bounds (never an error)."""
    container, index = node.expressions
    return typed(apply(_ARRAY_INDEX, container, index, exp.false()), node.type)


# -- constructors ---------------------------------------------------------------------------------------------
def common_type(found: list[exp.DataType | None]) -> exp.DataType | None:
    """The type Spark widens values of `found` types to (`findWiderCommonType`): numbers to the wider number,
    a string beside other simple values to string, a date beside a timestamp to the timestamp; None when
    unknown."""
    known = [t for t in found if types.kind(t) != T.NULL]
    if not known or not all(t is not None and types.is_known(t) for t in known):
        return None
    result = known[0]
    for other in known[1:]:
        assert result is not None and other is not None
        kinds = {types.kind(result), types.kind(other)}
        if result == other:
            continue
        if types.is_numeric(result) and types.is_numeric(other):
            result = types.wider(result, other)
        elif kinds <= {T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ} and T.DATE in kinds:
            result = other if types.kind(result) == T.DATE else result
        elif (types.is_string(result) or types.is_string(other)) and not kinds & {T.ARRAY, T.MAP, T.STRUCT}:
            result = types.of("string")
        else:
            return None
    return result


def _array_type(node: exp.Expr) -> exp.DataType | None:
    if not node.expressions:
        return None
    return array_of(common_type([e.type for e in node.expressions]))


@rule("array", nodes=(exp.Array,), returns=_array_type)
def _array(node: exp.Array, context: Context) -> exp.Expr:
    """`array(...)`: the elements widened to one type, as Spark does (`array(1, 2.5)` is array<decimal(11,1)>)."""
    if not node.expressions:
        return _empty(exp.Array(expressions=[]), T.ARRAY)
    found = [e.type for e in node.expressions if types.kind(e.type) != T.NULL and not isinstance(e, exp.Null)]
    function = "map" if isinstance(node.parent, exp.VarMap) else "array"
    if found and all(fully_known(t) for t in found):
        texts = [t for t in found if types.is_string(t)]
        if texts and len(texts) < len(found):
            raise_spark(
                f"function {function}: strings beside other types are cast as Spark's mode decides (to the other "
                "type in ANSI mode, the others to strings without it); not supported yet: cast them to one type"
            )
        if common_type(found) is None:
            raise_spark(
                f"function {function}: its values have no common type (Spark: DATATYPE_MISMATCH.DATA_DIFF_TYPES)"
            )
    return as_type(node, node.type)


def _empty(made: exp.Expr, kind: exp.DType) -> exp.Expr:
    """`array()`/`map()`: of NULL elements, as Spark types them (array<void>); a cast gives them their type."""
    null = exp.DataType(this=T.NULL)
    parts = [null] if kind == T.ARRAY else [null, null.copy()]
    return typed(made, exp.DataType(this=kind, expressions=parts, nested=True))


def _dot_type(node: exp.Expr) -> exp.DataType | None:
    entry = element(node.this.type)
    if types.kind(entry) != T.STRUCT or entry is None:
        return None
    for field in entry.expressions:
        if field.name == node.name and isinstance(field.args.get("kind"), exp.DataType):
            return array_of(field.args["kind"])
    return None


@rule(".", nodes=(exp.Dot,), returns=_dot_type)
def _dot(node: exp.Dot, context: Context) -> exp.Expr:
    """`arr.field` over an array of structs: the field of every element (a struct's field passes as it is)."""
    if types.kind(element(node.this.type)) != T.STRUCT:
        return node
    item = "spark_f"
    field = call("struct_extract", ref(item), exp.Literal.string(node.name))
    return typed(call("list_transform", node.this, lam([item], field)), node.type)


_MAP_CHECKED = macro(
    "spark_map_checked",
    "(k, v) AS CASE WHEN k IS NULL OR v IS NULL THEN NULL WHEN len(k) <> len(v) THEN error('[_LEGACY_ERROR_TEMP_2128] "
    "The key array and value array of MapData must have the same length.') WHEN list_position(k, NULL) IS NOT "
    "NULL THEN error('[NULL_MAP_KEY] Cannot use null as map key.') WHEN len(list_distinct(k)) <> len(k) THEN "
    "error('[DUPLICATED_MAP_KEY] Duplicate map key ' || list_filter(k, lambda spark_k, spark_i: list_position(k, "
    "spark_k) < spark_i)[1] || ' was found, please check the input data.') ELSE map(k, v) END",
)


@rule("map", nodes=(exp.VarMap,))
def _map(node: exp.VarMap, context: Context) -> exp.Expr:
    """`map(k1, v1, ...)`: a NULL key is NULL_MAP_KEY, a repeated key DUPLICATED_MAP_KEY (Spark's default
    `mapKeyDedupPolicy`)."""
    keys, values = node.args["keys"], node.args["values"]
    if isinstance(keys, exp.Array) and not keys.expressions:
        return _empty(call("map"), T.MAP)
    key_type, value_type = map_types(node.type)
    return as_type(apply(_MAP_CHECKED, as_type(keys, array_of(key_type)), as_type(values, array_of(value_type))),
                    node.type)  # fmt: skip


@rule("map_from_arrays", nodes=(exp.Map,))
def _map_from_arrays(node: exp.Map, context: Context) -> exp.Expr:
    return typed(apply(_MAP_CHECKED, node.args["keys"], node.args["values"]), node.type)


def _map_from_entries_type(node: exp.Expr) -> exp.DataType | None:
    entry = element(node.this.type)
    if types.kind(entry) != T.STRUCT or entry is None or len(entry.expressions) != 2:
        return None
    key, value = (f.args.get("kind") for f in entry.expressions)
    return exp.DataType(this=T.MAP, expressions=[key, value], nested=True)


@rule("map_from_entries", nodes=(exp.MapFromEntries,), returns=_map_from_entries_type)
def _map_from_entries(node: exp.MapFromEntries, context: Context) -> exp.Expr:
    """NULL when the array or any entry is NULL; the entries' fields by position, whatever their names."""
    entries = node.this
    pair = "spark_p"
    keys = call("list_transform", entries, lam([pair], call("struct_extract_at", ref(pair), exp.Literal.number(1))))
    values = call("list_transform", entries.copy(),
                  lam([pair], call("struct_extract_at", ref(pair), exp.Literal.number(2))))  # fmt: skip
    checked = apply(_MAP_CHECKED, keys, values)
    has_null = exp.Not(this=is_null(call("list_position", entries.copy(), exp.Null())))
    return typed(when(has_null, exp.Null(), checked), node.type)


_MAP_CONCAT = macro(
    "spark_map_concat",
    "(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE spark_map_checked(list_concat(map_keys(a), "
    "map_keys(b)), list_concat(map_values(a), map_values(b))) END",
)


@rule("map_concat", returns=lambda node: node.expressions[0].type if node.expressions else None)
def _map_concat(node: exp.Anonymous, context: Context) -> exp.Expr:
    """NULL when any map is NULL; a key in two maps is DUPLICATED_MAP_KEY (Spark's default policy)."""
    maps = node.expressions
    if not maps:
        raise_spark("function map_concat without arguments is not supported yet: write map()")
    result = maps[0]
    for other in maps[1:]:
        result = apply(_MAP_CONCAT, result, other)
    return typed(result, node.type)


@rule("map_contains_key", nodes=(exp.MapContainsKey,), returns=lambda node: types.of("boolean"))
def _map_contains_key(node: exp.MapContainsKey, context: Context) -> exp.Expr:
    """NULL for a NULL map or key."""
    mapping, key = node.this, node.args["key"]
    key_type = map_types(mapping.type)[0]
    common = coerced(key_type, key.type, wider=False, function="map_contains_key", error="MAP_FUNCTION_DIFF_TYPES")
    if common is not None and key_type is not None and common.sql("spark") != key_type.sql("spark"):
        return when(any_null(mapping, key), exp.Null(), call("list_contains", meet(call("map_keys", mapping.copy()),
                    array_of(common)), meet(key.copy(), common)))  # fmt: skip
    return when(any_null(mapping, key), exp.Null(), call("map_contains", mapping.copy(), meet(key.copy(), common)))


def _map_part_type(index: int) -> Returns:
    def returns(node: exp.Expr) -> exp.DataType | None:
        found = map_types(type_of(first_argument(node)))
        return array_of(found[index]) if found[index] is not None else None

    return returns


same("map_keys", nodes=(exp.MapKeys,), returns=_map_part_type(0), note="NULL map: NULL")


@rule("map_values", returns=_map_part_type(1))
def _map_values(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(call("map_values", node.expressions[0]), node.type)


def _map_entries_type(node: exp.Expr) -> exp.DataType | None:
    key, value = map_types(node.expressions[0].type)
    if key is None or value is None:
        return None
    return types.of(f"array<struct<key: {key.sql('spark')}, value: {value.sql('spark')}>>")


@rule("map_entries", returns=_map_entries_type)
def _map_entries(node: exp.Anonymous, context: Context) -> exp.Expr:
    return typed(call("map_entries", node.expressions[0]), node.type)


_STR_TO_MAP = macro(
    "spark_str_to_map",
    "(s, pd, kd) AS CASE WHEN s IS NULL THEN NULL ELSE spark_map_checked(list_transform(regexp_split_to_array(s, "
    "pd), lambda p: CASE WHEN regexp_matches(p, kd) THEN regexp_extract(p, '^(?s)(.*?)(?:' || kd || ')', 1) "
    "ELSE p END), list_transform(regexp_split_to_array(s, pd), lambda p: CASE WHEN regexp_matches(p, kd) THEN "
    "regexp_extract(p, '^(?s).*?(?:' || kd || ')(.*)$', 1) END)) END",
)


@rule("str_to_map", nodes=(exp.StrToMap,), returns=lambda node: types.of("map<string, string>"))
def _str_to_map(node: exp.StrToMap, context: Context) -> exp.Expr:
    """Both delimiters are regular expressions (Spark's `split`), a pair without the key-value delimiter has a
    NULL value, a repeated key is DUPLICATED_MAP_KEY. Delimiters must be literals that mean the same to Java's and
    RE2's regular expressions (plain text, classes, alternatives)."""
    pair = node.args.get("pair_delim") or exp.Literal.string(",")
    key_value = node.args.get("key_value_delim") or exp.Literal.string(":")
    for delimiter in (pair, key_value):
        if not (isinstance(delimiter, exp.Literal) and delimiter.is_string) or _java_only(delimiter.this):
            raise_spark(
                "function str_to_map: the delimiters must be string literals without lookaround, backreferences "
                "or possessive quantifiers (Java regular expressions DuckDB cannot run)"
            )
    if key_value.this == "":
        raise_spark("function str_to_map: an empty key-value delimiter splits between characters; not supported yet")
    return typed(apply(_STR_TO_MAP, node.this, pair, key_value), node.type)


def _java_only(pattern: str) -> bool:
    return any(
        token in pattern for token in ("(?=", "(?!", "(?<", "\\1", "\\2", "*+", "++", "?+", "\\p{", "\\G", "\\Z")
    )


# -- structs --------------------------------------------------------------------------------------------------
@rule(
    "struct",
    "named_struct",
    nodes=(exp.Struct,),
    note="fields named as Spark names them (col1, the column's name); an empty field name is refused",
)
def _struct(node: exp.Struct, context: Context) -> exp.Expr:
    """As sqlglot writes it; a field named '' (Spark allows it) has no DuckDB struct to live in: refused."""
    for field in node.expressions:
        if isinstance(field, exp.PropertyEQ) and field.this is not None and field.this.name == "":
            raise_spark("function named_struct: a field named '' has no DuckDB equal (every field of a struct "
                        "there has a name); give the field a name")  # fmt: skip
    return node


# -- the typing pass for this family's functions sqlglot does not know ---------------------------------------------
# translate._metadata installs a rule's `returns` for its node classes only; a function sqlglot does not know is an
# exp.Anonymous, whose rules are found by name. Until the translator types those by name too, this entry gives the
# Anonymous class an annotator that asks this family's named rules (zip_with's lambda, cardinality's int, ...).
_TYPED_BY_NAME = (
    "cardinality", "get", "array_repeat", "array_union", "arrays_overlap", "map_concat", "map_values",
    "map_entries", "forall", "zip_with", "map_filter", "transform_values", "transform_keys", "map_zip_with",
    "window",
)  # fmt: skip


def _by_name(node: exp.Expr) -> exp.DataType | None:
    if not isinstance(node, exp.Anonymous):
        return None
    found = REGISTRY.user.get(node.name.lower()) or REGISTRY.by_name.get(node.name.lower())
    if found is None or found.returns is None:
        return None
    try:
        return found.returns(node)
    except Exception:  # a rule's typing that needs what this node lacks: DuckDB types it
        if node.name.lower() in _TYPED_BY_NAME:
            raise
        return None


if exp.Anonymous not in REGISTRY.by_node:
    REGISTRY.add(Rule((), (exp.Anonymous,), None, _by_name))
