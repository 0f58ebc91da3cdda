"""Reveal of raw identifiers on a case, and the list of a case's reveals.

`POST /cases/{id}/reveal` answers `{"ref", "kind", "value", "bank", "display"}`
only where `moneytrail.reveal` allows it; granted or refused, every request is
an audit entry. `GET /cases/{id}/reveals` lists them to the case's supervisors
and to auditors.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._fields import CaseId, Ref, Text
from moneytrail.api._state import reader_of, store_of

router = APIRouter(prefix="/cases", tags=["reveal"], responses=ERROR_RESPONSES)


class RevealIn(BaseModel):
    kind: Literal["account", "ssn", "ein"] = Field(
        description="account (number with its bank, or IBAN), ssn or ein."
    )
    ref: Ref = Field(
        description="An account by its key, display (BANK ****1234 #tag), token or account "
        "entity id; an SSN or EIN by its token."
    )
    purpose: Text = Field(min_length=1, description="Why: e.g. the warrant the value serves.")


class RevealOut(BaseModel):
    ref: str
    kind: str
    value: str
    bank: str | None
    display: str


@router.post("/{case_id}/reveal")
def reveal_identifier(request: Request, actor: Actor, case_id: CaseId, body: RevealIn) -> RevealOut:
    """Reveal one identifier of a subject of the case, under its legal basis (audited)."""
    from moneytrail.reveal import reveal  # noqa: PLC0415 - the reveal service loads on use

    reader = reader_of(request)
    with reader.cursor() as cur:
        doc = reveal(
            store_of(request),
            cur,
            reader.vault(),
            actor,
            case_id,
            body.kind,
            body.ref,
            body.purpose,
        )
    return RevealOut(**doc)


@router.get("/{case_id}/reveals")
def list_reveals(request: Request, actor: Actor, case_id: CaseId) -> list[dict[str, Any]]:
    """Every reveal asked on the case, oldest first (its supervisors and auditors)."""
    return store_of(request).reveals(actor, case_id)
