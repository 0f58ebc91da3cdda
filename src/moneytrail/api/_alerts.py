"""Alerts of the last detect run, read from the warehouse (alerts, alert_hits)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._fields import AlertId
from moneytrail.api._guard import CaseParam, fti_derived, require_investigator, withhold_fti
from moneytrail.api._pagination import Page, Paging, page
from moneytrail.api._state import reader_of
from moneytrail.errors import NotFoundError

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=ERROR_RESPONSES)

_COLUMNS = "alert_id, typology, typologies, subject, accounts, score, evidence, filings, reason"


def _alert(row: tuple[Any, ...]) -> dict[str, Any]:
    alert_id, typology, typologies, subject, accounts, score, evidence, filings, reason = row
    return {
        "alert_id": alert_id,
        "typology": typology,
        "typologies": list(typologies),
        "subject": subject,
        "accounts": [int(a) for a in accounts],
        "score": float(score),
        "evidence": list(evidence),
        "filings": list(filings),
        "reason": reason,
        "labels": ["fti"] if fti_derived(filings) else [],
    }


@router.get("")
def list_alerts(
    request: Request,
    actor: Actor,
    paging: Paging,
    typology: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    case_id: CaseParam = None,
) -> Page:
    """Alerts, strongest first. FTI-derived ones are withheld unless a case covers them."""
    require_investigator(actor)
    params: dict[str, object] = {"t": typology, "s": min_score}
    where = "($t IS NULL OR typology = $t OR list_contains(typologies, $t)) AND score >= $s"
    with reader_of(request).cursor() as cur:
        total = cur.execute(f"SELECT count(*) FROM alerts WHERE {where}", params).fetchone()
        rows = cur.execute(
            f"SELECT {_COLUMNS} FROM alerts WHERE {where} "
            "ORDER BY score DESC, alert_id LIMIT $n OFFSET $o",
            {**params, "n": paging.limit, "o": paging.offset},
        ).fetchall()
    items = [_alert(r) for r in rows]
    items = withhold_fti(request, actor, items, case_id, "alert", "alert_id")
    return page(request, items, int(total[0]) if total else 0, paging)


@router.get("/{alert_id}")
def get_alert(
    request: Request, actor: Actor, alert_id: AlertId, case_id: CaseParam = None
) -> dict[str, Any]:
    """One alert with the typology hits it groups."""
    require_investigator(actor)
    with reader_of(request).cursor() as cur:
        row = cur.execute(
            f"SELECT {_COLUMNS} FROM alerts WHERE alert_id = ?", [alert_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no alert {alert_id!r} in the last detect run")
        hits = cur.execute(
            "SELECT typology, subject, account_key, score, evidence, reason FROM alert_hits "
            "WHERE alert_id = ? ORDER BY score DESC, typology",
            [alert_id],
        ).fetchall()
    alert = _alert(row)
    alert["hits"] = [
        {
            "typology": t,
            "subject": s,
            "account_key": None if k is None else int(k),
            "score": float(sc),
            "evidence": list(ev),
            "reason": why,
        }
        for t, s, k, sc, ev, why in hits
    ]
    (shown,) = withhold_fti(request, actor, [alert], case_id, "alert", "alert_id")
    return shown
