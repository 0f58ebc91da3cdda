"""The OFX reader's value conversions: short values are converted once and shared."""

from __future__ import annotations

from moneytrail.ingest import ofx

DATES = ["20240131", "20240131120000", "20240131120000.000[-5:EST]", "20180804093914:014",
         " 20240131 ", "2024-01-31", "", "99999999", "20240131120000[+3]"]  # fmt: skip
AMOUNTS = ["12.34", "-5", "1,50", "$5", "", "1e3", "NaN", "0.000000001", "1" + "0" * 29]


def test_cached_conversions_equal_the_uncached_ones() -> None:
    for text in DATES:
        assert ofx._date(text) == ofx._parse_date(text), text
        assert ofx._date(text) == ofx._parse_date(text), text  # the cached answer
    for text in AMOUNTS:
        assert ofx._decimal(text) == ofx._parse_decimal(text), text
        assert ofx._decimal(text) == ofx._parse_decimal(text), text
    assert ofx._date(None) is None and ofx._decimal(None) is None


def test_a_long_value_is_converted_but_never_kept() -> None:
    padded = " " * 100 + "20240131" + " " * 100
    size = ofx._cached_date.cache_info().currsize
    assert ofx._date(padded) == ofx._parse_date("20240131") is not None
    assert ofx._decimal(" " * 100 + "7.5") == ofx._parse_decimal("7.5")
    assert ofx._cached_date.cache_info().currsize == size
