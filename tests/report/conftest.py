"""One demo world for the report tests, built once per session as `moneytrail demo` builds it.

The demo case (the strongest bank-data alert) comes from `open_demo_case`, as
the demo opens it. Beside it: a case with several subjects, accounts, two
alerts, a protected (victim) subject and a saved LIBR trace; and a case on the
flagged employer whose findings are federal tax information, with an IRC
6103(i) order that covers the demo agency only.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from moneytrail._demo import (
    DEMO_ADMIN,
    DEMO_AGENCY,
    DemoCase,
    duckdb_stages,
    open_demo_case,
    run_pipeline,
)
from moneytrail.access import Label, LegalBasis, Principal, Role
from moneytrail.cases import CaseStore
from moneytrail.errors import UnknownFormatError
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.trace import Tracer, save_report
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


def shared_data() -> Path:
    """The read-only shared/ data beside the repository (CI), or $MONEYTRAIL_SHARED_DATA."""
    given = os.environ.get("MONEYTRAIL_SHARED_DATA")
    if given:
        return Path(given)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


GOAML_XSD = shared_data() / "goaml" / "goAMLSchema-5.0.1.xsd"
SAR_XSD = shared_data() / "fincen" / "EFL_SARXBatchSchema.xsd"

GOAML_PROFILE = f"""
format = "goaml"
fiu = "FIU Demo"
rentity_id = 4711
rentity_branch = "Head office"
currency_code_local = "USD"
country_code = "US"
schema = "{GOAML_XSD}"
required = ["report/reason", "transaction/transaction_location"]
[max_lengths]
"report/reason" = 8000
[reporting_person]
first_name = "Dana"
last_name = "Reyes"
[location]
address = "1 Federal Plaza"
city = "Brookhaven"
country_code = "US"
[transmode]
wire = "A"
ach = "B"
default = "-"
"""

SAR_PROFILE = f"""
format = "fincen-sar"
recipient = "FinCEN"
schema = "{SAR_XSD}"
[transmitter]
name = "Demo Bank NA"
tcc = "PTCC1234"
tin = "123456789"
street = "1 Main St"
city = "Brookhaven"
state = "NY"
zip = "11223"
phone = "212-555-0100"
[transmitter_contact]
name = "Dana Reyes"
[filer]
name = "Demo Bank NA"
tin = "123456789"
regulator = "4"
organization_type = "2"
street = "1 Main St"
city = "Brookhaven"
state = "NY"
zip = "11223"
[contact_office]
name = "BSA Office"
phone = "212-555-0101"
"""


@dataclass(frozen=True)
class ReportWorld:
    ws: Workspace
    world: Path
    demo: DemoCase
    who: Principal
    multi_case: int
    fti_case: int
    trace_run: int
    trace_accounts: tuple[int, ...]  # the last one is the victim's

    @property
    def victim_account(self) -> int:
        return self.trace_accounts[-1]


@pytest.fixture(scope="session")
def report_world(tmp_path_factory: pytest.TempPathFactory) -> ReportWorld:
    if not GOAML_XSD.is_file():
        pytest.fail(f"the goAML schema is not at {GOAML_XSD} (set MONEYTRAIL_SHARED_DATA)")
    root = tmp_path_factory.mktemp("reportworld")
    report = generate(root / "world", seed=7, transactions=20_000)
    ws = Workspace(root / "ws").ensure()
    with Warehouse(ws) as wh:
        for path in report.files:
            if "truth" in path.parts:
                continue
            try:
                ingest_file(wh, path, "auto")
            except UnknownFormatError:
                continue
        run_pipeline(duckdb_stages(wh), root / "world")
        demo = open_demo_case(ws, wh.con)
        assert demo is not None
        tainted = _planted_tainted(root / "world" / "truth")
        traced = Tracer(wh).run(tainted, "libr")
        run_id = save_report(wh, traced, tainted)
        alerts = wh.con.execute(
            "SELECT alert_id FROM alerts WHERE len(filings) = 0 AND alert_id <> ? "
            "ORDER BY score DESC, alert_id LIMIT 2",
            [demo.alert_id],
        ).fetchall()
        entity = wh.con.execute(
            "SELECT m.entity_id FROM entity_members m JOIN account_holders h "
            "ON h.party_id = m.member_id WHERE m.kind = 'person' AND h.account_key = ?",
            [traced.accounts[0].account_key],
        ).fetchone()
        keys = [a.account_key for a in traced.accounts]
        held = {
            int(k)
            for (k,) in wh.con.execute(
                "SELECT DISTINCT account_key FROM account_holders "
                "WHERE account_key IN (SELECT unnest(?))",
                [keys],
            ).fetchall()
        }
        victim = next(k for k in keys[3:] if k in held)
        employer = wh.con.execute(
            "SELECT employer_key FROM employer_flags WHERE fti ORDER BY employer LIMIT 1"
        ).fetchone()
    (ws.root / "filing-profiles").mkdir()
    (ws.root / "filing-profiles" / "fiu-demo.toml").write_text(GOAML_PROFILE)
    (ws.root / "filing-profiles" / "fincen.toml").write_text(SAR_PROFILE)
    accounts = (*keys[:3], victim)
    store = CaseStore.open(ws)
    try:
        who = store.principal(demo.username)
        multi = int(store.create_case(who, "Commingled proceeds", "Tainted deposits traced.")["id"])
        for key in accounts[:-1]:
            store.add_subject(who, multi, "account", str(key))
        if entity is not None:
            store.add_subject(who, multi, "entity", str(entity[0]))
        # A victim's account: its number, bank and holder stay out of every export.
        store.add_subject(who, multi, "account", str(accounts[-1]), party="victim")
        for (alert_id,) in alerts:
            store.attach_alert(who, multi, alert_id)
            store.add_subject(who, multi, "network", alert_id)
        store.add_evidence(who, multi, "trace_runs", str(run_id), "LIBR trace of the deposits")
        assert employer is not None
        fti = int(store.create_case(who, "Employer payroll", "W-2s and 941s disagree.")["id"])
        store.record_legal_basis(
            who,
            fti,
            LegalBasis(
                kind="IRC 6103(i)(1) ex parte order",
                reference="24-MJ-0042",
                scope="W-2 and 941 returns of the employer",
                labels=frozenset({Label.FTI}),
                persons=frozenset({who.username}),
                agencies=frozenset({who.agency}),
                expires=date.today() + timedelta(days=90),
            ),
        )
        store.add_subject(who, fti, "business", str(employer[0]))
        # An analyst on the case whom the order does not name: no FTI for them.
        admin = store.principal(DEMO_ADMIN)
        store.add_user(admin, "ana", DEMO_AGENCY, Role.ANALYST, "a long passphrase for ana")
        store.add_member(who, fti, "ana")
    finally:
        store.close()
    return ReportWorld(ws, root / "world", demo, who, multi, fti, run_id, accounts)


def _planted_tainted(truth: Path) -> list[str]:
    """The tainted deposits of the first planted commingling case (as the demo traces)."""
    with (truth / "tracing.csv").open(newline="") as fh:
        purchases = list(csv.DictReader(fh))
    case = purchases[0]["case_id"]
    bought = {p["purchase_txn_id"] for p in purchases if p["case_id"] == case}
    with (truth / "transactions.csv").open(newline="") as fh:
        return [
            row["txn_id"]
            for row in csv.DictReader(fh)
            if row["case_id"] == case and row["txn_id"] not in bought
        ]
