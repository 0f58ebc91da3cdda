"""Resolved entities, read through the gateway (entities, entity_members, resolve_records).

A person could be a worker or a victim, and the API cannot tell which, so
people's names are masked (initials) on every page; companies' names are shown.
A member that came from a W-2 or 941 file makes the entity FTI-derived; record
ids are shown with long digit runs masked (file names can carry account numbers).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._guard import CaseParam, gateway_of
from moneytrail.api._pagination import Page, Paging, page

router = APIRouter(prefix="/entities", tags=["entities"], responses=ERROR_RESPONSES)

KINDS = ("person", "company", "account", "address", "bank")
EntityId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


@router.get("")
def list_entities(
    request: Request,
    actor: Actor,
    paging: Paging,
    kind: Annotated[str | None, Query(pattern=f"^({'|'.join(KINDS)})$")] = None,
    case_id: CaseParam = None,
) -> Page:
    """Resolved entities by kind and id, with their number of member records."""
    got = gateway_of(request, actor, case_id).entities(
        kind=kind, limit=paging.limit, offset=paging.offset
    )
    return page(request, got.items, got.total, paging)


@router.get("/{entity_id}")
def get_entity(
    request: Request, actor: Actor, entity_id: EntityId, case_id: CaseParam = None
) -> dict[str, Any]:
    """One entity: its member records (source file, name as allowed) and the links between them."""
    return gateway_of(request, actor, case_id).entity(entity_id)
