"""Tracing against a real warehouse: statements, assets, the CLI and its schedule."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.errors import TraceError
from moneytrail.trace import Tracer, save_report, trace_funds, write_schedule
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

SUBJECT, STATEMENT_KEY, ESCROW, DIRTY, EMPLOYER = 11, 911, 22, 33, 44


def _fill(wh: Warehouse) -> None:
    """A subject account known under two keys: its movements come from a CSV that names
    the bank by number (key 11); its statement and holder from files that use the BIC
    (key 911). The statement reconciles with key 11's movements."""
    con = wh.con
    for key, masked in [
        (SUBJECT, "****1234"),
        (STATEMENT_KEY, "****1234"),
        (ESCROW, "****5555"),
        (DIRTY, "****6666"),
        (EMPLOYER, "****7777"),
    ]:
        con.execute(
            "INSERT INTO accounts (account_key, account_token, masked, source_id, source_row) "
            "VALUES (?, ?, ?, 1, 1)",
            [key, f"tok{key}", masked],
        )
    moves = [
        ("1", datetime(2024, 1, 2, 10), EMPLOYER, SUBJECT, "3000.00"),
        ("2", datetime(2024, 1, 5, 10), DIRTY, SUBJECT, "10000.00"),
        ("3", datetime(2024, 1, 9, 10), SUBJECT, ESCROW, "12500.00"),
        ("4", datetime(2024, 1, 20, 10), EMPLOYER, SUBJECT, "3000.00"),
    ]
    for row, (txn, ts, src, dst, amount) in enumerate(moves, 1):
        con.execute(
            "INSERT INTO transactions (txn_id, ts, from_account, to_account, amount, currency,"
            " source_id, source_row) VALUES (?, ?, ?, ?, ?, 'USD', 1, ?)",
            [txn, ts, src, dst, Decimal(amount), row],
        )
    for kind, day, amount in [
        ("opening", date(2024, 1, 1), "1000.00"),
        ("closing", date(2024, 1, 31), "4500.00"),
    ]:
        con.execute(
            "INSERT INTO balances VALUES (?, ?, ?, ?, 'USD', 'stmt-2024-01', 2, 1)",
            [STATEMENT_KEY, kind, day, Decimal(amount)],
        )
    con.execute(
        "INSERT INTO assets (asset_id, kind, description, value, currency, source_id, source_row)"
        " VALUES ('house-1', 'real_estate', '12 Elm St', 12500, 'USD', 3, 1)"
    )
    con.execute(
        "INSERT INTO relationships (rel_id, kind, subject_id, object_id, role, start_date,"
        " source_id, source_row) VALUES ('own-1', 'ownership', 'p-1', 'house-1', 'buyer',"
        " '2024-01-10', 3, 2)"
    )
    con.execute("INSERT INTO account_holders VALUES (?, 'p-1', 'holder', 3, 3)", [STATEMENT_KEY])


@pytest.fixture
def filled(warehouse: Warehouse) -> Warehouse:
    _fill(warehouse)
    return warehouse


def test_statement_opening_and_asset_found_through_reconciliation(filled: Warehouse) -> None:
    tracer = Tracer(filled)
    assert [(p.asset_id, p.txn_id, p.how) for p in tracer.purchases] == [
        ("house-1", "3", "matched")
    ]
    report = tracer.run(["2"], "libr")
    subject = next(a for a in report.accounts if a.account_key == SUBJECT)
    # 1000 opening + 3000 salary + 10000 tainted = 14000; the 12500 leaves 1500, all tainted
    assert subject.opening_known
    assert subject.balance_at_entry == Decimal("4000.00")
    (house,) = report.assets
    assert house.tainted_amount == Decimal("8500.00")
    assert house.chain == ["2", "3"]
    assert subject.tainted_balance == Decimal("1500.00")
    assert report.totals["named"] == Decimal("10000.00")


def test_every_rule_through_the_api(filled: Warehouse) -> None:
    expected = {"libr": "8500.00", "fifo": "8500.00", "lifo": "10000.00", "pro-rata": "8928.57"}
    tracer = Tracer(filled)
    for rule, tainted in expected.items():
        (house,) = tracer.run(["2"], rule).assets
        assert house.tainted_amount == Decimal(tainted), rule


def test_a_stated_purchase_overrides_the_rule(filled: Warehouse) -> None:
    report = trace_funds(filled, ["2"], "fifo", purchases={"house-1": "3"})
    assert report.assets[0].how == "stated"
    with pytest.raises(TraceError, match="no asset with id 'boat'"):
        Tracer(filled, {"boat": "3"})


def test_unknown_transaction_is_named(filled: Warehouse) -> None:
    with pytest.raises(TraceError, match="no transaction with id '99'"):
        trace_funds(filled, ["2", "99"])


def test_schedule_csv_and_json_trace_every_line_to_transactions(
    filled: Warehouse, tmp_path: Path
) -> None:
    report = trace_funds(filled, ["2"], "pro-rata")
    with write_schedule(report, tmp_path / "s.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    sections = {r["section"] for r in rows}
    assert sections == {"source", "account", "movement", "transfer", "asset", "total"}
    ids = {"1", "2", "3", "4"}
    for r in rows:
        if r["section"] in ("source", "movement", "transfer", "asset"):
            assert r["txn_id"] in ids
    assert not any("1234" in r["account"] and "****" not in r["account"] for r in rows)
    doc = json.loads(write_schedule(report, tmp_path / "s.json").read_text())
    assert doc["rule"] == "pro-rata"
    assert doc["assets"][0]["tainted_amount"] == "8928.57"
    with pytest.raises(TraceError, match=r"\.csv or \.json"):
        write_schedule(report, tmp_path / "s.pdf")


def test_cli_json_shape(filled: Warehouse, tmp_path: Path) -> None:
    root = filled.workspace.root
    filled.close()
    result = CliRunner().invoke(
        app,
        ["trace", "--tainted", "2", "--rule", "fifo", "--json", "-w", str(root),
         "--schedule", str(tmp_path / "s.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["rule"] == "fifo"
    assert doc["accounts"][str(SUBJECT)]["tainted_balance"] == "1500.00"
    assert {"txn_id": "3", "tainted_amount": "8500.00"}.items() <= doc["transfers"][1].items()
    assert (tmp_path / "s.csv").exists()
    bad = CliRunner().invoke(app, ["trace", "-t", "2", "--rule", "x", "-w", str(root)])
    assert bad.exit_code == 1
    assert "unknown rule 'x'" in bad.stderr
    ids = tmp_path / "alert.csv"
    ids.write_text("txn_id,why\n2,planted deposit\n", encoding="utf-8")
    from_file = CliRunner().invoke(
        app, ["trace", "--tainted-file", str(ids), "--json", "-w", str(root)]
    )
    assert json.loads(from_file.stdout)["transfers"][0]["txn_id"] == "2"
    none = CliRunner().invoke(app, ["trace", "-w", str(root)])
    assert none.exit_code == 1
    assert "--alert" in none.stderr
    missing = CliRunner().invoke(app, ["trace", "-t", "nope", "-w", str(root)])
    assert missing.exit_code == 1
    assert "no transaction with id 'nope'" in missing.stderr


def test_saved_run_matches_the_schedule(filled: Warehouse, tmp_path: Path) -> None:
    root = filled.workspace.root
    filled.close()
    result = CliRunner().invoke(
        app, ["trace", "-t", "2", "--rule", "lifo", "--save", "--json", "-w", str(root)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["run_id"] == 1
    with Warehouse(Workspace(root)) as wh:
        assert wh.con.execute("SELECT rule, tainted, max_hops FROM trace_runs").fetchall() == [
            ("lifo", '["2"]', None)
        ]
        asset = wh.con.execute(
            "SELECT txn_id, amount, tainted_amount, note FROM trace_schedule "
            "WHERE run_id = 1 AND section = 'asset'"
        ).fetchall()
        assert asset[0][:3] == ("3", Decimal("12500.00"), Decimal("10000.00"))
        assert asset[0][3].endswith("chain 2;3")
        report = Tracer(wh).run(["2"], "lifo")
        with write_schedule(report, tmp_path / "s.csv").open(newline="") as fh:
            lines = list(csv.DictReader(fh))
        assert int(wh.scalar("SELECT count(*) FROM trace_schedule WHERE run_id = 1")) == len(lines)
        assert save_report(wh, report, ["2"]) == 2


def test_cli_traces_the_evidence_of_an_alert(filled: Warehouse) -> None:
    filled.con.execute(
        "INSERT INTO alerts VALUES ('A-1', 1, 'ML-FAN-IN', ['ML-FAN-IN'], 'account:****1234', "
        "[11], 0.9, ['2'], [], 'One deposit of $10,000.00 into ****1234.')"
    )
    filled.con.execute(
        "INSERT INTO alerts VALUES ('A-2', 1, 'EMP-CASH', ['EMP-CASH'], 'employer:**-***1', "
        "[], 0.5, [], ['w2:1:2'], 'An employer alert.')"
    )
    root = filled.workspace.root
    filled.close()
    by_alert = CliRunner().invoke(app, ["trace", "--alert", "A-1", "--json", "-w", str(root)])
    assert by_alert.exit_code == 0, by_alert.stderr
    by_id = CliRunner().invoke(app, ["trace", "-t", "2", "--json", "-w", str(root)])
    assert json.loads(by_alert.stdout) == json.loads(by_id.stdout)
    unknown = CliRunner().invoke(app, ["trace", "--alert", "A-9", "-w", str(root)])
    assert unknown.exit_code == 1
    assert "no alert 'A-9'" in unknown.stderr
    # A-2 cites W-2 filings: FTI, traced only by a user under a case that covers it.
    employer = CliRunner().invoke(app, ["trace", "--alert", "A-2", "-w", str(root)])
    assert employer.exit_code == 1
    assert "withheld" in employer.stderr and "moneytrail login" in employer.stderr
