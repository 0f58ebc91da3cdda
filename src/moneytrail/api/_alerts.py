"""Alerts of the last detect run, read through the gateway (alerts, alert_hits)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._fields import AlertId
from moneytrail.api._guard import CaseParam, gateway_of
from moneytrail.api._pagination import Page, Paging, page

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=ERROR_RESPONSES)


@router.get("")
def list_alerts(
    request: Request,
    actor: Actor,
    paging: Paging,
    typology: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    case_id: CaseParam = None,
) -> Page:
    """Alerts, strongest first, filtered over what you may see; FTI-derived ones are
    withheld (one notice, after the rest) unless a case covers them."""
    got = gateway_of(request, actor, case_id).alerts(
        typology=typology, min_score=min_score, limit=paging.limit, offset=paging.offset
    )
    return page(request, got.items, got.total, paging)


@router.get("/{alert_id}")
def get_alert(
    request: Request, actor: Actor, alert_id: AlertId, case_id: CaseParam = None
) -> dict[str, Any]:
    """One alert with the typology hits it groups."""
    return gateway_of(request, actor, case_id).alert(alert_id)
