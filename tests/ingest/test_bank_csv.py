"""bank-csv: banks' own CSV/XLSX exports through profiles that `profile suggest` writes."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moneytrail.cli import app
from moneytrail.errors import FileFormatError, ProfileError
from moneytrail.ingest import IngestOptions, ingest_file
from moneytrail.ingest._profile import load_profile
from moneytrail.warehouse import Warehouse
from moneytrail.workspace import Workspace

US = (
    "Date,Description,Debit,Credit,Balance\n"
    "03/15/2024,RENT MARCH,1200.00,,2295.50\n"  # newest first, as many US banks export
    '03/05/2024,"ACME PAYROLL, INC",,2500.00,3495.50\n'
    "03/02/2024,COFFEE SHOP #12,4.50,,995.50\n"
    "03/01/2024,Opening deposit,,1000.00,1000.00\n"
)
EU = (
    '"Datum";"Naam / Omschrijving";"Rekening";"Tegenrekening";"Code";"Af Bij";"Bedrag (EUR)";'
    '"Mutatiesoort";"Mededelingen"\n'
    '"20240301";"Huur";"NL91ABNA0417164300";"NL20INGB0001234567";"OV";"Af";"1.200,00";'
    '"Overschrijving";"Huur maart"\n'
    '"20240302";"Salaris BV";"NL91ABNA0417164300";"NL02RABO0123456789";"GT";"Bij";"2.500,00";'
    '"Online bankieren";"Salaris februari"\n'
    '"20240303";"Albert Heijn";"NL91ABNA0417164300";"";"BA";"Af";"23,45";"Betaalautomaat";'
    '"Pasvolgnr 001"\n'
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def signed(wh: Warehouse) -> list[tuple[str, Decimal, str]]:
    return [
        (f"{ts:%Y-%m-%d}", amount if direction == "credit" else -amount, ccy)
        for ts, amount, direction, ccy in wh.con.execute(
            "SELECT t.ts, t.amount, e.direction, t.currency FROM statement_entries e JOIN transactions t"
            " ON t.source_id = e.txn_source_id AND t.source_row = e.txn_source_row ORDER BY t.ts"
        ).fetchall()
    ]


@pytest.mark.parametrize(
    ("text", "account", "expected"),
    [
        (
            US,
            ["--account", "000123456789", "--bank", "021000021"],
            [
                ("2024-03-01", Decimal("1000"), "USD"),
                ("2024-03-02", Decimal("-4.5"), "USD"),
                ("2024-03-05", Decimal("2500"), "USD"),
                ("2024-03-15", Decimal("-1200"), "USD"),
            ],
        ),
        (
            EU,
            [],
            [
                ("2024-03-01", Decimal("-1200"), "EUR"),
                ("2024-03-02", Decimal("2500"), "EUR"),
                ("2024-03-03", Decimal("-23.45"), "EUR"),
            ],
        ),
    ],
    ids=["us-debit-credit", "eu-indicator-decimal-comma"],
)
def test_suggested_profiles_read_both_styles_unedited(
    tmp_path: Path, text: str, account: list[str], expected: list[tuple[str, Decimal, str]]
) -> None:
    ws = str(tmp_path / "ws")
    export = tmp_path / "export.csv"
    export.write_text(text, encoding="utf-8")
    profile = tmp_path / "bank.yaml"
    code, out, _ = invoke(
        "-w", ws, "profile", "suggest", str(export), "--out", str(profile), "--json"
    )
    assert code == 0, out
    shown = json.loads(out)["preview"]
    assert len(shown) == len(expected)
    code, out, err = invoke(
        "-w",
        ws,
        "ingest",
        str(export),
        "--format",
        "bank-csv",
        "--profile",
        str(profile),
        *account,
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)["files"][0]
    assert (report["rows_read"], report["rows_accepted"]) == (len(expected), len(expected))
    with Warehouse(Workspace(Path(ws))) as wh:
        assert signed(wh) == expected
        assert not wh.scalar("SELECT count(*) FROM source_issues WHERE kind = 'balance_mismatch'")


def test_us_export_balances_are_checked_in_either_order(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    export = tmp_path / "us.csv"
    export.write_text(US.replace("2295.50", "2395.50"), encoding="utf-8")  # one row missing?
    ingest_file(warehouse, export, "bank-csv", options=IngestOptions(account="1"))
    message = warehouse.scalar("SELECT message FROM source_issues WHERE kind = 'balance_mismatch'")
    assert (
        "opening 0.00 + movements 2295.50 = 2295.50, but the closing balance is 2395.50" in message
    )
    assert warehouse.scalar("SELECT amount FROM balances WHERE kind = 'closing'") == Decimal(
        "2395.5"
    )


def test_bad_rows_are_quarantined_naming_the_column(warehouse: Warehouse, tmp_path: Path) -> None:
    export = tmp_path / "eu.csv"
    lines = EU.splitlines()
    lines.append(lines[1].replace('"20240301"', '"2024-13-45"'))
    lines.append(lines[1].replace('"1.200,00"', '"1,2,3"'))
    lines.append(lines[1].replace('"Af"', '"Storno"'))
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest_file(warehouse, export)  # suggested profile, said so
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (6, 3, 3)
    assert "profile_suggested" in report.warning_kinds
    found = warehouse.con.execute(
        "SELECT source_row, field, reason FROM quarantine ORDER BY 1"
    ).fetchall()
    assert found == [
        (5, "Datum", "'2024-13-45' is not a date in the format %Y%m%d"),
        (6, "Bedrag (EUR)", "'1,2,3' is not an amount"),
        (7, "Af Bij", "'Storno' is neither a debit (Af) nor a credit (Bij)"),
    ]


def test_xlsx_export(warehouse: Warehouse, tmp_path: Path) -> None:
    import openpyxl  # noqa: PLC0415

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Export of account 123", None, None])
    sheet.append(["Transaction Date", "Details", "Amount"])
    sheet.append([datetime(2024, 5, 1), "Wire from ACME", 1500.25])
    sheet.append([datetime(2024, 5, 3), "Card POS", -20.5])
    path = tmp_path / "export.xlsx"
    book.save(path)
    report = ingest_file(warehouse, path, options=IngestOptions(account="123"))
    assert (report.format, report.rows_read, report.rows_accepted) == ("bank-csv", 2, 2)
    assert signed(warehouse) == [
        ("2024-05-01", Decimal("1500.25"), "USD"),
        ("2024-05-03", Decimal("-20.5"), "USD"),
    ]


def test_an_export_without_its_account_asks_for_it(warehouse: Warehouse, tmp_path: Path) -> None:
    export = tmp_path / "us.csv"
    export.write_text(US, encoding="utf-8")
    with pytest.raises(FileFormatError, match="give it with --account NUMBER"):
        ingest_file(warehouse, export)
    assert warehouse.scalar("SELECT count(*) FROM sources") == 0


def test_profile_problems_are_listed_together(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("date_format: '%d/%m/%Y'\ncurrency: EURO\nskip_rows: -1\ncolour: blue\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    for part in (
        "colour: unknown setting",
        "skip_rows:",
        "date_column: required",
        "currency: 'EURO'",
        "amount:",
    ):
        assert part in message


def test_profiles_saved_in_the_workspace_are_used_by_name(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    export = tmp_path / "eu.csv"
    export.write_text(EU, encoding="utf-8")
    assert invoke("-w", ws, "profile", "suggest", str(export), "--save", "ing")[0] == 0
    assert (tmp_path / "ws" / "profiles" / "ing.yaml").is_file()
    code, out, _ = invoke("-w", ws, "ingest", str(export), "--profile", "ing", "--json")
    assert code == 0
    assert json.loads(out)["files"][0]["warnings"] == []


def test_statement_gaps(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    january = tmp_path / "jan.sta"
    march = tmp_path / "mar.sta"
    january.write_text(
        ":20:JAN\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C240101EUR100,00\n"
        ":61:2401150115D10,00NTRFNONREF\n:86:rent\n:62F:C240131EUR90,00\n-\n"
    )
    march.write_text(
        ":20:MAR\n:25:NL91ABNA0417164300\n:28C:3/1\n:60F:C240301EUR75,00\n"
        ":61:2403150315C5,00NTRFNONREF\n:86:refund\n:62F:C240331EUR80,00\n-\n"
    )
    assert invoke("-w", ws, "ingest", str(january), str(march))[0] == 0
    code, out, _ = invoke("-w", ws, "statements", "gaps", "--json")
    assert code == 0
    gaps = json.loads(out)
    assert [(g["kind"], g["missing_from"], g["missing_to"], g["difference"]) for g in gaps] == [
        ("period_gap", "2024-02-01", "2024-02-29", None),
        ("balance_break", "2024-01-31", "2024-03-01", "-15"),
    ]


def test_xlsx_with_an_entity_bomb_is_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    import zipfile  # noqa: PLC0415

    import openpyxl  # noqa: PLC0415

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Details", "Amount"])
    sheet.append([datetime(2024, 5, 1), "x", 1.0])
    good = tmp_path / "good.xlsx"
    book.save(good)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                bomb_dtd = (
                    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">'
                    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                )
                cut = data.index(b"?>") + 2 if data.startswith(b"<?xml") else 0
                data = data[:cut] + bomb_dtd + data[cut:].replace(b"<v>1</v>", b"<v>&c;</v>", 1)
            dst.writestr(item, data)
    before = warehouse.scalar("SELECT count(*) FROM sources")
    with pytest.raises(FileFormatError, match="not a readable XLSX workbook"):
        ingest_file(warehouse, bomb, options=IngestOptions(account="1"))
    assert warehouse.scalar("SELECT count(*) FROM sources") == before
