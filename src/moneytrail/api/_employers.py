"""Employer flags of the last `moneytrail employers` run (employer_flags).

Flags that read W-2s or 941s are federal tax information: they are shown only
with ?case_id=N for a case whose legal basis covers FTI and names the asker
(see `_guard`). Workers are never the subject; their numbers appear masked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._guard import CaseParam, require_investigator, withhold_fti
from moneytrail.api._pagination import Page, Paging, page
from moneytrail.api._state import reader_of

router = APIRouter(prefix="/employers", tags=["employers"], responses=ERROR_RESPONSES)

_SEVERITY_ORDER = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"


@router.get("")
def list_employer_flags(
    request: Request,
    actor: Actor,
    paging: Paging,
    severity: Annotated[str | None, Query(pattern="^(low|medium|high)$")] = None,
    case_id: CaseParam = None,
) -> Page:
    """Employer flags, most severe first; FTI-derived ones only under a covering legal basis."""
    require_investigator(actor)
    params = {"s": severity, "n": paging.limit, "o": paging.offset}
    where = "$s IS NULL OR severity = $s"
    with reader_of(request).cursor() as cur:
        total = cur.execute(
            f"SELECT count(*) FROM employer_flags WHERE {where}",
            {"s": severity},
        ).fetchone()
        rows = cur.execute(
            "SELECT employer, employer_name, tax_year, code, severity, count, evidence, reason, "
            f"fti FROM employer_flags WHERE {where} "
            f"ORDER BY {_SEVERITY_ORDER}, employer, tax_year, code LIMIT $n OFFSET $o",
            params,
        ).fetchall()
    items = [
        {
            "flag_id": f"{employer}:{year}:{code}",
            "employer": employer,
            "employer_name": name,
            "tax_year": int(year),
            "code": code,
            "severity": sev,
            "count": int(count),
            "evidence": list(evidence),
            "reason": reason,
            "labels": ["fti"] if fti else [],
        }
        for employer, name, year, code, sev, count, evidence, reason, fti in rows
    ]
    items = withhold_fti(request, actor, items, case_id, "employer_flag", "flag_id")
    return page(request, items, int(total[0]) if total else 0, paging)
