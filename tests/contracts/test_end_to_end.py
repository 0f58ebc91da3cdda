"""A synthetic world's planted procurement frauds are found, innocents mostly not flagged."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.contracts import Settings
from moneytrail.contracts._stage import find, stored_findings
from moneytrail.contracts.commands import flag_file
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, seed=7, transactions=2000)
    return out


@pytest.fixture(scope="module")
def loaded(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("ws") / "ws").ensure()
    with Warehouse(ws) as wh:
        for name in ("ocds/releases.jsonl", "entities.ftm.json", "transactions.csv"):
            report = ingest_file(wh, world / name)
            assert report.rows_quarantined == 0
    return ws


def truth(world: Path) -> dict[str, set[str]]:
    planted: dict[str, set[str]] = {}
    with (world / "truth" / "procurement.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            planted.setdefault(row["flag"], set()).add(row["ocid"])
    return planted


def test_single_bids_are_found_by_cardinal_r018(world: Path) -> None:
    results = flag_file(world / "ocds" / "releases.jsonl", Settings()).finish()
    r018 = {ocid for ocid, codes in results["OCID"].items() if "R018" in codes}
    assert r018 == truth(world)["single_bid"]


def test_planted_frauds_are_found(world: Path, loaded: Workspace) -> None:
    planted = truth(world)
    with Warehouse(loaded) as wh:
        findings = find(wh)
    by_code: dict[str, set[str]] = {}
    for f in findings:
        by_code.setdefault(f.typology.code, set()).update(f.ocids)
    # Split purchases: every planted award is in an MT-P001 finding, and nothing else is.
    assert by_code["MT-P001"] == planted["split_purchase"]
    # The same direct awards are repeated single-source awards too.
    assert planted["split_purchase"] <= by_code["MT-P002"]
    assert by_code["MT-P003"] == planted["bid_near_estimate"]
    # A shared address or account can only be seen where the official is known to the
    # warehouse (a person record of another source); this world names one of the two.
    linked = by_code["MT-P004"] & planted["shared_address_account"]
    assert linked
    assert "MT-P005" not in by_code  # no supplier sits at a private person's address


def test_findings_command_lists_stored_findings(loaded: Workspace) -> None:
    result = runner.invoke(app, ["contracts", "findings", "--json", "-w", str(loaded.root)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    codes = {f["code"] for f in doc["findings"]}
    assert {"MT-P001", "MT-P002", "MT-P003", "MT-P004"} <= codes
    first = doc["findings"][0]
    assert first["severity"] == "high"
    assert first["reason"] and first["evidence"]
    again = runner.invoke(app, ["contracts", "findings", "--json", "-w", str(loaded.root)])
    assert json.loads(again.stdout)["findings"].__len__() == len(doc["findings"])  # idempotent
    with Warehouse(loaded) as wh:
        assert len(stored_findings(wh.con, "MT-P001")) == 2


def test_findings_param_override_and_errors(loaded: Workspace) -> None:
    result = runner.invoke(
        app,
        ["contracts", "findings", "--json", "-p", "MT-P001.min_awards=10", "-w", str(loaded.root)],
    )
    assert result.exit_code == 0, result.output
    assert not [f for f in json.loads(result.stdout)["findings"] if f["code"] == "MT-P001"]
    bad = runner.invoke(
        app, ["contracts", "findings", "-p", "MT-P001.colour=red", "-w", str(loaded.root)]
    )
    assert bad.exit_code == 1
    assert "unknown parameter" in bad.output
