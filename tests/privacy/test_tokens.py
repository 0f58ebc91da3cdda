from __future__ import annotations

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from moneytrail._sql import scalar
from moneytrail.privacy import Tokeniser, account_key, mask

KEY = bytes(range(32))


@given(
    bank=st.text(alphabet="0123456789ABCabc -", max_size=8),
    number=st.text(alphabet="0123456789ABCDEFxyz -/", min_size=1, max_size=20),
)
def test_sql_account_tokens_equal_python_tokens(bank: str, number: str) -> None:
    tok = Tokeniser(KEY)
    con = duckdb.connect()
    tok.install_sql(con)
    assert scalar(con, "SELECT mt_account(?, ?)", [bank, number]) == tok.account_token(bank, number)
    assert scalar(con, "SELECT mt_account_key(mt_account(?, ?))", [bank, number]) == account_key(
        tok.account_token(bank, number)
    )


def test_tokens_depend_on_key_scheme_and_normalised_value() -> None:
    a, b = Tokeniser(KEY), Tokeniser(bytes(32))
    assert a.token("ssn", "123-45-6789") == a.token("ssn", "123456789")
    assert a.token("ssn", "123456789") != a.token("ein", "123456789")
    assert a.token("ssn", "123456789") != b.token("ssn", "123456789")
    # bank and number stay separate: bank 1 + account 23 is not bank 12 + account 3
    assert a.account_token("1", "23") != a.account_token("12", "3")


def test_masks_show_only_the_last_four() -> None:
    assert mask("123-45-6789", "ssn") == "***-**-6789"
    assert mask("12-3456789", "ein") == "**-***6789"
    assert mask("DE89 3704 0044 0532 0130 00", "iban") == "****3000"
    assert mask("12", "account") == "****12"


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Tokeniser(b"short")
