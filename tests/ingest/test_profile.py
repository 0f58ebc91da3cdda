"""Amounts under a profile: the plain-number shortcut reads what the full rules read."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from moneytrail.ingest import bank_csv
from moneytrail.ingest._profile import parse_amount, parse_amount_fully

CELLS = st.text(alphabet="0123456789.,-+ ()$€\u00a0٣", max_size=40)
NUMBERS = st.from_regex(r"-?[0-9]{1,31}([.,][0-9]{1,9})?", fullmatch=True)


@given(st.one_of(CELLS, NUMBERS), st.booleans())
def test_the_shortcut_reads_as_the_full_rules(text: str, decimal_comma: bool) -> None:
    assert parse_amount(text, decimal_comma) == parse_amount_fully(text, decimal_comma)


def test_plain_and_dressed_amounts() -> None:
    assert parse_amount("-1234.50", False) == Decimal("-1234.50")
    assert parse_amount("-1234,50", True) == Decimal("-1234.50")
    assert parse_amount("1,234.50", False) == Decimal("1234.50")
    assert parse_amount("(1.234,50 €)", True) == Decimal("-1234.50")
    assert parse_amount("9" * 30, False) is None
    assert parse_amount("1.123456789", False) is None


def test_dates_are_parsed_once_and_long_ones_never_kept() -> None:
    size = bank_csv._cached_date.cache_info().currsize
    assert bank_csv._date("03/01/2024", "%m/%d/%Y") == datetime(2024, 3, 1)
    assert bank_csv._date("03/01/2024", "%m/%d/%Y") == datetime(2024, 3, 1)
    assert bank_csv._date("31/01/2024", "%m/%d/%Y") is None
    assert bank_csv._cached_date.cache_info().currsize <= size + 2
    long = "03/01/2024" + " " * 40 + "x"
    before = bank_csv._cached_date.cache_info().currsize
    assert bank_csv._date(long, "%m/%d/%Y") is None
    assert bank_csv._cached_date.cache_info().currsize == before
