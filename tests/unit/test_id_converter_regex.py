"""The id converter's regular expression matches exactly 1..limit, so an out-of-range id is no
match for any rule (404 for every method), never a 405 from a sibling rule of the same path."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coaching.validation import MAX_DATABASE_ID, at_most_regex


def matches(limit: int, text: str) -> bool:
    return re.fullmatch(at_most_regex(limit), text) is not None


@pytest.mark.parametrize("limit", [1, 5, 9, 10, 19, 20, 100, 999, 1000, 4321])
def test_the_expression_matches_exactly_one_to_the_limit(limit):
    assert [n for n in range(0, limit * 3 + 20) if matches(limit, str(n))] == list(range(1, limit + 1))


@given(st.integers(min_value=0, max_value=10**12))
def test_database_ids_match_exactly_when_they_fit_postgresqls_integer(n):
    assert matches(MAX_DATABASE_ID, str(n)) == (1 <= n <= MAX_DATABASE_ID)


@pytest.mark.parametrize("text", ["0", "01", "+1", "-1", "1e3", "2147483648", "9" * 5000, ""])
def test_leading_zeros_signs_and_huge_numbers_never_match(text):
    assert not matches(MAX_DATABASE_ID, text)
