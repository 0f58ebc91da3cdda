"""Statement entries that duplicate another file's movements: kept once, enriched, any order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moneytrail.errors import FileFormatError
from moneytrail.ingest import ingest_file
from moneytrail.synth import generate
from moneytrail.warehouse import Warehouse

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
)
LEDGER = HEADER + (
    "2024/03/01 09:15,BRKHUS3N,1111111111,FRVWUS3A,2222222222,150.00,US Dollar,150.00,"
    "US Dollar,Credit Card,0\n"
    "2024/03/01 10:00,BRKHUS3N,1111111111,FRVWUS3A,3333333333,75.50,US Dollar,75.50,"
    "US Dollar,ACH,0\n"
)


def _entry(ref: str, amount: str, when: str, side: str, name: str | None, text: str) -> str:
    role = "Cdtr" if side == "DBIT" else "Dbtr"
    party = f"<{role}><Pty><Nm>{name}</Nm></Pty></{role}>" if name else ""
    return (
        f'<Ntry><Amt Ccy="USD">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        f"<BookgDt><DtTm>{when}</DtTm></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RltdPties>{party}</RltdPties>"
        f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def _statement(number: str, bic: str, owner: str, entries: list[str]) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>{number}-2024-03</Id><Acct>"
        f"<Id><Othr><Id>{number}</Id></Othr></Id><Ccy>USD</Ccy><Ownr><Nm>{owner}</Nm></Ownr>"
        f"<Svcr><FinInstnId><BICFI>{bic}</BICFI></FinInstnId></Svcr></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>\n"
    )


PAYER = _statement(
    "1111111111",
    "BRKHUS3N",
    "Harbor Staffing LLC",
    [
        _entry("1", "150.00", "2024-03-01T09:15:30Z", "DBIT", "Lakeshore Hotel Corp", "room 12"),
        _entry("2", "75.50", "2024-03-01T10:00:05Z", "DBIT", None, "invoice 7"),
        _entry("9", "20.00", "2024-03-01T23:10:00Z", "DBIT", "Meridian Ride Share Co", "trip"),
        _entry("10", "abc", "2024-03-02T08:00:00Z", "DBIT", "Pioneer Online Ads LLC", "ad"),
    ],
)
PAYEE = _statement(
    "2222222222",
    "FRVWUS3A",
    "Lakeshore Hotel Corp",
    [_entry("1", "150.00", "2024-03-01T09:15:59Z", "CRDT", "Harbor Staffing", "booking 88")],
)


def _files(tmp_path: Path) -> dict[str, Path]:
    files = {"ledger": LEDGER, "payer": PAYER, "payee": PAYEE}
    paths = {}
    for name, text in files.items():
        path = tmp_path / (f"{name}.csv" if name == "ledger" else f"{name}.xml")
        path.write_text(text)
        paths[name] = path
    return paths


def _state(wh: Warehouse) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Transactions and statement entries, with accounts shown masked (keys differ per workspace)."""
    wh.con.execute(
        "CREATE OR REPLACE TEMP VIEW m AS SELECT account_key, min(masked) AS masked "
        "FROM accounts GROUP BY ALL"
    )
    txns = wh.con.execute(
        "SELECT t.txn_id, f.masked, o.masked, t.amount, t.currency, t.channel, t.reference, "
        "t.description, t.from_party, t.to_party, s.name, t.source_row, t.label_laundering "
        "FROM transactions t JOIN sources s USING (source_id) "
        "LEFT JOIN m f ON f.account_key = t.from_account "
        "LEFT JOIN m o ON o.account_key = t.to_account ORDER BY t.txn_id"
    ).fetchall()
    entries = wh.con.execute(
        "SELECT s.name, e.source_row, m.masked, e.statement_id, e.entry_ref, e.direction, "
        "e.counterparty, e.description, t.txn_id "
        "FROM statement_entries e JOIN sources s USING (source_id) "
        "JOIN m ON m.account_key = e.account_key "
        "JOIN transactions t ON t.source_id = e.txn_source_id AND t.source_row = e.txn_source_row "
        "ORDER BY 1, 2"
    ).fetchall()
    return [tuple(r) for r in txns], [tuple(r) for r in entries]


ORDERS = [
    ("ledger", "payer", "payee"),
    ("payer", "ledger", "payee"),
    ("payer", "payee", "ledger"),
]


def test_the_ledger_keeps_each_movement_once_and_the_statements_name_it(
    tmp_path: Path, workspace_factory: Callable[[], Warehouse]
) -> None:
    paths = _files(tmp_path)
    states = []
    for order in ORDERS:
        with workspace_factory() as wh:
            for name in order:
                report = ingest_file(wh, paths[name])
                assert report.rows_read == report.rows_accepted + report.rows_quarantined
            quarantined = wh.con.execute("SELECT file, field, reason FROM quarantine").fetchall()
            reason = "'abc' is not an amount (digits, '.', at most 8 decimals)"
            assert quarantined == [("payer.xml", "Ntry/Amt", reason)], order
            states.append(_state(wh))
    txns, entries = states[0]
    for other in states[1:]:
        assert other == states[0]
    by_id = {t[0]: t for t in txns}
    assert sorted(by_id) == ["1", "2", "9"]
    hotel = by_id["1"]
    # The ledger row is kept (its file, row and label), with the payer statement's names
    # and text; the payee's statement, loaded later, fills nothing already filled.
    assert hotel[10:] == ("ledger.csv", 1, False)
    assert hotel[5:10] == ("card", None, "room 12", "Harbor Staffing LLC", "Lakeshore Hotel Corp")
    assert by_id["2"][7:10] == ("invoice 7", "Harbor Staffing LLC", None)
    assert by_id["9"][8:11] == ("Harbor Staffing LLC", "Meridian Ride Share Co", "payer.xml")
    assert [(e[0], e[1], e[4], e[5], e[6], e[8]) for e in entries] == [
        ("payee.xml", 1, "1", "credit", "Harbor Staffing", "1"),
        ("payer.xml", 1, "1", "debit", "Lakeshore Hotel Corp", "1"),
        ("payer.xml", 2, "2", "debit", None, "2"),
        ("payer.xml", 3, "9", "debit", "Meridian Ride Share Co", "9"),
    ]
    assert {e[2] for e in entries} == {"****1111", "****2222"}
    assert entries[0][3] == "2222222222-2024-03"


def test_each_file_reports_the_movements_it_merged(tmp_path: Path, warehouse: Warehouse) -> None:
    paths = _files(tmp_path)
    for name in ("payer", "ledger", "payee"):
        ingest_file(warehouse, paths[name])
    issues = warehouse.con.execute(
        "SELECT s.name, i.message FROM source_issues i JOIN sources s USING (source_id) "
        "WHERE i.kind = 'duplicate_movements' ORDER BY 1"
    ).fetchall()
    assert [(n, m.split()[0]) for n, m in issues] == [("ledger.csv", "2"), ("payee.xml", "1")]


def test_a_refused_statement_changes_no_stored_transaction(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    paths = _files(tmp_path)
    ingest_file(warehouse, paths["ledger"])
    before = _state(warehouse)
    broken = tmp_path / "broken.xml"
    broken.write_text(PAYER.replace("</Stmt></BkToCstmrStmt></Document>", ""))
    with pytest.raises(FileFormatError):
        ingest_file(warehouse, broken)
    assert _state(warehouse) == before
    assert warehouse.scalar("SELECT count(*) FROM statement_entries") == 0


@pytest.mark.parametrize("seed", [29])
def test_a_synthetic_world_ends_the_same_in_either_order(
    tmp_path: Path, workspace_factory: Callable[[], Warehouse], seed: int
) -> None:
    world = tmp_path / "world"
    report = generate(world, seed=seed, transactions=2_000)
    statements = sorted((world / "camt053").glob("*.xml"))
    states = []
    for files in (
        [world / "transactions.csv", *statements],
        [*statements, world / "transactions.csv"],
    ):
        with workspace_factory() as wh:
            for path in files:
                assert ingest_file(wh, path).rows_quarantined == 0
            assert wh.table_counts()["transactions"] == report.transactions
            states.append(_state(wh))
    assert states[0] == states[1]
    txns, entries = states[0]
    assert {t[10] for t in txns} == {"transactions.csv"}
    named = [t for t in txns if t[9] is not None]
    assert named, "no statement name reached a transaction"
    assert len(entries) == sum(p.read_text().count("<Ntry>") for p in statements)
