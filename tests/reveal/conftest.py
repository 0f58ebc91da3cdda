"""One workspace holding a warehouse (accounts, vault, a W-2 employer) and a case store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from moneytrail.access import Role
from moneytrail.cases import CaseStore
from moneytrail.privacy import account_key, mask
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.cases.conftest import PASSWORD, _cheap_hashes

__all__ = ["_cheap_hashes"]

BANK = "NWBKGB2L"
EIN = "12-3456789"  # an employer's, from a W-2 file: FTI
SSN = "123-45-6789"  # a person's, from an FtM file: not FTI


@dataclass(frozen=True)
class World:
    subject: int  # account of the case's subject
    twin: int  # another account at the same bank, number ending in the same digits
    via_alert: int  # an account of an alert attached to the case
    ein_token: str
    ssn_token: str


@pytest.fixture
def store(workspace: Workspace) -> Iterator[CaseStore]:
    s = CaseStore.open(workspace)
    try:
        yield s
    finally:
        s.close()


def _account(wh: Warehouse, number: str, *, piped: bool = False) -> int:
    """An account as ingest leaves it; `piped`: kept as "BANK|NUMBER", as aml-csv does."""
    token = wh.tokeniser.account_token(BANK, number)
    wh.con.execute(
        "INSERT INTO accounts (account_key, account_token, bank_id, masked, source_id, "
        "source_row) VALUES (?, ?, ?, ?, 1, 1)",
        [account_key(token), token, BANK, mask(number)],
    )
    wh.vault.store(wh.con, [(token, "account", f"{BANK}|{number}" if piped else number)])
    return account_key(token)


@pytest.fixture
def world(warehouse: Warehouse) -> World:
    wh = warehouse
    subject, twin, via_alert = (
        _account(wh, "40010001"),
        _account(wh, "77770001"),
        _account(wh, "55552222", piped=True),
    )
    wh.con.execute(
        "INSERT INTO alerts VALUES ('A-1', 1, 'ML-FAN-IN', ['ML-FAN-IN'], 'account:****2222', "
        "[?], 0.9, ['t1'], [], 'A fan-in.')",
        [via_alert],
    )
    ein = wh.tokeniser.token("ein", EIN)
    wh.con.execute(
        "INSERT INTO w2_employers (source_id, source_row, tax_year, ein_token, tax_token, "
        "ein_masked, w2_count, data_label) VALUES (1, 1, 2024, ?, 'x', ?, 3, 'FTI')",
        [ein, mask(EIN, "ein")],
    )
    ssn = wh.tokeniser.token("ssn", SSN)
    wh.con.execute(
        "INSERT INTO identifiers VALUES ('p1', 'ssn', ?, ?, 1, 1)", [ssn, mask(SSN, "ssn")]
    )
    wh.vault.store(wh.con, [(ein, "ein", EIN), (ssn, "ssn", SSN)])
    return World(subject, twin, via_alert, ein, ssn)


@pytest.fixture
def users(store: CaseStore) -> None:
    store.add_agency(None, "Tax Crimes", "tax-duty@example.org")
    store.add_user(None, "root", "Tax Crimes", Role.ADMIN, PASSWORD)
    admin = store.principal("root")
    store.add_agency(admin, "Bank FIU", "fiu@example.org")
    for name, agency, role in (
        ("tsup", "Tax Crimes", Role.SUPERVISOR),
        ("tana", "Tax Crimes", Role.ANALYST),
        ("tana2", "Tax Crimes", Role.ANALYST),
        ("bsup", "Bank FIU", Role.SUPERVISOR),
        ("aud", "Tax Crimes", Role.AUDITOR),
    ):
        store.add_user(admin, name, agency, role, PASSWORD)
