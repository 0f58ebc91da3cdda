"""Deconfliction without a trusted hub: agencies learn that they share a subject, nothing more.

Subject identifiers are matched only as keyed-HMAC tokens (`moneytrail.privacy.
Tokeniser` with the shared token key), never as raw values. When an agency
registers the tokens of a subject on an open case and another agency holds an
equal token on one of its open cases, both agencies get a *hit*: "agency X has
a match on an open case; contact ...". A hit never names the other case, its
title, its subjects or the identifier that matched. Every hit is audited.
Closing a case withdraws its tokens (`withdraw_case`); reopening restores them
(`restore_case`), which matches them again.

Two deployments that do not share a database deconflict by exchanging token
files (`export_tokens` / `import_tokens`): each side imports the other's file,
so each learns of the hit on its own side. A file holds a format tag, version,
the agency's name and contact, and the sorted tokens of its open cases. Both
sides must use the same token key (MONEYTRAIL_TOKEN_KEY), and that key must stay
with the deployments: whoever holds it can test guessed values against tokens.

Functions for `CaseStore` (all run inside the caller's session and transaction):

    register_tokens(session, audit, actor=, agency=, contact=, case_id=, tokens=) -> [hit]
    withdraw_case(session, case_id) -> int
    restore_case(session, audit, actor=, case_id=) -> [hit]
    hits_for(session, agency, limit=, offset=) -> ([hit], total)
    tokens_for(key, identifiers) -> [token]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from moneytrail.access._audit import AuditLog
from moneytrail.errors import CaseInputError
from moneytrail.privacy import Tokeniser
from moneytrail.privacy._tokens import TOKEN_HEX
from moneytrail.store import Base

FILE_FORMAT: Final = "moneytrail-deconfliction"
FILE_VERSION: Final = 1
_TOKEN = re.compile(rf"[0-9a-f]{{{TOKEN_HEX}}}")
_CHUNK = 500  # bound on IN (...) parameters per query, under every backend's limit
LOCAL: Final = "local"
IMPORTED: Final = "import"


class DeconflictionToken(Base):
    """A token of one subject identifier on one open case (local) or in a partner's file."""

    __tablename__ = "deconfliction_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(200), index=True)
    contact: Mapped[str] = mapped_column(String(500))
    # A local case's id; None for tokens imported from another deployment's file.
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    origin: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeconflictionHit(Base):
    """One agency's notice that another agency has a match on one of its open cases."""

    __tablename__ = "deconfliction_hits"
    __table_args__ = (
        UniqueConstraint(
            "agency", "case_id", "other_agency", "other_ref", name="uq_deconfliction_hits_match"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(200), index=True)  # who is told
    case_id: Mapped[int] = mapped_column(Integer)  # the told agency's own case
    other_agency: Mapped[str] = mapped_column(String(200))
    other_contact: Mapped[str] = mapped_column(String(500))
    # Internal key of the other side ("case:N" or "import:AGENCY") so a repeat
    # match is one hit; never part of what a hit shows.
    other_ref: Mapped[str] = mapped_column(String(260))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- tokens ---------------------------------------------------------------------------


def tokens_for(key: bytes, identifiers: Mapping[str, str]) -> list[str]:
    """Tokens of a subject's identifiers (scheme -> raw value), e.g. {"ein": "12-3456789"}."""
    tokeniser = Tokeniser(key)
    problems = [
        f"identifier {scheme!r}: empty value"
        for scheme, value in identifiers.items()
        if not str(value).strip()
    ]
    if problems:
        raise CaseInputError(problems)
    return sorted({tokeniser.token(scheme, value) for scheme, value in identifiers.items()})


def _check_tokens(tokens: Iterable[str], where: str) -> list[str]:
    given = list(tokens)
    problems = [
        f"{where}[{i}]: not a {TOKEN_HEX}-digit lower-case hex token"
        for i, tok in enumerate(given)
        if not isinstance(tok, str) or not _TOKEN.fullmatch(tok)
    ]
    if problems:
        raise CaseInputError(
            problems[:20] + ([f"... {len(problems) - 20} more"] if len(problems) > 20 else [])
        )
    return sorted(set(given))


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _now() -> datetime:
    return datetime.now(UTC)


# --- matching ---------------------------------------------------------------------------


def register_tokens(
    session: Session,
    audit: AuditLog,
    *,
    actor: str,
    agency: str,
    contact: str,
    case_id: int,
    tokens: Iterable[str],
) -> list[dict[str, Any]]:
    """Record an open case's subject tokens and match them against other agencies.

    Returns the registering agency's hits from this registration (each names only
    the other agency and its contact). The other agency, when local, gets its own
    hit. Tokens already registered for the case are not duplicated.
    """
    wanted = _check_tokens(tokens, "tokens")
    known: set[str] = set()
    for chunk in _chunks(wanted):
        known.update(
            session.scalars(
                select(DeconflictionToken.token).where(
                    DeconflictionToken.case_id == case_id,
                    DeconflictionToken.origin == LOCAL,
                    DeconflictionToken.token.in_(chunk),
                )
            )
        )
    now = _now()
    session.add_all(
        DeconflictionToken(
            token=tok,
            agency=agency,
            contact=contact,
            case_id=case_id,
            origin=LOCAL,
            active=True,
            created_at=now,
        )
        for tok in wanted
        if tok not in known
    )
    session.flush()
    return _match(
        session, audit, actor=actor, agency=agency, contact=contact, case_id=case_id, tokens=wanted
    )


def withdraw_case(session: Session, case_id: int) -> int:
    """Take a closed case's tokens out of matching; returns how many were withdrawn."""
    result = session.execute(
        update(DeconflictionToken)
        .where(DeconflictionToken.case_id == case_id, DeconflictionToken.origin == LOCAL)
        .values(active=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def restore_case(
    session: Session, audit: AuditLog, *, actor: str, case_id: int
) -> list[dict[str, Any]]:
    """Put a reopened case's tokens back into matching; returns the case's new hits."""
    rows = list(
        session.scalars(
            select(DeconflictionToken).where(
                DeconflictionToken.case_id == case_id, DeconflictionToken.origin == LOCAL
            )
        )
    )
    if not rows:
        return []
    for row in rows:
        row.active = True
    session.flush()
    first = rows[0]
    return _match(
        session,
        audit,
        actor=actor,
        agency=first.agency,
        contact=first.contact,
        case_id=case_id,
        tokens=sorted({r.token for r in rows}),
    )


def _match(
    session: Session,
    audit: AuditLog,
    *,
    actor: str,
    agency: str,
    contact: str,
    case_id: int,
    tokens: Sequence[str],
) -> list[dict[str, Any]]:
    others: dict[tuple[str, int | None], str] = {}
    for chunk in _chunks(tokens):
        for other_agency, other_case, other_contact in session.execute(
            select(
                DeconflictionToken.agency, DeconflictionToken.case_id, DeconflictionToken.contact
            )
            .where(
                DeconflictionToken.token.in_(chunk),
                DeconflictionToken.active.is_(True),
                DeconflictionToken.agency != agency,
            )
            .distinct()
        ):
            others[(other_agency, other_case)] = other_contact
    hits: list[dict[str, Any]] = []
    for (other_agency, other_case), other_contact in sorted(
        others.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
    ):
        other_ref = f"import:{other_agency}" if other_case is None else f"case:{other_case}"
        mine = _record_hit(
            session,
            audit,
            actor=actor,
            agency=agency,
            case_id=case_id,
            other_agency=other_agency,
            other_contact=other_contact,
            other_ref=other_ref,
        )
        hits.append(mine)
        if other_case is not None:
            _record_hit(
                session,
                audit,
                actor=actor,
                agency=other_agency,
                case_id=other_case,
                other_agency=agency,
                other_contact=contact,
                other_ref=f"case:{case_id}",
            )
    return hits


def _record_hit(
    session: Session,
    audit: AuditLog,
    *,
    actor: str,
    agency: str,
    case_id: int,
    other_agency: str,
    other_contact: str,
    other_ref: str,
) -> dict[str, Any]:
    hit = session.scalar(
        select(DeconflictionHit).where(
            DeconflictionHit.agency == agency,
            DeconflictionHit.case_id == case_id,
            DeconflictionHit.other_agency == other_agency,
            DeconflictionHit.other_ref == other_ref,
        )
    )
    if hit is None:
        hit = DeconflictionHit(
            agency=agency,
            case_id=case_id,
            other_agency=other_agency,
            other_contact=other_contact,
            other_ref=other_ref,
            created_at=_now(),
        )
        session.add(hit)
        session.flush()
        audit.append(
            session,
            actor,
            "deconfliction_hit",
            "case",
            case_id,
            purpose="deconfliction",
            outcome="hit",
            detail={"notified_agency": agency, "match_agency": other_agency, "hit": hit.id},
        )
    else:
        hit.other_contact = other_contact  # a partner's newer file may change whom to call
    return _hit_dict(hit)


def _hit_dict(hit: DeconflictionHit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "agency": hit.agency,
        "case_id": hit.case_id,
        "other_agency": hit.other_agency,
        "contact": hit.other_contact,
        "message": (
            f"{hit.other_agency} has a match on an open case of theirs; contact {hit.other_contact}"
        ),
        "at": hit.created_at.isoformat(),
    }


def hits_for(
    session: Session, agency: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One page of an agency's hits, newest first, and their total."""
    where = DeconflictionHit.agency == agency
    total = int(
        session.scalar(select(func.count()).select_from(DeconflictionHit).where(where)) or 0
    )
    rows = session.scalars(
        select(DeconflictionHit)
        .where(where)
        .order_by(DeconflictionHit.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_hit_dict(h) for h in rows], total


# --- files between deployments -------------------------------------------------------------


def export_tokens(session: Session, agency: str, contact: str) -> dict[str, Any]:
    """The token file of an agency's open cases, for a partner deployment to import."""
    tokens = session.scalars(
        select(DeconflictionToken.token)
        .where(
            DeconflictionToken.agency == agency,
            DeconflictionToken.origin == LOCAL,
            DeconflictionToken.active.is_(True),
        )
        .distinct()
        .order_by(DeconflictionToken.token)
    )
    return {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "agency": agency,
        "contact": contact,
        "created": _now().isoformat(timespec="seconds"),
        "tokens": list(tokens),
    }


def _check_file(doc: Any, source: str) -> tuple[str, str, list[str]]:
    if not isinstance(doc, Mapping):
        raise CaseInputError([f"{source}: not a JSON object"])
    problems: list[str] = []
    if doc.get("format") != FILE_FORMAT:
        problems.append(
            f"{source}: field 'format' must be {FILE_FORMAT!r}, found {doc.get('format')!r}"
        )
    if doc.get("version") != FILE_VERSION:
        problems.append(
            f"{source}: field 'version' must be {FILE_VERSION}, found {doc.get('version')!r}"
        )
    for name, limit in (("agency", 200), ("contact", 500)):
        value = doc.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            problems.append(
                f"{source}: field {name!r} must be a non-empty text of at most {limit} characters"
            )
    if not isinstance(doc.get("tokens"), list):
        problems.append(f"{source}: field 'tokens' must be a list")
    if problems:
        raise CaseInputError(problems)
    tokens = _check_tokens(doc["tokens"], f"{source}: field 'tokens'")
    return str(doc["agency"]), str(doc["contact"]), tokens


def import_tokens(
    session: Session, audit: AuditLog, doc: Any, *, actor: str, source: str
) -> list[dict[str, Any]]:
    """Load a partner deployment's token file and match it against local open cases.

    The file replaces the partner's previous one (its open cases may have changed).
    Returns the local agencies' new or renewed hits. A bad file raises
    CaseInputError naming `source` and the field, and changes nothing.
    """
    other_agency, other_contact, tokens = _check_file(doc, source)
    session.execute(
        delete(DeconflictionToken).where(
            DeconflictionToken.origin == IMPORTED, DeconflictionToken.agency == other_agency
        )
    )
    now = _now()
    session.add_all(
        DeconflictionToken(
            token=tok,
            agency=other_agency,
            contact=other_contact,
            case_id=None,
            origin=IMPORTED,
            active=True,
            created_at=now,
        )
        for tok in tokens
    )
    session.flush()
    local: set[tuple[str, int]] = set()
    for chunk in _chunks(tokens):
        local.update(
            (a, c)
            for a, c in session.execute(
                select(DeconflictionToken.agency, DeconflictionToken.case_id).where(
                    DeconflictionToken.token.in_(chunk),
                    DeconflictionToken.origin == LOCAL,
                    DeconflictionToken.active.is_(True),
                    DeconflictionToken.agency != other_agency,
                )
            )
            if c is not None
        )
    return [
        _record_hit(
            session,
            audit,
            actor=actor,
            agency=agency,
            case_id=case_id,
            other_agency=other_agency,
            other_contact=other_contact,
            other_ref=f"import:{other_agency}",
        )
        for agency, case_id in sorted(local)
    ]
