"""Real statement files (shared/data/statements): counts, signed sums, balances, quarantine."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse

STATEMENTS = Path(__file__).parents[3] / "shared" / "data" / "statements"
if not STATEMENTS.is_dir():
    STATEMENTS = Path("/work/shared/data/statements")
EXPECTED: dict[str, dict[str, Any]] = (
    json.loads((STATEMENTS / "expected.json").read_text()) if STATEMENTS.is_dir() else {}
)
pytestmark = pytest.mark.skipif(not EXPECTED, reason="shared/data/statements is not present")

# Statements whose own figures do not add up (the parsers' test files were
# anonymised or cut): the reader must say so, naming the statement.
MISMATCHED = {
    "mt940/jejik-abnamro.sta": 2,
    "mt940/jejik-ing.sta": 1,
    "mt940/jejik-knab.sta": 1,
    "mt940/jejik-postfinance.sta": 1,
    "mt940/jejik-rabobank.sta": 2,
    "mt940/jejik-triodos.sta": 1,
}
SIGNED = (
    "SELECT count(*), coalesce(sum(CASE e.direction WHEN 'credit' THEN t.amount"
    " ELSE -t.amount END), 0) FROM statement_entries e JOIN transactions t"
    " ON t.source_id = e.txn_source_id AND t.source_row = e.txn_source_row"
)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_file_reads_as_expected(warehouse: Warehouse, name: str) -> None:
    want = EXPECTED[name]
    report = ingest_file(warehouse, STATEMENTS / name)  # --format auto
    assert report.format == want["format"]
    assert report.rows_read == want["transactions"]
    assert report.rows_read == report.rows_accepted + report.rows_quarantined
    bad = want.get("missing_date", 0) + want.get("unreadable", 0)
    stored, total = warehouse.con.execute(SIGNED).fetchone() or (0, 0)
    assert stored == report.rows_accepted
    if bad == 0:
        assert report.rows_quarantined == 0
        assert Decimal(total) == Decimal(want["sum"])
    if "statements" in want:
        # Each statement's account is recorded once, under the statement's record id.
        found = warehouse.scalar("SELECT count(*) FROM identifiers WHERE record_id LIKE '%:stmt%'")
        assert found == want["statements"]
    mismatches = warehouse.scalar(
        "SELECT count(*) FROM source_issues WHERE kind = 'balance_mismatch'"
    )
    assert mismatches == MISMATCHED.get(name, 0)


def test_mismatch_names_the_statement_and_the_difference(warehouse: Warehouse) -> None:
    ingest_file(warehouse, STATEMENTS / "mt940/jejik-triodos.sta")
    message = warehouse.scalar("SELECT message FROM source_issues WHERE kind = 'balance_mismatch'")
    assert "opening 4975.09 + movements -715.70 = 4259.39" in message
    assert "closing balance is 4370.79 (difference 111.40)" in message


def test_balances_that_add_up_raise_nothing(warehouse: Warehouse) -> None:
    for name in ("bai2/nwb_example.bai2", "bai2/svb_us_example.bai2", "mt940/jejik-sns.sta"):
        ingest_file(warehouse, STATEMENTS / name)
    kinds = [r[0] for r in warehouse.con.execute("SELECT kind FROM source_issues").fetchall()]
    assert "balance_mismatch" not in kinds and "bai2_totals" not in kinds
    opening = warehouse.scalar(
        "SELECT amount FROM balances WHERE kind = 'opening' AND balance_date = '2022-02-01'"
    )
    assert opening == Decimal("347269.79")  # SVB: 010 opening ledger, in cents in the file


def test_fail_nice_quarantines_what_cannot_be_read(warehouse: Warehouse) -> None:
    folder = STATEMENTS / "ofx" / "fail_nice"
    dates = ingest_file(warehouse, folder / "date_missing.ofx")
    decimal = ingest_file(warehouse, folder / "decimal_error.ofx")
    empty = ingest_file(warehouse, folder / "empty_balance.ofx")
    assert (dates.rows_read, dates.rows_quarantined) == (3, 3)
    assert (decimal.rows_read, decimal.rows_quarantined) == (1, 1)
    assert (empty.rows_read, empty.rows_accepted) == (1, 1)
    found = warehouse.con.execute(
        "SELECT file, source_row, field, reason, original FROM quarantine ORDER BY source_id, source_row"
    ).fetchall()
    assert found == [
        (
            "date_missing.ofx",
            33,
            "STMTTRN/DTPOSTED",
            "posting date is missing (neither DTPOSTED nor DTUSER)",
            None,
        ),
        (
            "date_missing.ofx",
            40,
            "STMTTRN/DTPOSTED",
            "posting date is missing (neither DTPOSTED nor DTUSER)",
            None,
        ),
        (
            "date_missing.ofx",
            48,
            "STMTTRN/DTPOSTED",
            "'20120231' is not an OFX date (YYYYMMDD[HHMMSS[.XXX]][[tz]])",
            "20120231",
        ),
        ("decimal_error.ofx", 34, "STMTTRN/TRNAMT", "'$120' is not an amount", "$120"),
    ]
    # The empty balance is reported, the transaction kept.
    issue = warehouse.scalar("SELECT message FROM source_issues WHERE kind = 'balance_invalid'")
    assert "LEDGERBAL" in issue
    assert warehouse.scalar("SELECT amount FROM transactions WHERE source_id = 3") == Decimal("120")


def test_several_accounts_in_one_ofx_file(warehouse: Warehouse) -> None:
    ingest_file(warehouse, STATEMENTS / "ofx" / "multiple_accounts2.ofx")
    found = warehouse.con.execute(
        "SELECT a.masked, b.amount, b.balance_date FROM balances b JOIN accounts a USING (account_key) "
        "ORDER BY a.masked"
    ).fetchall()
    assert [(m, str(a)) for m, a, _ in found] == [
        ("****9100", "111.00000000"),
        ("****9200", "222.00000000"),
    ]


def test_mt940_structured_details_and_counterparty(warehouse: Warehouse) -> None:
    ingest_file(warehouse, STATEMENTS / "mt940" / "jejik-rabobank-iban.sta")
    row = warehouse.con.execute(
        "SELECT t.to_party, t.reference, t.to_account IS NOT NULL, t.description, e.counterparty"
        " FROM transactions t JOIN statement_entries e ON e.txn_source_row = t.source_row"
        " ORDER BY t.source_row LIMIT 1"
    ).fetchone()
    assert row is not None
    to_party, reference, has_account, _, counterparty = row
    assert counterparty == "CONTRA ACCOUNT HOLDER" == to_party
    assert reference == "01-01-2013 12:00 0030000987654321"
    assert has_account  # the counterparty IBAN from :61:'s supplementary details
