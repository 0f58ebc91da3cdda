"""Failed sign-ins: slowed, then locked for a while, per user and per client address.

Counters live in the case store (`signin_failures`), so every API worker and
the CLI see the same ones. With the defaults (`SignInLimits`):

* after 2 failures in a row for a user, the next attempt is refused until 1 s
  after the last failure, then 2 s, 4 s ... (capped at 60 s): guessing is
  slowed, a typo is not;
* the 5th failure within 15 minutes locks the user for 15 minutes; attempts
  during the lock are refused without checking the password;
* an address (which many users may share: an office, the CLI's "local") gets
  four times the room: slowed after 8 failures, locked at the 20th;
* a correct password clears the user's counter; an address's counter runs out
  15 minutes after its last failure.

A refused attempt (slowed or locked) is a SignInLockedError saying when to try
again; the API answers 429 with Retry-After. Every failed sign-in and every lock
is an audit entry (action "signin"); refusals while slowed or locked are not,
so that a flood of guesses cannot flood the audit log. Unknown usernames are
counted like known ones: the answers do not tell who has an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from moneytrail.cases._context import now
from moneytrail.cases._models import SignInFailure
from moneytrail.errors import SignInLockedError

USER, ADDRESS = "user", "address"
_MAX_SUBJECT = 200


@dataclass(frozen=True)
class SignInLimits:
    """How failed sign-ins are slowed and locked (see the module docstring)."""

    max_failures: int = 5  # failures within `window` that lock
    lock: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(
        minutes=15
    )  # a counter is forgotten this long after its last failure
    slow_after: int = 2  # failures before attempts are spaced out
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=60)
    per_address: int = 4  # an address's thresholds are this many times a user's

    def most(self, scope: str) -> int:
        """Failures that lock `scope` (user or address)."""
        return self.max_failures * (self.per_address if scope == ADDRESS else 1)

    def delay(self, failures: int, scope: str = "user") -> timedelta:
        """How long after the last of `failures` the next attempt must wait."""
        slow_after = self.slow_after * (self.per_address if scope == ADDRESS else 1)
        if failures < slow_after:
            return timedelta(0)
        steps = min(failures - slow_after, 16)
        wait: timedelta = self.first_delay * 2**steps
        return min(wait, self.max_delay)


def _keys(username: str, client: str) -> list[tuple[str, str]]:
    return [(USER, username[:_MAX_SUBJECT]), (ADDRESS, client[:_MAX_SUBJECT])]


def _as_utc(value: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive (they were written in UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=now().tzinfo)


def check(session: Session, limits: SignInLimits, username: str, client: str) -> bool:
    """SignInLockedError when the user or the address may not try now; else whether the
    user has a counter (which a correct password then clears)."""
    stamp = now()
    counted = False
    for scope, subject in _keys(username, client):
        row = session.scalars(
            select(SignInFailure).where(
                SignInFailure.scope == scope, SignInFailure.subject == subject
            )
        ).one_or_none()
        if row is None:
            continue
        counted = counted or scope == USER
        last = _as_utc(row.last_at)
        if stamp - last > limits.window and row.locked_until is None:
            continue  # forgotten
        if row.locked_until is not None and _as_utc(row.locked_until) > stamp:
            wait = _as_utc(row.locked_until) - stamp
            raise SignInLockedError(
                f"sign-in is locked after {row.failures} failed attempts "
                f"{'for this user' if scope == USER else 'from this address'}; "
                f"try again in {_words(wait)}, or ask an admin to check the account",
                _seconds(wait),
            )
        ready = last + limits.delay(row.failures, scope)
        if row.locked_until is None and ready > stamp:
            raise SignInLockedError(
                f"{row.failures} failed sign-ins in a row; wait {_words(ready - stamp)} "
                "before the next attempt",
                _seconds(ready - stamp),
            )
    return counted


def record_failure(
    session: Session, limits: SignInLimits, username: str, client: str
) -> tuple[int, datetime | None]:
    """Count a failure for the user and the address; (most failures, lock end if now locked)."""
    stamp = now()
    # Counters that ran out are dropped here, so the table stays small.
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.last_at < stamp - limits.window - limits.lock,
        )
    )
    worst, locked = 0, None
    for scope, subject in _keys(username, client):
        row = session.scalars(
            select(SignInFailure).where(
                SignInFailure.scope == scope, SignInFailure.subject == subject
            )
        ).one_or_none()
        if row is None:
            row = SignInFailure(
                scope=scope, subject=subject, failures=0, first_at=stamp, last_at=stamp
            )
            session.add(row)
        elif stamp - _as_utc(row.last_at) > limits.window or (
            row.locked_until is not None and _as_utc(row.locked_until) <= stamp
        ):
            # A forgotten counter, or a lock that has run out: start again.
            row.failures, row.first_at, row.locked_until = 0, stamp, None
        row.failures += 1
        row.last_at = stamp
        if row.failures >= limits.most(scope) and row.locked_until is None:
            row.locked_until = stamp + limits.lock
            locked = row.locked_until
        worst = max(worst, row.failures)
    session.flush()
    return worst, locked


def clear_user(session: Session, username: str) -> None:
    """A correct password: the user's counter starts again (the address's runs out by itself)."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.scope == USER, SignInFailure.subject == username[:_MAX_SUBJECT]
        )
    )


def _seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))


def _words(wait: timedelta) -> str:
    seconds = _seconds(wait)
    if seconds < 120:
        return f"{seconds} s"
    return f"{(seconds + 59) // 60} minutes"
