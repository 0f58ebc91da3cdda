"""What the case store knows for a reveal: the case's subjects and alerts, and the record.

The reveal itself (`moneytrail.reveal`) reads the warehouse; the store gives it
the case as the policy sees it (`reveal_scope`), writes each reveal, granted or
refused, to the audit chain (`record_reveal`), and lists a case's reveals to its
supervisors and to auditors (`reveals`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from moneytrail.access._types import CaseContext, Principal, Role
from moneytrail.cases._base import StoreBase
from moneytrail.cases._models import CaseAlert, Subject, SubjectIdentifier
from moneytrail.errors import AccessDeniedError

REVEAL = "reveal"


@dataclass(frozen=True)
class SubjectRef:
    kind: str  # entity, account, network or business
    ref: str
    identifiers: tuple[tuple[str, str], ...]  # (scheme, token)


@dataclass(frozen=True)
class RevealScope:
    """A case as a reveal needs it: who may act on it, and whose identifiers it holds."""

    context: CaseContext
    subjects: tuple[SubjectRef, ...]  # subjects proper: workers and victims are not targets
    alert_ids: tuple[str, ...]


class CaseReveals(StoreBase):
    def reveal_scope(self, actor: Principal, case_id: int) -> RevealScope:
        """The case's policy context, subjects and attached alerts.

        NotFoundError, as for every other call, when the actor may not know the case
        exists (a HiddenCaseError, not audited here: the reveal records it as its own).
        """
        with self._sessions() as session:
            loaded = self._case_for(session, actor, case_id)
            rows = session.scalars(
                select(Subject)
                .where(Subject.case_id == case_id, Subject.party == "subject")
                .order_by(Subject.id)
            ).all()
            ids: dict[int, list[tuple[str, str]]] = {}
            for s_id, scheme, token in session.execute(
                select(
                    SubjectIdentifier.subject_id, SubjectIdentifier.scheme, SubjectIdentifier.token
                )
                .join(Subject, Subject.id == SubjectIdentifier.subject_id)
                .where(Subject.case_id == case_id)
            ):
                ids.setdefault(s_id, []).append((scheme, token))
            alerts = session.scalars(
                select(CaseAlert.alert_id)
                .where(CaseAlert.case_id == case_id)
                .order_by(CaseAlert.id)
            ).all()
            return RevealScope(
                loaded.context,
                tuple(SubjectRef(r.kind, r.ref, tuple(ids.get(r.id, ()))) for r in rows),
                tuple(alerts),
            )

    def record_reveal(
        self,
        actor: Principal,
        case_id: int,
        purpose: str,
        outcome: str,
        detail: Mapping[str, Any],
    ) -> int:
        """One audit entry for one reveal, granted ("ok") or refused ("denied"); its seq."""
        with self._write() as session:
            return self._audit.append(
                session, actor.username, REVEAL, "case", case_id, purpose, outcome, detail
            )

    def reveals(self, actor: Principal, case_id: int) -> list[dict[str, Any]]:
        """Every reveal asked on the case, oldest first: for its supervisors and for auditors."""
        from moneytrail.access._audit_tables import AuditEntry  # noqa: PLC0415 - see _audit

        with self._read() as session:
            loaded = self._case_for(session, actor, case_id)
            supervisor = actor.role is Role.SUPERVISOR and actor.username in loaded.context.members
            if not supervisor and actor.role is not Role.AUDITOR:
                raise AccessDeniedError(
                    f"{actor.username} ({actor.role}): the reveals of case {case_id} are listed "
                    "to its supervisors and to auditors"
                )
            rows = session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == REVEAL,
                    AuditEntry.object_type == "case",
                    AuditEntry.object_id == str(case_id),
                )
                .order_by(AuditEntry.seq)
            ).all()
            return [
                {
                    "seq": r.seq,
                    "at": r.at,
                    "actor": r.actor,
                    "purpose": r.purpose,
                    "outcome": r.outcome,
                    **json.loads(r.detail),
                }
                for r in rows
            ]
