"""LIKE, ILIKE, RLIKE, split and the regexp family with Spark's answers.

Spark's patterns are Java regular expressions; each literal pattern is translated to RE2's syntax with Java's
meaning (`java_regex`), or refused naming what RE2 cannot do. A pattern read from a column cannot be checked before
it runs, so it is refused. Java finds matches one after the other (an empty match may follow a match directly);
RE2's global replace skips such an empty match, so a pattern that can match both an empty and a non-empty text is
refused where that changes the answer (replacing it with a non-empty text, splitting by it).
"""

from __future__ import annotations

import re

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions import java_regex
from lakeloader.sql.functions.java_regex_tree import Invalid, Unsupported
from lakeloader.sql.functions.strings import (
    BOOLEAN,
    INT,
    LOWER,
    STRING,
    as_bigint,
    as_string,
    fixed,
    is_null,
    literal_text,
    number,
    refused,
    spark_call,
    text,
)
from lakeloader.sql.registry import REGISTRY, Rule, rule
from lakeloader.sql.runtime import macro

STRINGS = types.of("array<string>")


# -- patterns --
def _pattern(node: exp.Expr, name: str) -> java_regex.Regex | None:
    """The Java pattern of a literal argument, parsed; None for a NULL literal (the answer is NULL). A pattern
    Java rejects fails the query before it reads anything, as Spark's compiled pattern does."""
    if is_null(node):
        return None
    value = literal_text(node)
    if value is None:
        raise refused(
            f"function {name}",
            "the pattern must be a literal (a Java regular expression checked and translated before the query runs)",
        )
    try:
        return java_regex.parse(value)
    except Unsupported as exc:
        raise refused(f"function {name}", f"the pattern {value!r} uses {exc}, which DuckDB's RE2 cannot run") from None
    except Invalid as exc:
        from lakeloader.sql.translate import TranslateError

        raise TranslateError(
            f"[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` in `{name}` is invalid: "
            f"'{value}' ({exc}); fix the pattern"
        ) from None


def _null(spark_type: exp.DataType) -> exp.Expr:
    return cast(exp.Null(), spark_type)


def _extent_pattern(regex: java_regex.Regex, name: str, *, capture_body: bool = False) -> tuple[str, bool]:
    try:
        pattern, has_break = regex.re2_with_break()
    except Unsupported as exc:
        raise refused(f"function {name}", f"the pattern {regex.java!r} uses {exc}") from None
    if has_break and capture_body:
        pattern = "(" + pattern.removeprefix("(?:")
    return pattern, has_break


def _group_index(node: exp.Expr | None, name: str, default: int) -> int:
    if node is None:
        return default
    value = node.this if isinstance(node, exp.Literal) and not node.is_string else None
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        value = "-" + str(node.this.this)
    if value is None:
        raise refused(f"function {name}", "the group index must be a literal number")
    return int(str(value))


def _group_error(regex: java_regex.Regex, index: int, name: str) -> str | None:
    if 0 <= index <= regex.groups:
        return None
    return (
        f"[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in `{name}` is invalid: "
        f"Expects group index between 0 and {regex.groups}, but got {index}."
    )


def _when_matched_error(
    value: exp.Expr, pattern: str, message: str, otherwise: exp.Expr, spark_type: exp.DataType
) -> exp.Expr:
    """Spark's error for a value where the pattern matches; the answer without a match elsewhere."""
    return typed(
        when(call("regexp_matches", value, text(pattern)), call("error", text(message)), otherwise), spark_type
    )


# -- LIKE --
def _like_problem(pattern: str, escape: str) -> str | None:
    """Spark's complaint about a LIKE pattern (an escape character before an ordinary one, or at the end)."""
    i = 0
    while i < len(pattern):
        if pattern[i] == escape:
            if i + 1 >= len(pattern):
                return (
                    f"[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: '{pattern}'. The escape character is "
                    "not allowed to end with."
                )
            if pattern[i + 1] not in ("_", "%", escape):
                return (
                    f"[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: '{pattern}'. The escape character "
                    f"is not allowed to precede '{pattern[i + 1]}'."
                )
            i += 2
        else:
            i += 1
    return None


def _runtime_like_check(pattern: exp.Expr, escape: str) -> exp.Expr:
    """For a pattern from a column: true when Spark rejects it."""
    e = f"\\x{{{ord(escape):x}}}"
    bad = f"^(?:[^{e}]|{e}[_%{e}])*{e}(?:[^_%{e}]|\\z)"
    return call("regexp_matches", pattern, text(bad))


def _one_like(value: exp.Expr, pattern: exp.Expr, escape: str, *, ignore_case: bool, negate: bool) -> exp.Expr:
    if ignore_case:
        value = spark_call(LOWER, value)
        pattern = spark_call(LOWER, pattern)
    made: exp.Expr = exp.Escape(this=exp.Like(this=value, expression=pattern), expression=text(escape))
    literal = literal_text(pattern) if not ignore_case else literal_text(pattern.expressions[0])
    if literal is not None:
        problem = _like_problem(literal.lower() if ignore_case else literal, escape)
        if problem is not None:  # Spark compiles a literal pattern before it reads a row
            from lakeloader.sql.translate import TranslateError

            raise TranslateError(f"{problem}; fix the LIKE pattern")
    elif not is_null(pattern):
        check = _runtime_like_check(pattern.copy(), escape)
        made = when(
            check,
            call(
                "error",
                text(
                    "[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: the escape "
                    "character is not allowed to precede an ordinary character."
                ),
            ),
            made,
        )
    if negate:
        made = exp.Not(this=exp.Paren(this=made))
    return typed(exp.Paren(this=made), BOOLEAN)


def _like(node: exp.Like | exp.ILike, escape: str, context: Context) -> exp.Expr:
    ignore_case = isinstance(node, exp.ILike)
    negate = bool(node.args.get("negate"))
    value = as_string(node.this, context)
    target = node.expression
    if isinstance(target, (exp.Any, exp.All)):
        inner = target.this
        patterns = list(inner.expressions) if isinstance(inner, exp.Tuple) else [inner]
        parts = [
            _one_like(value.copy(), as_string(p, context), escape, ignore_case=ignore_case, negate=negate)
            for p in patterns
        ]
        joined: exp.Expr = parts[0]
        for part in parts[1:]:
            joined = (exp.Or if isinstance(target, exp.Any) else exp.And)(this=joined, expression=part)
        return typed(exp.Paren(this=joined), BOOLEAN)
    return _one_like(value, as_string(target, context), escape, ignore_case=ignore_case, negate=negate)


@rule("like", nodes=(exp.Like,), returns=fixed(BOOLEAN), note="with Spark's escape rules: \\ escapes _ % and \\")
def _like_rule(node: exp.Like, context: Context) -> exp.Expr:
    if isinstance(node.parent, exp.Escape):
        return node  # the ESCAPE clause around it decides
    return _like(node, "\\", context)


@rule("ilike", nodes=(exp.ILike,), returns=fixed(BOOLEAN), note="lower(str) LIKE lower(pattern), Java's lower case")
def _ilike_rule(node: exp.ILike, context: Context) -> exp.Expr:
    if isinstance(node.parent, exp.Escape):
        return node
    return _like(node, "\\", context)


@rule("ESCAPE", nodes=(exp.Escape,), returns=fixed(BOOLEAN))
def _escape_rule(node: exp.Escape, context: Context) -> exp.Expr:
    inner = node.this
    escape = literal_text(node.expression)
    if not isinstance(inner, (exp.Like, exp.ILike)):
        raise refused("construct ESCAPE", "ESCAPE goes with LIKE or ILIKE only")
    if escape is None or len(escape) != 1:
        raise refused("construct ESCAPE", "the escape character must be a literal of one character")
    return _like(inner, escape, context)


def _quantified(kind: str, node_class: type[exp.Expr]) -> None:
    """LIKE ANY (...) / LIKE ALL (...): the LIKE rule expands them; elsewhere another family's rule decides."""
    previous: Rule | None = REGISTRY.by_node.get(node_class)

    def rewrite(node: exp.Expr, context: Context) -> exp.Expr:
        if isinstance(node.parent, (exp.Like, exp.ILike)):
            return node
        if previous is not None and previous.rewrite is not None:
            return previous.rewrite(node, context)
        if previous is not None:
            return node
        from lakeloader.sql.translate import TranslateError, refusal

        raise TranslateError(refusal(node))

    rule(f"LIKE {kind}", nodes=(node_class,))(rewrite)


_quantified("ANY", exp.Any)
_quantified("ALL", exp.All)


# -- RLIKE --
def _rlike(value: exp.Expr, pattern: exp.Expr, name: str, context: Context) -> exp.Expr:
    regex = _pattern(pattern, name)
    if regex is None:
        return _null(BOOLEAN)
    value = as_string(value, context)
    return spark_call("regexp_matches", value, text(regex.re2()), returns=BOOLEAN)


@rule("rlike", "regexp_like", nodes=(exp.RegexpLike,), returns=fixed(BOOLEAN), note="Java's regular expressions")
def _rlike_rule(node: exp.RegexpLike, context: Context) -> exp.Expr:
    return _rlike(node.this, node.expression, "rlike", context)


@rule("regexp", returns=fixed(BOOLEAN))
def _regexp_rule(node: exp.Anonymous, context: Context) -> exp.Expr:
    value, pattern = node.expressions
    return _rlike(value, pattern, "regexp", context)


# -- replace, extract, count, instr, substr --
@rule("regexp_replace", nodes=(exp.RegexpReplace,), returns=fixed(STRING))
def _regexp_replace(node: exp.RegexpReplace, context: Context) -> exp.Expr:
    """Every match replaced; `$n` and `${name}` in the replacement are groups; a position (in UTF-16 units, as
    Java's String counts) leaves the text before it alone."""
    name = "regexp_replace"
    regex = _pattern(node.expression, name)
    replacement_node = node.args.get("replacement")
    if regex is None or replacement_node is None or is_null(replacement_node):
        return _null(STRING)
    value = as_string(node.this, context)
    replacement = literal_text(replacement_node)
    if replacement is None:
        raise refused(f"function {name}", "the replacement must be a literal")
    pattern, has_break = _extent_pattern(regex, name)
    try:
        rewrite, problem = java_regex.replacement(replacement, regex)
    except Unsupported as exc:
        raise refused(f"function {name}", str(exc)) from None
    if problem is not None:
        message = (
            f'[INVALID_REGEXP_REPLACE] Could not perform regexp_replace for source, pattern = "{regex.java}", '
            f'replacement = "{replacement}": {problem}.'
        )
        return _when_matched_error(value, pattern, message, value.copy(), STRING)
    if rewrite and regex.min_width == 0 and (regex.max_width != 0 or has_break):
        raise refused(
            f"function {name}",
            f"the pattern {regex.java!r} can match an empty text right after a match "
            "(Java replaces it too, RE2 does not); make it match one character at least, or replace with ''",
        )
    if has_break:
        rewrite += f"\\{regex.groups + 1}"
    position = node.args.get("position")
    if regex.java == "" and re.sub(r"\\\d", "", rewrite):  # Java inserts between the UTF-16 halves of a pair,
        value = call("regexp_replace", value, text("[\\x{10000}-\\x{10ffff}]"), text("??"), text("g"))  # '?' each
        if not (position is None or (isinstance(position, exp.Literal) and str(position.this) == "1")):
            raise refused(f"function {name}", "an empty pattern with a position is not supported (Java counts "
                          "UTF-16 code units); use regexp_replace(substring(s, pos), '', r)")  # fmt: skip
    if position is None or (isinstance(position, exp.Literal) and str(position.this) == "1"):
        return spark_call("regexp_replace", value, text(pattern), text(rewrite), text("g"))
    if isinstance(position, exp.Literal) and int(str(position.this)) <= 0:
        raise refused(f"function {name}", "the position must be at least 1")
    skipped = exp.Sub(this=as_bigint(position, context), expression=number(1))
    head = call("left", value.copy(), skipped)
    tail = call("substring", value.copy(), exp.Add(this=skipped.copy(), expression=number(1)))
    replaced = exp.DPipe(this=head, expression=call("regexp_replace", tail, text(pattern), text(rewrite), text("g")))
    beyond = exp.And(
        this=exp.GT(this=skipped.copy(), expression=number(0)),
        expression=exp.GTE(this=skipped.copy(), expression=call("length", value.copy())),
    )
    chosen = when(beyond, value.copy(), replaced)
    return typed(chosen, STRING)


def _extraction(node: exp.Expr, context: Context, name: str) -> tuple[exp.Expr, str, int, str | None] | None:
    """What regexp_extract(_all) runs: (the text, DuckDB's pattern, its group, the error Spark raises on a match
    or None); None for a NULL pattern."""
    regex = _pattern(node.expression, name)
    if regex is None:
        return None
    index = _group_index(node.args.get("group"), name, 1)
    pattern, has_break = _extent_pattern(regex, name, capture_body=True)
    return as_string(node.this, context), pattern, index + 1 if has_break else index, _group_error(regex, index, name)


@rule("regexp_extract", nodes=(exp.RegexpExtract,), returns=fixed(STRING))
def _regexp_extract(node: exp.RegexpExtract, context: Context) -> exp.Expr:
    """The group `idx` (default 1) of the first match; '' without a match or when the group took no part."""
    parts = _extraction(node, context, "regexp_extract")
    if parts is None:
        return _null(STRING)
    value, pattern, group, problem = parts
    if problem is not None:
        return _when_matched_error(value, pattern, problem, text(""), STRING)
    return spark_call("regexp_extract", value, text(pattern), number(group))


@rule("regexp_extract_all", nodes=(exp.RegexpExtractAll,), returns=fixed(STRINGS))
def _regexp_extract_all(node: exp.RegexpExtractAll, context: Context) -> exp.Expr:
    """The group `idx` (default 1) of every match; '' for a group that took no part."""
    parts = _extraction(node, context, "regexp_extract_all")
    if parts is None:
        return _null(STRINGS)
    value, pattern, group, problem = parts
    if problem is not None:
        return _when_matched_error(value, pattern, problem, cast(exp.Array(expressions=[]), STRINGS), STRINGS)
    found = call("regexp_extract_all", value, text(pattern), number(group))
    lam = exp.Lambda(this=call("coalesce", exp.to_identifier("x"), text("")), expressions=[exp.to_identifier("x")])
    return typed(call("list_transform", found, lam), STRINGS)


@rule("regexp_count", nodes=(exp.RegexpCount,), returns=fixed(INT))
def _regexp_count(node: exp.RegexpCount, context: Context) -> exp.Expr:
    name = "regexp_count"
    regex = _pattern(node.expression, name)
    if regex is None:
        return _null(INT)
    value = as_string(node.this, context)
    pattern, _ = _extent_pattern(regex, name)
    return cast(call("len", call("regexp_extract_all", value, text(pattern), number(0))), INT)


@rule("regexp_instr", nodes=(exp.RegexpInstr,), returns=fixed(INT))
def _regexp_instr(node: exp.RegexpInstr, context: Context) -> exp.Expr:
    """The 1-based position of the first match (0 without one); `idx` is only checked against the groups."""
    name = "regexp_instr"
    regex = _pattern(node.expression, name)
    if regex is None:
        return _null(INT)
    value = as_string(node.this, context)
    index = _group_index(node.args.get("position"), name, 0)  # sqlglot reads Spark's idx as a position
    pattern, _ = _extent_pattern(regex, name)
    problem = _group_error(regex, index, name)
    if problem is not None:
        return _when_matched_error(value, pattern, problem, number(0), INT)
    before = call("regexp_extract", value, text(f"^(?s:(.*?))(?:{pattern})"), number(1))
    found = call("regexp_matches", value.copy(), text(pattern))
    position = when(found, exp.Add(this=call("length", before), expression=number(1)), number(0))
    return cast(when(exp.Is(this=value.copy(), expression=exp.Null()), exp.Null(), position), INT)


@rule("regexp_substr", nodes=(exp.RegexpSubstr,), returns=fixed(STRING))
def _regexp_substr(node: exp.RegexpSubstr, context: Context) -> exp.Expr:
    """The first match, NULL without one."""
    name = "regexp_substr"
    regex = _pattern(node.expression, name)
    if regex is None:
        return _null(STRING)
    value = as_string(node.this, context)
    pattern, has_break = _extent_pattern(regex, name, capture_body=True)
    found = call("regexp_matches", value, text(pattern))
    first = call("regexp_extract", value.copy(), text(pattern), number(1 if has_break else 0))
    return typed(when(found, first, exp.Null()), STRING)


# -- split --
@rule("split", nodes=(exp.RegexpSplit,), returns=fixed(STRINGS), note="keeps trailing empty strings, as Spark")
def _split(node: exp.RegexpSplit, context: Context) -> exp.Expr:
    """Java's Pattern.split with a negative limit (trailing empty strings kept), or at most `limit` parts."""
    name = "split"
    regex = _pattern(node.expression, name)
    limit_node = node.args.get("limit")
    if regex is None or (limit_node is not None and is_null(limit_node)):
        return _null(STRINGS)
    value = as_string(node.this, context)
    limit = as_bigint(limit_node, context) if limit_node is not None else number(-1)
    if regex.java == "":
        return _split_characters(value, limit)
    if regex.min_width == 0:
        raise refused(
            f"function {name}",
            f"the pattern {regex.java!r} can match an empty text, where Java splits "
            "between characters as RE2 does not; make it match one character at least",
        )
    pattern, has_break = _extent_pattern(regex, name)
    if has_break:
        raise refused(f"function {name}", "`$` in a split pattern; write \\z for the end of the text")
    return typed(call("spark_split", value, text(pattern), limit), STRINGS)


def _split_characters(value: exp.Expr, limit: exp.Expr) -> exp.Expr:
    """UTF8String.split with an empty pattern: one part per character, the last holding the rest."""
    return typed(call("spark_split_characters", value, limit), STRINGS)


macro(
    "spark_split_characters",
    "(s, lim) AS CASE WHEN s IS NULL OR lim IS NULL THEN NULL WHEN s = '' THEN [''] "
    "WHEN lim <= 0 OR lim >= length(s) THEN string_split(s, '') "
    "ELSE list_concat(string_split(left(s, CAST(lim AS BIGINT) - 1), ''), [substring(s, lim)]) END",
)
macro(
    "spark_split",
    "(s, p, lim) AS CASE WHEN s IS NULL OR lim IS NULL THEN NULL "
    "WHEN lim <= 0 OR len(regexp_split_to_array(s, p)) <= lim THEN regexp_split_to_array(s, p) "
    "ELSE list_concat(regexp_split_to_array(s, p)[1:lim - 1], [array_to_string(list_transform("
    "range(lim, len(regexp_split_to_array(s, p)) + 1), lambda i: regexp_split_to_array(s, p)[i] "
    "|| coalesce(regexp_extract_all(s, p, 0)[i], '')), '')]) END",
)
