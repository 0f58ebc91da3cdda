"""The case store service: every read and change of a case goes through here.

The API and the CLI call `CaseStore`; it asks `moneytrail.access.decide` before
each action, raises AccessDeniedError with the policy's reason, appends every
change and every read of labelled data to the audit chain in the same
transaction as the change, and returns JSON-ready dicts (ISO dates, ints,
strings). Refusals are audited too, in a transaction of their own, since the
refused change itself is rolled back.

On top of the policy's table the store keeps a case its owner's: only the owning
agency shares it with another agency's users, refers it, records its legal basis
and grants identities; a legal basis names only users of agencies it covers; and
BSA or LE-sensitive data written into a case a partner can read is decided as a
SHARE to that partner (`_content`). Every call first checks that the actor is
an active user with the agency and role it claims.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from moneytrail.access import AuditLog, decide
from moneytrail.access._types import Action, CaseContext, Label, LegalBasis, Principal, Role
from moneytrail.cases import _deconfliction, _directory, _render, _signin
from moneytrail.cases._base import NO_LABELS, RefusalError
from moneytrail.cases._content import MAX_TEXT, CaseContent
from moneytrail.cases._context import (
    check_storable,
    now,
    parse_labels,
    unstorable,
    user_row,
    verify_actor,
)
from moneytrail.cases._models import Agency, Case, CaseMember, LegalBasisRow, User
from moneytrail.cases._reading import CaseReader
from moneytrail.cases._referrals import CaseReferrals
from moneytrail.cases._reveals import CaseReveals
from moneytrail.cases._vocab import STATUSES, SUPERVISOR_MOVES, TRANSITIONS
from moneytrail.errors import (
    AuthenticationError,
    CaseInputError,
    CaseStateError,
    SignInLockedError,
)
from moneytrail.store import make_engine, migrate
from moneytrail.workspace import Workspace


class CaseStore(CaseContent, CaseReferrals, CaseReader, CaseReveals):
    """Cases, their members, subjects, alerts, evidence, notes, tasks and referrals.

    Reading (get_case, hits, audit) lives in `_reading`, a case's content
    (subjects, alerts, evidence, notes, tasks) in `_content`, referrals in `_referrals`.
    """

    @classmethod
    def open(cls, workspace: Workspace, url: str | None = None) -> CaseStore:
        """Connect to `url` (default: the workspace's case store), migrate, load the keys."""
        workspace.ensure()
        engine = make_engine(url or workspace.cases_url)
        migrate(engine)
        return cls(engine, AuditLog(workspace.audit_key()), workspace.token_key())

    # How failed sign-ins are slowed and locked; a deployment (or a test) may set its own.
    signin_limits = _signin.SignInLimits()

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self._engine.dispose()

    # --- directory --------------------------------------------------------------

    def add_agency(self, actor: Principal | None, name: str, contact: str) -> dict[str, Any]:
        """Add an agency (admin only; `actor` None only while no admin exists)."""
        with self._write() as session:
            who = _directory.check_manager(session, actor, "agency", name)
            row = _directory.add_agency(session, name, contact)
            self._audit.append(
                session, who, "create", "agency", row.id, "directory", "ok", {"name": row.name}
            )
            return _directory.agency_dict(row)

    def add_user(
        self, actor: Principal | None, username: str, agency: str, role: Role, password: str
    ) -> dict[str, Any]:
        """Add a user; the first admin may be added with `actor` None (bootstrap)."""
        with self._write() as session:
            who = _directory.check_manager(session, actor, "user", username)
            row = _directory.add_user(session, username, agency, role, password, actor is None)
            self._audit.append(
                session,
                who,
                "create",
                "user",
                row.username,
                "directory",
                "ok",
                {"agency": agency, "role": row.role},
            )
            return _directory.user_dict(row, agency)

    def set_user_active(self, actor: Principal, username: str, active: bool) -> dict[str, Any]:
        """Disable (or re-enable) a user's sign-in; history and memberships are kept."""
        with self._write() as session:
            change = "enable" if active else "disable"
            _directory.check_manager(session, actor, "user", username, change)
            row = user_row(session, username)
            if row.username == actor.username and not active:
                raise CaseInputError([f"username: {username} cannot disable their own account"])
            row.active = active
            self._audit.append(
                session, actor.username, change, "user", username, "directory", "ok", {}
            )
            return _directory.user_dict(row, _directory.principal_of(session, row).agency)

    def has_admin(self) -> bool:
        """Whether the directory has an admin yet (before that, bootstrap is allowed)."""
        with self._read() as session:
            return _directory.has_admin(session)

    def agency_names(self) -> list[str]:
        """Names of the agencies, sorted (public: partners need them to share and refer)."""
        with self._read() as session:
            return list(session.scalars(select(Agency.name).order_by(Agency.name)))

    def authenticate(self, username: str, password: str, client: str = "local") -> Principal:
        """The principal for a correct password; AuthenticationError otherwise (same message).

        `client` is where the attempt comes from (the API: the client's address;
        the CLI: "local"). Failed attempts are slowed and then locked per user and
        per client (`_signin`), and audited.
        """
        with self._read() as session:
            counted = _signin.check(session, self.signin_limits, username, client)
        # The slow hash check runs outside the write lock; only a renewal writes.
        try:
            with self._read() as session:
                principal, renew = _directory.authenticate(session, username, password)
        except AuthenticationError as exc:
            with self._write() as session:
                failures, locked = _signin.record_failure(
                    session, self.signin_limits, username, client
                )
                detail = {"client": client, "failures": failures}
                if locked is not None:
                    detail["locked_until"] = locked.isoformat()
                self._audit.append(
                    session, username, "signin", "user", username, "sign-in", "failed", detail
                )
            if locked is not None:
                wait = self.signin_limits.lock
                raise SignInLockedError(
                    f"{exc}; after {failures} failed attempts sign-in is locked for "
                    f"{int(wait.total_seconds() // 60)} minutes",
                    int(wait.total_seconds()),
                ) from None
            raise
        if counted or renew:
            with self._write() as session:
                _signin.clear_user(session, username)
                if renew:
                    _directory.rehash(session, username, password)
        return principal

    def principal(self, username: str) -> Principal:
        """The principal of an active user; AuthenticationError if unknown or inactive."""
        with self._read() as session:
            row = None
            if unstorable(username) is None:
                row = session.execute(
                    select(User.active, User.role, Agency.name)
                    .join(Agency, Agency.id == User.agency_id)
                    .where(User.username == username)
                ).one_or_none()
            if row is None or not row.active:
                raise AuthenticationError(f"no active user {username!r}")
            return Principal(username=username, agency=row.name, role=Role(row.role))

    # --- cases -------------------------------------------------------------------------

    def create_case(
        self, actor: Principal, title: str, summary: str = "", labels: Iterable[Label] = ()
    ) -> dict[str, Any]:
        """Open a case owned by the actor's agency, with the actor as first member."""
        problems: list[str] = []
        title = title.strip()
        if not title or len(title) > 300:
            problems.append("title: give a title of 1 to 300 characters")
        check_storable(title, "title", problems)
        if len(summary) > MAX_TEXT:
            problems.append(f"summary: at most {MAX_TEXT} characters, got {len(summary)}")
        check_storable(summary, "summary", problems)
        values = parse_labels(labels, "labels", problems)
        if problems:
            raise CaseInputError(problems)
        prospective = CaseContext(
            case_id=0, owner_agency=actor.agency, status="open", members=frozenset({actor.username})
        )
        with self._write() as session:
            verify_actor(session, actor)
            decision = decide(actor, Action.WRITE, NO_LABELS, prospective)
            if not decision.allowed:
                raise RefusalError(
                    decision.reason, actor.username, "create", "case", title, "case work"
                )
            me = user_row(session, actor.username, "actor")
            stamp = now()
            row = Case(
                title=title,
                summary=summary,
                owner_agency_id=me.agency_id,
                created_by=actor.username,
                status="open",
                labels=values,
                created_at=stamp,
                updated_at=stamp,
                closed_at=None,
            )
            session.add(row)
            session.flush()
            session.add(
                CaseMember(
                    case_id=row.id,
                    user_id=me.id,
                    identities=False,
                    added_by=actor.username,
                    added_at=stamp,
                )
            )
            self._audit.append(
                session,
                actor.username,
                "create",
                "case",
                row.id,
                "case work",
                "ok",
                {"title": title, "labels": values},
            )
            return _render.case_meta(row, actor.agency) | {"summary": summary, "labels": values}

    def list_cases(
        self, actor: Principal, *, limit: int = 50, offset: int = 0, status: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the cases the actor may see (metadata only), and their total."""
        problems = []
        if not 1 <= limit <= 500:
            problems.append("limit: between 1 and 500")
        if offset < 0:
            problems.append("offset: 0 or more")
        if status is not None and status not in STATUSES:
            problems.append(f"status: {status!r} is not one of {', '.join(STATUSES)}")
        if problems:
            raise CaseInputError(problems)
        with self._read() as session:
            verify_actor(session, actor)
            if actor.role is Role.ADMIN:
                return [], 0  # admins manage users and agencies, never cases (not even titles)
            query = select(Case, Agency.name).join(Agency, Agency.id == Case.owner_agency_id)
            if actor.role is not Role.AUDITOR:
                # Everyone else sees the cases they are members of (the policy's membership rule).
                query = (
                    query.join(CaseMember, CaseMember.case_id == Case.id)
                    .join(User, User.id == CaseMember.user_id)
                    .where(User.username == actor.username)
                )
            if status is not None:
                query = query.where(Case.status == status)
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = session.execute(query.order_by(Case.id.desc()).limit(limit).offset(offset)).all()
            return [_render.case_meta(case, agency) for case, agency in rows], total

    def set_status(self, actor: Principal, case_id: int, status: str) -> dict[str, Any]:
        """Move the case along the workflow; CaseStateError names the allowed moves."""
        if status not in STATUSES:
            raise CaseInputError([f"status: {status!r} is not one of {', '.join(STATUSES)}"])
        with self._write() as session:
            loaded = self._case_for(session, actor, case_id)
            self._check(actor, Action.WRITE, NO_LABELS, loaded, what=f"set status {status}")
            current = loaded.row.status
            allowed = TRANSITIONS[current]
            if status not in allowed:
                raise CaseStateError(
                    f"case {case_id} is {current}; it can move to {', '.join(allowed)}, not {status}"
                )
            if status == "referred":
                # A referral names the agency and the reason: it has its own call.
                raise CaseStateError(
                    f"case {case_id}: a case becomes referred by referring it to an agency "
                    "(moneytrail case refer / POST /cases/{id}/referrals)"
                )
            if "closed" in (current, status) and actor.agency != loaded.owner_agency:
                # Closing ends the case's deconfliction too: the owner's call, not a partner's.
                raise RefusalError(
                    f"{actor.username} ({actor.agency}): only the owning agency "
                    f"{loaded.owner_agency} closes or reopens case {case_id}",
                    actor.username,
                    Action.WRITE.value,
                    "case",
                    case_id,
                    f"set status {status}",
                )
            if (current, status) in SUPERVISOR_MOVES and actor.role is not Role.SUPERVISOR:
                raise CaseStateError(f"case {case_id} is {current}: only a supervisor reopens it")
            loaded.row.status = status
            loaded.row.closed_at = now() if status == "closed" else None
            if status == "closed":
                # A closed case no longer deconflicts: partners' new subjects do not hit it.
                _deconfliction.withdraw_case(session, case_id)
            elif current == "closed":
                _deconfliction.restore_case(
                    session, self._audit, actor=actor.username, case_id=case_id
                )
            self._changed(
                session, actor, loaded, "status", "case", case_id, {"from": current, "to": status}
            )
            return _render.case_meta(loaded.row, loaded.owner_agency)

    def add_member(self, actor: Principal, case_id: int, username: str) -> dict[str, Any]:
        """Give a user access; another agency's user is a SHARE decided by the policy."""
        with self._write() as session:
            loaded = self._case_for(session, actor, case_id)
            user = user_row(session, username)
            member = _directory.principal_of(session, user)
            if member.role not in (Role.ANALYST, Role.SUPERVISOR):
                raise CaseInputError(
                    [
                        f"username: {username} is {member.role}; only analysts and supervisors work cases"
                    ]
                )
            if username in loaded.context.members:
                raise CaseInputError(
                    [f"username: {username} is already a member of case {case_id}"]
                )
            if member.agency == loaded.owner_agency:
                # Membership discloses nothing by itself: each read is checked per part.
                self._check(
                    actor,
                    Action.WRITE,
                    loaded.labels_for(()),
                    loaded,
                    what=f"add member {username}",
                )
            else:
                if actor.agency != loaded.owner_agency:
                    # A partner passing the owner's case on is a disclosure the owner decides.
                    raise RefusalError(
                        f"{actor.username} ({actor.agency}): only the owning agency "
                        f"{loaded.owner_agency} shares case {case_id} with another agency's "
                        "users; ask its supervisor",
                        actor.username,
                        Action.SHARE.value,
                        "case",
                        case_id,
                        f"share with {username}",
                    )
                self._check(
                    actor,
                    Action.SHARE,
                    loaded.labels,
                    loaded,
                    target_agency=member.agency,
                    what=f"share with {username}",
                )
            session.add(
                CaseMember(
                    case_id=case_id,
                    user_id=user.id,
                    identities=False,
                    added_by=actor.username,
                    added_at=now(),
                )
            )
            self._changed(
                session,
                actor,
                loaded,
                "share" if member.agency != loaded.owner_agency else "member",
                "case",
                case_id,
                {"username": username, "agency": member.agency},
            )
            return {
                "case_id": case_id,
                "username": username,
                "agency": member.agency,
                "role": member.role.value,
            }

    def grant_identities(
        self, actor: Principal, case_id: int, username: str, grant: bool = True
    ) -> dict[str, Any]:
        """Let a member see worker and victim identifiers unmasked (a supervisor's decision)."""
        with self._write() as session:
            loaded = self._case_for(session, actor, case_id)
            user = user_row(session, username)
            row = session.scalars(
                select(CaseMember).where(
                    CaseMember.case_id == case_id, CaseMember.user_id == user.id
                )
            ).one_or_none()
            if row is None:
                raise CaseInputError([f"username: {username} is not a member of case {case_id}"])
            if actor.role is not Role.SUPERVISOR or actor.agency != loaded.owner_agency:
                raise RefusalError(
                    "only a supervisor grants access to worker and victim identities, "
                    f"and only one of the owning agency {loaded.owner_agency}",
                    actor.username,
                    "grant",
                    "case",
                    case_id,
                    "identity grant",
                )
            self._check(actor, Action.WRITE, loaded.labels_for(()), loaded, what="identity grant")
            row.identities = grant
            self._changed(
                session,
                actor,
                loaded,
                "grant",
                "case",
                case_id,
                {"username": username, "identities": grant},
            )
            return {"case_id": case_id, "username": username, "identities": grant}

    def record_legal_basis(
        self, actor: Principal, case_id: int, basis: LegalBasis
    ) -> dict[str, Any]:
        """Record the legal basis (e.g. an IRC 6103(i) order) that covers labelled data."""
        problems: list[str] = []
        for field in ("kind", "reference", "scope"):
            if not str(getattr(basis, field)).strip():
                problems.append(f"{field}: must not be empty")
            check_storable(str(getattr(basis, field)), field, problems)
        persons = sorted(p for p in basis.persons if check_storable(p, "persons", problems))
        agencies = sorted(a for a in basis.agencies if check_storable(a, "agencies", problems))
        labels = parse_labels(basis.labels, "labels", problems)
        if not labels and not basis.reveals:
            problems.append(
                "labels: name the labels the basis covers (e.g. fti), or let it cover "
                "revealing identifiers"
            )
        if not basis.persons:
            problems.append("persons: name at least one user the basis covers")
        if basis.expires <= date.today():
            problems.append(f"expires: {basis.expires.isoformat()} is not in the future")
        with self._write() as session:
            loaded = self._case_for(session, actor, case_id)
            covered = {loaded.owner_agency, *agencies}
            for person in persons:
                home = session.scalar(
                    select(Agency.name)
                    .join(User, User.agency_id == Agency.id)
                    .where(User.username == person)
                )
                if home is None:
                    problems.append(f"persons: no user {person!r}")
                elif home not in covered:
                    # Naming a partner's user without covering the partner would show
                    # them FTI that may not be disclosed to their agency.
                    problems.append(
                        f"persons: {person} belongs to {home}, which the basis does not cover; "
                        f"add {home} to its agencies or leave {person} out"
                    )
            for agency in agencies:
                if session.scalar(select(Agency.id).where(Agency.name == agency)) is None:
                    problems.append(f"agencies: no agency {agency!r}")
            if problems:
                raise CaseInputError(problems)
            if actor.role is not Role.SUPERVISOR or actor.agency != loaded.owner_agency:
                # A partner's supervisor could otherwise name itself and reach the owner's FTI.
                raise RefusalError(
                    "only a supervisor records a legal basis on a case, "
                    f"and only one of the owning agency {loaded.owner_agency}",
                    actor.username,
                    "basis",
                    "case",
                    case_id,
                    "legal basis",
                )
            self._check(actor, Action.WRITE, NO_LABELS, loaded, what="record legal basis")
            row = LegalBasisRow(
                case_id=case_id,
                kind=basis.kind.strip(),
                reference=basis.reference.strip(),
                scope=basis.scope.strip(),
                labels=labels,
                persons=sorted(basis.persons),
                agencies=sorted(basis.agencies),
                expires=basis.expires,
                reveals=basis.reveals,
                recorded_by=actor.username,
                recorded_at=now(),
            )
            session.add(row)
            session.flush()
            self._changed(
                session,
                actor,
                loaded,
                "basis",
                "legal_basis",
                row.id,
                {
                    "reference": row.reference,
                    "labels": labels,
                    "persons": row.persons,
                    "expires": basis.expires.isoformat(),
                    "reveals": basis.reveals,
                },
            )
            return _render.legal_basis(row)
