from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moneytrail.errors import FileFormatError, UnknownFormatError
from moneytrail.ingest import aml_csv, ingest_file
from moneytrail.warehouse import Warehouse

HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)
GOOD = [
    "2022/09/01 00:20,010,8000EBD30,010,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,Reinvestment,0",
    "2022/09/01 00:20,3208,8000F4580,001,8000F5340,0.01,US Dollar,0.01,US Dollar,Cheque,0",
    "2022/09/01 00:02,1,8000F5030,1,8000F5030,2.57,Euro,2.57,Euro,Cash,1",
    "2022/09/01 00:06,12,8000F5200,12,8000F5200,0.00013,Bitcoin,0.00013,Bitcoin,Bitcoin,0",
]
GOLDEN = Path(__file__).parent / "data" / "aml_csv"


def write(tmp_path: Path, lines: list[str], name: str = "t.csv", *, end: str = "\n") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + end, encoding="utf-8")
    return path


def quarantined(wh: Warehouse) -> list[tuple[int, str, str]]:
    return [
        (int(r), f, why)
        for r, f, why in wh.con.execute(
            "SELECT source_row, field, reason FROM quarantine ORDER BY source_row"
        ).fetchall()
    ]


def test_valid_file_loads_every_row_with_row_number_ids(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    report = ingest_file(warehouse, write(tmp_path, GOOD))
    assert (report.format, report.rows_read, report.rows_accepted, report.rows_quarantined) == (
        "aml-csv",
        4,
        4,
        0,
    )
    rows = warehouse.con.execute(
        "SELECT txn_id, ts::VARCHAR, amount, currency, amount_received, currency_received, "
        "channel, label_laundering, source_row FROM transactions ORDER BY source_row"
    ).fetchall()
    assert rows[0] == (
        "1",
        "2022-09-01 00:20:00",
        Decimal("3697.34"),
        "USD",
        Decimal("3697.34"),
        "USD",
        "reinvestment",
        False,
        1,
    )
    assert rows[2][3] == "EUR" and rows[2][6] == "cash" and rows[2][7] is True
    assert rows[3][2] == Decimal("0.00013") and rows[3][3] == "XBT" and rows[3][6] == "crypto"


def test_accounts_are_tokenised_masked_and_vaulted(warehouse: Warehouse, tmp_path: Path) -> None:
    ingest_file(warehouse, write(tmp_path, GOOD))
    accounts = warehouse.con.execute(
        "SELECT account_key, account_token, bank_id, masked FROM accounts ORDER BY masked"
    ).fetchall()
    assert len(accounts) == 5
    token = warehouse.tokeniser.account_token("3208", "8000F4580")
    by_token = {tok: (key, bank, masked) for key, tok, bank, masked in accounts}
    assert by_token[token][1:] == ("3208", "****4580")
    # transactions point at the same key; the raw number is nowhere in clear
    from_key = warehouse.scalar("SELECT from_account FROM transactions WHERE txn_id = '2'")
    assert from_key == by_token[token][0]
    dump = str(warehouse.con.execute("SELECT * FROM accounts").fetchall())
    dump += str(warehouse.con.execute("SELECT * FROM transactions").fetchall())
    assert "8000F4580" not in dump
    assert warehouse.vault.read(warehouse.con, token)[1] == "3208|8000F4580"


def test_label_column_is_optional(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "nolabel.csv"
    lines = [HEADER.rsplit(",", 1)[0]] + [g.rsplit(",", 1)[0] for g in GOOD]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest_file(warehouse, path)
    assert (report.rows_accepted, report.rows_quarantined) == (4, 0)
    assert warehouse.scalar("SELECT count(label_laundering) FROM transactions") == 0


BAD_ROWS = [
    ("2022/13/01 00:20,1,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH,0", "Timestamp", "is not a time"),
    ("2022-09-01 00:20,1,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH,0", "Timestamp", "is not a time"),
    (",1,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH,0", "Timestamp", "is not a time"),
    ("2022/09/01 00:20,,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH,0", "From Bank", "paying bank"),
    ("2022/09/01 00:20,1,,2,B,1.00,US Dollar,1.00,US Dollar,ACH,0", "Account", "paying account"),
    ("2022/09/01 00:20,1,A,,B,1.00,US Dollar,1.00,US Dollar,ACH,0", "To Bank", "receiving bank"),
    ("2022/09/01 00:20,1,A,2,,1.00,US Dollar,1.00,US Dollar,ACH,0", "Account", "receiving account"),
    ("2022/09/01 00:20,1,A,2,B,abc,US Dollar,1.00,US Dollar,ACH,0", "Amount Received", "decimal"),
    ("2022/09/01 00:20,1,A,2,B,nan,US Dollar,1.00,US Dollar,ACH,0", "Amount Received", "decimal"),
    ("2022/09/01 00:20,1,A,2,B,1e400,US Dollar,1.00,US Dollar,ACH,0", "Amount Received", "decimal"),
    ("2022/09/01 00:20,1,A,2,B,-5,US Dollar,1.00,US Dollar,ACH,0", "Amount Received", "negative"),
    (
        "2022/09/01 00:20,1,A,2,B,1.00,Doubloon,1.00,US Dollar,ACH,0",
        "Receiving Currency",
        "currency",
    ),
    ("2022/09/01 00:20,1,A,2,B,1.00,US Dollar,,US Dollar,ACH,0", "Amount Paid", "decimal"),
    ("2022/09/01 00:20,1,A,2,B,1.00,US Dollar,-1,US Dollar,ACH,0", "Amount Paid", "negative"),
    ("2022/09/01 00:20,1,A,2,B,1.00,US Dollar,1.00,usd,ACH,0", "Payment Currency", "currency"),
    (
        "2022/09/01 00:20,1,A,2,B,1.00,US Dollar,1.00,US Dollar,Pigeon,0",
        "Payment Format",
        "payment format",
    ),
    ("2022/09/01 00:20,1,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH,yes", "Is Laundering", "0 or 1"),
    ("2022/09/01 00:20,1,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH", "*", "10 fields, expected 11"),
    ("2022/09/01 00:20,1,A,2,B,1,000.00,US Dollar,1.00,US Dollar,ACH,0", "*", "12 fields"),
    ("", "*", "row is empty"),
    ("   ", "*", "11"),
]


@pytest.mark.parametrize(("row", "field", "reason"), BAD_ROWS)
def test_each_kind_of_bad_row_is_quarantined_with_field_and_reason(
    warehouse: Warehouse, tmp_path: Path, row: str, field: str, reason: str
) -> None:
    report = ingest_file(warehouse, write(tmp_path, [GOOD[0], row, GOOD[1]]))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 2, 1)
    ((qrow, qfield, qreason),) = quarantined(warehouse)
    assert (qrow, qfield) == (2, field)
    assert reason in qreason
    # the good rows keep their own row numbers as ids
    assert sorted(
        r[0] for r in warehouse.con.execute("SELECT txn_id FROM transactions").fetchall()
    ) == [
        "1",
        "3",
    ]


def test_quarantine_never_keeps_an_account_number(warehouse: Warehouse, tmp_path: Path) -> None:
    row = "2022/09/01 00:20,1,SECRET123,,B,1.00,US Dollar,1.00,US Dollar,ACH,0"
    ingest_file(warehouse, write(tmp_path, [row]))
    assert "SECRET123" not in str(warehouse.con.execute("SELECT * FROM quarantine").fetchall())


def test_hostile_bytes_are_quarantined_not_crashes(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    huge = "9" * 100_000
    body = [
        GOOD[0].encode(),
        GOOD[1].replace("Cheque", "Che\x00que").encode(),  # NUL byte
        GOOD[2].replace("Euro", "Eur\xe9").encode("latin-1"),  # not UTF-8
        GOOD[3].replace("0.00013", huge, 1).encode(),  # 100 KB field
        GOOD[0].replace("8000EBD30", "x" * 300).encode(),  # long account
        b"\xff\xfe\x00garbage",
        GOOD[1].encode() + b"\r",  # CRLF line ending is fine
    ]
    path.write_bytes(HEADER.encode() + b"\n" + b"\n".join(body) + b"\n")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (7, 2, 5)
    got = quarantined(warehouse)
    assert [(r, f) for r, f, _ in got] == [
        (2, "*"),
        (3, "*"),
        (4, "Amount Received"),
        (5, "Account"),
        (6, "*"),
    ]
    assert "NUL" in got[0][2]
    assert "UTF-8" in got[1][2]
    assert "100000 bytes" in got[2][2]
    original = warehouse.scalar("SELECT original FROM quarantine WHERE source_row = 4")
    assert len(original) == 200


def test_truncated_last_row_is_quarantined(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, [*GOOD, GOOD[0][:25]], end="")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (5, 4, 1)
    assert quarantined(warehouse)[0][:2] == (5, "*")


def test_trailing_blank_lines_are_padding_but_inner_ones_are_rows(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    path = write(tmp_path, [GOOD[0], "", GOOD[1]], end="\n\n\r\n")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 2, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"Timestamp,From Bank,Account\n1,2,3\n", "not the aml-csv layout"),
        ("\ufeff" + HEADER.replace("Timestamp", "Zeit") + "\n", "not the aml-csv layout"),
        (HEADER.encode("utf-16"), "UTF-16"),
        (b"Timestamp,From Bank,Acc", "not the aml-csv layout"),
    ],
)
def test_bad_files_are_refused_with_a_clear_error(
    warehouse: Warehouse, tmp_path: Path, content: bytes | str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    with pytest.raises((FileFormatError, UnknownFormatError), match=message) as info:
        ingest_file(warehouse, path, "aml-csv" if message != "UTF-16" else "auto")
    assert str(path) in str(info.value)
    assert warehouse.scalar("SELECT count(*) FROM sources") == 0


def test_same_file_twice_adds_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    path = write(tmp_path, [*GOOD, "bad"])
    first = ingest_file(warehouse, path)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    again = ingest_file(warehouse, copy)
    assert again.already_loaded and not first.already_loaded
    assert (again.rows_accepted, again.rows_quarantined) == (4, 1)
    assert warehouse.table_counts()["transactions"] == 4
    assert warehouse.scalar("SELECT count(*) FROM quarantine") == 1


def test_a_second_file_with_the_same_row_numbers_gets_qualified_ids(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    ingest_file(warehouse, write(tmp_path, GOOD[:2], "a.csv"))
    ingest_file(warehouse, write(tmp_path, GOOD[2:], "b.csv"))
    ids = sorted(r[0] for r in warehouse.con.execute("SELECT txn_id FROM transactions").fetchall())
    assert ids == ["1", "2", "b.csv:1", "b.csv:2"]
    assert warehouse.scalar("SELECT id_prefix FROM sources WHERE name = 'b.csv'") == "b.csv:"


def test_an_error_mid_file_leaves_nothing(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_file(warehouse, write(tmp_path, GOOD[:1], "first.csv"))
    before = warehouse.table_counts()
    monkeypatch.setattr(aml_csv, "BLOCK_BYTES", 200)
    calls = {"n": 0}
    real = aml_csv._load_block

    def crash_on_third_block(ctx, data, rows, parse):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated crash")
        return real(ctx, data, rows, parse)

    monkeypatch.setattr(aml_csv, "_load_block", crash_on_third_block)
    with pytest.raises(RuntimeError):
        ingest_file(warehouse, write(tmp_path, GOOD * 10, "second.csv"))
    assert warehouse.table_counts() == before
    assert warehouse.scalar("SELECT count(*) FROM sources") == 1
    assert warehouse.scalar("SELECT count(*) FROM quarantine") == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.sampled_from([*GOOD, *(b[0] for b in BAD_ROWS)]), min_size=1, max_size=60),
    block=st.integers(min_value=60, max_value=600),
)
def test_row_numbers_and_counts_survive_any_block_size(
    workspace_factory: object, rows: list[str], block: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("blocks")
    path = write(tmp, rows)
    old = aml_csv.BLOCK_BYTES
    aml_csv.BLOCK_BYTES = block
    try:
        with workspace_factory() as wh:  # type: ignore[operator]
            report = ingest_file(wh, path)
            accepted = sorted(
                int(r[0]) for r in wh.con.execute("SELECT txn_id FROM transactions").fetchall()
            )
            refused = sorted(r for r, _, _ in quarantined(wh))
    finally:
        aml_csv.BLOCK_BYTES = old
    while rows and not rows[-1].strip():
        rows = rows[:-1]  # blank lines at the end of a file are padding, not rows
    good = set(GOOD)
    expected_ok = [i for i, r in enumerate(rows, start=1) if r in good]
    assert accepted == expected_ok
    assert refused == [i for i, r in enumerate(rows, start=1) if r not in good]
    assert report.rows_read == len(rows) == report.rows_accepted + report.rows_quarantined


def test_golden_file(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, GOLDEN / "golden.csv")
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (12, 10, 2)
    total = warehouse.scalar("SELECT sum(amount) FROM transactions WHERE currency = 'USD'")
    assert total == Decimal((GOLDEN / "golden.usd_total").read_text().strip())
    assert quarantined(warehouse) == [
        (
            5,
            "Payment Format",
            "'Barter' is not a known payment format "
            "(ACH, Bitcoin, Cash, Cheque, Credit Card, Reinvestment, Wire)",
        ),
        (9, "Timestamp", "'2022/09/31 10:00' is not a time of the form YYYY/MM/DD HH:MM"),
    ]
