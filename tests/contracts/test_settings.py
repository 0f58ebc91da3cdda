"""Cardinal's settings file: same sections, keys and defaults; errors name section and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from moneytrail.contracts import CODES, Settings, parse_settings, read_settings
from moneytrail.errors import ContractsSettingsError

# The file `cardinal init` writes, every line still commented out: every indicator, defaults.
CARDINAL_INIT = """
; currency = USD
; no_price_comparison_procurement_methods = Random Selection

[defaults]
; currency = USD

[modifications]
; move_auctions = true

[codelists.bid_status]
; qualified = valid

[exclusions]
; procurement_method_details = Random Selection

[R003]
; threshold = 15

[R003.procurement_method_details]
; emergency = 10

[R018]
[R024]
[R025]
[R028]
[R030]
[R035]
[R036]
[R038]
[R048]
[R058]
"""


def test_cardinal_init_file_enables_every_indicator_with_defaults() -> None:
    s = parse_settings(CARDINAL_INIT)
    assert s.enabled == frozenset(CODES)
    assert s == Settings()


def test_only_named_sections_run() -> None:
    s = parse_settings("[R024]\nthreshold = 0.05\n")
    assert s.enabled == {"R024"}
    assert s.r024_threshold == 0.05


def test_values() -> None:
    s = parse_settings(
        "currency = EUR\nprice_comparison_procurement_methods = a|b|\n"
        "[exclusions]\nprocurement_method_details = X|Y\n"
        "[R003.procurement_method_details]\nEmergency = 10\n"
        "[R018]\nprocurement_methods =\n"
        "[R035]\nthreshold = 0\n"
        "[R048]\ndigits = 4\n"
    )
    assert s.currency == "EUR"
    assert s.price_comparison_procurement_methods == {"a", "b"}
    assert s.exclude_procurement_method_details == {"X", "Y"}
    assert s.r003_procurement_method_details == {"Emergency": 10}  # keys keep their case
    assert "R003" in s.enabled
    assert s.r018_procurement_methods == frozenset()  # empty: every method
    assert s.r035_threshold == 1  # Cardinal raises a threshold below 1 to 1
    assert s.r048_digits == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[R999]\n", "section [R999]: unknown section"),
        ("[R024]\nthreshhold = 1\n", "section [R024], key 'threshhold': unknown setting"),
        ("[R025]\npercentile = high\n", "'high' is not an integer"),
        ("[R024]\nthreshold = x\n", "'x' is not a number"),
        ("[R048]\ndigits = -1\n", "must not be negative"),
        ("colour = red\n", "key 'colour': unknown global setting"),
        ("[R024\n", "not an INI file"),
    ],
)
def test_bad_settings_are_named(text: str, message: str) -> None:
    with pytest.raises(
        ContractsSettingsError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        parse_settings(text, "s.ini")


def test_read_settings_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ContractsSettingsError, match=r"missing\.ini"):
        read_settings(tmp_path / "missing.ini")
