"""Encodings with Spark's answers: URL encoding as Java's URLEncoder writes it, base64 as Java's MIME encoder
and decoder, hex and unhex, encode and decode (UTF-8), to_binary and binary literals, and UTF-8 validity."""

from __future__ import annotations

from sqlglot import exp

from lakeloader.sql import types
from lakeloader.sql.context import Context, call, typed, when
from lakeloader.sql.functions.strings import (
    BINARY,
    BOOLEAN,
    STRING,
    as_bigint,
    as_binary,
    as_string,
    fixed,
    is_binary,
    literal_text,
    refused,
    spark_call,
    text,
)
from lakeloader.sql.registry import refuse, rule
from lakeloader.sql.runtime import macro

# -- macros --------------------------------------------------------------------------------------------------------
_URL_ENCODE = macro(  # Java's URLEncoder: space is +, * stays, ~ is escaped
    "spark_url_encode",
    "(s) AS replace(replace(replace(url_encode(s), '%20', '+'), '%2A', '*'), '~', '%7E')",
)
_URL_INVALID = "'%(?:[^0-9A-Fa-f+]|[0-9A-Fa-f+](?:[^0-9A-Fa-f]|\\z)|\\z)'"
_URL_DECODE = macro(
    "spark_url_decode",
    f"(s, safe) AS CASE WHEN s IS NULL THEN NULL WHEN regexp_matches(s, {_URL_INVALID}) THEN CASE WHEN safe "
    "THEN NULL ELSE error('[CANNOT_DECODE_URL] The provided URL cannot be decoded: ' || s || '. Please ensure that "
    "the URL is properly formatted and try again.') END "
    "ELSE url_decode(regexp_replace(replace(s, '+', '%20'), '%\\+([0-9A-Fa-f])', '%0\\1', 'g')) END",
)
_BASE64 = macro(  # java.util.Base64's MIME encoder: lines of 76 characters joined by CRLF
    "spark_base64",
    "(b) AS rtrim(regexp_replace(to_base64(b), '(.{76})', '\\1' || chr(13) || chr(10), 'g'), chr(13) || chr(10))",
)
_B64_LETTERS = "'[^A-Za-z0-9+/]'"
_UNBASE64_ERROR = macro(  # what java.util.Base64's MIME decoder rejects, as its message (None when it decodes)
    "spark_unbase64_error",
    "(s) AS CASE "
    f"WHEN NOT contains(s, '=') THEN CASE WHEN length(regexp_replace(s, {_B64_LETTERS}, '', 'g')) % 4 = 1 "
    "THEN 'Last unit does not have enough valid bits' END "
    f"WHEN length(regexp_replace(split_part(s, '=', 1), {_B64_LETTERS}, '', 'g')) % 4 = 0 "
    "THEN 'Input byte array has wrong 4-byte ending unit' "
    f"WHEN length(regexp_replace(split_part(s, '=', 1), {_B64_LETTERS}, '', 'g')) % 4 = 1 "
    "THEN 'Last unit does not have enough valid bits' "
    f"WHEN length(regexp_replace(split_part(s, '=', 1), {_B64_LETTERS}, '', 'g')) % 4 = 2 "
    "AND substring(s, strpos(s, '=') + 1, 1) <> '=' THEN 'Input byte array has wrong 4-byte ending unit' "
    "WHEN regexp_matches(substring(s, strpos(s, '=') + CASE WHEN length(regexp_replace(split_part(s, '=', 1), "
    f"{_B64_LETTERS}, '', 'g')) % 4 = 2 THEN 2 ELSE 1 END), '[A-Za-z0-9+/]') "
    "THEN 'Input byte array has incorrect ending byte' END",
)
_UNBASE64_VALUE = macro(
    "spark_unbase64_value",
    f"(s) AS from_base64(rpad(regexp_replace(split_part(s, '=', 1), {_B64_LETTERS}, '', 'g'), "
    f"CAST(ceil(length(regexp_replace(split_part(s, '=', 1), {_B64_LETTERS}, '', 'g')) / 4) * 4 AS INTEGER), '='))",
)
_UNBASE64 = macro(
    "spark_unbase64",
    f"(s) AS CASE WHEN s IS NULL THEN NULL WHEN {_UNBASE64_ERROR}(s) IS NOT NULL "
    f"THEN error('[INVALID_BASE_ENCODING] unbase64: ' || {_UNBASE64_ERROR}(s)) ELSE {_UNBASE64_VALUE}(s) END",
)
_HEX_TEXT = "'^[0-9A-Fa-f]*$'"
_UNHEX = macro("spark_unhex", f"(s) AS CASE WHEN regexp_matches(s, {_HEX_TEXT}) THEN unhex(s) END")
_DECODE_UTF8 = macro(
    "spark_decode_utf8",
    "(b) AS CASE WHEN b IS NOT NULL AND try(decode(b)) IS NULL THEN error('[MALFORMED_CHARACTER_CODING] Invalid "
    "value found when performing `decode` with UTF-8') ELSE decode(b) END",
)


# -- rules -----------------------------------------------------------------------------------------------------------
@rule("url_encode", returns=fixed(STRING))
def _url_encode(node: exp.Anonymous, context: Context) -> exp.Expr:
    """application/x-www-form-urlencoded as Java's URLEncoder writes it (space is +, * stays, ~ is %7E)."""
    return spark_call(_URL_ENCODE, as_string(node.expressions[0], context))


@rule("url_decode", returns=fixed(STRING))
def _url_decode(node: exp.Anonymous, context: Context) -> exp.Expr:
    """+ is a space; a malformed escape is CANNOT_DECODE_URL."""
    return spark_call(_URL_DECODE, as_string(node.expressions[0], context), exp.false())


@rule("try_url_decode", returns=fixed(STRING))
def _try_url_decode(node: exp.Anonymous, context: Context) -> exp.Expr:
    return spark_call(_URL_DECODE, as_string(node.expressions[0], context), exp.true())


@rule("base64", nodes=(exp.ToBase64,), returns=fixed(STRING))
def _base64(node: exp.ToBase64, context: Context) -> exp.Expr:
    """Base64 in lines of 76 characters joined by CRLF (Spark's MIME encoder)."""
    return spark_call(_BASE64, as_binary(as_string(node.this, context) if not is_binary(node.this) else node.this))


@rule("unbase64", nodes=(exp.FromBase64,), returns=fixed(BINARY))
def _unbase64(node: exp.FromBase64, context: Context) -> exp.Expr:
    """Java's MIME decoder: characters outside the alphabet are skipped, padding is checked."""
    return spark_call(_UNBASE64, as_string(node.this, context), returns=BINARY)


@rule("hex", nodes=(exp.Hex,), returns=fixed(STRING))
def _hex(node: exp.Hex, context: Context) -> exp.Expr:
    """Upper-case hex of a long (two's complement when negative), of a string's UTF-8 bytes, or of a binary."""
    value = node.this
    if is_binary(value) or types.is_string(value.type) or not types.is_known(value.type):
        return spark_call("hex", value)
    if types.is_numeric(value.type):
        return spark_call("hex", as_bigint(value, context))
    return spark_call("hex", as_string(value, context))


@rule("unhex", nodes=(exp.Unhex,), returns=fixed(BINARY))
def _unhex(node: exp.Unhex, context: Context) -> exp.Expr:
    """Bytes from hex digits (an odd count gets a leading 0); NULL when a character is not a hex digit."""
    return spark_call(_UNHEX, as_string(node.this, context), returns=BINARY)


_CHARSETS = ("us-ascii", "iso-8859-1", "utf-8", "utf-16be", "utf-16le", "utf-16", "utf-32")


def _charset(node: exp.Expr, name: str) -> str:
    charset = literal_text(node)
    if charset is None:
        raise refused(f"function {name}", "the charset must be a literal")
    if charset.lower() not in _CHARSETS:
        raise refused(f"function {name}", f"charset {charset!r} is not one Spark knows ({', '.join(_CHARSETS)})")
    if charset.lower() != "utf-8":
        raise refused(f"function {name}", f"only UTF-8 is supported, not {charset}")
    return charset


@rule("encode", nodes=(exp.Encode,), returns=fixed(BINARY))
def _encode(node: exp.Encode, context: Context) -> exp.Expr:
    _charset(node.args["charset"], "encode")
    return as_binary(as_string(node.this, context))


@rule("decode", nodes=(exp.Decode,), returns=fixed(STRING))
def _decode(node: exp.Decode, context: Context) -> exp.Expr:
    _charset(node.args["charset"], "decode")
    value = node.this
    if not is_binary(value):
        value = as_binary(as_string(value, context))
    return spark_call(_DECODE_UTF8, value)


def _to_binary(node: exp.Expr, context: Context, *, safe: bool) -> exp.Expr:
    name = "try_to_binary" if safe else "to_binary"
    args = list(node.expressions) if isinstance(node, exp.Anonymous) else [node.this, node.args.get("format")]
    value = as_string(args[0], context)
    form = "hex" if len(args) < 2 or args[1] is None else literal_text(args[1])
    if form is None:
        raise refused(f"function {name}", "the format must be a literal ('hex', 'utf-8', 'utf8' or 'base64')")
    form = form.lower()
    if form in ("utf-8", "utf8"):
        return as_binary(value)
    if form == "hex":
        invalid = exp.Not(this=call("regexp_matches", value, text("^[0-9A-Fa-f]*$")))
        decoded: exp.Expr = call("unhex", value.copy())
    elif form == "base64":
        invalid = exp.Not(this=exp.Is(this=call(_UNBASE64_ERROR, value), expression=exp.Null()))
        decoded = call(_UNBASE64_VALUE, value.copy())
    else:
        raise refused(f"function {name}", f"format {form!r} is not one of 'hex', 'utf-8', 'utf8', 'base64'")
    bad: exp.Expr = exp.Null()
    if not safe:
        bad = call("error", exp.DPipe(this=exp.DPipe(this=text("[CONVERSION_INVALID_INPUT] The value '"),
                                                     expression=value.copy()),
                                      expression=text(f"' ('{form.upper()}') cannot be converted to \"BINARY\" "
                                                      "because it is malformed.")))  # fmt: skip
    return typed(when(invalid, bad, decoded), BINARY)


@rule("to_binary", nodes=(exp.ToBinary,), returns=fixed(BINARY))
def _to_binary_rule(node: exp.ToBinary, context: Context) -> exp.Expr:
    return _to_binary(node, context, safe=False)


@rule("try_to_binary", returns=fixed(BINARY))
def _try_to_binary(node: exp.Anonymous, context: Context) -> exp.Expr:
    return _to_binary(node, context, safe=True)


@rule("X''", nodes=(exp.HexString,), returns=fixed(BINARY))
def _binary_literal(node: exp.HexString, context: Context) -> exp.Expr:
    """A binary literal X'0A1B'."""
    return spark_call("unhex", text(str(node.this)), returns=BINARY)


@rule("is_valid_utf8", returns=fixed(BOOLEAN))
def _is_valid_utf8(node: exp.Anonymous, context: Context) -> exp.Expr:
    """DuckDB holds only valid UTF-8 text, so every string is valid."""
    value = as_string(node.expressions[0], context)
    return typed(when(exp.Is(this=value, expression=exp.Null()), exp.Null(), exp.true()), BOOLEAN)


def _valid_as_is(node: exp.Anonymous, context: Context) -> exp.Expr:
    return as_string(node.expressions[0], context)


rule("make_valid_utf8", returns=fixed(STRING))(_valid_as_is)
rule("validate_utf8", returns=fixed(STRING))(_valid_as_is)
rule("try_validate_utf8", returns=fixed(STRING))(_valid_as_is)


refuse("to_base32", "from_base32", why="not supported yet: use base64() and unbase64()")
