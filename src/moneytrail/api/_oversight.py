"""Deconfliction hits and the audit log: what the store tells each agency and auditor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._pagination import Page, Paging, page
from moneytrail.api._state import store_of

router = APIRouter(responses=ERROR_RESPONSES)


@router.get("/deconfliction/hits", tags=["deconfliction"])
def deconfliction_hits(request: Request, actor: Actor, paging: Paging) -> Page:
    """Matches of your agency's subjects on other agencies' open cases: whom to contact."""
    hits = store_of(request).deconfliction_hits(actor)
    window = hits[paging.offset : paging.offset + paging.limit]
    return page(request, window, len(hits), paging)


@router.get("/audit", tags=["audit"])
def audit_entries(request: Request, actor: Actor, paging: Paging) -> Page:
    """The audit log, oldest first (auditors and admins)."""
    items, total = store_of(request).audit_entries(actor, limit=paging.limit, offset=paging.offset)
    return page(request, items, total, paging)


@router.get("/audit/verify", tags=["audit"])
def audit_verify(request: Request, actor: Actor) -> dict[str, Any]:
    """Check the audit hash chain end to end (auditors and admins)."""
    store = store_of(request)
    # Whoever may read the log may verify it: let the store's policy decide that.
    store.audit_entries(actor, limit=1, offset=0)
    return store.verify_audit().as_json()
