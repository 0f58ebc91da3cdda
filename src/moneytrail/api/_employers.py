"""Employer flags of the last `moneytrail employers` run, read through the gateway.

Flags that read W-2s or 941s are federal tax information: they are shown only
with ?case_id=N for a case whose legal basis covers FTI and names the asker.
Workers are never the subject; their numbers appear masked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._guard import CaseParam, gateway_of
from moneytrail.api._pagination import Page, Paging, page

router = APIRouter(prefix="/employers", tags=["employers"], responses=ERROR_RESPONSES)


@router.get("")
def list_employer_flags(
    request: Request,
    actor: Actor,
    paging: Paging,
    severity: Annotated[str | None, Query(pattern="^(low|medium|high)$")] = None,
    case_id: CaseParam = None,
) -> Page:
    """Employer flags, most severe first; FTI-derived ones only under a covering legal basis."""
    got = gateway_of(request, actor, case_id).employer_flags(
        severity=severity, limit=paging.limit, offset=paging.offset
    )
    return page(request, got.items, got.total, paging)
