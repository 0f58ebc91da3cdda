"""End to end: ingest a generated world and reproduce its tracing truth exactly."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.trace import RULES, Tracer
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 7])
def test_reproduces_truth_tracing_from_the_warehouse(tmp_path: Path, seed: int) -> None:
    world = tmp_path / "world"
    generate(world, seed=seed, transactions=5_000)
    files = [world / "transactions.csv", world / "entities.ftm.json"]
    files += sorted((world / "camt053").glob("*.xml"))
    with (world / "truth" / "tracing.csv").open(newline="") as fh:
        truth = list(csv.DictReader(fh))
    assert truth
    planted: dict[str, list[str]] = {}
    with (world / "truth" / "transactions.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            planted.setdefault(row["case_id"], []).append(row["txn_id"])
    with Warehouse(Workspace(tmp_path / "ws").ensure()) as wh:
        for f in files:
            ingest_file(wh, f)
        tracer = Tracer(wh)
        # the rule in _assets finds every planted purchase, and nothing else
        assert {p.txn_id for p in tracer.purchases} == {r["purchase_txn_id"] for r in truth}
        for case in sorted({r["case_id"] for r in truth}):
            rows = [r for r in truth if r["case_id"] == case]
            bought = {r["purchase_txn_id"] for r in rows}
            tainted = [t for t in planted[case] if t not in bought]
            for rule in RULES:
                report = tracer.run(tainted, rule)
                got = {a.txn_id: a for a in report.assets}
                for r in rows:
                    asset = got[r["purchase_txn_id"]]
                    column = f"tainted_{rule.replace('-', '_')}"
                    assert str(asset.tainted_amount) == r[column], (case, rule, asset.txn_id)
                    assert asset.chain[-1] == asset.txn_id
                    assert set(asset.chain[:-1]) <= set(tainted)
                subject = report.accounts[0]
                assert subject.opening_known, "the statement's opening balance was not found"
