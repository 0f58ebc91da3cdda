"""What the policy needs to know about a case, read from the store in one place.

`load_case` returns the case row with its `CaseContext` (owner agency, members,
legal bases, identity grants) and the labels of everything the case holds, so
every method of the store asks `decide` about the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from moneytrail.access import derive
from moneytrail.access._types import CaseContext, Label, LegalBasis, Principal
from moneytrail.cases._models import (
    Agency,
    Case,
    CaseAlert,
    CaseMember,
    Evidence,
    LegalBasisRow,
    Note,
    User,
)
from moneytrail.errors import AuthenticationError, CaseInputError, NotFoundError

# Ids are INTEGER columns (32-bit on PostgreSQL); a number outside that range names
# no row, and must not reach a driver that overflows on it.
MAX_ID = 2**31 - 1


def is_id(value: int) -> bool:
    """Whether `value` can be the id of a stored row."""
    return 1 <= value <= MAX_ID


def now() -> datetime:
    return datetime.now(UTC)


def parse_labels(values: Iterable[Label | str], field: str, problems: list[str]) -> list[str]:
    """Sorted label values; unknown ones are added to `problems` naming `field`."""
    known = {label.value for label in Label}
    out: set[str] = set()
    for value in values:
        text = str(value.value if isinstance(value, Label) else value).strip().lower()
        if text in known:
            out.add(text)
        else:
            problems.append(
                f"{field}: unknown label {value!r}; choose from {', '.join(sorted(known))}"
            )
    return sorted(out)


def labels_of(values: Iterable[Label | str]) -> frozenset[Label]:
    return frozenset(Label(v) for v in values)


def basis_of(row: LegalBasisRow) -> LegalBasis:
    return LegalBasis(
        kind=row.kind,
        reference=row.reference,
        scope=row.scope,
        labels=labels_of(row.labels),
        persons=frozenset(str(p) for p in row.persons),
        agencies=frozenset(str(a) for a in row.agencies),
        expires=row.expires,
        reveals=bool(row.reveals),
    )


@dataclass(frozen=True)
class LoadedCase:
    row: Case
    owner_agency: str
    context: CaseContext
    # The case's own labels and those of all it holds: FTI anywhere makes the case FTI.
    labels: frozenset[Label]
    # What the context was built from, kept so a case page need not read it again.
    member_rows: tuple[Any, ...] = ()  # username, identities, role, agency name, added_at
    basis_rows: tuple[LegalBasisRow, ...] = ()

    def labels_for(self, own: Iterable[Label | str]) -> frozenset[Label]:
        """Labels of one part of the case: its own and the case's declared ones (`derive`)."""
        return derive(labels_of(self.row.labels), labels_of(own))


def load_case(session: Session, case_id: int, *, for_update: bool = False) -> LoadedCase:
    """The case and its policy context; NotFoundError when there is no such case."""
    if not is_id(case_id):
        raise NotFoundError(f"no case {case_id}")
    query = (
        select(Case, Agency.name)
        .join(Agency, Agency.id == Case.owner_agency_id)
        .where(Case.id == case_id)
    )
    if for_update:
        query = query.with_for_update(of=Case)
    found = session.execute(query).one_or_none()
    if found is None:
        raise NotFoundError(f"no case {case_id}")
    row, owner = found
    members = session.execute(
        select(User.username, CaseMember.identities, User.role, Agency.name, CaseMember.added_at)
        .join(CaseMember, CaseMember.user_id == User.id)
        .join(Agency, Agency.id == User.agency_id)
        .where(CaseMember.case_id == case_id)
        .order_by(CaseMember.id)
    ).all()
    bases = session.scalars(
        select(LegalBasisRow).where(LegalBasisRow.case_id == case_id).order_by(LegalBasisRow.id)
    ).all()
    held: set[str] = set(row.labels)
    # One round trip for the labels of everything the case holds.
    parts = union_all(
        *(select(m.labels).where(m.case_id == case_id) for m in (Evidence, Note, CaseAlert))
    )
    for labels in session.scalars(select(parts.subquery().c.labels)):
        held.update(labels)
    held.discard(Label.OPEN.value)  # open is no restriction: it never labels the case
    grantees = frozenset(m.username for m in members if m.identities)
    context = CaseContext(
        case_id=row.id,
        owner_agency=owner,
        status=row.status,
        members=frozenset(m.username for m in members),
        legal_bases=tuple(basis_of(b) for b in bases),
        grants_identities=bool(grantees),
        identity_grantees=grantees,
    )
    return LoadedCase(
        row=row,
        owner_agency=owner,
        context=context,
        labels=labels_of(held),
        member_rows=tuple(members),
        basis_rows=tuple(bases),
    )


def unstorable(value: str) -> str | None:
    """Why `value` cannot be stored as text on every backend, or None when it can.

    PostgreSQL refuses NUL characters and neither backend can encode a lone
    surrogate (which a JSON request may carry as an escape); both must be refused
    as input, not surface as a driver error.
    """
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (it holds a lone surrogate)"
    return None


def check_storable(value: str, field: str, problems: list[str]) -> bool:
    """Add a problem naming `field` when `value` cannot be stored; whether it can."""
    why = unstorable(value)
    if why is not None:
        problems.append(f"{field}: {why}")
    return why is None


def verify_actor(session: Session, actor: Principal) -> None:
    """AuthenticationError unless `actor` is an active user with the agency and role it claims.

    A Principal is a plain value the caller hands over: one issued before the
    user was disabled or changed, or one made up, must not act.
    """
    found = None
    if unstorable(actor.username) is None:
        found = session.execute(
            select(User.active, User.role, Agency.name)
            .join(Agency, Agency.id == User.agency_id)
            .where(User.username == actor.username)
        ).one_or_none()
    if (
        found is None
        or not found.active
        or found.role != str(actor.role)
        or found.name != actor.agency
    ):
        raise AuthenticationError(
            f"{actor.username!r} is not an active {actor.role} of {actor.agency}; sign in again"
        )


def user_row(session: Session, username: str, field: str = "username") -> User:
    if unstorable(username) is not None:
        raise CaseInputError([f"{field}: no user {username!r} ({unstorable(username)})"])
    row = session.scalars(select(User).where(User.username == username)).one_or_none()
    if row is None:
        raise CaseInputError([f"{field}: no user {username!r}"])
    return row


def agency_name(session: Session, agency_id: int) -> str:
    return session.scalars(select(Agency.name).where(Agency.id == agency_id)).one()
