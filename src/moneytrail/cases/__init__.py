"""The case store: cases shared by agencies under access control, with an audit chain.

`CaseStore` is the one service the API and the CLI use. The vocabularies of
the case workflow are exported so that callers validate against the same words.
"""

from moneytrail.cases._store import CaseStore
from moneytrail.cases._vocab import (
    DISPOSITIONS,
    PARTIES,
    STATUSES,
    SUBJECT_KINDS,
    TRANSITIONS,
)

__all__ = ["DISPOSITIONS", "PARTIES", "STATUSES", "SUBJECT_KINDS", "TRANSITIONS", "CaseStore"]
