"""Audited reveal of raw identifiers (account numbers, IBANs, SSNs, EINs) on a case.

`reveal` gives one identifier of a case's subject to a user whom the case's
legal basis covers; `reveal_accounts` does it for the accounts of a trace
schedule. Each reveal, granted or refused, is an entry of the audit chain.
"""

from moneytrail.reveal._service import KINDS, reveal, reveal_accounts

__all__ = ["KINDS", "reveal", "reveal_accounts"]
