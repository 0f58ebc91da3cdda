"""Exports of a case through the API: the same path as `moneytrail export` (report._export).

`GET /cases/{case_id}/export/{kind}` answers the file itself, with its SHA-256
and the audit entry that records it in headers. The policy decides as for the
CLI (FTI only to an agency the case's legal basis covers), refusals are
audited and answered 403; a filing that breaks a rule is answered 422 naming
each rule.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._fields import CaseId
from moneytrail.api._state import reader_of, store_of

router = APIRouter(prefix="/cases", tags=["exports"], responses=ERROR_RESPONSES)

ExportKind = Literal[
    "goaml", "fincen-sar", "narrative", "ftm", "graphml", "gexf", "anx", "pdf", "xlsx", "csv"
]


@router.get(
    "/{case_id}/export/{kind}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def export_case_file(
    request: Request,
    actor: Actor,
    case_id: CaseId,
    kind: ExportKind,
    to: Annotated[
        str | None,
        Query(max_length=200, pattern=r"^[^\x00-\x1f]*$", description="Agency it is for."),
    ] = None,
    profile: Annotated[
        str | None,
        Query(max_length=100, pattern=r"^[A-Za-z0-9_.-]*$", description="Filing profile."),
    ] = None,
) -> Response:
    """A filing, chart, FtM file, case report or schedules of the case, audited."""
    from moneytrail.report._export import KINDS, export_case  # noqa: PLC0415 - loads the writers

    reader = reader_of(request)
    # The tracer's warehouse view reads through its own cursor; one export or trace at a time.
    with reader.trace_lock:
        result = export_case(
            reader.workspace,
            actor,
            case_id,
            kind,
            recipient=to or None,
            profile=profile or None,
            store=store_of(request),
            warehouse=reader.tracer().wh,
        )
    spec = KINDS[kind]
    return Response(
        result.content,
        media_type=spec.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="case-{case_id}-{kind}{spec.suffixes[0]}"',
            "X-Content-SHA256": result.sha256,
            "X-Audit-Seq": str(result.audit_seq),
        },
    )
