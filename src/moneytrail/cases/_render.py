"""Case-store rows as JSON-ready dicts (ISO dates, ints, strings).

Worker and victim subjects are people to protect: unless the case grants
identities to the asker, their warehouse reference and identifier tokens are
replaced by a masked placeholder (a token still links records, so it is masked too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from moneytrail.cases._models import (
    Case,
    CaseAlert,
    Evidence,
    LegalBasisRow,
    Note,
    Referral,
    Subject,
    Task,
)

PROTECTED_PARTIES = frozenset({"worker", "victim"})
MASKED = "[masked: the case does not grant identities to you]"


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        # SQLite hands back naive datetimes; everything is stored in UTC.
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def case_meta(row: Case, owner_agency: str) -> dict[str, Any]:
    """What an auditor may see: no summary, no content."""
    return {
        "id": row.id,
        "title": row.title,
        "status": row.status,
        "owner_agency": owner_agency,
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "closed_at": iso(row.closed_at),
    }


def legal_basis(row: LegalBasisRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "reference": row.reference,
        "scope": row.scope,
        "labels": list(row.labels),
        "persons": sorted(row.persons),
        "agencies": sorted(row.agencies),
        "expires": iso(row.expires),
        "reveals": bool(row.reveals),
        "recorded_by": row.recorded_by,
        "recorded_at": iso(row.recorded_at),
    }


def subject(row: Subject, identifiers: list[tuple[str, str]], unmask: bool) -> dict[str, Any]:
    protected = row.party in PROTECTED_PARTIES and not unmask
    return {
        "id": row.id,
        "kind": row.kind,
        "party": row.party,
        "ref": MASKED if protected else row.ref,
        "identifiers": [
            {"scheme": scheme, "token": MASKED if protected else token}
            for scheme, token in identifiers
        ],
        "masked": protected,
        "added_by": row.added_by,
        "added_at": iso(row.added_at),
    }


def alert(row: CaseAlert) -> dict[str, Any]:
    return {
        "alert_id": row.alert_id,
        "labels": list(row.labels),
        "attached_by": row.attached_by,
        "attached_at": iso(row.attached_at),
        "disposition": row.disposition,
        "disposed_by": row.disposed_by,
        "disposed_at": iso(row.disposed_at),
        "note": row.note,
    }


def evidence(row: Evidence) -> dict[str, Any]:
    return {
        "id": row.id,
        "table": row.table_name,
        "key": row.row_key,
        "description": row.description,
        "labels": list(row.labels),
        "added_by": row.added_by,
        "added_at": iso(row.added_at),
    }


def note(row: Note) -> dict[str, Any]:
    return {
        "id": row.id,
        "text": row.text,
        "labels": list(row.labels),
        "author": row.author,
        "created_at": iso(row.created_at),
    }


def task(row: Task) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "assignee": row.assignee,
        "due": iso(row.due),
        "done": row.done,
        "done_at": iso(row.done_at),
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
    }


def referral(row: Referral) -> dict[str, Any]:
    return {
        "id": row.id,
        "from_agency": row.from_agency,
        "to_agency": row.to_agency,
        "reason": row.reason,
        "status": row.status,
        "referred_by": row.referred_by,
        "created_at": iso(row.created_at),
    }
