"""Tokenisation, masking, account references and the encrypted vault of raw identifiers."""

from moneytrail.privacy._record_ids import shown_id, shown_like
from moneytrail.privacy._refs import (
    AccountRef,
    account_display,
    account_tag,
    accounts_by_key,
    displays,
    find_account,
)
from moneytrail.privacy._tokens import Tokeniser, account_key, mask
from moneytrail.privacy._vault import Vault

__all__ = [
    "AccountRef",
    "Tokeniser",
    "Vault",
    "account_display",
    "account_key",
    "account_tag",
    "accounts_by_key",
    "displays",
    "find_account",
    "mask",
    "shown_id",
    "shown_like",
]
