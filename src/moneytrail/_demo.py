"""The demo pipeline: every stage, in order, on a generated world.

`run_pipeline(stages, world)` takes the stages of one engine (`duckdb_stages(wh)`,
or moneytrail.spark._demo's `spark_stages(view)`) over a warehouse into which the
world's files were ingested, and runs what an investigator would run next: resolution, graph
features, employer checks, procurement findings, the typology catalogue
(alerts) and a trace of the first planted commingling case. It returns one summary line per stage, with the
figures a person would check against the world's truth/ folder.

`open_demo_case(workspace, con)` then does what a task force would do first: it
adds a demo agency, an admin and a supervisor (with generated passwords, never
fixed ones) to the case store, and opens a case on the strongest alert with its
subject, the alert and the movements behind it attached as evidence, and a
(demo) seizure warrant that lets the supervisor reveal the alert's accounts.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from moneytrail.contracts import find
from moneytrail.detect import run_detect
from moneytrail.detect._group import REVIEW_SCORE
from moneytrail.employers import run_checks, store_flags
from moneytrail.graph import mine_into_warehouse
from moneytrail.resolve import resolve
from moneytrail.trace import Tracer
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    import duckdb

    from moneytrail.contracts import Finding
    from moneytrail.detect import DetectReport
    from moneytrail.employers import EmployerReport
    from moneytrail.graph import MiningReport
    from moneytrail.resolve import ResolveReport


class DemoStages(Protocol):
    """The stages after ingest on one engine's warehouse, with their defaults."""

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The warehouse as the stages left it, read through a connection (the gateway
        reads the alerts through it)."""
        ...

    def resolve(self) -> ResolveReport: ...
    def mine(self) -> MiningReport: ...
    def employers(self) -> list[EmployerReport]: ...
    def contracts(self) -> list[Finding]: ...
    def detect(self) -> DetectReport: ...
    def tracer(self) -> Tracer[Any]: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class _OnDuckDB:
    wh: Warehouse

    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.wh.con

    def resolve(self) -> ResolveReport:
        return resolve(self.wh)

    def mine(self) -> MiningReport:
        return mine_into_warehouse(self.wh)

    def employers(self) -> list[EmployerReport]:
        reports = run_checks(self.wh.con)
        store_flags(self.wh.con, reports)
        return reports

    def contracts(self) -> list[Finding]:
        return find(self.wh)

    def detect(self) -> DetectReport:
        return run_detect(self.wh)

    def tracer(self) -> Tracer[Any]:
        return Tracer(self.wh)

    def close(self) -> None:
        """The warehouse is its caller's to close."""


def duckdb_stages(wh: Warehouse) -> DemoStages:
    return _OnDuckDB(wh)


@dataclass(frozen=True)
class StageSummary:
    stage: str
    command: str
    summary: str


def run_pipeline(
    stages: DemoStages, world: Path, on_stage: Callable[[str], None] = lambda _: None
) -> list[StageSummary]:
    """Run the stages after ingest; `world` is the generated world's folder."""
    done: list[StageSummary] = []

    on_stage("resolving entities")
    r = stages.resolve()
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(r.entities.items()))
    done.append(
        StageSummary(
            "resolve",
            "moneytrail resolve",
            f"{r.records:,} records into {kinds} entities; {r.links:,} explained links, "
            f"{r.generic_identifiers} generic identifiers reported",
        )
    )

    on_stage("mining graph features")
    g = stages.mine()
    done.append(
        StageSummary(
            "graph",
            "moneytrail graph features",
            f"{g.edges:,} transactions between {g.accounts:,} accounts, "
            f"{g.txn_rows:,} feature rows in {g.seconds:.1f} s",
        )
    )

    on_stage("checking employers")
    reports = stages.employers()
    flagged = [e for e in reports if e.flags]
    codes = sorted({f.code for e in flagged for f in e.flags})
    done.append(
        StageSummary(
            "employers",
            "moneytrail employers",
            f"{len(flagged)} of {len(reports)} employers flagged ({', '.join(codes) or 'none'})",
        )
    )

    on_stage("finding procurement red flags")
    findings = stages.contracts()
    typologies = sorted({f.typology.code for f in findings})
    done.append(
        StageSummary(
            "contracts",
            "moneytrail contracts findings",
            f"{len(findings)} findings ({', '.join(typologies) or 'none'})",
        )
    )

    on_stage("running the typology catalogue")
    d = stages.detect()
    review = sum(a.score >= REVIEW_SCORE for a in d.alerts)
    done.append(
        StageSummary(
            "detect",
            "moneytrail alerts",
            f"{d.hits:,} typology hits grouped into {len(d.alerts)} alerts, {review} of them "
            f"at review score {REVIEW_SCORE} or above (moneytrail eval --truth world/truth)",
        )
    )

    traced = _trace_first_case(stages.tracer(), world / "truth")
    if traced is not None:
        on_stage("tracing tainted funds")
        done.append(traced)
    return done


def _trace_first_case(tracer: Tracer[Any], truth: Path) -> StageSummary | None:
    """LIBR trace of the first planted commingling case, from its tainted deposits."""
    with (truth / "tracing.csv").open(newline="") as fh:
        purchases = list(csv.DictReader(fh))
    if not purchases:
        return None
    case = purchases[0]["case_id"]
    bought = {p["purchase_txn_id"] for p in purchases if p["case_id"] == case}
    with (truth / "transactions.csv").open(newline="") as fh:
        tainted = [
            row["txn_id"]
            for row in csv.DictReader(fh)
            if row["case_id"] == case and row["txn_id"] not in bought
        ]
    report = tracer.run(tainted, "libr", steps=False)
    assets = "; ".join(
        f"{a.kind} {a.asset_id}: {a.tainted_amount} of {a.amount} tainted" for a in report.assets
    )
    return StageSummary(
        "trace",
        f"moneytrail trace --rule libr --tainted {','.join(tainted)}",
        f"case {case}: {len(tainted)} tainted deposits reach {len(report.accounts)} accounts; "
        f"{assets or 'no asset purchase reached'}",
    )


DEMO_AGENCY = "Demo Task Force"
DEMO_ADMIN = "demo_admin"


@dataclass(frozen=True)
class DemoCase:
    username: str
    password: str
    case_id: int
    alert_id: str
    title: str
    admin: str = ""  # an admin who can add users (`moneytrail user add ... --as ADMIN`)
    admin_password: str = ""
    reveal_ref: str | None = None  # an account the case's warrant lets the supervisor reveal


def open_demo_case(ws: Workspace, con: duckdb.DuckDBPyConnection) -> DemoCase | None:
    """A supervisor and a case on the strongest alert; None when there is no alert."""
    from moneytrail.access import LegalBasis, Role  # noqa: PLC0415 - the store loads SQLAlchemy
    from moneytrail.cases import CaseStore  # noqa: PLC0415

    # FTI-derived alerts need a legal basis on the case first: the demo takes the
    # strongest alert built from bank data alone.
    from moneytrail.gateway import Gate, Gateway, Viewer, cursor_source  # noqa: PLC0415

    # Read as nobody through the gateway: only alerts of open (bank) data are shown.
    nobody = Gateway(cursor_source(con), Gate(Viewer(None, None, "cli"), None))
    top = next((a for a in nobody.alerts(limit=50).items if "withheld" not in a), None)
    if top is None:
        return None
    alert_id, typology, subject = top["alert_id"], top["typology"], top["subject"]
    accounts = [int(a["ref"]) for a in top["accounts"]]
    evidence, reason = top["evidence"], top["reason"]
    store = CaseStore.open(ws)
    try:
        if not store.has_admin():
            store.add_agency(None, DEMO_AGENCY, "duty@demo-task-force.example")
            store.add_user(None, DEMO_ADMIN, DEMO_AGENCY, Role.ADMIN, secrets.token_urlsafe(18))
        root = store.principal(DEMO_ADMIN)
        # A fresh admin and supervisor on every run: passwords are shown once, never stored raw.
        admin, admin_password = f"admin_{secrets.token_hex(2)}", secrets.token_urlsafe(12)
        store.add_user(root, admin, DEMO_AGENCY, Role.ADMIN, admin_password)
        username = f"supervisor_{secrets.token_hex(2)}"
        password = secrets.token_urlsafe(12)
        store.add_user(root, username, DEMO_AGENCY, Role.SUPERVISOR, password)
        who = store.principal(username)
        title = f"{typology}: {subject}"
        case = store.create_case(who, title[:200], reason)
        case_id = int(case["id"])
        if subject.startswith("network:"):
            store.add_subject(who, case_id, "network", alert_id)
        elif accounts:
            store.add_subject(who, case_id, "account", str(accounts[0]))
        store.attach_alert(who, case_id, alert_id)
        for txn in list(evidence)[:3]:
            store.add_evidence(
                who, case_id, "transactions", str(txn), f"a movement behind alert {alert_id}"
            )
        # A (demo) seizure warrant naming the supervisor, so that the case's accounts
        # can be revealed: `moneytrail reveal --case N --account KEY ...`.
        store.record_legal_basis(
            who,
            case_id,
            LegalBasis(
                kind="seizure warrant (demo)",
                reference=f"DEMO-SW-{case_id}",
                scope="the accounts of the subjects of this case, for their seizure",
                labels=frozenset(),
                persons=frozenset({username}),
                agencies=frozenset(),
                expires=date.today() + timedelta(days=90),
                reveals=True,
            ),
        )
    finally:
        store.close()
    reveal_ref = str(accounts[0]) if accounts else None
    return DemoCase(username, password, case_id, alert_id, title, admin, admin_password, reveal_ref)
