"""Account displays (bank, masked number, tag) and the resolver of every printed reference."""

from __future__ import annotations

import pytest

from moneytrail.errors import UnknownReferenceError
from moneytrail.privacy import (
    Tokeniser,
    account_display,
    account_key,
    account_tag,
    accounts_by_key,
    find_account,
    mask,
)
from moneytrail.warehouse import Warehouse

BANK = "NWBKGB2L"


def add_account(wh: Warehouse, bank: str, number: str, *, record_id: str | None = None) -> int:
    """An account in the warehouse (and its number in the vault), as ingest leaves it."""
    token = wh.tokeniser.account_token(bank, number)
    key = account_key(token)
    wh.con.execute(
        "INSERT INTO accounts (account_key, account_token, bank_id, masked, record_id, "
        "source_id, source_row) VALUES (?, ?, ?, ?, ?, 1, 1)",
        [key, token, bank, mask(number), record_id],
    )
    wh.vault.store(wh.con, [(token, "account", number)])
    return key


def test_two_accounts_with_the_same_last_digits_get_different_displays(
    warehouse: Warehouse,
) -> None:
    a = add_account(warehouse, BANK, "12340001")
    b = add_account(warehouse, BANK, "99990001")
    shown = {k: r.display for k, r in accounts_by_key(warehouse.con, [a, b]).items()}
    assert shown[a] != shown[b]
    for display in shown.values():
        bank, masked, tag = display.split(" ")
        assert (bank, masked) == (BANK, "****0001") and tag.startswith("#") and len(tag) == 5
    # nothing of the number beyond its last four digits
    assert not any(d in "".join(shown.values()) for d in ("1234", "9999"))


def test_the_tag_is_stable_for_one_key_and_differs_under_another() -> None:
    key_one, key_two = b"k" * 32, b"q" * 32
    t1 = Tokeniser(key_one).account_token(BANK, "12340001")
    assert account_tag(t1) == account_tag(Tokeniser(key_one).account_token(BANK, "1234 0001"))
    assert account_display(BANK, "****0001", t1) == f"{BANK} ****0001 #{account_tag(t1)}"
    t2 = Tokeniser(key_two).account_token(BANK, "12340001")
    assert account_tag(t1) != account_tag(t2)  # made from the keyed token, not the number
    assert account_display(None, "****0001", t1).startswith("****0001 #")


def test_every_printed_reference_finds_the_account(warehouse: Warehouse) -> None:
    key = add_account(warehouse, BANK, "12340001", record_id="acct-1")
    other = add_account(warehouse, BANK, "99990001")
    ref = accounts_by_key(warehouse.con, [key])[key]
    warehouse.con.execute(
        "INSERT INTO resolve_records (record_id, kind, id_token, run_id) VALUES "
        "('acct-1', 'account', ?, 1)",
        [ref.token],
    )
    warehouse.con.execute("INSERT INTO entity_members VALUES ('E-acct', 'account', 'acct-1', 1)")
    for text in (
        str(key),  # trace --json, alerts
        ref.display,  # tables and schedules
        ref.display.split(" ")[-1] + " " + ref.masked,  # tag and masked, any order
        f"{ref.display} ({key})",  # trace transfer labels
        ref.token,
        ref.token.upper(),
        "E-acct",  # the account entity
    ):
        found = find_account(warehouse.con, text)
        assert (found.account_key, found.bank, found.scheme) == (key, BANK, "account"), text
    assert find_account(warehouse.con, str(other)).account_key == other


def test_a_reference_that_names_nothing_or_two_accounts_says_so(warehouse: Warehouse) -> None:
    add_account(warehouse, BANK, "12340001")
    add_account(warehouse, BANK, "99990001")
    for text in ("42", "E-none", "****0001 #aaaa", "0" * 32):
        with pytest.raises(UnknownReferenceError, match="no account"):
            find_account(warehouse.con, text)
    # A masked number alone is no reference: both accounts share it.
    with pytest.raises(UnknownReferenceError):
        find_account(warehouse.con, "****0001")
