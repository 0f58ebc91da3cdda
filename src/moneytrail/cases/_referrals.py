"""Referrals: one agency hands a case (or a lead) to another, which accepts or declines.

Referring is a disclosure the policy decides (Action.REFER) on everything the
case holds: a case holding FTI goes only to an agency its legal basis covers.
The receiving agency's supervisor then accepts (becoming a member, so its
people can be added) or declines (the case returns to active for its owner).
Reads after acceptance are still checked part by part, so FTI stays with the
persons the legal basis names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from moneytrail.access._types import Action, Label, Principal, Role
from moneytrail.cases import _render
from moneytrail.cases._base import RefusalError, StoreBase
from moneytrail.cases._context import (
    check_storable,
    is_id,
    load_case,
    now,
    user_row,
    verify_actor,
)
from moneytrail.cases._models import Agency, Case, CaseMember, Referral
from moneytrail.errors import CaseInputError, CaseStateError, NotFoundError

_OPEN = frozenset({Label.OPEN})
MAX_REASON = 20_000


class CaseReferrals(StoreBase):
    """Referring cases between agencies (subclassed by `CaseStore`)."""

    def refer(self, actor: Principal, case_id: int, to_agency: str, reason: str) -> dict[str, Any]:
        """Refer an active case to another agency; the case becomes `referred`.

        The policy decides on everything the case holds: a case holding FTI goes
        only to an agency its legal basis covers, else the refusal says why.
        """
        problems: list[str] = []
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            problems.append(f"reason: give a reason of 1 to {MAX_REASON} characters")
        check_storable(reason, "reason", problems)
        with self._write() as session:
            loaded = self._case_for(session, actor, case_id)
            if not check_storable(to_agency, "to_agency", problems):
                pass
            elif session.scalar(select(Agency.id).where(Agency.name == to_agency)) is None:
                problems.append(f"to_agency: no agency {to_agency!r}")
            elif to_agency == loaded.owner_agency:
                problems.append(f"to_agency: case {case_id} already belongs to {to_agency}")
            if problems:
                raise CaseInputError(problems)
            if actor.agency != loaded.owner_agency:
                # Handing the case on is its owner's act; a partner's member asks the owner.
                raise RefusalError(
                    f"{actor.username} ({actor.agency}): only the owning agency "
                    f"{loaded.owner_agency} refers case {case_id}; ask its supervisor",
                    actor.username,
                    Action.REFER.value,
                    "case",
                    case_id,
                    f"refer to {to_agency}",
                )
            if loaded.row.status != "active":
                raise CaseStateError(
                    f"case {case_id} is {loaded.row.status}; only an active case is referred"
                )
            self._check(
                actor,
                Action.REFER,
                loaded.labels or _OPEN,
                loaded,
                target_agency=to_agency,
                what=f"refer to {to_agency}",
            )
            row = Referral(
                case_id=case_id,
                from_agency=loaded.owner_agency,
                to_agency=to_agency,
                reason=reason,
                status="sent",
                referred_by=actor.username,
                created_at=now(),
            )
            session.add(row)
            loaded.row.status = "referred"
            session.flush()
            self._changed(
                session,
                actor,
                loaded,
                "refer",
                "referral",
                row.id,
                {"to_agency": to_agency, "labels": sorted(loaded.labels)},
            )
            return {"case_id": case_id} | _render.referral(row)

    def incoming_referrals(
        self, actor: Principal, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Referrals to the actor's agency, newest first: case id and title, who, why, status."""
        if not 1 <= limit <= 500 or offset < 0:
            raise CaseInputError([f"limit/offset: {limit}/{offset}; limit 1-500, offset >= 0"])
        with self._read() as session:
            verify_actor(session, actor)
            if actor.role not in (Role.ANALYST, Role.SUPERVISOR):
                raise RefusalError(
                    f"{actor.username} ({actor.role}): referrals go to an agency's analysts "
                    "and supervisors",
                    actor.username,
                    "read",
                    "referral",
                    actor.agency,
                    "referrals",
                )
            where = Referral.to_agency == actor.agency
            total = int(
                session.scalar(select(func.count()).select_from(Referral).where(where)) or 0
            )
            rows = session.execute(
                select(Referral, Case.title)
                .join(Case, Case.id == Referral.case_id)
                .where(where)
                .order_by(Referral.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            items = [
                {"case_id": ref.case_id, "title": title} | _render.referral(ref)
                for ref, title in rows
            ]
            return items, total

    def answer_referral(
        self, actor: Principal, referral_id: int, *, accept: bool
    ) -> dict[str, Any]:
        """Accept (the supervisor joins the case) or decline (the case returns to active)."""
        answer = "accept" if accept else "decline"
        with self._write() as session:
            verify_actor(session, actor)
            row = session.get(Referral, referral_id) if is_id(referral_id) else None
            if row is None or row.to_agency != actor.agency:
                raise NotFoundError(f"no referral {referral_id} to {actor.agency}")
            if actor.role is not Role.SUPERVISOR:
                # The disclosure was decided when the case was referred; this only names
                # who at the receiving agency takes it on, which is a supervisor's call.
                raise RefusalError(
                    f"{actor.username} ({actor.role}): a supervisor of {actor.agency} answers "
                    "referrals to it",
                    actor.username,
                    answer,
                    "referral",
                    referral_id,
                    "referrals",
                )
            if row.status != "sent":
                raise CaseStateError(f"referral {referral_id} was already {row.status}")
            loaded = load_case(session, row.case_id)
            row.status = "accepted" if accept else "declined"
            if accept and actor.username not in loaded.context.members:
                me = user_row(session, actor.username, "actor")
                session.add(
                    CaseMember(
                        case_id=row.case_id,
                        user_id=me.id,
                        identities=False,
                        added_by=actor.username,
                        added_at=now(),
                    )
                )
            if not accept and loaded.row.status == "referred":
                loaded.row.status = "active"
            self._changed(
                session,
                actor,
                loaded,
                answer,
                "referral",
                referral_id,
                {"case": row.case_id, "from_agency": row.from_agency},
            )
            return {"case_id": row.case_id} | _render.referral(row)
