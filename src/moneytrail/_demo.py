"""The demo pipeline: every stage, in order, on a generated world.

`run_pipeline(warehouse, world)` takes a warehouse into which the world's files
were ingested and runs what an investigator would run next: resolution, graph
features, employer checks, procurement findings, the typology catalogue
(alerts) and a trace of the first planted commingling case. It returns one summary line per stage, with the
figures a person would check against the world's truth/ folder.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from moneytrail.contracts import find
from moneytrail.detect import run_detect
from moneytrail.detect._group import REVIEW_SCORE
from moneytrail.employers import run_checks, store_flags
from moneytrail.graph import mine_into_warehouse
from moneytrail.resolve import resolve
from moneytrail.trace import Tracer
from moneytrail.warehouse import Warehouse


@dataclass(frozen=True)
class StageSummary:
    stage: str
    command: str
    summary: str


def run_pipeline(
    wh: Warehouse, world: Path, on_stage: Callable[[str], None] = lambda _: None
) -> list[StageSummary]:
    """Run the stages after ingest on `wh`; `world` is the generated world's folder."""
    done: list[StageSummary] = []

    on_stage("resolving entities")
    r = resolve(wh)
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
    g = mine_into_warehouse(wh)
    done.append(
        StageSummary(
            "graph",
            "moneytrail graph features",
            f"{g.edges:,} transactions between {g.accounts:,} accounts, "
            f"{g.txn_rows:,} feature rows in {g.seconds:.1f} s",
        )
    )

    on_stage("checking employers")
    reports = run_checks(wh.con)
    store_flags(wh.con, reports)
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
    findings = find(wh)
    typologies = sorted({f.typology.code for f in findings})
    done.append(
        StageSummary(
            "contracts",
            "moneytrail contracts findings",
            f"{len(findings)} findings ({', '.join(typologies) or 'none'})",
        )
    )

    on_stage("running the typology catalogue")
    d = run_detect(wh)
    review = sum(a.score >= REVIEW_SCORE for a in d.alerts)
    done.append(
        StageSummary(
            "detect",
            "moneytrail alerts",
            f"{d.hits:,} typology hits grouped into {len(d.alerts)} alerts, {review} of them "
            f"at review score {REVIEW_SCORE} or above (moneytrail eval --truth world/truth)",
        )
    )

    traced = _trace_first_case(wh, world / "truth")
    if traced is not None:
        on_stage("tracing tainted funds")
        done.append(traced)
    return done


def _trace_first_case(wh: Warehouse, truth: Path) -> StageSummary | None:
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
    report = Tracer(wh).run(tainted, "libr", steps=False)
    assets = "; ".join(
        f"{a.kind} {a.asset_id}: {a.tainted_amount} of {a.amount} tainted" for a in report.assets
    )
    return StageSummary(
        "trace",
        f"moneytrail trace --rule libr --tainted {','.join(tainted)}",
        f"case {case}: {len(tainted)} tainted deposits reach {len(report.accounts)} accounts; "
        f"{assets or 'no asset purchase reached'}",
    )
