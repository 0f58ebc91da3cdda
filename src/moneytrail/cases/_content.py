"""What a case holds: subjects, alerts and their dispositions, evidence, notes, tasks.

Each write asks the policy with the labels of what is written (FTI content may
be written only by a person the case's legal basis names), refuses changes to a
closed case, and is audited in its own transaction. Evidence is a pointer to a
warehouse row; pointing at a tax table makes it FTI whatever the caller says (the labels module).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moneytrail.access import decide, row_labels
from moneytrail.access._types import Action, Label, Principal
from moneytrail.cases import _deconfliction, _render
from moneytrail.cases._base import RefusalError, StoreBase
from moneytrail.cases._context import (
    LoadedCase,
    check_storable,
    is_id,
    labels_of,
    now,
    parse_labels,
)
from moneytrail.cases._models import (
    Agency,
    CaseAlert,
    CaseMember,
    Evidence,
    Note,
    Referral,
    Subject,
    SubjectIdentifier,
    Task,
    User,
)
from moneytrail.cases._vocab import DISPOSITIONS, PARTIES, SUBJECT_KINDS
from moneytrail.errors import CaseInputError, CaseStateError, NotFoundError
from moneytrail.model.tables import TABLES
from moneytrail.privacy._tokens import normalise

# Schemes whose values match on their digits alone (as `normalise` treats them).
DIGIT_SCHEMES = frozenset({"ssn", "itin", "ein", "tin"})
# Labels that go to a partner agency only by a supervisor's decision (see _check_partners).
_PARTNER_CHECKED = frozenset({Label.BSA, Label.LE_SENSITIVE})

WAREHOUSE_TABLES = frozenset(t.name for t in TABLES)
MAX_TEXT = 20_000


def _text(value: str, field: str, limit: int, problems: list[str], *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        problems.append(f"{field}: must not be empty")
    elif len(value) > limit:
        problems.append(f"{field}: at most {limit} characters, got {len(value)}")
    else:
        check_storable(value, field, problems)
    return value


class CaseContent(StoreBase):
    """The writing half of the case store (subclassed by `CaseStore`)."""

    def _open_case(self, session: Session, actor: Principal, case_id: int) -> LoadedCase:
        loaded = self._case_for(session, actor, case_id)
        if loaded.row.status == "closed":
            raise CaseStateError(
                f"case {case_id} is closed; a supervisor reopens it (status active) before changes"
            )
        return loaded

    def _check_partners(
        self,
        session: Session,
        actor: Principal,
        loaded: LoadedCase,
        labels: Iterable[str],
        what: str,
    ) -> None:
        """Writing BSA or LE-sensitive data into a case that partners' users are members of
        discloses it to them (and to an agency a pending referral names): the policy decides
        it as a SHARE to each partner agency.

        Sharing was decided on what the case held then; an analyst may share an open
        case, and without this check later BSA or LE-sensitive parts would reach the
        partner with no supervisor's decision. FTI needs no such check: it is read only
        by persons its legal basis names, and a basis names only covered agencies' users.
        The writer's own agency is no partner: what it brings is not disclosed to itself.
        """
        own_labels = labels_of(loaded.row.labels)  # decided when the case was shared
        new = frozenset(labels_of(labels) & _PARTNER_CHECKED) - own_labels
        if not new:
            return
        members = session.scalars(
            select(Agency.name)
            .join(User, User.agency_id == Agency.id)
            .join(CaseMember, CaseMember.user_id == User.id)
            .where(CaseMember.case_id == loaded.row.id)
        )
        # A referral not yet answered will make its agency a member when accepted.
        referred = session.scalars(
            select(Referral.to_agency).where(
                Referral.case_id == loaded.row.id, Referral.status.in_(("sent", "accepted"))
            )
        )
        partners = sorted({*members, *referred} - {loaded.owner_agency, actor.agency})
        for partner in partners:
            decision = decide(actor, Action.SHARE, new, loaded.context, target_agency=partner)
            if not decision.allowed:
                raise RefusalError(
                    f"case {loaded.row.id} is shared with {partner}; adding "
                    f"{', '.join(sorted(new))} data discloses it to them: {decision.reason}",
                    actor.username,
                    Action.SHARE.value,
                    "case",
                    loaded.row.id,
                    what,
                )

    def add_subject(
        self,
        actor: Principal,
        case_id: int,
        kind: str,
        ref: str,
        identifiers: Mapping[str, str] | None = None,
        *,
        party: str = "subject",
    ) -> dict[str, Any]:
        """Add a subject; identifiers are tokenised (never stored raw) and deconflicted.

        `party` is "subject", or "worker"/"victim" for people to protect, whose
        reference and identifiers are masked unless the case grants identities.
        The result includes "deconfliction": the hits against other agencies' open cases.
        """
        problems: list[str] = []
        if kind not in SUBJECT_KINDS:
            problems.append(f"kind: {kind!r} is not one of {', '.join(SUBJECT_KINDS)}")
        if party not in PARTIES:
            problems.append(f"party: {party!r} is not one of {', '.join(PARTIES)}")
        ref = _text(ref, "ref", 300, problems)
        pairs: list[tuple[str, str]] = []
        for scheme, value in sorted((identifiers or {}).items()):
            name = scheme.strip().lower()
            if not name or len(name) > 40 or not name.replace("_", "").isalnum():
                problems.append(f"identifiers: scheme {scheme!r} must be 1 to 40 letters or digits")
            elif not str(value).strip():
                problems.append(f"identifiers.{name}: empty value")
            elif not normalise(name, str(value)):
                # "n/a" or "---" would all share one token and hit every other placeholder.
                problems.append(
                    f"identifiers.{name}: the value has no "
                    f"{'digits' if name in DIGIT_SCHEMES else 'letters or digits'} to match on"
                )
            else:
                pairs.append((name, self._tokens.token(name, str(value))))
        if problems:
            raise CaseInputError(problems)
        with self._write() as session:
            loaded = self._open_case(session, actor, case_id)
            self._check(
                actor, Action.WRITE, loaded.labels_for(()), loaded, what=f"add subject {kind}"
            )
            row = Subject(
                case_id=case_id,
                kind=kind,
                ref=ref,
                party=party,
                added_by=actor.username,
                added_at=now(),
            )
            session.add(row)
            session.flush()
            session.add_all(
                SubjectIdentifier(subject_id=row.id, scheme=s, token=t) for s, t in pairs
            )
            hits: list[dict[str, Any]] = []
            if pairs:
                contact = session.scalars(
                    select(Agency.contact).where(Agency.name == loaded.owner_agency)
                ).one()
                hits = _deconfliction.register_tokens(
                    session,
                    self._audit,
                    actor=actor.username,
                    agency=loaded.owner_agency,
                    contact=contact,
                    case_id=case_id,
                    tokens=[t for _, t in pairs],
                )
            # The audit keeps the kind and party, never the reference of a protected person.
            self._changed(
                session,
                actor,
                loaded,
                "subject",
                "subject",
                row.id,
                {
                    "kind": kind,
                    "party": party,
                    "identifiers": [s for s, _ in pairs],
                    "hits": len(hits),
                },
            )
            unmask = actor.username in loaded.context.identity_grantees
            return _render.subject(row, pairs, unmask) | {"deconfliction": hits}

    def attach_alert(
        self, actor: Principal, case_id: int, alert_id: str, labels: Iterable[Label] = ()
    ) -> dict[str, Any]:
        """Attach a detection alert (alerts.alert_id) to the case; labels: what it derives from."""
        problems: list[str] = []
        alert_id = _text(alert_id, "alert_id", 100, problems)
        values = parse_labels(labels, "labels", problems)
        if problems:
            raise CaseInputError(problems)
        with self._write() as session:
            loaded = self._open_case(session, actor, case_id)
            self._check(
                actor,
                Action.WRITE,
                loaded.labels_for(values),
                loaded,
                what=f"attach alert {alert_id}",
            )
            self._check_partners(session, actor, loaded, values, f"attach alert {alert_id}")
            if self._alert(session, case_id, alert_id) is not None:
                raise CaseInputError(
                    [f"alert_id: {alert_id} is already attached to case {case_id}"]
                )
            row = CaseAlert(
                case_id=case_id,
                alert_id=alert_id,
                labels=values,
                attached_by=actor.username,
                attached_at=now(),
                disposition=None,
                disposed_by=None,
                disposed_at=None,
                note="",
            )
            session.add(row)
            session.flush()
            self._changed(session, actor, loaded, "attach", "alert", alert_id, {"labels": values})
            return {"case_id": case_id} | _render.alert(row)

    @staticmethod
    def _alert(session: Session, case_id: int, alert_id: str) -> CaseAlert | None:
        return session.scalars(
            select(CaseAlert).where(CaseAlert.case_id == case_id, CaseAlert.alert_id == alert_id)
        ).one_or_none()

    def dispose_alert(
        self, actor: Principal, case_id: int, alert_id: str, disposition: str, note: str = ""
    ) -> dict[str, Any]:
        """Record an alert's disposition: confirmed, false_positive or inconclusive.

        Dispositions are training labels (`moneytrail model train --labels dispositions`).
        """
        problems: list[str] = []
        alert_id = _text(alert_id, "alert_id", 100, problems)
        if disposition not in DISPOSITIONS:
            problems.append(f"disposition: {disposition!r} is not one of {', '.join(DISPOSITIONS)}")
        note = _text(note, "note", MAX_TEXT, problems, required=False)
        if problems:
            raise CaseInputError(problems)
        with self._write() as session:
            loaded = self._open_case(session, actor, case_id)
            row = self._alert(session, case_id, alert_id)
            if row is None:
                raise NotFoundError(f"alert {alert_id} is not attached to case {case_id}")
            self._check(
                actor,
                Action.WRITE,
                loaded.labels_for(row.labels),
                loaded,
                what=f"dispose alert {alert_id}",
            )
            previous = row.disposition
            row.disposition, row.note = disposition, note
            row.disposed_by, row.disposed_at = actor.username, now()
            self._changed(
                session,
                actor,
                loaded,
                "dispose",
                "alert",
                alert_id,
                {"from": previous, "to": disposition},
            )
            return {"case_id": case_id} | _render.alert(row)

    def add_evidence(
        self,
        actor: Principal,
        case_id: int,
        table: str,
        key: str,
        description: str,
        labels: Iterable[Label] = (),
    ) -> dict[str, Any]:
        """Point at a warehouse row (table + key); never a copy of it."""
        problems: list[str] = []
        if table not in WAREHOUSE_TABLES:
            problems.append(f"table: {table!r} is not a warehouse table")
        key = _text(key, "key", 300, problems)
        description = _text(description, "description", MAX_TEXT, problems)
        values = parse_labels(labels, "labels", problems)
        if problems:
            raise CaseInputError(problems)
        # Evidence is as labelled as the table it points into can be, whatever the
        # caller says: the case store cannot see which rows of a derived table
        # (employer_flags, alerts) came from tax data.
        cited = row_labels("evidence", {"table_name": table, "labels": values})
        values = sorted({*values, *(lab.value for lab in cited - {Label.OPEN})})
        with self._write() as session:
            loaded = self._open_case(session, actor, case_id)
            self._check(
                actor, Action.WRITE, loaded.labels_for(values), loaded, what=f"add evidence {table}"
            )
            self._check_partners(session, actor, loaded, values, f"add evidence {table}")
            row = Evidence(
                case_id=case_id,
                table_name=table,
                row_key=key,
                description=description,
                labels=values,
                added_by=actor.username,
                added_at=now(),
            )
            session.add(row)
            session.flush()
            self._changed(
                session,
                actor,
                loaded,
                "evidence",
                "evidence",
                row.id,
                {"table": table, "key": key, "labels": values},
            )
            return {"case_id": case_id} | _render.evidence(row)

    def add_note(
        self, actor: Principal, case_id: int, text: str, labels: Iterable[Label] = ()
    ) -> dict[str, Any]:
        """Add a note; its labels are those of what it was derived from (FTI stays FTI)."""
        problems: list[str] = []
        text = _text(text, "text", MAX_TEXT, problems)
        values = parse_labels(labels, "labels", problems)
        if problems:
            raise CaseInputError(problems)
        with self._write() as session:
            loaded = self._open_case(session, actor, case_id)
            if (
                not values
                and Label.FTI in loaded.labels
                and decide(actor, Action.READ, (Label.FTI,), loaded.context).allowed
            ):
                # Written by someone who can see the case's FTI: treated as derived from it
                # unless the author labels it otherwise (e.g. --label open).
                values = [Label.FTI.value]
            self._check(actor, Action.WRITE, loaded.labels_for(values), loaded, what="add note")
            self._check_partners(session, actor, loaded, values, "add note")
            row = Note(
                case_id=case_id, text=text, labels=values, author=actor.username, created_at=now()
            )
            session.add(row)
            session.flush()
            self._changed(session, actor, loaded, "note", "note", row.id, {"labels": values})
            return {"case_id": case_id} | _render.note(row)

    def add_task(
        self,
        actor: Principal,
        case_id: int,
        title: str,
        assignee: str | None = None,
        due: date | None = None,
    ) -> dict[str, Any]:
        """Add a task, optionally assigned to a member and due on a date."""
        problems: list[str] = []
        title = _text(title, "title", 300, problems)
        with self._write() as session:
            loaded = self._open_case(session, actor, case_id)
            if assignee is not None and assignee not in loaded.context.members:
                problems.append(f"assignee: {assignee!r} is not a member of case {case_id}")
            if problems:
                raise CaseInputError(problems)
            self._check(actor, Action.WRITE, loaded.labels_for(()), loaded, what="add task")
            row = Task(
                case_id=case_id,
                title=title,
                assignee=assignee,
                due=due,
                done=False,
                done_at=None,
                created_by=actor.username,
                created_at=now(),
            )
            session.add(row)
            session.flush()
            self._changed(session, actor, loaded, "task", "task", row.id, {"assignee": assignee})
            return {"case_id": case_id} | _render.task(row)

    def complete_task(self, actor: Principal, case_id: int, task_id: int) -> dict[str, Any]:
        """Mark a task done."""
        with self._write() as session:
            loaded = self._open_case(session, actor, case_id)
            row = None
            if is_id(task_id):
                row = session.scalars(
                    select(Task).where(Task.case_id == case_id, Task.id == task_id)
                ).one_or_none()
            if row is None:
                raise NotFoundError(f"case {case_id} has no task {task_id}")
            self._check(
                actor, Action.WRITE, loaded.labels_for(()), loaded, what=f"complete task {task_id}"
            )
            if row.done:
                raise CaseStateError(f"task {task_id} of case {case_id} is already done")
            row.done, row.done_at = True, now()
            self._changed(session, actor, loaded, "task_done", "task", row.id, {})
            return {"case_id": case_id} | _render.task(row)
