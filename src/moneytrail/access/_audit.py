"""A tamper-evident audit log: every change and every read of labelled data, hash-chained.

Each entry is (seq, at, actor, action, object_type, object_id, purpose, outcome,
detail) and carries

    hash = HMAC-SHA256(audit_key, prev_hash || canonical JSON of the entry)

where prev_hash is the hash of the entry before it (64 zeros for the first).
A head record holds the newest seq and hash under its own MAC, updated in the
same transaction as each append. `verify` walks the chain and names the first
bad seq when an entry was altered, removed (the last one too: the head no
longer matches) or reordered (seq is inside the hashed bytes), or when the head
was replaced. Without the key nobody can forge a matching hash or head; a
holder of the database alone can only destroy the log, visibly.

Appends happen inside the caller's transaction so an audited change and its
entry commit or roll back together. Concurrent writers are serialised before
the head is read: PostgreSQL takes a transaction-scoped advisory lock; SQLite
takes its single write lock with a no-op write (the same effect as BEGIN
IMMEDIATE inside a transaction that has not yet written).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from moneytrail.errors import AuditError

if TYPE_CHECKING:
    from moneytrail.access._audit_tables import AuditEntry, AuditHead

GENESIS = "0" * 64
_HEAD_ID = 1
# Any constant works: it only has to be the same for every writer of one database.
_PG_LOCK_KEY = 0x6D7461756469  # "mtaudi"
_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "purpose", "outcome")


def _tables() -> tuple[type[AuditEntry], type[AuditHead]]:
    # Imported on first use, not at module import: see _audit_tables' docstring.
    from moneytrail.access._audit_tables import AuditEntry, AuditHead  # noqa: PLC0415

    return AuditEntry, AuditHead


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the bytes that are hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AuditReport:
    """What `verify` found: ok, how many entries, every problem, and the first bad seq."""

    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad_seq": self.first_bad_seq,
            "problems": list(self.problems),
        }


class AuditLog:
    """Appends to and verifies the audit chain with one deployment's audit key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise AuditError("the audit key must be at least 32 bytes")
        self._key = key

    # --- hashing --------------------------------------------------------------

    def entry_hash(self, prev_hash: str, entry: Mapping[str, Any], detail: str) -> str:
        body = {name: entry[name] for name in _FIELDS}
        body["detail"] = detail
        message = prev_hash.encode() + canonical_json(body).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def head_mac(self, seq: int, entry_hash: str) -> str:
        message = f"head|{seq}|{entry_hash}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    # --- writing --------------------------------------------------------------

    def append(
        self,
        session: Session,
        actor: str,
        action: str,
        object_type: str,
        object_id: str | int,
        purpose: str,
        outcome: str,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry inside `session`'s transaction; returns its seq.

        The caller commits: the entry and the change it records land together.
        """
        entry_cls, head_cls = _tables()
        try:
            detail_text = canonical_json(dict(detail or {}))
            # The hashed bytes are UTF-8: a lone surrogate (a JSON request may carry one)
            # in any field must be refused here, before anything is written.
            canonical_json([actor, action, object_type, str(object_id), purpose, outcome]).encode()
            detail_text.encode()
        except (TypeError, ValueError) as exc:
            raise AuditError(
                f"audit detail of {action} on {object_type} {object_id}: {exc}"
            ) from exc
        try:
            self._lock(session)
            head = session.get(head_cls, _HEAD_ID, populate_existing=True)
            prev_seq, prev_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
            entry: dict[str, Any] = {
                "seq": prev_seq + 1,
                "at": datetime.now(UTC).isoformat(timespec="microseconds"),
                "actor": actor,
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "purpose": purpose,
                "outcome": outcome,
            }
            digest = self.entry_hash(prev_hash, entry, detail_text)
            session.add(entry_cls(**entry, detail=detail_text, prev_hash=prev_hash, hash=digest))
            mac = self.head_mac(entry["seq"], digest)
            if head is None:
                session.add(head_cls(id=_HEAD_ID, seq=entry["seq"], hash=digest, mac=mac))
            else:
                head.seq, head.hash, head.mac = entry["seq"], digest, mac
            session.flush()
        except SQLAlchemyError as exc:
            raise AuditError(
                f"cannot append {action} on {object_type} {object_id} to the audit log: {exc}"
            ) from exc
        return int(entry["seq"])

    @staticmethod
    def _lock(session: Session) -> None:
        _, head_cls = _tables()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        else:
            # A write statement takes SQLite's write lock (waiting out other writers)
            # before anything is read, so the head read next is the newest one.
            session.execute(
                update(head_cls).where(head_cls.id == _HEAD_ID).values(seq=head_cls.seq)
            )

    # --- reading --------------------------------------------------------------

    def entries(
        self, session: Session, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of entries, newest first, and the total count."""
        entry_cls, _ = _tables()
        total = int(session.scalar(select(func.count()).select_from(entry_cls)) or 0)
        rows = session.scalars(
            select(entry_cls).order_by(entry_cls.seq.desc()).limit(limit).offset(offset)
        )
        return [_as_dict(row) for row in rows], total

    def checkpoint(self, session: Session) -> dict[str, Any]:
        """The head as a checkpoint to keep outside the database (`verify(checkpoints=...)`).

        The chain alone cannot show that its newest entries were cut off and an
        older, genuine head put back; a checkpoint kept elsewhere (printed, mailed
        to the auditor, committed to another system) can: the entry it names must
        still be there with the same hash.
        """
        _, head_cls = _tables()
        head = session.get(head_cls, _HEAD_ID)
        if head is None:
            raise AuditError("the audit log is empty: there is nothing to checkpoint yet")
        return {"seq": head.seq, "hash": head.hash, "mac": self.head_mac(head.seq, head.hash)}

    def _checked(self, checkpoints: Iterable[Mapping[str, Any]]) -> dict[int, str]:
        """seq -> hash of each checkpoint; AuditError for one not made with this key."""
        wanted: dict[int, str] = {}
        for c in checkpoints:
            seq, entry_hash = int(c["seq"]), str(c["hash"])
            if not hmac.compare_digest(str(c.get("mac", "")), self.head_mac(seq, entry_hash)):
                raise AuditError(
                    f"checkpoint at entry {seq} was not made with this deployment's audit key"
                )
            wanted[seq] = entry_hash
        return wanted

    def _head_problems(
        self, head: AuditHead | None, count: int, last_seq: int, last_hash: str
    ) -> Iterator[tuple[int, str]]:
        """(seq, problem) where the head does not vouch for the chain as read."""
        if head is None:
            if count:
                yield 1, f"the audit head is missing but {count} entries exist"
            return
        if not hmac.compare_digest(head.mac, self.head_mac(head.seq, head.hash)):
            yield (
                min(head.seq, last_seq + 1) or 1,
                "the audit head was replaced (its MAC does not match)",
            )
        if head.seq > last_seq:
            yield (
                last_seq + 1,
                f"entries {last_seq + 1}..{head.seq} are missing from the end of the log",
            )
        elif head.seq < last_seq or head.hash != last_hash:
            yield (
                head.seq + 1 if head.seq < last_seq else head.seq,
                f"the audit head (entry {head.seq}) does not match the last entry ({last_seq})",
            )

    def verify(
        self, session: Session, checkpoints: Iterable[Mapping[str, Any]] = ()
    ) -> AuditReport:
        """Walk the whole chain; report every problem and the first bad seq.

        Each checkpoint (from `checkpoint`) must still name an entry of the chain
        with its hash: a log cut back behind a checkpoint is reported.
        """
        entry_cls, head_cls = _tables()
        problems: list[str] = []
        first_bad: int | None = None
        wanted = self._checked(checkpoints)
        seen: dict[int, str] = {}

        def bad(seq: int, message: str) -> None:
            nonlocal first_bad
            problems.append(message)
            if first_bad is None or seq < first_bad:
                first_bad = seq

        expected_seq, prev_hash, count = 1, GENESIS, 0
        try:
            for row in session.scalars(select(entry_cls).order_by(entry_cls.seq)):
                count += 1
                if row.seq != expected_seq:
                    bad(
                        expected_seq,
                        f"entry {expected_seq} is missing (the next entry is {row.seq})",
                    )
                if row.prev_hash != prev_hash:
                    bad(
                        row.seq,
                        f"entry {row.seq} does not follow the entry before it (prev_hash differs)",
                    )
                values = {name: getattr(row, name) for name in _FIELDS}
                if not hmac.compare_digest(
                    row.hash, self.entry_hash(row.prev_hash, values, row.detail)
                ):
                    bad(
                        row.seq,
                        f"entry {row.seq} was altered (its hash does not match its content)",
                    )
                if row.seq in wanted:
                    seen[row.seq] = row.hash
                expected_seq, prev_hash = row.seq + 1, row.hash
            head = session.get(head_cls, _HEAD_ID)
        except SQLAlchemyError as exc:
            raise AuditError(f"cannot read the audit log: {exc}") from exc
        last_seq = expected_seq - 1
        for seq, message in _against(wanted, seen, last_seq):
            bad(seq, message)
        for seq, message in self._head_problems(head, count, last_seq, prev_hash):
            bad(seq, message)
        return AuditReport(
            ok=not problems, entries=count, problems=problems, first_bad_seq=first_bad
        )


def _against(
    wanted: Mapping[int, str], seen: Mapping[int, str], last_seq: int
) -> Iterator[tuple[int, str]]:
    """(seq, problem) for each checkpoint the chain no longer matches."""
    for seq in sorted(wanted):
        if seq not in seen:
            yield (
                min(seq, last_seq + 1),
                f"entry {seq}, named by a checkpoint, is gone: the log was cut back to "
                f"{last_seq} entries",
            )
        elif not hmac.compare_digest(seen[seq], wanted[seq]):
            yield seq, f"entry {seq} differs from the checkpoint taken of it"


def _as_dict(row: AuditEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {name: getattr(row, name) for name in _FIELDS}
    doc["detail"] = json.loads(row.detail)
    doc["hash"] = row.hash
    return doc
