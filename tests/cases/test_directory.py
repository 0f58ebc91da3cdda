"""Agencies and users: bootstrap, admin-only management, sign-in."""

from __future__ import annotations

import pytest

from moneytrail.access import Role
from moneytrail.cases import CaseStore
from moneytrail.errors import AccessDeniedError, AuthenticationError, CaseInputError

from .conftest import PASSWORD, People


def test_bootstrap_once_then_admin_only(store: CaseStore) -> None:
    assert not store.has_admin()
    store.add_agency(None, "Tax Crimes", "duty@example.org")
    made = store.add_user(None, "root", "Tax Crimes", Role.ADMIN, PASSWORD)
    assert made["role"] == "admin"
    assert made["agency"] == "Tax Crimes"
    assert "password" not in str(made)
    assert store.has_admin()
    with pytest.raises(AccessDeniedError, match="an admin exists"):
        store.add_user(None, "intruder", "Tax Crimes", Role.ADMIN, PASSWORD)
    with pytest.raises(AccessDeniedError, match="an admin exists"):
        store.add_agency(None, "Rogue", "x")


def test_first_user_must_be_admin(store: CaseStore) -> None:
    store.add_agency(None, "Tax Crimes", "duty@example.org")
    with pytest.raises(CaseInputError, match="first user must be an admin"):
        store.add_user(None, "ana", "Tax Crimes", Role.ANALYST, PASSWORD)


def test_only_admins_manage_users(store: CaseStore, people: People) -> None:
    with pytest.raises(AccessDeniedError, match="only an admin"):
        store.add_user(people.tax_sup, "x", "Tax Crimes", Role.ANALYST, PASSWORD)
    with pytest.raises(AccessDeniedError, match="only an admin"):
        store.add_agency(people.auditor, "Other", "x")
    entries, _ = store.audit_entries(people.auditor, limit=5)
    denied = [e for e in entries if e["outcome"] == "denied"]
    assert {e["object_type"] for e in denied} == {"user", "agency"}


def test_user_input_problems_are_all_listed(store: CaseStore, people: People) -> None:
    with pytest.raises(CaseInputError) as info:
        store.add_user(people.admin, "tana", "No Such Agency", "boss", "short")  # type: ignore[arg-type]
    text = str(info.value)
    assert len(info.value.problems) == 4
    for part in ("already exists", "no agency 'No Such Agency'", "'boss'", "at least 12"):
        assert part in text


def test_authentication(store: CaseStore, people: People) -> None:
    me = store.authenticate("tana", PASSWORD)
    assert me == people.tax_ana
    with pytest.raises(AuthenticationError) as wrong:
        store.authenticate("tana", PASSWORD + "x")
    with pytest.raises(AuthenticationError) as unknown:
        store.authenticate("nobody", PASSWORD)
    assert str(wrong.value) == str(unknown.value)
    with pytest.raises(AuthenticationError):
        store.principal("nobody")


def test_disabled_users_cannot_sign_in(store: CaseStore, people: People) -> None:
    with pytest.raises(AccessDeniedError, match="only an admin"):
        store.set_user_active(people.tax_sup, "tana", active=False)
    assert store.set_user_active(people.admin, "tana", active=False)["active"] is False
    with pytest.raises(AuthenticationError):
        store.authenticate("tana", PASSWORD)
    with pytest.raises(AuthenticationError):
        store.principal("tana")
    with pytest.raises(CaseInputError, match="own account"):
        store.set_user_active(people.admin, "root", active=False)
    store.set_user_active(people.admin, "tana", active=True)
    assert store.authenticate("tana", PASSWORD) == people.tax_ana
