"""Failed sign-ins are slowed, then locked for a while, per user and per address; and audited."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from moneytrail.cases import CaseStore
from moneytrail.cases._signin import SignInLimits
from moneytrail.errors import AuthenticationError, SignInLockedError
from tests.cases.conftest import PASSWORD, People


def _fail(store: CaseStore, user: str, client: str = "10.0.0.1") -> None:
    with pytest.raises(AuthenticationError, match="unknown user or wrong password"):
        store.authenticate(user, "wrong password!", client)


def _signins(store: CaseStore, people: People) -> list[dict[str, object]]:
    entries, _ = store.audit_entries(people.auditor, limit=500)
    return [e for e in reversed(entries) if e["action"] == "signin"]


def test_attempts_are_spaced_out_after_two_failures(store: CaseStore, people: People) -> None:
    _fail(store, "tana")
    _fail(store, "tana")
    with pytest.raises(SignInLockedError, match="wait 1 s") as refused:
        store.authenticate("tana", PASSWORD, "10.0.0.1")  # even the right password, too soon
    assert refused.value.retry_after == 1
    time.sleep(1.05)
    assert store.authenticate("tana", PASSWORD, "10.0.0.1").username == "tana"
    _fail(store, "tana")  # the counter started again on success: not slowed yet
    _fail(store, "tana")


def test_locked_after_five_failures_and_open_again_after_the_lock(
    store: CaseStore, people: People
) -> None:
    store.signin_limits = SignInLimits(first_delay=timedelta(0), lock=timedelta(seconds=1.5))
    for _ in range(4):
        _fail(store, "tana")
    with pytest.raises(SignInLockedError, match="locked for 0 minutes") as locked:
        store.authenticate("tana", "wrong password!", "10.0.0.1")
    assert locked.value.retry_after == 1
    with pytest.raises(SignInLockedError, match="locked after 5 failed attempts for this user"):
        store.authenticate("tana", PASSWORD, "10.0.0.9")  # from anywhere, right password or not
    assert store.authenticate("tsup", PASSWORD, "10.0.0.1").username == "tsup"  # others sign in
    time.sleep(1.6)
    assert store.authenticate("tana", PASSWORD, "10.0.0.1").username == "tana"
    entries = _signins(store, people)
    assert len(entries) == 5 and all(e["outcome"] == "failed" for e in entries)
    assert [e["detail"]["failures"] for e in entries] == [1, 2, 3, 4, 5]  # type: ignore[index]
    assert "locked_until" in entries[-1]["detail"]  # type: ignore[operator]
    assert entries[0]["actor"] == "tana" and entries[0]["detail"]["client"] == "10.0.0.1"  # type: ignore[index]
    assert store.verify_audit().ok


def test_an_address_guessing_many_users_is_locked_too(store: CaseStore, people: People) -> None:
    store.signin_limits = SignInLimits(first_delay=timedelta(0), max_failures=2)
    # an address gets four times a user's room: 8 failures lock it
    for n in range(8):
        _fail(store, f"ghost{n}", "203.0.113.7")
    with pytest.raises(SignInLockedError, match="from this address"):
        store.authenticate("tsup", PASSWORD, "203.0.113.7")
    assert store.authenticate("tsup", PASSWORD, "198.51.100.2").username == "tsup"
    # unknown users are counted like known ones: nothing tells who has an account
    _fail(store, "ghost0", "198.51.100.3")  # its second failure: locked, like a real user
    with pytest.raises(SignInLockedError, match="for this user"):
        store.authenticate("ghost0", "anything at all", "198.51.100.4")
