"""`moneytrail reveal`, `reveal list` and the court schedule of `trace --case N --as USER`."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.access import LegalBasis
from moneytrail.cases import CaseStore
from moneytrail.cli import app
from moneytrail.privacy import accounts_by_key
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace
from tests.cases.conftest import PASSWORD
from tests.reveal.conftest import BANK, World


@pytest.fixture
def case(warehouse: Warehouse, world: World, users: None, store: CaseStore) -> int:
    """A case on the subject's account, with a warrant naming tana, and a small ledger.

    The warehouse is closed afterwards: the commands open it as another process would."""
    with warehouse as wh:
        # 1,000 tainted into the subject's account; 600 to its look-alike, 300 to the alert's
        for row, (txn, src, dst, amount) in enumerate(
            [("t1", None, world.subject, "1000"), ("t2", world.subject, world.twin, "600"),
             ("t3", world.subject, world.via_alert, "300")], 1):  # fmt: skip
            wh.con.execute(
                "INSERT INTO transactions (txn_id, ts, from_account, to_account, amount, "
                "currency, source_id, source_row) VALUES (?, ?, ?, ?, ?, 'USD', 1, ?)",
                [txn, datetime(2024, 1, row, 10), src, dst, Decimal(amount), row],
            )
    sup = store.principal("tsup")
    cid = int(store.create_case(sup, "Ring")["id"])
    store.add_member(sup, cid, "tana")
    store.add_subject(sup, cid, "account", str(world.subject))
    store.record_legal_basis(
        sup,
        cid,
        LegalBasis(
            "seizure warrant",
            "SW-1",
            "the ring's accounts",
            frozenset(),
            frozenset({"tana"}),
            frozenset(),
            date.today() + timedelta(days=9),
            reveals=True,
        ),
    )
    return cid


def _run(workspace: Workspace, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, [*args, "--workspace", str(workspace.root)], env={"MONEYTRAIL_PASSWORD": PASSWORD}
    )
    return result.exit_code, result.stdout + result.stderr


def test_reveal_and_its_list_from_the_command_line(
    workspace: Workspace, world: World, case: int
) -> None:
    code, out = _run(workspace, "reveal", "--case", str(case), "--account", str(world.subject),
                     "--purpose", "warrant SW-1", "--as", "tana", "--json")  # fmt: skip
    assert code == 0, out
    assert json.loads(out) | {"display": ""} == {
        "ref": str(world.subject), "kind": "account", "value": "40010001", "bank": BANK,
        "display": "",
    }  # fmt: skip
    code, out = _run(workspace, "reveal", "--case", str(case), "--account", str(world.twin),
                     "--purpose", "warrant SW-1", "--as", "tana")  # fmt: skip
    assert code == 1 and "not an identifier of a subject" in out
    code, out = _run(workspace, "reveal", "--case", str(case), "--account", "1", "--as", "tana")
    assert code == 1 and "--purpose" in out
    code, out = _run(workspace, "reveal", "list", "--case", str(case), "--as", "tsup", "--json")
    assert code == 0, out
    assert [(r["actor"], r["outcome"]) for r in json.loads(out)] == [
        ("tana", "ok"),
        ("tana", "denied"),
    ]
    code, out = _run(workspace, "audit", "verify")
    assert code == 0 and "intact" in out


def test_a_court_schedule_carries_the_revealed_numbers(
    workspace: Workspace, world: World, case: int, tmp_path: Path
) -> None:
    masked_file, court_file = tmp_path / "trace.csv", tmp_path / "court.csv"
    code, out = _run(workspace, "trace", "--tainted", "t1", "--schedule", str(masked_file))
    assert code == 0, out
    with Warehouse(workspace, read_only=True) as wh:
        shown = {
            k: r.display for k, r in accounts_by_key(wh.con, [world.subject, world.twin]).items()
        }
    # Two accounts ending in 0001 at one bank: told apart by their tags, in the table too.
    assert shown[world.subject] != shown[world.twin]
    assert shown[world.subject] in out and shown[world.twin] in out
    plain = masked_file.read_text()
    assert shown[world.subject] in plain and shown[world.twin] in plain and "40010001" not in plain
    code, out = _run(workspace, "trace", "--tainted", "t1", "--schedule", str(court_file),
                     "--case", str(case), "--as", "tana")  # fmt: skip
    assert code == 0, out
    with court_file.open() as fh:
        accounts = {r["account"] for r in csv.DictReader(fh) if r["section"] == "account"}
    subject = f"{BANK} 40010001 [{shown[world.subject]} ({world.subject})]"
    assert subject in accounts
    assert f"{shown[world.twin]} ({world.twin})" in accounts  # not a subject's: still masked
    code, out = _run(workspace, "trace", "--tainted", "t1", "--schedule", str(tmp_path / "c.json"),
                     "--case", str(case), "--as", "tsup")  # fmt: skip
    assert code == 1 and "not named" in out  # tsup is not named by the warrant
    doc_file = tmp_path / "court.json"
    code, out = _run(workspace, "trace", "--tainted", "t1", "--schedule", str(doc_file),
                     "--case", str(case), "--as", "tana", "--purpose", "SW-1 schedule")  # fmt: skip
    assert code == 0, out
    doc = json.loads(doc_file.read_text())
    assert doc["accounts"][str(world.subject)]["account_number"] == "40010001"
    assert "account_number" not in doc["accounts"][str(world.twin)]
    assert doc["revealed_under"].startswith(f"case {case}: 1 accounts revealed to tana")
