"""A case store on each backend, with three agencies and their users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from moneytrail.access import Principal, Role, _passwords
from moneytrail.cases import CaseStore
from moneytrail.workspace import Workspace

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class People:
    admin: Principal
    tax_sup: Principal
    tax_ana: Principal
    tax_ana2: Principal
    labor_sup: Principal
    labor_ana: Principal
    bank_sup: Principal
    auditor: Principal


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2's production cost (64 MiB, 3 passes) makes every test user slow on 2 cores;
    # the store's behaviour does not depend on the cost.
    monkeypatch.setattr(
        _passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def store(cases_url: str, tmp_path: Path) -> Iterator[CaseStore]:
    ws = Workspace(tmp_path / "ws").ensure()
    s = CaseStore.open(ws, cases_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def people(store: CaseStore) -> People:
    store.add_agency(None, "Tax Crimes", "tax-duty@example.org")
    store.add_user(None, "root", "Tax Crimes", Role.ADMIN, PASSWORD)
    admin = store.principal("root")
    store.add_agency(admin, "Labor Standards", "labor-duty@example.org")
    store.add_agency(admin, "Bank FIU", "fiu@example.org")
    for name, agency, role in (
        ("tsup", "Tax Crimes", Role.SUPERVISOR),
        ("tana", "Tax Crimes", Role.ANALYST),
        ("tana2", "Tax Crimes", Role.ANALYST),
        ("lsup", "Labor Standards", Role.SUPERVISOR),
        ("lana", "Labor Standards", Role.ANALYST),
        ("bsup", "Bank FIU", Role.SUPERVISOR),
        ("aud", "Tax Crimes", Role.AUDITOR),
    ):
        store.add_user(admin, name, agency, role, PASSWORD)
    p = store.principal
    return People(
        admin, p("tsup"), p("tana"), p("tana2"), p("lsup"), p("lana"), p("bsup"), p("aud")
    )
