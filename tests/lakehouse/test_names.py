"""Name rules, backtick parsing and quoting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeloader.errors import NameError_
from lakeloader.lakehouse import names

valid_name = st.from_regex(r"\A[a-z0-9_][a-z0-9_\-]{0,20}\Z")


def test_leading_digit_names_are_valid_and_quoted_in_sql() -> None:
    full = names.parse_object_name("kardia.00_landing.raw")
    assert str(full) == "kardia.00_landing.raw"
    assert full.sql == "kardia.`00_landing`.raw"


def test_backticks_and_case() -> None:
    assert names.parse_object_name("`Kardia`.`01_bronze`.Events") == names.FullName("kardia", "01_bronze", "events")


def test_two_level_names_resolve_against_current_catalog() -> None:
    assert str(names.parse_object_name("kardia_bronze.bronze_providers")) == "main.kardia_bronze.bronze_providers"
    assert str(names.parse_object_name("s.t", current_catalog="kardia")) == "kardia.s.t"
    assert str(names.parse_object_name("t")) == "main.default.t"


@pytest.mark.parametrize("bad", ["a b", "a/b", "", "x" * 256, "tab\tle", "é"])
def test_bad_names_are_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(NameError_) as info:
        names.check_name(bad, kind="table")
    assert "table name" in str(info.value)


def test_too_many_parts_and_unclosed_backtick() -> None:
    with pytest.raises(NameError_, match="4 parts"):
        names.parse_object_name("a.b.c.d")
    with pytest.raises(NameError_, match="unclosed backtick"):
        names.parse_object_name("`a.b")


def test_quoted_dot_is_one_part() -> None:
    assert names.split_parts("`a.b`.c") == ["a.b", "c"]
    assert names.split_parts("`a``b`.c") == ["a`b", "c"]


@given(valid_name, valid_name, valid_name)
def test_sql_text_parses_back_to_the_same_name(c: str, s: str, t: str) -> None:
    full = names.FullName(c, s, t)
    assert names.parse_object_name(full.sql) == full
    assert names.parse_object_name(str(full)) == full
