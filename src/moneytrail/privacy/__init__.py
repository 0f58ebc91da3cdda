"""Tokenisation, masking and the encrypted vault of raw identifiers."""

from moneytrail.privacy._tokens import Tokeniser, account_key, mask
from moneytrail.privacy._vault import Vault

__all__ = ["Tokeniser", "Vault", "account_key", "mask"]
