"""What every part of the case store shares: transactions, policy checks, refusals.

`StoreBase` holds the engine, the audit chain and the tokeniser. Every change
runs in `_write` (on SQLite the write lock is taken first, so concurrent writers
queue rather than fail), asks the policy through `_check`, and records itself
with `_changed` in the same transaction. A refusal is audited in a transaction
of its own, since the refused change is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from moneytrail.access import AuditLog, decide
from moneytrail.access._types import Action, Label, Principal
from moneytrail.cases._context import LoadedCase, load_case, now, verify_actor
from moneytrail.errors import AccessDeniedError, CaseInputError, NotFoundError
from moneytrail.privacy import Tokeniser

NO_LABELS: frozenset[Label] = frozenset()


class RefusalError(AccessDeniedError):
    """An AccessDeniedError that the store audits once the refused transaction is undone."""

    def __init__(
        self,
        reason: str,
        actor: str,
        action: str,
        object_type: str,
        object_id: int | str,
        purpose: str,
    ) -> None:
        super().__init__(reason)
        self.actor, self.action, self.purpose = actor, action, purpose
        self.object_type, self.object_id = object_type, object_id


class HiddenCaseError(NotFoundError):
    """A "no case N" answer to someone who may not know the case exists, audited like a refusal."""

    def __init__(self, case_id: int, actor: str, reason: str) -> None:
        super().__init__(f"no case {case_id}")
        self.case_id, self.actor, self.reason = case_id, actor, reason


def _refused_value(exc: DataError | UnicodeEncodeError) -> CaseInputError:
    # A safety net behind the per-field checks: a value the database cannot hold is
    # bad input (the transaction has rolled back), never a server error.
    cause = exc.orig if isinstance(exc, DataError) else exc
    first = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return CaseInputError([f"input: the database refused a value ({first})"])


class StoreBase:
    def __init__(self, engine: Engine, audit: AuditLog, token_key: bytes) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._audit = audit
        self._tokens = Tokeniser(token_key)
        self._sqlite = engine.dialect.name == "sqlite"

    # --- transactions and refusals --------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A write transaction. On SQLite it takes the write lock first (BEGIN IMMEDIATE),
        so that concurrent writers queue instead of failing to upgrade a read lock."""
        try:
            with self._sessions.begin() as session:
                if self._sqlite:
                    session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                yield session
        except (RefusalError, HiddenCaseError) as exc:
            self._audit_refusal(exc)
            raise
        except (DataError, UnicodeEncodeError) as exc:
            raise _refused_value(exc) from exc

    @contextmanager
    def _read(self) -> Iterator[Session]:
        try:
            with self._sessions() as session:
                yield session
        except (RefusalError, HiddenCaseError) as exc:
            self._audit_refusal(exc)
            raise
        except (DataError, UnicodeEncodeError) as exc:
            raise _refused_value(exc) from exc

    def _audit_refusal(self, exc: RefusalError | HiddenCaseError) -> None:
        # After the refused transaction has rolled back: the refusal is kept, the change is not.
        with self._sessions.begin() as session:
            if self._sqlite:
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            if isinstance(exc, HiddenCaseError):
                # Whether the case exists stays out of the entry's outcome, as out of the answer.
                self._audit.append(
                    session,
                    exc.actor,
                    "read",
                    "case",
                    exc.case_id,
                    "case work",
                    "not_found",
                    {"reason": exc.reason},
                )
                return
            self._audit.append(
                session,
                exc.actor,
                exc.action,
                exc.object_type,
                exc.object_id,
                exc.purpose,
                "denied",
                {"reason": str(exc)},
            )

    def record_denial(
        self, actor: Principal, action: str, object_type: str, object_id: str, reason: str
    ) -> None:
        """Audit a denial decided outside the store (e.g. a warehouse view read without a case)."""
        with self._write() as session:
            self._audit.append(
                session,
                actor.username,
                action,
                object_type,
                object_id[:200],
                "warehouse view",
                "denied",
                {"reason": reason},
            )

    def _check(
        self,
        actor: Principal,
        action: Action,
        labels: frozenset[Label],
        loaded: LoadedCase,
        *,
        target_agency: str | None = None,
        what: str,
    ) -> None:
        """Raise a RefusalError (audited) unless the policy allows `action`."""
        decision = decide(actor, action, labels, loaded.context, target_agency=target_agency)
        if not decision.allowed:
            raise RefusalError(
                decision.reason, actor.username, action.value, "case", loaded.row.id, what
            )

    def _case_for(self, session: Session, actor: Principal, case_id: int) -> LoadedCase:
        """The case, when the actor may at least see that it exists; NotFoundError otherwise."""
        # Checked before the case is looked up, so the answer does not depend on its existence.
        verify_actor(session, actor)
        try:
            loaded = load_case(session, case_id)
        except NotFoundError:
            raise HiddenCaseError(case_id, actor.username, "no such case") from None
        decision = decide(actor, Action.READ, NO_LABELS, loaded.context)
        if not decision.allowed:
            raise HiddenCaseError(case_id, actor.username, decision.reason)
        return loaded

    def _changed(
        self,
        session: Session,
        actor: Principal,
        loaded: LoadedCase,
        action: str,
        obj: str,
        obj_id: int | str,
        detail: Mapping[str, Any],
    ) -> None:
        loaded.row.updated_at = now()
        self._audit.append(
            session, actor.username, action, obj, obj_id, f"case {loaded.row.id}", "ok", detail
        )
