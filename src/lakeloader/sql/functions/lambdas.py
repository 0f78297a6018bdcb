"""Higher-order functions with Spark's answers: the lambda's index counts from 0 (DuckDB's from 1), `exists` and
`forall` follow three-valued logic, `aggregate` applies `finish` once, maps keep Spark's key checks.

A Spark lambda becomes a DuckDB lambda; where DuckDB hands the lambda something else (an index from 1, a map
entry, a pair of zipped elements) the parameter's references are replaced by what Spark means. Each lambda's
parameters are typed as Spark types them (the element, the key, the accumulator), so the body's own rules see
their types.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions.collections import (
    array_of,
    common_type,
    element,
    first_argument,
    is_array,
    lam,
    map_types,
    raise_spark,
    ref,
    type_of,
)
from lakeloader.sql.registry import rule
from lakeloader.sql.runtime import macro

T = exp.DType
_FRESH = itertools.count(1)
_NOT_REFERENCES = {  # (parent class, the argument) where an identifier is a name, not a parameter's reference
    (exp.PropertyEQ, "this"),
    (exp.Dot, "expression"),
    (exp.Alias, "alias"),
    (exp.Lambda, "expressions"),
}


def _fresh(name: str) -> str:
    return f"{name}__{next(_FRESH)}"


def _lambda(node: exp.Expr, key: str, arity: Sequence[int], function: str) -> exp.Lambda:
    found = node.args.get(key)
    if not isinstance(found, exp.Lambda):
        raise_spark(f"function {function}: its argument must be a lambda function (x -> ...)")
    if len(found.expressions) not in arity:
        wanted = " or ".join(str(n) for n in arity)
        raise_spark(f"function {function}: the lambda function takes {wanted} parameter(s)")
    return found


def params(function: exp.Lambda) -> list[str]:
    return [p.name for p in function.expressions]


def references(function: exp.Lambda, name: str) -> list[exp.Identifier]:
    """The identifiers in the lambda's body that refer to its parameter `name` (not to an inner lambda's)."""
    found = []
    for node in function.this.walk():
        if not isinstance(node, exp.Identifier) or node.name.lower() != name.lower():
            continue
        parent = node.parent
        if isinstance(parent, exp.Column | exp.Table | exp.TableAlias) or any(
            isinstance(parent, cls) and node.arg_key == key for cls, key in _NOT_REFERENCES
        ):
            continue
        if any(
            isinstance(up, exp.Lambda) and name.lower() in (p.lower() for p in params(up))
            for up in _ancestors(node, function)
        ):
            continue
        found.append(node)
    return found


def _ancestors(node: exp.Expr, top: exp.Expr) -> list[exp.Expr]:
    out, current = [], node.parent
    while current is not None and current is not top:
        out.append(current)
        current = current.parent
    return out


def body_with(function: exp.Lambda, replacements: Mapping[str, exp.Expr]) -> exp.Expr:
    """The lambda's body with each parameter's references replaced by an expression (copied at each use)."""
    for name, replacement in replacements.items():
        for reference in references(function, name):
            reference.replace(exp.Paren(this=replacement.copy()))
    body: exp.Expr = function.this
    return body


# -- typing the lambdas' parameters ----------------------------------------------------------------------------
def typed_body(function: exp.Expr | None, param_types: Sequence[exp.DataType | None]) -> exp.DataType | None:
    """Type the lambda's parameters as Spark does, then its body again (it was typed with unknown parameters);
    return the body's type."""
    if not isinstance(function, exp.Lambda):
        return None
    from sqlglot.optimizer.annotate_types import TypeAnnotator
    from sqlglot.schema import ensure_schema

    stale: set[int] = set()
    for name, spark_type in zip(params(function), param_types, strict=False):
        for reference in references(function, name):
            reference.type = spark_type.copy() if spark_type is not None else None
            stale.update(id(up) for up in _ancestors(reference, function))
    for node in function.this.walk():
        if id(node) in stale:
            node.type = None
    if id(function.this) in stale or not types.is_known(function.this.type):
        function.this.type = None
    annotator = TypeAnnotator(
        ensure_schema({}, dialect="databricks"), expression_metadata=_body_metadata(), overwrite_types=False
    )
    annotator.annotate_expression(function.this)
    found = function.this.type
    return found if types.is_known(found) else None


@functools.cache
def _body_metadata() -> dict[type[exp.Expr], dict[str, Any]]:
    """The translator's typing, with `coalesce`/`nvl` typed as Spark types them (the wider of the arguments:
    sqlglot's Hive typing makes coalesce(int, 0) a bigint, which would turn a lambda's int result into a bigint)."""
    from lakeloader.sql.translate import _metadata

    def coalesce(annotator: Any, node: exp.Expr) -> None:
        found = common_type([node.this.type, *(e.type for e in node.expressions)])
        annotator._set_type(node, found if found is not None else exp.DType.UNKNOWN)

    return {**_metadata(True), exp.Coalesce: {"annotator": coalesce}}


def _transform_type(node: exp.Expr) -> exp.DataType | None:
    item = element(node.this.type)
    return array_of(typed_body(node.expression, [item, types.of("int")]))


def _filter_type(node: exp.Expr) -> exp.DataType | None:
    typed_body(node.expression, [element(node.this.type), types.of("int")])
    return node.this.type if is_array(node.this.type) else None


def _predicate_type(node: exp.Expr) -> exp.DataType | None:
    array = first_argument(node)
    function = node.expressions[1] if isinstance(node, exp.Anonymous) else node.expression
    typed_body(function, [element(array.type)])
    return types.of("boolean")


# -- arrays ---------------------------------------------------------------------------------------------------
def _indexed(function: exp.Lambda) -> tuple[list[str], exp.Expr]:
    """DuckDB's parameters and body for a Spark lambda `(x[, i]) -> ...`: Spark's index counts from 0."""
    names = params(function)
    if len(names) == 1:
        return names, function.this
    index = _fresh(names[1])
    zero_based = cast(exp.Sub(this=ref(index), expression=exp.Literal.number(1)), "int")
    return [names[0], index], body_with(function, {names[1]: zero_based})


@rule("transform", nodes=(exp.Transform,), returns=_transform_type)
def _transform(node: exp.Transform, context: Context) -> exp.Expr:
    names, body = _indexed(_lambda(node, "expression", (1, 2), "transform"))
    return typed(call("list_transform", node.this, lam(names, body)), node.type)


@rule("filter", nodes=(exp.ArrayFilter,), returns=_filter_type)
def _filter(node: exp.ArrayFilter, context: Context) -> exp.Expr:
    """Keeps the elements whose predicate is true (not NULL)."""
    names, body = _indexed(_lambda(node, "expression", (1, 2), "filter"))
    return typed(call("list_filter", node.this, lam(names, body)), node.type)


_EXISTS = macro(
    "spark_exists",
    "(t) AS CASE WHEN t IS NULL THEN NULL WHEN list_contains(t, true) THEN true "
    "WHEN list_position(t, NULL) IS NOT NULL THEN NULL ELSE false END",
)
_FORALL = macro(
    "spark_forall",
    "(t) AS CASE WHEN t IS NULL THEN NULL WHEN list_contains(t, false) THEN false "
    "WHEN list_position(t, NULL) IS NOT NULL THEN NULL ELSE true END",
)


def _verdicts(array: exp.Expr, function: exp.Lambda) -> exp.Expr:
    return call("list_transform", array, lam(params(function), function.this))


@rule("exists", nodes=(exp.Exists,), returns=_predicate_type)
def _exists(node: exp.Exists, context: Context) -> exp.Expr:
    """`exists(arr, x -> p)`: true when p is true for some element, else NULL when p is NULL for some, else false
    (`EXISTS (subquery)` passes as it is)."""
    if not isinstance(node.expression, exp.Lambda):
        return node
    function = _lambda(node, "expression", (1,), "exists")
    return typed(call(_EXISTS, _verdicts(node.this, function)), types.of("boolean"))


@rule("forall", returns=_predicate_type)
def _forall(node: exp.Anonymous, context: Context) -> exp.Expr:
    """`forall(arr, x -> p)`: false when p is false for some element, else NULL when p is NULL for some, else
    true."""
    array, function = node.expressions
    if not isinstance(function, exp.Lambda) or len(function.expressions) != 1:
        raise_spark("function forall: its second argument must be a lambda function x -> ...")
    return typed(call(_FORALL, _verdicts(array, function)), types.of("boolean"))


def _aggregate_type(node: exp.Expr) -> exp.DataType | None:
    zero = node.args["initial"].type
    merged = typed_body(node.args.get("merge"), [zero, element(node.this.type)])
    finish = node.args.get("finish")
    if finish is not None:
        return typed_body(finish, [zero])
    return zero if types.is_known(zero) else merged


@rule("aggregate", "reduce", nodes=(exp.Reduce,), returns=_aggregate_type)
def _aggregate(node: exp.Reduce, context: Context) -> exp.Expr:
    """`aggregate(arr, zero, (acc, x) -> merge[, acc -> finish])`: NULL for a NULL array (finish not applied);
    the accumulator keeps zero's type."""
    array, zero = node.this, node.args["initial"]
    merge = _lambda(node, "merge", (2,), "aggregate")
    finish = node.args.get("finish")
    zero_type = zero.type
    if types.is_known(zero_type) and types.is_known(merge.this.type) and merge.this.type != zero_type:
        assert zero_type is not None and merge.this.type is not None
        raise_spark(
            f"function aggregate: the merge function gives {merge.this.type.sql('spark')} but the start value is "
            f"{zero_type.sql('spark')} (Spark: DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE); cast the start value"
        )
    reduced: exp.Expr = call("list_reduce", array, lam(params(merge), merge.this), zero)
    if isinstance(finish, exp.Lambda):
        if len(finish.expressions) != 1:
            raise_spark("function aggregate: the finish function takes 1 parameter")
        applied = body_with(finish, {params(finish)[0]: reduced})
        reduced = when(exp.Is(this=array.copy(), expression=exp.Null()), exp.Null(), applied)
    return typed(reduced, node.type)


def _zip_with_type(node: exp.Expr) -> exp.DataType | None:
    left, right, function = node.expressions
    return array_of(typed_body(function, [element(left.type), element(right.type)]))


@rule("zip_with", returns=_zip_with_type)
def _zip_with(node: exp.Anonymous, context: Context) -> exp.Expr:
    """Pairs the i-th elements, the shorter array padded with NULLs; NULL when either array is NULL."""
    left, right, function = node.expressions
    if not isinstance(function, exp.Lambda) or len(function.expressions) != 2:
        raise_spark("function zip_with: its third argument must be a lambda function (x, y) -> ...")
    pair = _fresh("pair")
    x, y = params(function)
    body = body_with(function, {
        x: call("struct_extract_at", ref(pair), exp.Literal.number(1)),
        y: call("struct_extract_at", ref(pair), exp.Literal.number(2)),
    })  # fmt: skip
    zipped = call("list_transform", call("list_zip", left, right), lam([pair], body))
    null = exp.Or(this=exp.Is(this=left.copy(), expression=exp.Null()),
                  expression=exp.Is(this=right.copy(), expression=exp.Null()))  # fmt: skip
    return typed(when(null, exp.Null(), zipped), node.type)


def sort_by_comparator(node: exp.ArraySort, context: Context) -> exp.Expr:
    """`array_sort(arr, (l, r) -> c)`: a stable sort by the comparator's sign (Spark's TimSort is stable): each
    element's place is the number of elements before it, computed pairwise."""
    array, function = node.this, _lambda(node, "expression", (2,), "array_sort")
    left, right = params(function)
    xi, i, xj, j = _fresh("xi"), _fresh("i"), _fresh("xj"), _fresh("j")
    compared = body_with(function, {left: ref(xj), right: ref(xi)})
    zero = exp.Literal.number(0)
    before = exp.Or(
        this=exp.LT(this=compared, expression=zero),
        expression=exp.And(this=exp.EQ(this=compared.copy(), expression=zero.copy()),
                           expression=exp.LT(this=ref(j), expression=ref(i))),
    )  # fmt: skip
    rank = call("len", call("list_filter", array.copy(), lam([xj, j], before)))
    ranks = call("list_transform", array, lam([xi, i], rank))
    k = _fresh("k")
    placed = call("list_transform", call("range", call("len", array.copy())),
                  lam([k], call("list_extract", array.copy(), call("list_position", ranks, ref(k)))))  # fmt: skip
    return typed(placed, node.type)


# -- maps -----------------------------------------------------------------------------------------------------
def _entry_part(entry: str, part: str) -> exp.Expr:
    return call("struct_extract", ref(entry), exp.Literal.string(part))


def _map_args(node: exp.Anonymous, function_name: str, arity: int) -> tuple[list[exp.Expr], exp.Lambda]:
    *maps, function = node.expressions
    if not isinstance(function, exp.Lambda) or len(function.expressions) != arity:
        names = ", ".join(["k", "v", "v1", "v2"][: 2 if arity == 2 else 0] or ["k", "v1", "v2"])
        raise_spark(f"function {function_name}: its last argument must be a lambda function ({names}) -> ...")
    return maps, function


def _entries_body(function: exp.Lambda, entry: str) -> exp.Expr:
    key, value = params(function)
    return body_with(function, {key: _entry_part(entry, "key"), value: _entry_part(entry, "value")})


def _map_filter_type(node: exp.Expr) -> exp.DataType | None:
    typed_body(node.expressions[-1], list(map_types(node.expressions[0].type)))
    return type_of(node.expressions[0])


@rule("map_filter", returns=_map_filter_type)
def _map_filter(node: exp.Anonymous, context: Context) -> exp.Expr:
    (mapping,), function = _map_args(node, "map_filter", 2)
    entry = _fresh("entry")
    kept = call("list_filter", call("map_entries", mapping), lam([entry], _entries_body(function, entry)))
    return typed(call("map_from_entries", kept), node.type)


def _transformed_map_type(node: exp.Expr, *, keys: bool) -> exp.DataType | None:
    """The map transform_keys (`keys`) or transform_values makes: the lambda's type in place of the keys' or
    the values'."""
    key, value = map_types(node.expressions[0].type)
    result = typed_body(node.expressions[-1], [key, value])
    kept = value if keys else key
    if not (kept and result):
        return None
    return exp.DataType(this=T.MAP, expressions=[result, kept] if keys else [kept, result], nested=True)


def _transform_values_type(node: exp.Expr) -> exp.DataType | None:
    return _transformed_map_type(node, keys=False)


@rule("transform_values", returns=_transform_values_type)
def _transform_values(node: exp.Anonymous, context: Context) -> exp.Expr:
    (mapping,), function = _map_args(node, "transform_values", 2)
    entry = _fresh("entry")
    pair = exp.Struct(expressions=[
        exp.PropertyEQ(this=exp.to_identifier("key"), expression=_entry_part(entry, "key")),
        exp.PropertyEQ(this=exp.to_identifier("value"), expression=_entries_body(function, entry)),
    ])  # fmt: skip
    return typed(call("map_from_entries", call("list_transform", call("map_entries", mapping), lam([entry], pair))),
                 node.type)  # fmt: skip


def _transform_keys_type(node: exp.Expr) -> exp.DataType | None:
    return _transformed_map_type(node, keys=True)


@rule("transform_keys", returns=_transform_keys_type)
def _transform_keys(node: exp.Anonymous, context: Context) -> exp.Expr:
    """New keys from the lambda; a NULL key is NULL_MAP_KEY, a repeated one DUPLICATED_MAP_KEY."""
    (mapping,), function = _map_args(node, "transform_keys", 2)
    entry = _fresh("entry")
    keys = call("list_transform", call("map_entries", mapping), lam([entry], _entries_body(function, entry)))
    return typed(call("spark_map_checked", keys, call("map_values", mapping.copy())), node.type)


def _map_zip_with_type(node: exp.Expr) -> exp.DataType | None:
    first, second, function = node.expressions
    (key, left), (_, right) = map_types(first.type), map_types(second.type)
    result = typed_body(function, [key, left, right])
    return exp.DataType(this=T.MAP, expressions=[key, result], nested=True) if key and result else None


@rule("map_zip_with", returns=_map_zip_with_type)
def _map_zip_with(node: exp.Anonymous, context: Context) -> exp.Expr:
    """Every key of either map (the first map's order, then the second's new keys), its values or NULLs."""
    (first, second), function = _map_args(node, "map_zip_with", 3)
    k, v1, v2 = params(function)
    key = _fresh("key")
    body = body_with(function, {
        k: ref(key),
        v1: call("map_extract_value", first.copy(), ref(key)),
        v2: call("map_extract_value", second.copy(), ref(key)),
    })  # fmt: skip
    keys = call("spark_array_distinct", call("list_concat", call("map_keys", first), call("map_keys", second)))
    zipped = call("map", keys, call("list_transform", keys.copy(), lam([key], body)))
    null = exp.Or(this=exp.Is(this=first.copy(), expression=exp.Null()),
                  expression=exp.Is(this=second.copy(), expression=exp.Null()))  # fmt: skip
    return typed(when(null, exp.Null(), zipped), node.type)
