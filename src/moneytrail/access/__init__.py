"""Access control: who may do what to which data, under which law, and the audit chain.

`decide` (the policy module's one entry point) answers allow/deny with a reason;
`derive` gives the labels of derived data; `table_labels`/`row_labels` (the
labels module) say how sensitive each table and row of either store is;
`mask_identity` hides worker and victim identifiers unless a case grants them; `hash_password`/`verify_password`
use argon2id; `AuditLog` appends to and verifies the tamper-evident hash chain.

This package never imports `moneytrail.cases`: the audit chain's tables sit on
`moneytrail.store` (below both), so `moneytrail.cases` may import from here
freely and there is no cycle.
"""

from typing import TYPE_CHECKING

from moneytrail.access._labels import (
    TABLE_LABELS,
    TableLabels,
    format_labels,
    is_labelled,
    label_names,
    labelled_tables,
    protected_columns,
    ref_labels,
    row_labels,
    source_labels,
    table_labels,
)
from moneytrail.access._passwords import hash_password, needs_rehash, verify_password
from moneytrail.access._policy import (
    decide,
    decide_reveal,
    decide_view,
    derive,
    mask_identity,
    may_see_identities,
)
from moneytrail.access._types import (
    Action,
    CaseContext,
    Decision,
    Label,
    LegalBasis,
    Principal,
    Role,
)

if TYPE_CHECKING:
    from moneytrail.access._audit import AuditLog, AuditReport


def __getattr__(name: str) -> object:
    # The audit chain lives in the case store and loads SQLAlchemy; the stage commands
    # that only decide access (detect, resolve, the listings) would pay for it at start.
    if name in ("AuditLog", "AuditReport"):
        from moneytrail.access import _audit  # noqa: PLC0415

        return getattr(_audit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "TABLE_LABELS",
    "Action",
    "AuditLog",
    "AuditReport",
    "CaseContext",
    "Decision",
    "Label",
    "LegalBasis",
    "Principal",
    "Role",
    "TableLabels",
    "decide",
    "decide_reveal",
    "decide_view",
    "derive",
    "format_labels",
    "hash_password",
    "is_labelled",
    "label_names",
    "labelled_tables",
    "mask_identity",
    "may_see_identities",
    "needs_rehash",
    "protected_columns",
    "ref_labels",
    "row_labels",
    "source_labels",
    "table_labels",
    "verify_password",
]
