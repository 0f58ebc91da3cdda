"""Reading a case: each part is shown only when the policy allows its labels.

A part without labels of its own carries the case's labels (`derive`). What
the asker may not read is withheld with the policy's reason; worker and victim
subjects are masked unless the case grants identities to the asker. Every read
of labelled data (and every withheld part) is audited before the case is
returned, in a transaction of its own after the read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moneytrail.access import AuditReport, decide, may_see_identities
from moneytrail.access._types import Action, CaseContext, Decision, Label, Principal, Role
from moneytrail.cases import _deconfliction, _render
from moneytrail.cases._base import RefusalError, StoreBase
from moneytrail.cases._context import LoadedCase, load_case, verify_actor
from moneytrail.cases._models import (
    Agency,
    Case,
    CaseAlert,
    Evidence,
    Note,
    Referral,
    Subject,
    SubjectIdentifier,
    Task,
    User,
)
from moneytrail.errors import CaseInputError, NotFoundError

_Row = TypeVar("_Row")


def _page(limit: int, offset: int) -> None:
    problems = []
    if not 1 <= limit <= 500:
        problems.append(f"limit: {limit} is not between 1 and 500")
    if offset < 0:
        problems.append(f"offset: {offset} is negative")
    if problems:
        raise CaseInputError(problems)


class CaseReader(StoreBase):
    """The reading half of the case store (subclassed by `CaseStore`)."""

    def get_case(self, actor: Principal, case_id: int) -> dict[str, Any]:
        """The case with everything attached; withheld parts say why; labelled reads audited."""
        with self._read() as session:
            loaded = self._case_for(session, actor, case_id)
            view = _CaseView(actor, loaded)
            doc = _render.case_meta(loaded.row, loaded.owner_agency)
            doc["labels"] = sorted(loaded.labels)
            doc["summary"] = view.one("summary", case_id, (), loaded.row.summary)
            doc["members"] = view.all("members", _members(loaded), lambda _: (), lambda m: m)
            doc["legal_bases"] = view.all(
                "legal_bases", loaded.basis_rows, lambda _: (), _render.legal_basis
            )
            unmask = bool(may_see_identities(actor, loaded.context))
            idents = self._identifiers(session, case_id)
            doc["subjects"] = view.all(
                "subjects",
                _rows(session, Subject, case_id),
                lambda _: (),
                lambda s: _render.subject(s, idents.get(s.id, []), unmask),
            )
            doc["alerts"] = view.all(
                "alerts", _rows(session, CaseAlert, case_id), lambda a: a.labels, _render.alert
            )
            doc["evidence"] = view.all(
                "evidence", _rows(session, Evidence, case_id), lambda e: e.labels, _render.evidence
            )
            doc["notes"] = view.all(
                "notes", _rows(session, Note, case_id), lambda n: n.labels, _render.note
            )
            doc["tasks"] = view.all(
                "tasks", _rows(session, Task, case_id), lambda _: (), _render.task
            )
            doc["referrals"] = view.all(
                "referrals", _rows(session, Referral, case_id), lambda _: (), _render.referral
            )
            doc["withheld"] = view.withheld
        if view.read_labels or view.withheld:
            with self._write() as session:
                if view.read_labels:
                    self._audit.append(
                        session,
                        actor.username,
                        "read",
                        "case",
                        case_id,
                        "case view",
                        "ok",
                        {"labels": sorted(view.read_labels), "parts": sorted(view.read_parts)},
                    )
                if view.withheld:
                    self._audit.append(
                        session,
                        actor.username,
                        "read",
                        "case",
                        case_id,
                        "case view",
                        "withheld",
                        {"parts": sorted({w["part"] for w in view.withheld})},
                    )
        return doc

    @staticmethod
    def _identifiers(session: Session, case_id: int) -> dict[int, list[tuple[str, str]]]:
        out: dict[int, list[tuple[str, str]]] = {}
        rows = session.execute(
            select(SubjectIdentifier.subject_id, SubjectIdentifier.scheme, SubjectIdentifier.token)
            .join(Subject, Subject.id == SubjectIdentifier.subject_id)
            .where(Subject.case_id == case_id)
            .order_by(SubjectIdentifier.id)
        ).all()
        for subject_id, scheme, token in rows:
            out.setdefault(subject_id, []).append((scheme, token))
        return out

    def deconfliction_hits(
        self, actor: Principal, *, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Hits for the actor's agency: which agency to contact, and nothing else.

        Only hits on cases whose subjects the actor may read: a hit says that a
        subject of that case is someone else's too, so it is as labelled as the
        subjects (a case labelled FTI: only under its legal basis) and goes only
        to the case's members. Paging runs over the hits the actor may see.
        """
        _page(limit, offset)
        with self._read() as session:
            verify_actor(session, actor)
        if actor.role not in (Role.ANALYST, Role.SUPERVISOR):
            with self._read():
                raise RefusalError(
                    f"{actor.username} ({actor.role}): deconfliction hits go to the analysts and "
                    "supervisors of the agency that holds the case",
                    actor.username,
                    "read",
                    "deconfliction",
                    actor.agency,
                    "deconfliction",
                )
        with self._read() as session:
            hits, _ = _deconfliction.hits_for(session, actor.agency, limit=10_000, offset=0)
            seen: dict[int, bool] = {}
            for hit in hits:
                cid = int(hit["case_id"])
                if cid not in seen:
                    try:
                        loaded = load_case(session, cid)
                    except NotFoundError:
                        seen[cid] = False
                        continue
                    seen[cid] = decide(
                        actor, Action.READ, loaded.labels_for(()), loaded.context
                    ).allowed
            visible = [h for h in hits if seen[int(h["case_id"])]]
            return visible[offset : offset + limit]

    def audit_entries(
        self, actor: Principal, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the audit log (auditors and admins only), newest first, and its total."""
        _page(limit, offset)
        with self._write() as session:
            verify_actor(session, actor)
            if actor.role not in (Role.AUDITOR, Role.ADMIN):
                raise RefusalError(
                    f"{actor.username} ({actor.role}): only auditors and admins read the audit log",
                    actor.username,
                    "read",
                    "audit_log",
                    "entries",
                    "oversight",
                )
            # Reading the log is itself recorded, so oversight is overseen too.
            self._audit.append(
                session,
                actor.username,
                "read",
                "audit_log",
                "entries",
                "oversight",
                "ok",
                {"limit": limit, "offset": offset},
            )
        with self._read() as session:
            return self._audit.entries(session, limit=limit, offset=offset)

    def decide_read(
        self,
        actor: Principal,
        case_id: int,
        labels: Iterable[Label],
        object_type: str,
        object_ids: Sequence[str],
    ) -> Decision:
        """The policy's decision on reading labelled warehouse rows under a case, audited.

        For views outside the case (alerts, entities, employers): FTI-derived rows
        are shown under a case whose legal basis covers them. NotFoundError for a
        case the actor may not see; allowed or not, the attempt is audited.
        """
        wanted = frozenset(Label(lab) for lab in labels)
        with self._read() as session:
            loaded = self._case_for(session, actor, case_id)
            decision = decide(actor, Action.READ, wanted, loaded.context)
        shown = ",".join(object_ids[:20])
        if len(object_ids) > 20:
            shown += f" and {len(object_ids) - 20} more"
        with self._write() as session:
            self._audit.append(
                session,
                actor.username,
                "read",
                object_type,
                shown,
                f"case {case_id}",
                "ok" if decision.allowed else "denied",
                {"labels": sorted(wanted), "rows": len(object_ids), "reason": decision.reason},
            )
        return decision

    def record_identity_read(
        self,
        actor: Principal,
        case_id: int,
        object_type: str,
        object_ids: Sequence[str],
        reason: str,
    ) -> int:
        """Audit that worker or victim identities were shown unmasked under a case; its seq.

        The caller has decided with `may_see_identities` (the case grants them to
        the actor); the entry names the rows, never the identities themselves.
        """
        shown = ",".join(object_ids[:20])
        if len(object_ids) > 20:
            shown += f" and {len(object_ids) - 20} more"
        with self._write() as session:
            return self._audit.append(
                session,
                actor.username,
                "read",
                f"{object_type} identities",
                shown,
                f"case {case_id}",
                "ok",
                {"identities": True, "rows": len(object_ids), "reason": reason},
            )

    def export_context(self, actor: Principal, case_id: int) -> CaseContext:
        """The policy context of a case the actor may see (NotFoundError otherwise), for exports."""
        with self._read() as session:
            return self._case_for(session, actor, case_id).context

    def case_audit(self, actor: Principal, case_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The audit entries about one case, oldest first, for its members' exports.

        A member may take the case's own history (who read, changed, shared and
        exported it) into a report; the whole log stays with auditors.
        """
        # Loaded on first use, as the audit chain loads it (see _audit_tables' docstring).
        from moneytrail.access._audit_tables import AuditEntry as entry  # noqa: PLC0415, N813

        with self._read() as session:
            self._case_for(session, actor, case_id)
            rows = session.scalars(
                select(entry)
                .where(
                    ((entry.object_type == "case") & (entry.object_id == str(case_id)))
                    | (entry.purpose == f"case {case_id}")
                )
                .order_by(entry.seq)
                .limit(limit)
            ).all()
            return [
                {
                    "seq": r.seq,
                    "at": r.at,
                    "actor": r.actor,
                    "action": r.action,
                    "object_type": r.object_type,
                    "object_id": r.object_id,
                    "outcome": r.outcome,
                }
                for r in rows
            ]

    def protected_refs(self, actor: Principal, case_id: int) -> frozenset[tuple[str, str]]:
        """(kind, ref) of the worker and victim subjects the actor may not see unmasked.

        For exports only, so that what they collect from the warehouse leaves these
        people out; the refs themselves never reach the actor (nor the audit log).
        """
        with self._read() as session:
            loaded = self._case_for(session, actor, case_id)
            if may_see_identities(actor, loaded.context):
                return frozenset()
            rows = session.execute(
                select(Subject.kind, Subject.ref).where(
                    Subject.case_id == case_id,
                    Subject.party.in_(sorted(_render.PROTECTED_PARTIES)),
                )
            ).all()
            return frozenset((str(k), str(r)) for k, r in rows)

    def record_export(
        self,
        actor: Principal,
        case_id: int,
        what: str,
        outcome: str,
        detail: Mapping[str, Any],
    ) -> int:
        """Append an export of the case (or its refusal) to the audit chain; its seq."""
        with self._write() as session:
            return self._audit.append(
                session, actor.username, "export", "case", case_id, what, outcome, detail
            )

    def disposition_labels(self, requester: str = "moneytrail model train") -> dict[str, str]:
        """alert_id -> confirmed | false_positive over every case, for training the scorer.

        An alert confirmed on any case counts as confirmed. The export is audited:
        dispositions leave the case store for the warehouse's model.
        """
        with self._write() as session:
            rows = session.execute(
                select(CaseAlert.alert_id, CaseAlert.disposition).where(
                    CaseAlert.disposition.in_(("confirmed", "false_positive"))
                )
            ).all()
            labels: dict[str, str] = {}
            for alert_id, disposition in rows:
                if labels.get(alert_id) != "confirmed":
                    labels[alert_id] = str(disposition)
            self._audit.append(
                session,
                requester,
                "export",
                "dispositions",
                "all",
                "training labels",
                "ok",
                {"alerts": len(labels)},
            )
            return labels

    def audit_checkpoint(self) -> dict[str, Any]:
        """The audit head as a checkpoint to keep outside the database (see AuditLog.checkpoint)."""
        with self._read() as session:
            return self._audit.checkpoint(session)

    def verify_audit(self, checkpoints: Iterable[Mapping[str, Any]] = ()) -> AuditReport:
        """Check the audit hash chain end to end, and that it is as long as the store's history.

        A chain with every entry and its head deleted is a valid empty chain; but each
        agency, user and case was created with an entry, so a log shorter than their
        count has lost entries. A log cut back behind a `checkpoints` entry is reported.
        """
        with self._read() as session:
            report = self._audit.verify(session, checkpoints)
            created = sum(
                int(session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Agency, User, Case)
            )
        if report.entries >= created:
            return report
        problem = (
            f"the audit log holds {report.entries} entries but the store holds {created} "
            "agencies, users and cases, each created with an entry: entries were removed"
        )
        return AuditReport(
            ok=False,
            entries=report.entries,
            problems=[problem, *report.problems],
            first_bad_seq=min(report.first_bad_seq or report.entries + 1, report.entries + 1),
        )


def _members(loaded: LoadedCase) -> list[dict[str, Any]]:
    return [
        {
            "username": m.username,
            "role": m.role,
            "agency": m.name,
            "identities": m.identities,
            "added_at": _render.iso(m.added_at),
        }
        for m in loaded.member_rows
    ]


def _rows(session: Session, model: Any, case_id: int) -> Sequence[Any]:
    # Plain rows, not ORM objects: a case page only reads them, and skipping the
    # identity map halves the cost of each part (their attributes are the columns).
    table = model.__table__
    return (
        session.connection()
        .execute(select(table).where(table.c.case_id == case_id).order_by(table.c.id))
        .all()
    )


class _CaseView:
    """Collects what the asker may read of one case, and what was withheld and why."""

    def __init__(self, actor: Principal, loaded: LoadedCase) -> None:
        self.actor, self.loaded = actor, loaded
        self.withheld: list[dict[str, Any]] = []
        self.read_labels: set[Label] = set()
        self.read_parts: set[str] = set()

    def _allowed(self, part: str, item_id: int | str | None, own: Sequence[str]) -> bool:
        labels = self.loaded.labels_for(own)
        decision = decide(self.actor, Action.READ, labels, self.loaded.context)
        if not decision.allowed:
            self.withheld.append(
                {"part": part, "id": item_id, "labels": sorted(labels), "reason": decision.reason}
            )
            return False
        restricted = labels - {Label.OPEN}
        if restricted:
            self.read_labels.update(restricted)
            self.read_parts.add(part)
        return True

    def one(self, part: str, item_id: int, own: Sequence[str], value: str) -> str | None:
        return value if self._allowed(part, item_id, own) else None

    def all(
        self,
        part: str,
        rows: Sequence[_Row],
        labels: Callable[[_Row], Sequence[str]],
        render: Callable[[_Row], dict[str, Any]],
    ) -> list[dict[str, Any]]:
        shown = []
        for row in rows:
            rid = getattr(row, "id", None)
            if isinstance(row, dict):
                rid = row.get("username")
            if self._allowed(part, rid, labels(row)):
                shown.append(render(row))
        return shown
