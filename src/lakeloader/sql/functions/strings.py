"""String functions with Spark's answers: NULL in concat, lengths in code points, Java's case mappings, padding
and trimming as UTF8String does them; substrings and positions in `strings_positions`, encodings (base64, hex,
URLs, charsets, binary) in `strings_encoding`, split and the regexp family with Java's regular expressions
(`strings_regex`), number formatting (`strings_format`)."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, cast, typed, when
from lakeloader.sql.functions import java_text
from lakeloader.sql.registry import REGISTRY, Returns, Rule, refuse, rule
from lakeloader.sql.runtime import macro

T = exp.DType
STRING = types.of("string")
INT = types.of("int")
BOOLEAN = types.of("boolean")
BINARY = types.of("binary")
_BIGINT = exp.DataType.build("BIGINT")


# -- helpers shared by the string modules ------------------------------------------------------------------------
def text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def number(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def literal_text(node: exp.Expr | None) -> str | None:
    """The value of a string literal argument, else None."""
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    return None


def is_binary(node: exp.Expr) -> bool:
    return types.kind(node.type) in (T.BINARY, T.VARBINARY)


def is_null(node: exp.Expr) -> bool:
    return isinstance(node, exp.Null)


def as_string(node: exp.Expr, context: Context) -> exp.Expr:
    """`node` as Spark implicitly casts a string function's argument to a string (numbers, dates, booleans), by
    the translator's own CAST rule (so a number is written as Spark writes it, or the cast is refused)."""
    t = node.type
    if is_null(node):
        return cast(node, "string")
    if t is None or not types.is_known(t) or types.is_string(t):
        return node
    made = exp.Cast(this=node, to=STRING.copy())
    made.type = STRING.copy()
    cast_rule = REGISTRY.by_node.get(exp.Cast)
    if cast_rule is not None and cast_rule.rewrite is not None:
        return cast_rule.rewrite(made, context)
    return made


def as_bigint(node: exp.Expr, context: Context) -> exp.Expr:
    """An int argument (a position, a length, a count) as a DuckDB BIGINT; a fraction is truncated as Spark's
    implicit cast to int does."""
    if is_null(node):
        return exp.Cast(this=node, to=_BIGINT.copy())
    if not types.is_integral(node.type) and types.is_numeric(node.type):
        made = exp.Cast(this=node, to=INT.copy())
        made.type = INT.copy()
        cast_rule = REGISTRY.by_node.get(exp.Cast)
        if cast_rule is not None and cast_rule.rewrite is not None:
            node = cast_rule.rewrite(made, context)
    return exp.Cast(this=node, to=_BIGINT.copy())


def as_binary(node: exp.Expr) -> exp.Expr:
    """A string as its UTF-8 bytes (Spark's cast of a string to binary)."""
    if is_binary(node):
        return node
    return typed(call("encode", node), BINARY)


def refused(what: str, why: str) -> Exception:
    from lakeloader.sql.translate import TranslateError

    return TranslateError(f"{what}: {why}; rewrite that part of the query")


def spark_call(name: str, *args: exp.Expr, returns: exp.DataType = STRING) -> exp.Expr:
    return typed(call(name, *args), returns)


def fixed(spark_type: exp.DataType) -> Returns:
    """A rule's `returns`: always `spark_type`."""
    return lambda node: spark_type.copy()


def string_or_binary(node: exp.Expr) -> exp.DataType:
    args = [a for a in node.iter_expressions() if not is_null(a)]
    return BINARY.copy() if args and all(is_binary(a) for a in args) else STRING.copy()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- macros --------------------------------------------------------------------------------------------------------
_PAD_CHECKS = "s IS NULL OR n IS NULL OR p IS NULL THEN NULL WHEN n <= 0 THEN '' WHEN p = '' OR n <= length(s)"
_LPAD = macro(
    "spark_lpad", f"(s, n, p) AS CASE WHEN {_PAD_CHECKS} THEN left(s, n) ELSE lpad(s, CAST(n AS INTEGER), p) END"
)
_RPAD = macro(
    "spark_rpad", f"(s, n, p) AS CASE WHEN {_PAD_CHECKS} THEN left(s, n) ELSE rpad(s, CAST(n AS INTEGER), p) END"
)
_REVERSE = macro("spark_reverse", "(s) AS array_to_string(list_reverse(string_split(s, '')), '')")


def _replace_chain(subject: str, mapping: dict[str, str]) -> str:
    for source, target in mapping.items():
        subject = f"replace({subject}, {_sql_text(source)}, {_sql_text(target)})"
    return subject


def _class_of(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(chars)) + "]"


UPPER = macro(  # Java's full upper case: the special mappings first (ß → SS), then DuckDB's
    "spark_upper",
    f"(s) AS CASE WHEN regexp_matches(s, '{_class_of(list(java_text.UPPER))}') "
    f"THEN upper({_replace_chain('s', java_text.UPPER)}) ELSE upper(s) END",
)
# Java lowers Σ to ς under Unicode's Final_Sigma condition: a cased letter before it and none after it, with only
# case-ignorable characters (marks, format characters, modifiers, Word_Break MidLetter, MidNumLet and
# Single_Quote: ' . :) in between; a digit or '_' ends the context (`lower('a9Σ')` is `a9σ`). Every other Σ is σ:
# DuckDB's lower has a final-sigma rule of its own, so no Σ is left to it.
_CASED = (  # with Other_Lowercase and Other_Uppercase letters outside Lu, Ll, Lt: ª º Ⅰ ⓐ Ⓐ 🄰
    r"\p{Lu}\p{Ll}\p{Lt}\x{aa}\x{ba}\x{2160}-\x{217f}\x{24b6}-\x{24e9}\x{1f130}-\x{1f149}\x{1f150}-\x{1f169}"
    r"\x{1f170}-\x{1f189}"
)
_IGNORABLE = r"\p{Mn}\p{Me}\p{Cf}\p{Lm}\p{Sk}" + "".join(
    f"\\x{{{c:x}}}" for c in (0x27, 0x2E, 0x3A, 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027)
)
_FINAL_SIGMA = rf"([{_CASED}][{_IGNORABLE}]*)\x{{3a3}}([{_IGNORABLE}]*)(\z|[^{_CASED}{_IGNORABLE}])"
LOWER = macro(  # Java's lower case: İ → i̇, Σ → ς at the end of a word, σ elsewhere
    "spark_lower",
    "(s) AS lower(CASE WHEN contains(s, 'Σ') "
    f"THEN replace(regexp_replace(replace(s, 'İ', 'i̇'), {_sql_text(_FINAL_SIGMA)}, '\\1ς\\2\\3', 'g'), 'Σ', 'σ') "
    "ELSE replace(s, 'İ', 'i̇') END)",
)
_TITLE_FIRST = macro(
    "spark_title_first",
    f"(c) AS CASE WHEN regexp_matches(c, '{_class_of(list(java_text.TITLE))}') "
    f"THEN {_replace_chain('c', java_text.TITLE)} ELSE {UPPER}(c) END",
)
_INITCAP = macro(  # words are split on ' ' only; the first letter title-cased, the rest lowered in context
    "spark_initcap",
    "(s) AS array_to_string(list_transform(string_split(s, ' '), lambda w: CASE WHEN w = '' THEN '' "
    f"ELSE {_TITLE_FIRST}(left(w, 1)) || substring({LOWER}(w), length({LOWER}(left(w, 1))) + 1) END), ' ')",
)
_SOUNDEX_MAP = "01230127022455012623017202"  # Spark's US_ENGLISH_MAPPING: 0 vowels, 7 for H and W
_SOUNDEX_CODES = macro(  # the codes after the first letter: a non-letter resets (as a vowel does), H and W vanish
    "spark_soundex_codes",
    "(s) AS replace(translate(upper(regexp_replace(substring(s, 2), '[^A-Za-z]', '0', 'g')), "
    f"'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '{_SOUNDEX_MAP}'), '7', '')",
)
_SOUNDEX_RUNS = "(x)"
for _digit in "0123456":
    _SOUNDEX_RUNS = f"regexp_replace({_SOUNDEX_RUNS}, '{_digit}+', '{_digit}', 'g')"
_SOUNDEX_COLLAPSE = macro("spark_soundex_collapse", f"(x) AS {_SOUNDEX_RUNS}")
_SOUNDEX = macro(
    "spark_soundex",
    "(s) AS CASE WHEN s IS NULL THEN NULL WHEN NOT regexp_matches(s, '^[A-Za-z]') THEN s "
    "ELSE upper(left(s, 1)) || rpad(left(replace(substring("
    f"{_SOUNDEX_COLLAPSE}(translate(upper(left(s, 1)), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '{_SOUNDEX_MAP}') "
    f"|| {_SOUNDEX_CODES}(s)), 2), '0', ''), 3), 3, '0') END",
)
_LUHN = macro(
    "spark_luhn_check",
    "(s) AS CASE WHEN s IS NULL THEN NULL WHEN NOT regexp_matches(s, '^[0-9]+$') THEN false "
    "ELSE list_sum(list_transform(list_reverse(string_split(s, '')), lambda c, i: CASE WHEN i % 2 = 0 "
    "THEN (CAST(c AS INTEGER) * 2) // 10 + (CAST(c AS INTEGER) * 2) % 10 ELSE CAST(c AS INTEGER) END)) % 10 = 0 END",
)
_MASK = macro(  # Spark's mask: upper-case letters (Lu), lower-case (Ll), decimal digits (Nd), the rest; NULL keeps
    "spark_mask",
    "(s, u, l, d, o) AS array_to_string(list_transform(string_split(s, ''), lambda c: "
    "CASE WHEN regexp_matches(c, '\\p{Lu}') THEN coalesce(u, c) WHEN regexp_matches(c, '\\p{Ll}') THEN coalesce(l, c) "
    "WHEN regexp_matches(c, '\\p{Nd}') THEN coalesce(d, c) ELSE coalesce(o, c) END), '')",
)
_QUOTE = macro("spark_quote", "(s) AS '''' || replace(s, '''', '\\''') || ''''")


# -- rules -----------------------------------------------------------------------------------------------------------
def _concat_args(args: list[exp.Expr], context: Context) -> tuple[list[exp.Expr], exp.DataType]:
    if args and all(is_binary(a) for a in args):
        return args, BINARY
    return [as_string(a, context) for a in args], STRING


def _chain(args: list[exp.Expr], empty: exp.Expr) -> exp.Expr:
    if not args:
        return empty
    out = args[0]
    for arg in args[1:]:
        out = exp.DPipe(this=out, expression=arg)
    return exp.Paren(this=out) if len(args) > 1 else out


def _previous(node_class: type[exp.Expr]) -> Rule | None:
    """The rule another family registered for `node_class` before this module (concat of arrays, reverse of an
    array): string arguments are ours, the rest stays theirs."""
    found = REGISTRY.by_node.get(node_class)
    return found if found is not None and found.rewrite is not None else None


def _arrays(node: exp.Expr) -> bool:
    return any(types.kind(a.type) == T.ARRAY for a in node.iter_expressions())


def _array_concat(args: list[exp.Expr], spark_type: exp.DataType | None) -> exp.Expr:
    """concat of arrays: NULL when any is NULL (used only when no collections rule is registered)."""
    out: exp.Expr = call("list_concat", *args[:2]) if len(args) > 1 else args[0]
    for arg in args[2:]:
        out = call("list_concat", out, arg)
    nulls = [exp.Is(this=a.copy(), expression=exp.Null()) for a in args]
    any_null: exp.Expr = nulls[0]
    for more in nulls[1:]:
        any_null = exp.Or(this=any_null, expression=more)
    return typed(when(any_null, exp.Null(), out), spark_type)


_PREVIOUS_CONCAT = _previous(exp.Concat)
_PREVIOUS_DPIPE = _previous(exp.DPipe)
_PREVIOUS_REVERSE = _previous(exp.Reverse)


@rule("concat", nodes=(exp.Concat,), returns=string_or_binary)
def _concat(node: exp.Concat, context: Context) -> exp.Expr:
    """concat: NULL when any argument is NULL (DuckDB's concat skips NULLs; its `||` does not)."""
    args = list(node.expressions)
    if _arrays(node):
        if _PREVIOUS_CONCAT is not None and _PREVIOUS_CONCAT.rewrite is not None:
            return _PREVIOUS_CONCAT.rewrite(node, context)
        return _array_concat(args, node.type)
    parts, spark_type = _concat_args(args, context)
    empty = exp.Cast(this=text(""), to=exp.DataType.build("BLOB")) if spark_type == BINARY else text("")
    return typed(_chain(parts, empty), spark_type)


@rule("||", nodes=(exp.DPipe,), returns=string_or_binary)
def _pipes(node: exp.DPipe, context: Context) -> exp.Expr:
    if _arrays(node):
        if _PREVIOUS_DPIPE is not None and _PREVIOUS_DPIPE.rewrite is not None:
            return _PREVIOUS_DPIPE.rewrite(node, context)
        return _array_concat([node.this, node.expression], node.type)
    parts, spark_type = _concat_args([node.this, node.expression], context)
    return typed(_chain(parts, text("")), spark_type)


@rule("concat_ws", nodes=(exp.ConcatWs,), returns=fixed(STRING))
def _concat_ws(node: exp.ConcatWs, context: Context) -> exp.Expr:
    """concat_ws(sep, ...): NULL arguments and NULL array elements are skipped; arrays are flattened."""
    separator, *args = node.expressions
    lists: list[exp.Expr] = []
    for arg in args:
        if is_null(arg):
            continue
        if types.kind(arg.type) == T.ARRAY:
            lists.append(call("coalesce", arg, exp.Cast(this=exp.Array(expressions=[]),
                                                        to=exp.DataType.build("VARCHAR[]"))))  # fmt: skip
        else:
            lists.append(exp.Array(expressions=[as_string(arg, context)]))
    if not lists:
        joined: exp.Expr = text("")
    else:
        flat = call("flatten", exp.Array(expressions=lists))
        lam = exp.Lambda(
            this=exp.Not(this=exp.Is(this=exp.to_identifier("x"), expression=exp.Null())),
            expressions=[exp.to_identifier("x")],
        )
        joined = call("array_to_string", call("list_filter", flat, lam), as_string(separator, context))
    return typed(when(exp.Is(this=separator.copy(), expression=exp.Null()), exp.Null(), joined), STRING)


@rule("length", "char_length", "character_length", "len", nodes=(exp.Length,), returns=fixed(INT))
def _length(node: exp.Length, context: Context) -> exp.Expr:
    """Characters (code points) of a string, bytes of a binary."""
    value = node.this
    counted = call("octet_length", value) if is_binary(value) else call("length", as_string(value, context))
    return cast(counted, INT)


@rule("octet_length", returns=fixed(INT))
def _octet_length(node: exp.Anonymous, context: Context) -> exp.Expr:
    value = node.expressions[0]
    counted = call("octet_length", value) if is_binary(value) else call("strlen", as_string(value, context))
    return cast(counted, INT)


@rule("bit_length", nodes=(exp.BitLength,), returns=fixed(INT))
def _bit_length(node: exp.BitLength, context: Context) -> exp.Expr:
    value = node.this
    counted = call("octet_length", value) if is_binary(value) else call("strlen", as_string(value, context))
    return cast(exp.Mul(this=counted, expression=number(8)), INT)


@rule("upper", "ucase", nodes=(exp.Upper,), returns=fixed(STRING))
def _upper(node: exp.Upper, context: Context) -> exp.Expr:
    return spark_call(UPPER, as_string(node.this, context))


@rule("lower", "lcase", nodes=(exp.Lower,), returns=fixed(STRING))
def _lower(node: exp.Lower, context: Context) -> exp.Expr:
    return spark_call(LOWER, as_string(node.this, context))


@rule("initcap", nodes=(exp.Initcap,), returns=fixed(STRING), note="words are separated by spaces only")
def _initcap(node: exp.Initcap, context: Context) -> exp.Expr:
    return spark_call(_INITCAP, as_string(node.this, context))


@rule("lpad", "rpad", nodes=(exp.Pad,), returns=fixed(STRING))
def _pad(node: exp.Pad, context: Context) -> exp.Expr:
    """UTF8String.lpad/rpad: a length at or below the string's truncates it, an empty pad leaves it as it is."""
    name = "lpad" if node.args.get("is_left") else "rpad"
    value, fill = node.this, node.args.get("fill_pattern")
    if is_binary(value) or (fill is not None and is_binary(fill)):
        raise refused(f"function {name}", "padding a binary value is not supported; pad its hex() text instead")
    pad = as_string(fill, context) if fill is not None else text(" ")
    macro_name = _LPAD if node.args.get("is_left") else _RPAD
    return spark_call(macro_name, as_string(value, context), as_bigint(node.expression, context), pad)


@rule("trim", "ltrim", "rtrim", nodes=(exp.Trim,), returns=fixed(STRING))
def _trim(node: exp.Trim, context: Context) -> exp.Expr:
    """trim removes spaces (U+0020) only, or the characters of a given set, from one or both ends."""
    position = str(node.args.get("position") or "BOTH").upper()
    name = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "trim")
    value = as_string(node.this, context)
    chars = node.args.get("expression")
    return spark_call(name, value, text(" ") if chars is None else as_string(chars, context))


@rule("btrim", returns=fixed(STRING))
def _btrim(node: exp.Anonymous, context: Context) -> exp.Expr:
    args = [as_string(a, context) for a in node.expressions]
    return spark_call("trim", *args, *([text(" ")] if len(args) == 1 else []))


@rule("replace", nodes=(exp.Replace,), returns=fixed(STRING))
def _replace(node: exp.Replace, context: Context) -> exp.Expr:
    replacement = node.args.get("replacement")
    with_text = as_string(replacement, context) if replacement is not None else text("")
    return spark_call("replace", as_string(node.this, context), as_string(node.expression, context), with_text)


@rule("translate", nodes=(exp.Translate,), returns=fixed(STRING))
def _translate(node: exp.Translate, context: Context) -> exp.Expr:
    return spark_call(
        "translate",
        as_string(node.this, context),
        as_string(node.args["from_"], context),
        as_string(node.args["to"], context),
    )


@rule("repeat", nodes=(exp.Repeat,), returns=fixed(STRING))
def _repeat(node: exp.Repeat, context: Context) -> exp.Expr:
    """A negative count repeats nothing (as DuckDB does)."""
    return spark_call("repeat", as_string(node.this, context), as_bigint(node.args["times"], context))


@rule("space", nodes=(exp.Space,), returns=fixed(STRING))
def _space(node: exp.Space, context: Context) -> exp.Expr:
    return spark_call("repeat", text(" "), as_bigint(node.this, context))


@rule("reverse", nodes=(exp.Reverse,), returns=lambda node: node.this.type if _arrays(node) else STRING.copy())
def _reverse(node: exp.Reverse, context: Context) -> exp.Expr:
    """Code points in reverse order (DuckDB's reverse keeps grapheme clusters together)."""
    if _arrays(node):
        if _PREVIOUS_REVERSE is not None and _PREVIOUS_REVERSE.rewrite is not None:
            return _PREVIOUS_REVERSE.rewrite(node, context)
        return typed(call("list_reverse", node.this), node.this.type)
    if is_binary(node.this):
        raise refused("function reverse", "reversing a binary value is not supported")
    return spark_call(_REVERSE, as_string(node.this, context))


@rule("ascii", nodes=(exp.Ascii,), returns=fixed(INT))
def _ascii(node: exp.Ascii, context: Context) -> exp.Expr:
    """The first character's code point; 0 for ''."""
    return cast(call("ascii", as_string(node.this, context)), INT)


@rule("chr", "char", nodes=(exp.Chr,), returns=fixed(STRING))
def _chr(node: exp.Chr, context: Context) -> exp.Expr:
    """The character of (n mod 256); '' for a negative n."""
    value = as_bigint(node.expressions[0], context)
    low_byte = exp.Cast(this=exp.BitwiseAnd(this=value, expression=number(255)), to=exp.DataType.build("INTEGER"))
    negative = exp.LT(this=value.copy(), expression=number(0))
    return typed(when(negative, text(""), call("chr", low_byte)), STRING)


@rule("levenshtein", nodes=(exp.Levenshtein,), returns=fixed(INT))
def _levenshtein(node: exp.Levenshtein, context: Context) -> exp.Expr:
    """Edit distance in characters; with a threshold, -1 when the distance is over it."""
    distance = call("levenshtein", as_string(node.this, context), as_string(node.expression, context))
    threshold = node.args.get("ins_cost")  # sqlglot reads Spark's third argument as an insertion cost
    if threshold is None:
        return cast(distance, INT)
    limit = as_bigint(threshold, context)
    over = when(exp.GT(this=distance, expression=limit), number(-1), distance.copy())
    return cast(when(exp.Is(this=limit.copy(), expression=exp.Null()), exp.Null(), over), INT)


@rule("soundex", nodes=(exp.Soundex,), returns=fixed(STRING))
def _soundex(node: exp.Soundex, context: Context) -> exp.Expr:
    return spark_call(_SOUNDEX, as_string(node.this, context))


@rule("contains", nodes=(exp.Contains,), returns=fixed(BOOLEAN))
def _contains(node: exp.Contains, context: Context) -> exp.Expr:
    return _text_predicate("contains", node.this, node.expression, context)


@rule("startswith", nodes=(exp.StartsWith,), returns=fixed(BOOLEAN))
def _startswith(node: exp.StartsWith, context: Context) -> exp.Expr:
    return _text_predicate("starts_with", node.this, node.expression, context)


@rule("endswith", nodes=(exp.EndsWith,), returns=fixed(BOOLEAN))
def _endswith(node: exp.EndsWith, context: Context) -> exp.Expr:
    return _text_predicate("ends_with", node.this, node.expression, context)


def _text_predicate(name: str, left: exp.Expr, right: exp.Expr, context: Context) -> exp.Expr:
    if is_binary(left) or is_binary(right):
        hexed = [call("hex", as_binary(a)) for a in (left, right)]
        if name == "contains":  # byte offsets must stay even: search the hex text two digits at a time
            raise refused("function contains", "a binary argument is not supported; compare hex() texts")
        return spark_call(name, *hexed, returns=BOOLEAN)
    return spark_call(name, as_string(left, context), as_string(right, context), returns=BOOLEAN)


@rule("elt", nodes=(exp.Elt,), returns=string_or_binary)
def _elt(node: exp.Elt, context: Context) -> exp.Expr:
    """The n-th argument; an n out of range is INVALID_ARRAY_INDEX in ANSI mode, else NULL."""
    index = as_bigint(node.this, context)
    args, spark_type = _concat_args(list(node.expressions), context)
    outside: exp.Expr = exp.Null()
    if context.ansi:
        outside = call("error", exp.DPipe(
            this=exp.DPipe(this=text("[INVALID_ARRAY_INDEX] The index "), expression=exp.Cast(
                this=index.copy(), to=exp.DataType.build("VARCHAR"))),
            expression=text(f" is out of bounds. The array has {len(args)} elements."),
        ))  # fmt: skip
    choices = [exp.If(this=exp.EQ(this=index.copy(), expression=number(i + 1)), true=arg) for i, arg in enumerate(args)]
    chosen = exp.Case(ifs=choices, default=outside)
    return typed(when(exp.Is(this=index.copy(), expression=exp.Null()), exp.Null(), chosen), spark_type)


@rule("luhn_check", returns=fixed(BOOLEAN))
def _luhn_check(node: exp.Anonymous, context: Context) -> exp.Expr:
    return spark_call(_LUHN, as_string(node.expressions[0], context), returns=BOOLEAN)


@rule("mask", returns=fixed(STRING))
def _mask(node: exp.Anonymous, context: Context) -> exp.Expr:
    """Upper-case letters to X, lower-case to x, digits to n (each replacement a character, NULL to keep)."""
    value, *given = node.expressions
    defaults: list[exp.Expr] = [text("X"), text("x"), text("n"), exp.Null()]
    names = ("upperChar", "lowerChar", "digitChar", "otherChar")
    chars: list[exp.Expr] = []
    for i, default in enumerate(defaults):
        arg = given[i] if i < len(given) else default
        if not is_null(arg):
            value_text = literal_text(arg)
            if value_text is None:
                raise refused("function mask", f"{names[i]} must be a literal character or NULL")
            if len(value_text) != 1:
                raise refused("function mask", f"{names[i]} must be one character (Spark: INPUT_SIZE_NOT_ONE)")
        chars.append(cast(arg, STRING) if is_null(arg) else arg)
    return spark_call(_MASK, as_string(value, context), *chars)


@rule("quote", returns=fixed(STRING))
def _quote(node: exp.Anonymous, context: Context) -> exp.Expr:
    """The text in single quotes, a quote inside escaped with a backslash."""
    return spark_call(_QUOTE, as_string(node.expressions[0], context))


@rule("collation", nodes=(exp.Collation,), returns=fixed(STRING))
def _collation(node: exp.Collation, context: Context) -> exp.Expr:
    """Every string here has Spark's default collation."""
    return typed(text("SYSTEM.BUILTIN.UTF8_BINARY"), STRING)


@rule("jaro_winkler_similarity", returns=fixed(types.of("double")))
def _jaro_winkler(node: exp.Anonymous, context: Context) -> exp.Expr:
    left, right = (as_string(a, context) for a in node.expressions[:2])
    both_empty = exp.And(
        this=exp.EQ(this=left, expression=text("")), expression=exp.EQ(this=right, expression=text(""))
    )
    similarity = call("jaro_winkler_similarity", left.copy(), right.copy())
    return typed(when(both_empty, exp.Literal.number("1.0"), similarity), types.of("double"))


refuse("sentences", why="not supported: it needs Java's BreakIterator for words and sentences; split with "
       "split(s, '[.!?]\\\\s*') and split(part, '\\\\W+')")  # fmt: skip
refuse("randstr", why="not supported: Spark's random generator cannot be reproduced; use uuid() or a hash")
refuse("collate", why="not supported: lakeloader strings have Spark's default collation (UTF8_BINARY) only; for "
       "a case-insensitive comparison compare lower(a) = lower(b)")  # fmt: skip
