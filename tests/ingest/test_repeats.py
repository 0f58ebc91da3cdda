"""Overlapping productions: movements repeated across files are kept once and reported;
a re-saved copy (byte-order mark, CRLF) is the same file; implausible dates are set aside."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from moneytrail.ingest import IngestOptions, ingest_file
from moneytrail.warehouse import Warehouse

HEADER = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering"
)


def aml_rows(n: int, start: int = 0) -> list[str]:
    return [
        f"2022/09/{1 + i // 1440:02d} {i // 60 % 24:02d}:{i % 60:02d},010,8000EBD30,{20 + i % 7},"
        f"8000F{i % 13:04d},{10 + i}.00,US Dollar,{10 + i}.00,US Dollar,Wire,0"
        for i in range(start, start + n)
    ]


def write(path: Path, lines: list[str], *, bom: bool = False, crlf: bool = False) -> Path:
    text = ("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def test_an_overlapping_extract_adds_only_what_is_new(warehouse: Warehouse, tmp_path: Path) -> None:
    first = write(tmp_path / "extract_100.csv", [HEADER, *aml_rows(100)])
    second = write(tmp_path / "extract_150.csv", [HEADER, *aml_rows(150)])
    ingest_file(warehouse, first)
    report = ingest_file(warehouse, second)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (150, 150, 0)
    assert warehouse.scalar("SELECT count(*) FROM transactions") == 150
    assert warehouse.scalar("SELECT count(*) FROM repeated_movements WHERE source_id = 2") == 100
    kept = warehouse.scalar(
        "SELECT count(*) FROM repeated_movements r JOIN transactions t"
        " ON t.source_id = r.kept_source_id AND t.source_row = r.kept_source_row"
    )
    assert kept == 100
    issue = warehouse.scalar("SELECT message FROM source_issues WHERE kind = 'repeated_movements'")
    assert issue.startswith("100 movements were already stored from other files")
    assert "no reference in either file" in issue


def test_equal_payments_within_a_file_stay_apart(warehouse: Warehouse, tmp_path: Path) -> None:
    row = aml_rows(1)[0]
    ingest_file(warehouse, write(tmp_path / "a.csv", [HEADER, row, row]))
    report = ingest_file(warehouse, write(tmp_path / "b.csv", [HEADER, row, row, row]))
    assert report.rows_accepted == 3
    # two of the three repeat the first file's two; the third is a new movement
    assert warehouse.scalar("SELECT count(*) FROM transactions") == 3


def test_a_copy_with_bom_or_crlf_is_already_loaded(warehouse: Warehouse, tmp_path: Path) -> None:
    lines = [HEADER, *aml_rows(20)]
    ingest_file(warehouse, write(tmp_path / "orig.csv", lines))
    for name, bom, crlf in (
        ("bom.csv", True, False),
        ("crlf.csv", False, True),
        ("both.csv", True, True),
    ):
        report = ingest_file(warehouse, write(tmp_path / name, lines, bom=bom, crlf=crlf))
        assert report.already_loaded, name
        assert "differ only in a byte-order mark or CRLF" in report.warnings[0]
    assert warehouse.scalar("SELECT count(*) FROM sources") == 1
    assert warehouse.scalar("SELECT count(*) FROM transactions") == 20


def test_two_exports_of_one_account_overlap(warehouse: Warehouse, tmp_path: Path) -> None:
    header = "Date,Description,Amount"
    march = ["03/01/2024,RENT,-1200.00", "03/02/2024,COFFEE,-4.50", "03/05/2024,SALARY,2500.00"]
    april = ["03/05/2024,SALARY,2500.00", "04/01/2024,RENT,-1200.00"]
    options = IngestOptions(account="12345678")
    ingest_file(warehouse, write(tmp_path / "march.csv", [header, *march]), options=options)
    report = ingest_file(
        warehouse, write(tmp_path / "april.csv", [header, *april]), options=options
    )
    assert report.rows_accepted == 2
    assert warehouse.scalar("SELECT count(*) FROM transactions") == 4
    # the repeated entry's statement row points at the kept transaction
    linked = warehouse.scalar(
        "SELECT count(*) FROM statement_entries e JOIN transactions t"
        " ON t.source_id = e.txn_source_id AND t.source_row = e.txn_source_row"
    )
    assert linked == 5


def test_implausible_dates_are_quarantined_unless_widened(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    ok = aml_rows(1)[0]
    lines = [
        HEADER,
        ok.replace("2022/09/01", "0000/01/01"),
        ok,
        ok.replace("2022/09/01", "2199/01/01"),
    ]
    report = ingest_file(warehouse, write(tmp_path / "dates.csv", lines))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 1, 2)
    found = warehouse.con.execute(
        "SELECT source_row, field, original FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert found == [(1, "Timestamp", "0000-01-01 00:00"), (3, "Timestamp", "2199-01-01 00:00")]
    assert "--earliest/--latest" in str(warehouse.scalar("SELECT reason FROM quarantine LIMIT 1"))
    # A scheduled payment in 2199 is real here: the range is widened, year 0 stays out.
    wide = IngestOptions(latest=date(2200, 1, 1))
    later = [HEADER, *(line.replace("10.00", "11.00") for line in lines[1:])]
    report = ingest_file(warehouse, write(tmp_path / "dates2.csv", later), options=wide)
    assert (report.rows_accepted, report.rows_quarantined) == (2, 1)


def test_an_mt940_line_and_a_csv_row_of_one_movement_are_one(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    statement = tmp_path / "march.sta"
    statement.write_text(
        ":20:MAR\n:25:NL91ABNA0417164300\n:28C:3/1\n:60F:C240301EUR100,00\n"
        ":61:2403050305C250,00NTRFREF1//B77\n"
        ":86:/EREF/INV-77/NAME/ACME BV/IBAN/NL20INGB0001234567/REMI/Invoice 77\n"
        ":61:2403060306D20,00NTRFNONREF\n:86:/NAME/COFFEE/REMI/card\n"
        ":62F:C240331EUR330,00\n-\n"
    )
    export = tmp_path / "export.csv"
    export.write_text(
        "Date;Name;Amount;Currency\n05-03-2024;Acme BV;250,00;EUR\n"
        "06-03-2024;Coffee;-20,00;EUR\n07-03-2024;Rent;-500,00;EUR\n"
    )
    ingest_file(warehouse, statement)
    report = ingest_file(warehouse, export, options=IngestOptions(account="NL91 ABNA 0417 1643 00"))
    assert (report.rows_read, report.rows_accepted) == (3, 3)
    assert warehouse.scalar("SELECT count(*) FROM transactions") == 3
    matched = [
        r[0] for r in warehouse.con.execute("SELECT matched_on FROM repeated_movements").fetchall()
    ]
    assert len(matched) == 2
    assert all(m.startswith("minute, amount and currency, one account") for m in matched)
    # a different amount on the same day is a different movement
    assert warehouse.scalar("SELECT count(*) FROM transactions WHERE amount = 500") == 1


def test_repeats_pair_one_to_one_among_rows_that_cannot_pair(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    # Movements drawn with repeats from a pool, each in a minute of its own, and rows of
    # each file that occur nowhere else: the k-th copy in the new file repeats the k-th
    # in the earlier one, so each movement repeats min(copies before, copies now) times.
    import random  # noqa: PLC0415 - this test's own

    rng = random.Random(18)
    pool = aml_rows(40)
    first = [rng.choice(pool) for _ in range(90)] + aml_rows(30, start=1000)
    second = [rng.choice(pool) for _ in range(120)] + aml_rows(30, start=2000)
    rng.shuffle(first)
    rng.shuffle(second)
    ingest_file(warehouse, write(tmp_path / "a.csv", [HEADER, *first]))
    ingest_file(warehouse, write(tmp_path / "b.csv", [HEADER, *second]))
    expected = sum(min(first.count(row), second.count(row)) for row in pool)
    assert warehouse.scalar("SELECT count(*) FROM repeated_movements") == expected
    assert (
        warehouse.scalar("SELECT count(*) FROM transactions") == len(first) + len(second) - expected
    )
