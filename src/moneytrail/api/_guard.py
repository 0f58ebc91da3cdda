"""Who may read warehouse views through the API, and how FTI-derived rows are withheld.

Warehouse views (alerts, entities, graph, trace, employers) are triage views
for investigators: who may read them is `moneytrail.access.decide_view`
(analysts and supervisors; never admins or auditors). Rows derived from federal tax information (W-2,
941) are shown only with ?case_id=N naming a case whose unexpired legal basis
covers FTI and names the asker, as `moneytrail.access.decide` rules; the store
audits that decision either way. Otherwise their content is withheld and the
row says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import Query, Request

from moneytrail.access import Label, Principal, decide_view
from moneytrail.api._state import store_of
from moneytrail.errors import AccessDeniedError

_FTI_PREFIXES = ("w2:", "941:")

CaseParam = Annotated[
    int | None,
    Query(
        ge=1,
        le=2**31 - 1,
        description="A case whose legal basis covers FTI and names you, to see FTI-derived rows.",
    ),
]


def require_investigator(actor: Principal) -> None:
    decision = decide_view(actor)
    if not decision.allowed:
        denial = AccessDeniedError(decision.reason)
        denial.audit_principal = actor  # type: ignore[attr-defined]  # the error handler audits it
        raise denial


def fti_derived(filings: Iterable[str]) -> bool:
    """Whether evidence references name a W-2 or 941 filing (tax return information)."""
    return any(str(f).startswith(_FTI_PREFIXES) for f in filings)


def withhold_fti(
    request: Request,
    actor: Principal,
    items: Sequence[dict[str, Any]],
    case_id: int | None,
    object_type: str,
    key: str,
) -> list[dict[str, Any]]:
    """The items, with the content of FTI-labelled ones withheld unless the case allows it."""
    labelled = [item for item in items if "fti" in item.get("labels", ())]
    if not labelled:
        return list(items)
    ids = [str(item[key]) for item in labelled]
    if case_id is None:
        reason = (
            "federal tax information (derived from W-2/941 filings): withheld; ask with "
            "?case_id=N for a case whose unexpired legal basis covers FTI and names you"
        )
    else:
        decision = store_of(request).decide_read(actor, case_id, (Label.FTI,), object_type, ids)
        if decision.allowed:
            return list(items)
        reason = f"federal tax information withheld: {decision.reason}"
    shown: list[dict[str, Any]] = []
    for item in items:
        if "fti" in item.get("labels", ()):
            shown.append({key: item[key], "labels": item["labels"], "withheld": reason})
        else:
            shown.append(item)
    return shown
