"""Resolved entities, read from the warehouse (entities, entity_members, resolve_records).

A person could be a worker or a victim, and the API cannot tell which, so
people's names are masked (initials) on every page; companies' names are shown.
A member that came from a W-2 or 941 file makes the entity FTI-derived.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._guard import CaseParam, require_investigator, withhold_fti
from moneytrail.api._pagination import Page, Paging, page
from moneytrail.api._state import WarehouseReader, reader_of
from moneytrail.errors import NotFoundError

router = APIRouter(prefix="/entities", tags=["entities"], responses=ERROR_RESPONSES)

KINDS = ("person", "company", "account", "address", "bank")
_FTI_FORMATS = ("efw2", "form941")
EntityId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


def mask_name(name: str | None) -> str | None:
    """A person's name as initials: 'maria lopez' -> 'm*** l***'."""
    if not name:
        return None
    return " ".join(f"{part[0]}***" for part in name.split())


@router.get("")
def list_entities(
    request: Request,
    actor: Actor,
    paging: Paging,
    kind: Annotated[str | None, Query(pattern=f"^({'|'.join(KINDS)})$")] = None,
) -> Page:
    """Resolved entities by kind and id, with their number of member records."""
    require_investigator(actor)
    params = {"k": kind, "n": paging.limit, "o": paging.offset}
    with reader_of(request).cursor() as cur:
        total = cur.execute(
            "SELECT count(*) FROM entities WHERE $k IS NULL OR kind = $k", {"k": kind}
        ).fetchone()
        rows = cur.execute(
            "SELECT entity_id, kind, members FROM entities WHERE $k IS NULL OR kind = $k "
            "ORDER BY kind, entity_id LIMIT $n OFFSET $o",
            params,
        ).fetchall()
    items = [{"entity_id": e, "kind": k, "members": int(n)} for e, k, n in rows]
    return page(request, items, int(total[0]) if total else 0, paging)


@router.get("/{entity_id}")
def get_entity(
    request: Request, actor: Actor, entity_id: EntityId, case_id: CaseParam = None
) -> dict[str, Any]:
    """One entity: its member records (source file, name as allowed) and the links between them."""
    require_investigator(actor)
    reader = reader_of(request)
    entity = reader.cached(("entity", entity_id), lambda: _entity(reader, entity_id))
    if entity is None:
        raise NotFoundError(f"no entity {entity_id!r}; entity ids come from GET /entities")
    (shown,) = withhold_fti(request, actor, [entity], case_id, "entity", "entity_id")
    return shown


def _entity(reader: WarehouseReader, entity_id: str) -> dict[str, Any] | None:
    with reader.cursor() as cur:
        head = cur.execute(
            "SELECT entity_id, kind, members FROM entities WHERE entity_id = ?", [entity_id]
        ).fetchone()
        if head is None:
            return None
        members = cur.execute(
            """
            SELECT m.member_id, r.name, s.name, s.format
            FROM entity_members m
            LEFT JOIN resolve_records r ON r.record_id = m.member_id AND r.kind = m.kind
            LEFT JOIN sources s ON s.source_id = r.source_id
            WHERE m.entity_id = ? ORDER BY m.member_id
            """,
            [entity_id],
        ).fetchall()
        links = cur.execute(
            """
            SELECT l.member_l, l.member_r, l.rule, l.match_probability
            FROM entity_links l JOIN entity_members m
              ON m.member_id = l.member_l AND m.kind = l.kind
            WHERE m.entity_id = ? AND l.linked ORDER BY l.member_l, l.member_r
            """,
            [entity_id],
        ).fetchall()
    eid, kind, count = head
    person = kind == "person"
    return {
        "entity_id": eid,
        "kind": kind,
        "members": int(count),
        "records": [
            {
                "member_id": mid,
                "name": mask_name(name) if person else name,
                "source": src,
                "format": fmt,
            }
            for mid, name, src, fmt in members
        ],
        "links": [
            {"member_l": a, "member_r": b, "rule": rule, "match_probability": float(p)}
            for a, b, rule, p in links
        ],
        "labels": ["fti"] if any(fmt in _FTI_FORMATS for *_, fmt in members) else [],
    }
