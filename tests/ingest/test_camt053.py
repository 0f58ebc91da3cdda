"""The camt.053 reader: golden statements, quarantine, balance checks and hostile files."""

from __future__ import annotations

import resource
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from moneytrail.errors import FileFormatError, HostileInputError
from moneytrail.ingest import camt053, ingest_file
from moneytrail.model.tables import TABLES
from moneytrail.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "camt053"
V02 = DATA / "statement_v02.xml"
V08 = DATA / "statement_v08.xml"
NS02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def rows(wh: Warehouse, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in wh.con.execute(sql, params or []).fetchall()]


def txns(wh: Warehouse, source_id: int = 1) -> dict[str, tuple[Any, ...]]:
    """Transactions of one file by id: ts, from, to, amount, currency, channel, reference,
    description, from_party, to_party, source_row."""
    found = rows(
        wh,
        "SELECT txn_id, ts, from_account, to_account, amount, currency, channel, reference, "
        "description, from_party, to_party, source_row FROM transactions WHERE source_id = ? "
        "ORDER BY source_row",
        [source_id],
    )
    return {r[0]: r[1:] for r in found}


def statement_account(wh: Warehouse, record_id: str) -> int:
    return int(wh.scalar("SELECT account_key FROM accounts WHERE record_id = ?", [record_id]))


def counterparty(wh: Warehouse, masked: str) -> int:
    return int(wh.scalar("SELECT account_key FROM accounts WHERE masked = ?", [masked]))


def everything(wh: Warehouse) -> str:
    """Every stored value of every table, as text, for leak checks."""
    return "\n".join(repr(r) for t in TABLES for r in rows(wh, f"SELECT * FROM {t.name}"))


def snapshot(wh: Warehouse) -> dict[str, int]:
    counts = wh.table_counts()
    for name in ("sources", "quarantine", "source_issues", "vault"):
        counts[name] = int(wh.scalar(f"SELECT count(*) FROM {name}"))
    return counts


def statement(
    ns: str,
    entries: str,
    *,
    account: str = "<Id><IBAN>DE89370400440532013000</IBAN></Id>",
    balances: str = "",
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S1</Id>"
        f"<Acct>{account}<Ccy>EUR</Ccy></Acct>{balances}{entries}</Stmt>"
        "</BkToCstmrStmt></Document>\n"
    ).encode()


def entry(n: int, amount: str = "1.00", ind: str = "CRDT", ustrd: str = "x") -> str:
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>2023-03-01</Dt></BookgDt><AcctSvcrRef>R{n}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RmtInf><Ustrd>{ustrd}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


# Golden files


def test_v02_golden_file(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, V02, fmt="camt053")
    assert (report.format, report.rows_read, report.rows_accepted, report.rows_quarantined) == (
        "camt053",
        8,
        8,
        0,
    )
    counts = warehouse.table_counts()
    assert {k: counts[k] for k in ("transactions", "accounts", "balances", "parties")} == {
        "transactions": 8,
        "accounts": 4,
        "balances": 5,
        "parties": 2,
    }
    assert counts["account_holders"] == 2 and counts["identifiers"] == 2

    eur = statement_account(warehouse, "statement_v02.xml:stmt1:account")
    usd = statement_account(warehouse, "statement_v02.xml:stmt2:account")
    alice = counterparty(warehouse, "****6819")
    landlord = counterparty(warehouse, "****5678")
    t = txns(warehouse)
    assert list(t) == [
        "REF-1001",
        "REF-1002",
        "REF-1003",
        "NREF-4",
        "REF-2001",
        "REF-1001#2",
        "statement_v02.xml:7",
        "REF-2004",
    ]
    assert t["REF-1001"] == (
        datetime(2023, 1, 2),
        alice,
        eur,
        Decimal("250.00"),
        "EUR",
        "transfer",
        "E2E-INV-42",
        "Invoice 42 January",
        "Alice Example",
        "Muster GmbH",
        1,
    )
    assert t["REF-1002"] == (
        datetime(2023, 1, 3),
        eur,
        None,
        Decimal("40.50"),
        "EUR",
        "card",
        None,
        "Card payment 4711",
        "Muster GmbH",
        "Corner Coffee Shop",
        2,
    )
    assert t["REF-1003"][1:6] == (eur, None, Decimal("200.00"), "EUR", "cash")
    # NOTPROVIDED is no reference; Othr/Id accounts are keyed with their bank's BIC.
    assert t["NREF-4"][1:9] == (
        eur,
        landlord,
        Decimal("100.00"),
        "EUR",
        "transfer",
        None,
        "Rent January",
        "Muster GmbH",
    )
    # The debtor's IBAN, written with spaces, is the first statement's account.
    assert t["REF-2001"][1:5] == (eur, usd, Decimal("1000.00"), "USD")
    assert t["REF-1001#2"][1:6] == (usd, None, Decimal("75.25"), "USD", "cheque")
    assert t["statement_v02.xml:7"][1:5] == (None, usd, Decimal("20.00"), "USD")
    assert t["REF-2004"][1:10] == (
        usd,
        None,
        Decimal("10.00"),
        "USD",
        "transfer",
        None,
        "batch of 2 transactions; Salary run",
        "John Doe",
        None,
    )

    assert rows(
        warehouse,
        "SELECT account_key, kind, balance_date, amount, currency, "
        "statement_id, source_row FROM balances ORDER BY source_row, kind",
    ) == [
        (eur, "closing", date(2023, 1, 31), Decimal("909.50"), "EUR", "STMT-2023-01-EUR", 1),
        (eur, "opening", date(2023, 1, 1), Decimal("1000.00"), "EUR", "STMT-2023-01-EUR", 1),
        (usd, "CLAV", date(2023, 1, 31), Decimal("864.75"), "USD", "STMT-2023-01-USD", 5),
        (usd, "closing", date(2023, 1, 31), Decimal("864.75"), "USD", "STMT-2023-01-USD", 5),
        (usd, "opening", date(2022, 12, 31), Decimal("-50.00"), "USD", "STMT-2023-01-USD", 5),
    ]
    assert rows(
        warehouse,
        "SELECT account_key, bank_id, masked, currency FROM accounts "
        "WHERE record_id IS NOT NULL ORDER BY masked",
    ) == [
        (eur, "COBADEFFXXX", "****3000", "EUR"),
        (usd, "CHASUS33XXX", "****6789", "USD"),
    ]
    assert rows(warehouse, "SELECT party_id, kind, name FROM parties ORDER BY party_id") == [
        ("statement_v02.xml:stmt1:owner", "legal_entity", "Muster GmbH"),
        ("statement_v02.xml:stmt2:owner", "legal_entity", "John Doe"),
    ]
    assert rows(
        warehouse, "SELECT account_key, party_id, role FROM account_holders ORDER BY party_id"
    ) == [
        (eur, "statement_v02.xml:stmt1:owner", "holder"),
        (usd, "statement_v02.xml:stmt2:owner", "holder"),
    ]
    assert rows(warehouse, "SELECT record_id, scheme, masked FROM identifiers ORDER BY 1") == [
        ("statement_v02.xml:stmt1:account", "iban", "****3000"),
        ("statement_v02.xml:stmt2:account", "account", "****6789"),
    ]
    # Balances add up (PRCD opens the second statement); the pending entry is reported.
    assert rows(warehouse, "SELECT source_row, kind, message FROM source_issues") == [
        (
            5,
            "pending_entries",
            "statement STMT-2023-01-USD of account ****6789: pending (PDNG) "
            "entries, stored but not booked yet and so left out of the balance check: 1 (rows 7)",
        ),
    ]


def test_v08_golden_file(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, V08)
    assert (report.format, report.rows_read, report.rows_accepted, report.rows_quarantined) == (
        "camt053",
        6,
        6,
        0,
    )
    counts = warehouse.table_counts()
    assert (counts["transactions"], counts["accounts"], counts["balances"]) == (6, 5, 4)
    nl = statement_account(warehouse, "statement_v08.xml:stmt1:account")
    db = statement_account(warehouse, "statement_v08.xml:stmt2:account")
    employer = counterparty(warehouse, "****6789")
    alice = counterparty(warehouse, "****6819")
    sender = counterparty(warehouse, "****7766")
    t = txns(warehouse)
    assert list(t) == ["ABN-0001", "ABN-0002", "ABN-0003", "ABN-0004", "DB-1", "DB-NTRY-2"]
    # 10:15 at UTC+1 is 09:15 UTC.
    assert t["ABN-0001"] == (
        datetime(2024, 3, 1, 9, 15),
        employer,
        nl,
        Decimal("1500.00"),
        "EUR",
        "transfer",
        "SAL-2024-03",
        "Salary March",
        "Employer BV",
        "Jan de Vries",
        1,
    )
    assert t["ABN-0002"] == (
        datetime(2024, 3, 2),
        nl,
        None,
        Decimal("12.34"),
        "EUR",
        "card",
        None,
        None,
        "Jan de Vries",
        "Albert Heijn 1234",
        2,
    )
    assert t["ABN-0003"][1:9] == (
        None,
        nl,
        Decimal("300.00"),
        "EUR",
        "cash",
        None,
        "Cash deposit branch Utrecht",
        None,
    )
    assert t["ABN-0004"][:9] == (
        datetime(2024, 3, 4, 23, 30),
        nl,
        alice,
        Decimal("99.99"),
        "EUR",
        "transfer",
        "E2E-GB-1",
        "Gift; Instant payment",
        "Jan de Vries",
    )
    assert t["DB-1"][1:4] == (db, nl, Decimal("250.00"))
    # No booking date: the value date stands in.
    assert t["DB-NTRY-2"][:4] == (datetime(2024, 3, 6), sender, db, Decimal("42.00"))
    assert rows(
        warehouse,
        "SELECT bank_id FROM accounts WHERE account_key IN (?, ?, ?) ORDER BY 1",
        [nl, employer, sender],
    ) == [
        ("ABNANL2A",),
        ("ABNANL2A",),
        ("INGBNL2AXXX",),
    ]
    assert rows(
        warehouse,
        "SELECT kind, balance_date, amount FROM balances WHERE account_key = ? ORDER BY kind",
        [nl],
    ) == [
        ("closing", date(2024, 3, 31), Decimal("1687.67")),
        ("opening", date(2024, 2, 29), Decimal("0")),
    ]
    assert rows(warehouse, "SELECT * FROM source_issues") == []


def test_an_account_gets_one_key_across_files_and_versions(warehouse: Warehouse) -> None:
    ingest_file(warehouse, V02)
    ingest_file(warehouse, V08)
    # GB29... pays into the v02 statement and is paid from the v08 one.
    assert warehouse.table_counts()["accounts"] == 4 + 5 - 1
    alice = counterparty(warehouse, "****6819")
    assert txns(warehouse, 1)["REF-1001"][1] == alice
    assert txns(warehouse, 2)["ABN-0004"][2] == alice


@pytest.mark.parametrize("version", [f"{n:02d}" for n in range(2, 14)])
def test_every_version_namespace_is_read(
    warehouse: Warehouse, tmp_path: Path, version: str
) -> None:
    path = tmp_path / f"v{version}.xml"
    path.write_bytes(
        V02.read_bytes().replace(b"camt.053.001.02", f"camt.053.001.{version}".encode())
    )
    report = ingest_file(warehouse, path)
    assert (report.format, report.rows_read, report.rows_accepted) == ("camt053", 8, 8)


def test_raw_account_numbers_are_only_in_the_vault(warehouse: Warehouse) -> None:
    ingest_file(warehouse, V02)
    ingest_file(warehouse, V08)
    stored = everything(warehouse)
    for raw in (
        "DE89370400440532013000",
        "DE89 3704",
        "GB29NWBK60161331926819",
        "0123456789",
        "NL91ABNA0417164300",
        "NL02ABNA0123456789",
        "ACC-778899",
        "99887766",
    ):
        assert raw not in stored
    token = warehouse.scalar(
        "SELECT account_token FROM accounts WHERE record_id = 'statement_v02.xml:stmt1:account'"
    )
    revealed = warehouse.vault.read(warehouse.con, token)[1]
    assert revealed == "DE89370400440532013000"


def test_loading_the_same_file_twice_adds_nothing(warehouse: Warehouse) -> None:
    first = ingest_file(warehouse, V02)
    before = snapshot(warehouse)
    again = ingest_file(warehouse, V02)
    assert again.already_loaded and (again.rows_read, again.rows_accepted) == (8, 8)
    assert not first.already_loaded
    assert snapshot(warehouse) == before


# Balances


def test_balance_mismatch_and_missing_balances_are_reported(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, DATA / "balance_mismatch.xml")
    assert (report.rows_read, report.rows_accepted) == (2, 2)
    assert rows(
        warehouse, "SELECT source_row, kind, message FROM source_issues ORDER BY 1 DESC"
    ) == [
        (
            1,
            "balance_mismatch",
            "statement STMT-MISMATCH of account ****2957: opening 100.00 + "
            "credits 50.00 - debits 20.00 = 130.00, but closing balance is 125.00 (difference -5.00)",
        ),
        (
            0,
            "balance_missing",
            "statement STMT-NO-BALANCES of account ****8009 has neither an "
            "opening (OPBD) nor a closing (CLBD) balance, so its entries cannot be checked against "
            "them",
        ),
    ]
    assert len(report.warnings) == 2


def test_balance_check_counts_quarantined_entries_whose_amount_was_read(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    balances = (
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt>'
        "<CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2023-03-01</Dt></Dt></Bal>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.005</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><DtTm>2023-03-31T23:30:00-05:00</DtTm></Dt></Bal>"
    )
    body = entry(1, "3.505") + entry(2, "7.50", ustrd="y" * 2000) + entry(3, "bad")
    path = tmp_path / "s.xml"
    path.write_bytes(statement(NS02, body, balances=balances))
    report = ingest_file(warehouse, path)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 2)
    assert warehouse.scalar("SELECT count(*) FROM source_issues") == 0
    # A balance is dated as written, not moved to UTC.
    assert rows(warehouse, "SELECT kind, balance_date, amount FROM balances ORDER BY kind") == [
        ("closing", date(2023, 3, 31), Decimal("1.005")),
        ("opening", date(2023, 3, 1), Decimal("-10.00")),
    ]


# Quarantine


MALFORMED = [
    (2, "Ntry/Amt", "amount is missing", None),
    (3, "Ntry/Amt", "'12,50' is not an amount (digits, '.', at most 8 decimals)", "12,50"),
    (4, "Ntry/Amt", "amount is negative; camt.053 gives the direction in CdtDbtInd", "-5.00"),
    (5, "Ntry/Amt/@Ccy", "'XYZ' is not a known ISO 4217 currency", "XYZ"),
    (6, "Ntry/CdtDbtInd", "credit/debit indicator is missing", None),
    (7, "Ntry/CdtDbtInd", "credit/debit indicator 'CREDIT' is neither CRDT nor DBIT", "CREDIT"),
    (8, "Ntry/BookgDt", "booking date is missing (neither BookgDt nor ValDt)", None),
    (9, "Ntry/BookgDt/Dt", "'2023-02-30' is not a date (YYYY-MM-DD) or date-time", "2023-02-30"),
    (
        10,
        "Ntry/Sts",
        "entry status 'INFO' is neither booked (BOOK) nor pending (PDNG), so it "
        "records no movement of money",
        "INFO",
    ),
    (11, "Ntry/AcctSvcrRef", "value is 80 characters long; the limit is 64", "R" * 80),
    (
        12,
        "Ntry/NtryDtls/TxDtls/RmtInf/Ustrd",
        "value contains the control character U+0085",
        "pay\\x85ment",
    ),
    (
        13,
        "Ntry/NtryDtls/TxDtls/RltdPties/DbtrAcct/Id/IBAN",
        "not an IBAN (2 letters, 2 check digits, up to 30 letters or digits)",
        "****9999",
    ),
    (15, "Ntry/Sts", "entry status is missing", None),
    (
        16,
        "Ntry/NtryDtls/TxDtls/RltdPties/Cdtr/Nm",
        "value contains the control character U+007F",
        "Eve\\x7f",
    ),
    (
        17,
        "Ntry/BookgDt/DtTm",
        "'2023-02-17 10:00' is not a date (YYYY-MM-DD) or date-time",
        "2023-02-17 10:00",
    ),
]


def test_malformed_entries_are_quarantined_one_by_one(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, DATA / "malformed_entries.xml")
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (17, 2, 15)
    assert report.rows_read == report.rows_accepted + report.rows_quarantined
    assert (
        rows(
            warehouse,
            "SELECT source_row, field, reason, original FROM quarantine ORDER BY source_row",
        )
        == MALFORMED
    )
    assert rows(warehouse, "SELECT txn_id, source_row FROM transactions ORDER BY 2") == [
        ("OK-1", 1),
        ("malformed_entries.xml:14", 14),
    ]
    assert set(rows(warehouse, "SELECT file FROM quarantine")) == {("malformed_entries.xml",)}
    assert "NOT-AN-IBAN" not in everything(warehouse)
    assert rows(warehouse, "SELECT kind FROM source_issues") == [("balance_missing",)]


def test_a_100_kb_text_field_is_quarantined(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "big_field.xml"
    path.write_bytes(V02.read_bytes().replace(b"Invoice 42", b"A" * 100_000))
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (8, 7, 1)
    [(row, field, reason, original)] = rows(
        warehouse, "SELECT source_row, field, reason, original FROM quarantine"
    )
    assert (row, field) == (1, "Ntry/NtryDtls/TxDtls/RmtInf/Ustrd")
    assert reason == "value is 100000 characters long; the limit is 1000"
    assert original.endswith("... (100000 characters)") and len(original) < 300


def test_a_statement_without_a_usable_account_quarantines_its_entries(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "no_account.xml"
    bad_owner = "<Id><Othr><Id>--</Id></Othr></Id>"
    path.write_bytes(statement(NS02, entry(1) + entry(2), account=bad_owner))
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 0, 2)
    assert rows(warehouse, "SELECT DISTINCT field, reason FROM quarantine") == [
        ("Stmt/Acct/Id/Othr/Id", "account id has no letters or digits"),
    ]
    assert rows(warehouse, "SELECT kind, message FROM source_issues") == [
        (
            "statement_invalid",
            "statement S1 was not stored: Stmt/Acct/Id/Othr/Id: account id has "
            "no letters or digits",
        ),
    ]
    assert warehouse.table_counts()["accounts"] == 0


def test_many_entries_load_in_batches(warehouse: Warehouse, tmp_path: Path) -> None:
    n = camt053.BATCH_ROWS * 2 + 123
    body = "".join(entry(i % 5000, ind="CRDT" if i % 2 else "DBIT") for i in range(n))
    balances = (
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2023-03-01</Dt></Dt></Bal>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt>'
        "<CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2023-03-31</Dt></Dt></Bal>"
    )
    path = tmp_path / "many.xml"
    path.write_bytes(statement(NS02, body, balances=balances))
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted) == (n, n)
    assert warehouse.scalar("SELECT count(DISTINCT txn_id) FROM transactions") == n
    assert (
        warehouse.scalar("SELECT txn_id FROM transactions WHERE source_row = ?", [5001]) == "R0#2"
    )
    assert warehouse.scalar("SELECT count(*) FROM source_issues") == 0


# Hostile and broken files


def _refused(warehouse: Warehouse, path: Path, error: type[Exception]) -> str:
    before = snapshot(warehouse)
    with pytest.raises(error) as caught:
        ingest_file(warehouse, path, fmt="camt053")
    assert snapshot(warehouse) == before
    return str(caught.value)


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>\n',
        '\ufeff<?xml version="1.0"?><!-- a comment --><?pi x?>\n'
        '<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>',
        '<!DOCTYPE Document [<!ENTITY % p SYSTEM "file://{secret}"> %p; <!ENTITY xxe "x">]>',
    ],
)
def test_external_entities_are_refused_and_never_read(
    warehouse: Warehouse, tmp_path: Path, prolog: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7f3a9c")
    body = V02.read_text().split("?>", 1)[1].replace("Invoice 42", "&xxe;")
    path = tmp_path / "xxe.xml"
    path.write_text(prolog.format(secret=secret) + body, encoding="utf-8")
    message = _refused(warehouse, path, HostileInputError)
    assert "DTD" in message and "TOPSECRET" not in message
    assert "TOPSECRET" not in everything(warehouse)
    warehouse.con.execute("CHECKPOINT")
    for stored in warehouse.workspace.root.rglob("*"):
        if stored.is_file():
            assert b"TOPSECRET" not in stored.read_bytes()


def test_billion_laughs_is_refused_fast(warehouse: Warehouse, tmp_path: Path) -> None:
    levels = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "lol.xml"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY lol0 "lol">{levels}]>'
        f'<Document xmlns="{NS02}"><BkToCstmrStmt>&lol9;</BkToCstmrStmt></Document>'
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    _refused(warehouse, path, HostileInputError)
    assert time.perf_counter() - started < 1.0
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    assert grown_kib < 50_000


def test_a_truncated_file_stores_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    ingest_file(warehouse, V02)
    before = snapshot(warehouse)
    data = V08.read_bytes()
    path = tmp_path / "truncated.xml"
    path.write_bytes(data[: data.index(b"Albert Heijn")])  # inside the second entry
    with pytest.raises(FileFormatError) as caught:
        ingest_file(warehouse, path)
    assert snapshot(warehouse) == before
    assert before["sources"] == 1 and before["transactions"] == 8
    assert caught.value.row == 2
    assert "Premature end of data" in str(caught.value) and "line 60" in str(caught.value)


def test_nul_bytes_are_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "nul.xml"
    path.write_bytes(V02.read_bytes().replace(b"Invoice 42", b"Invoice\x0042"))
    message = _refused(warehouse, path, FileFormatError)
    assert "row 1" in message and "NUL byte" in message and "line 47" in message


def test_latin1_bytes_declared_as_utf8_are_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "latin1.xml"
    path.write_bytes(V02.read_bytes().replace(b"Alice", "Alicé".encode("latin-1")))
    message = _refused(warehouse, path, FileFormatError)
    assert "not UTF-8" in message and "line 43" in message and "save it as UTF-8" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (V02.read_text().replace('"UTF-8"', '"UTF-16"').encode("utf-16"), "UTF-16"),
        (V02.read_bytes().replace(b"Invoice 42", b"&xxe;"), "Entity 'xxe' not defined, line 47"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>', "camt.052"),
        (V02.read_bytes().replace(b"</Ntry>", b"</Ntryx>", 1), "tag mismatch"),
        (b"<!-- just a comment -->", "not well-formed XML"),
    ],
)
def test_broken_files_are_refused_with_a_reason(
    warehouse: Warehouse, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(content)
    assert expected in _refused(warehouse, path, FileFormatError)


def test_an_unreadable_balance_is_left_out_and_reported(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    balances = (
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1,00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2023-03-01</Dt></Dt></Bal>"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>31.03.2023</Dt></Dt></Bal>"
    )
    path = tmp_path / "bad_balances.xml"
    path.write_bytes(statement(NS02, entry(1), balances=balances))
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted) == (1, 1)
    assert warehouse.table_counts()["balances"] == 0
    issues = "SELECT source_row, kind, message FROM source_issues ORDER BY kind, message"
    assert rows(warehouse, issues) == [
        (
            1,
            "balance_invalid",
            "statement S1: a balance (CLBD) was left out: Bal/Dt: date is missing or not a date",
        ),
        (
            1,
            "balance_invalid",
            "statement S1: a balance (OPBD) was left out: Bal/Amt: '1,00' is not an amount "
            "(digits, '.', at most 8 decimals)",
        ),
        (
            1,
            "balance_missing",
            "statement S1 of account ****3000 has neither an opening (OPBD) nor a closing (CLBD) "
            "balance, so its entries cannot be checked against them",
        ),
    ]
