"""Agencies and users: who may sign in, for which agency, in which role.

Only an admin manages the directory, except the bootstrap: while no admin
exists, the first agency and the first admin may be added without an actor.
Passwords are kept only as argon2 hashes; unknown user and wrong password give
the same error so that sign-in does not reveal who has an account.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moneytrail.access import hash_password, needs_rehash, verify_password
from moneytrail.access._types import Principal, Role
from moneytrail.cases._base import RefusalError
from moneytrail.cases._context import (
    agency_name,
    check_storable,
    now,
    unstorable,
    verify_actor,
)
from moneytrail.cases._models import Agency, User
from moneytrail.cases._render import iso
from moneytrail.errors import AuthenticationError, CaseInputError

_BAD_LOGIN = "unknown user or wrong password"
MIN_PASSWORD = 12


def has_admin(session: Session) -> bool:
    query = select(func.count()).select_from(User).where(User.role == Role.ADMIN.value)
    return bool(session.scalar(query))


def check_manager(
    session: Session, actor: Principal | None, kind: str, name: str, action: str = "create"
) -> str:
    """The actor's name when they may change a `kind` of the directory; a RefusalError otherwise."""
    if actor is None:
        if has_admin(session):
            raise RefusalError(
                f"add {kind} {name!r}: an admin exists, so an admin must sign in to do this",
                "bootstrap",
                "create",
                kind,
                name,
                "directory",
            )
        return "bootstrap"
    verify_actor(session, actor)
    if actor.role is not Role.ADMIN:
        raise RefusalError(
            f"{kind} {name!r}: only an admin manages agencies and users; "
            f"{actor.username} is {actor.role}",
            actor.username,
            action,
            kind,
            name,
            "directory",
        )
    return actor.username


def agency_dict(row: Agency) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "contact": row.contact}


def user_dict(row: User, agency: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "agency": agency,
        "role": row.role,
        "active": row.active,
        "created_at": iso(row.created_at),
    }


def add_agency(session: Session, name: str, contact: str) -> Agency:
    problems: list[str] = []
    name, contact = name.strip(), contact.strip()
    if not name or len(name) > 200:
        problems.append("name: give an agency name of 1 to 200 characters")
    elif not check_storable(name, "name", problems):
        pass
    elif session.scalar(select(Agency.id).where(Agency.name == name)) is not None:
        problems.append(f"name: agency {name!r} already exists")
    if len(contact) > 500:
        problems.append("contact: at most 500 characters")
    check_storable(contact, "contact", problems)
    if problems:
        raise CaseInputError(problems)
    row = Agency(name=name, contact=contact)
    session.add(row)
    session.flush()
    return row


def add_user(
    session: Session, username: str, agency: str, role: Role | str, password: str, bootstrap: bool
) -> User:
    problems = []
    username = username.strip()
    if (
        not username
        or len(username) > 100
        or not username.replace("_", "").replace(".", "").isalnum()
    ):
        problems.append("username: 1 to 100 letters, digits, '.' or '_'")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(f"username: user {username!r} already exists")
    agency_id = None
    if check_storable(agency, "agency", problems):
        agency_id = session.scalar(select(Agency.id).where(Agency.name == agency))
    if agency_id is None and unstorable(agency) is None:
        problems.append(f"agency: no agency {agency!r}")
    try:
        role = Role(role)
    except ValueError:
        problems.append(f"role: {role!r} is not one of {', '.join(r.value for r in Role)}")
    else:
        if bootstrap and role is not Role.ADMIN:
            problems.append("role: the first user must be an admin")
    if len(password) < MIN_PASSWORD:
        problems.append(f"password: at least {MIN_PASSWORD} characters")
    elif unstorable(password) is not None:
        problems.append("password: must be valid Unicode text without NUL characters")
    if problems:
        raise CaseInputError(problems)
    assert agency_id is not None
    row = User(
        username=username,
        agency_id=agency_id,
        role=Role(role).value,
        password_hash=hash_password(password),
        active=True,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row


def principal_of(session: Session, row: User) -> Principal:
    return Principal(
        username=row.username, agency=agency_name(session, row.agency_id), role=Role(row.role)
    )


def authenticate(session: Session, username: str, password: str) -> tuple[Principal, bool]:
    """The principal for a correct password, and whether its hash should be renewed."""
    row = None
    if unstorable(username) is None and unstorable(password) is None:
        row = session.scalars(select(User).where(User.username == username)).one_or_none()
    if row is None or not row.active:
        # Hash anyway so that timing does not tell unknown users from wrong passwords.
        verify_password(_dummy_hash(), password)
        raise AuthenticationError(_BAD_LOGIN)
    if not verify_password(row.password_hash, password):
        raise AuthenticationError(_BAD_LOGIN)
    return principal_of(session, row), needs_rehash(row.password_hash)


def rehash(session: Session, username: str, password: str) -> None:
    row = session.scalars(select(User).where(User.username == username)).one()
    row.password_hash = hash_password(password)


@cache
def _dummy_hash() -> str:
    return hash_password("not a password anyone has")
