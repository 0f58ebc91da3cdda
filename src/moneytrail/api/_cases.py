"""Case routes: every call goes through CaseStore, which asks the access policy and audits."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from moneytrail.access import Label, LegalBasis
from moneytrail.api._auth import Actor
from moneytrail.api._errors import ERROR_RESPONSES
from moneytrail.api._fields import AlertId, CaseId, Name, Ref, TaskId, Text
from moneytrail.api._pagination import Page, Paging, page
from moneytrail.api._state import store_of
from moneytrail.cases import DISPOSITIONS, STATUSES, SUBJECT_KINDS

router = APIRouter(prefix="/cases", tags=["cases"], responses=ERROR_RESPONSES)

Json = dict[str, Any]


class CaseIn(BaseModel):
    title: Name
    summary: Text = ""
    labels: list[Label] = Field(default_factory=list, max_length=4)


class StatusIn(BaseModel):
    status: Name = Field(description=f"One of: {', '.join(STATUSES)}.")


class MemberIn(BaseModel):
    username: Name


class LegalBasisIn(BaseModel):
    kind: Name = Field(examples=["IRC 6103(i)(1) ex parte order"])
    reference: Name
    scope: Text
    labels: list[Label] = Field(default_factory=list, max_length=4)
    persons: list[Name] = Field(default_factory=list, max_length=100)
    agencies: list[Name] = Field(default_factory=list, max_length=100)
    expires: date
    reveals: bool = Field(
        default=False,
        description="The basis (e.g. a seizure warrant) lets the persons it names reveal raw "
        "identifiers of the case's subjects (POST /cases/{id}/reveal).",
    )

    def basis(self) -> LegalBasis:
        return LegalBasis(
            kind=self.kind,
            reference=self.reference,
            scope=self.scope,
            labels=frozenset(self.labels),
            persons=frozenset(self.persons),
            agencies=frozenset(self.agencies),
            expires=self.expires,
            reveals=self.reveals,
        )


class SubjectIn(BaseModel):
    kind: Name = Field(description=f"One of: {', '.join(SUBJECT_KINDS)}.")
    ref: Ref = Field(description="Where the subject is in the warehouse (entity id, account).")
    identifiers: dict[Name, Ref] | None = Field(
        default=None,
        max_length=20,
        description="Scheme -> raw value; tokenised for deconfliction, never stored raw.",
    )
    party: Name = Field(
        default="subject",
        description="subject, or worker/victim: people to protect, masked unless granted.",
    )


class AlertIn(BaseModel):
    alert_id: Name
    labels: list[Label] = Field(default_factory=list, max_length=4)


class IdentityGrantIn(BaseModel):
    username: Name
    grant: bool = True


class DispositionIn(BaseModel):
    disposition: Name = Field(description=f"One of: {', '.join(DISPOSITIONS)}.")
    note: Text = ""


class EvidenceIn(BaseModel):
    table: Name = Field(description="The warehouse table the row is in.")
    key: Ref = Field(description="The row's key in that table.")
    description: Text
    labels: list[Label] = Field(default_factory=list, max_length=4)


class NoteIn(BaseModel):
    text: Text = Field(min_length=1)
    labels: list[Label] = Field(default_factory=list, max_length=4)


class TaskIn(BaseModel):
    title: Name
    assignee: Name | None = None
    due: date | None = None


class ReferralIn(BaseModel):
    to_agency: Name
    reason: Text = Field(min_length=1)


StatusFilter = Annotated[
    str | None,
    Query(max_length=40, pattern=r"^[a-z_]*$", description=f"One of: {', '.join(STATUSES)}."),
]


@router.get("")
def list_cases(request: Request, actor: Actor, paging: Paging, status: StatusFilter = None) -> Page:
    """The cases you may see, newest first (metadata only)."""
    items, total = store_of(request).list_cases(
        actor, limit=paging.limit, offset=paging.offset, status=status
    )
    return page(request, items, total, paging)


@router.post("", status_code=201)
def create_case(request: Request, actor: Actor, body: CaseIn) -> Json:
    """Open a case owned by your agency, with you as its first member."""
    return store_of(request).create_case(actor, body.title, body.summary, body.labels)


@router.get("/{case_id}")
def get_case(request: Request, actor: Actor, case_id: CaseId) -> Json:
    """The case with everything attached; parts you may not read are withheld with the reason."""
    return store_of(request).get_case(actor, case_id)


@router.post("/{case_id}/status")
def set_status(request: Request, actor: Actor, case_id: CaseId, body: StatusIn) -> Json:
    """Move the case along its workflow."""
    return store_of(request).set_status(actor, case_id, body.status)


@router.post("/{case_id}/members", status_code=201)
def add_member(request: Request, actor: Actor, case_id: CaseId, body: MemberIn) -> Json:
    """Give a user access to the case (another agency's user: sharing, supervisors only)."""
    return store_of(request).add_member(actor, case_id, body.username)


@router.post("/{case_id}/identity-grants")
def grant_identities(
    request: Request, actor: Actor, case_id: CaseId, body: IdentityGrantIn
) -> Json:
    """Let a member see worker and victim identifiers unmasked (supervisors), or take it back."""
    return store_of(request).grant_identities(actor, case_id, body.username, body.grant)


@router.post("/{case_id}/legal-bases", status_code=201)
def record_legal_basis(request: Request, actor: Actor, case_id: CaseId, body: LegalBasisIn) -> Json:
    """Record the legal basis (e.g. an IRC 6103(i) order) that covers labelled data."""
    return store_of(request).record_legal_basis(actor, case_id, body.basis())


@router.post("/{case_id}/subjects", status_code=201)
def add_subject(request: Request, actor: Actor, case_id: CaseId, body: SubjectIn) -> Json:
    """Add a subject; its identifiers are checked against other agencies' open cases."""
    return store_of(request).add_subject(
        actor, case_id, body.kind, body.ref, body.identifiers, party=body.party
    )


@router.post("/{case_id}/alerts", status_code=201)
def attach_alert(request: Request, actor: Actor, case_id: CaseId, body: AlertIn) -> Json:
    """Attach a detection alert to the case."""
    return store_of(request).attach_alert(actor, case_id, body.alert_id, body.labels)


@router.post("/{case_id}/alerts/{alert_id}/disposition")
def dispose_alert(
    request: Request, actor: Actor, case_id: CaseId, alert_id: AlertId, body: DispositionIn
) -> Json:
    """Record an attached alert's disposition (it becomes a training label)."""
    return store_of(request).dispose_alert(actor, case_id, alert_id, body.disposition, body.note)


@router.post("/{case_id}/evidence", status_code=201)
def add_evidence(request: Request, actor: Actor, case_id: CaseId, body: EvidenceIn) -> Json:
    """Point at a warehouse row as evidence (a pointer, never a copy)."""
    return store_of(request).add_evidence(
        actor, case_id, body.table, body.key, body.description, body.labels
    )


@router.post("/{case_id}/notes", status_code=201)
def add_note(request: Request, actor: Actor, case_id: CaseId, body: NoteIn) -> Json:
    """Add a note; label it with what it was derived from."""
    return store_of(request).add_note(actor, case_id, body.text, body.labels)


@router.post("/{case_id}/tasks", status_code=201)
def add_task(request: Request, actor: Actor, case_id: CaseId, body: TaskIn) -> Json:
    """Add a task, optionally assigned to a member and due on a date."""
    return store_of(request).add_task(actor, case_id, body.title, body.assignee, body.due)


@router.post("/{case_id}/tasks/{task_id}/complete")
def complete_task(request: Request, actor: Actor, case_id: CaseId, task_id: TaskId) -> Json:
    """Mark a task done."""
    return store_of(request).complete_task(actor, case_id, task_id)


@router.post("/{case_id}/referrals", status_code=201)
def refer(request: Request, actor: Actor, case_id: CaseId, body: ReferralIn) -> Json:
    """Refer the case to another agency (FTI only where the legal basis covers it)."""
    return store_of(request).refer(actor, case_id, body.to_agency, body.reason)
