"""The Form 941 CSV reader: golden rows, quarantine with the column at fault, FTI labels."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from moneytrail.errors import FileFormatError
from moneytrail.ingest import detect_format, form941, ingest_file
from moneytrail.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "form941"
HEADER = ",".join(form941.COLUMNS)


def rows(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in wh.con.execute(sql).fetchall()]


def test_valid_file_loads_exact_amounts_labelled_fti(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, DATA / "valid_2024.csv")
    assert (report.format, report.rows_read, report.rows_accepted) == ("form941", 4, 4)
    assert rows(
        warehouse,
        "SELECT source_row, ein_masked, employer_name, tax_year, quarter, employees, wages, "
        "federal_tax_withheld, ss_wages, medicare_wages, data_label FROM form941_filings "
        "ORDER BY source_row",
    ) == [
        (q, "**-***6789", "Acme Builders LLC", 2024, q, 3, Decimal(w), Decimal("775.00"),
         Decimal(w), Decimal(w), "FTI")
        for q, w in ((1, "13000.00"), (2, "13000.00"), (3, "13000.00"), (4, "13000.55"))
    ]  # fmt: skip
    token = warehouse.scalar("SELECT DISTINCT ein_token FROM form941_filings")
    assert token == warehouse.tokeniser.token("ein", "123456789")
    everything = repr(rows(warehouse, "SELECT * FROM form941_filings"))
    assert "3456789" not in everything
    assert warehouse.vault.read(warehouse.con, token)[1] == "123456789"


def test_bad_rows_are_quarantined_with_the_column_at_fault(warehouse: Warehouse) -> None:
    report = ingest_file(warehouse, DATA / "bad_rows.csv")
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (11, 2, 9)
    assert rows(
        warehouse, "SELECT source_row, field, reason, original FROM quarantine ORDER BY source_row"
    ) == [
        (2, "*", "row has 8 fields, expected 9", "12-3456789,Acme Builders LLC,2024,2,3,"
         "13000.00,775.00,13000.00"),
        (3, "ein", "not an EIN (NN-NNNNNNN)", "**-***6789"),
        (4, "quarter", "quarter must be 1, 2, 3 or 4", "5"),
        (5, "line2_wages_tips_compensation",
         "not a non-negative amount in dollars with at most two decimals", "-13000.00"),
        (6, "line2_wages_tips_compensation",
         "not a non-negative amount in dollars with at most two decimals", "13000.001"),
        (7, "year", "not a four-digit tax year", "24"),
        (8, "line1_employees", "not a count of employees", "three"),
        (9, "*", "row is empty", None),
        (10, "quarter", "a second return for this EIN and quarter (first at row 1); corrections "
         "are filed on Form 941-X", "**-***6789 2024 Q1"),
    ]  # fmt: skip
    assert rows(
        warehouse, "SELECT source_row, employer_name, wages FROM form941_filings ORDER BY 1"
    ) == [
        (1, "Acme Builders, LLC", Decimal("13000.00")),
        (11, "Acme Builders LLC", Decimal("13000.55")),
    ]


def test_trailing_blank_rows_are_padding(tmp_path: Path, warehouse: Warehouse) -> None:
    path = tmp_path / "f941.csv"
    path.write_text(HEADER + "\n12-3456789,A,2024,1,1,1.00,0,1,1\n\n\n")
    report = ingest_file(warehouse, path)
    assert (report.rows_read, report.rows_quarantined) == (1, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("ein,name,year\n", "is not the Form 941 layout"),
        (HEADER + '\n12-3456789,"unterminated,2024,1,1,1,1,1,1\n', "not readable as CSV"),
    ],
)
def test_files_that_are_not_941_data_are_refused(
    tmp_path: Path, warehouse: Warehouse, content: str, message: str
) -> None:
    path = tmp_path / "f941.csv"
    path.write_text(content)
    with pytest.raises(FileFormatError, match=message):
        ingest_file(warehouse, path, "form941")
    assert warehouse.scalar("SELECT count(*) FROM form941_filings") == 0


def test_not_utf8_is_refused(tmp_path: Path, warehouse: Warehouse) -> None:
    path = tmp_path / "f941.csv"
    path.write_bytes(HEADER.encode() + b"\n12-3456789,Caf\xe9,2024,1,1,1,1,1,1\n")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        ingest_file(warehouse, path, "form941")


def test_detect_format_knows_form941() -> None:
    path = DATA / "valid_2024.csv"
    assert detect_format(path, path.read_bytes()) == "form941"
