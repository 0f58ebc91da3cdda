"""Reader for Form 941 (Employer's QUARTERLY Federal Tax Return) data as CSV.

FEDERAL TAX INFORMATION. Form 941 lines are return information (26 U.S.C.
6103): rows carry data_label 'FTI'; the EIN is stored only as tokens and a
masked form (raw value encrypted in the vault).

Layout: UTF-8 CSV with a header naming these columns, in this order; one row per
employer per quarter; money in dollars with at most two decimals:

    ein                                 employer EIN, NN-NNNNNNN or 9 digits
    employer_name                       legal name
    year                                tax year
    quarter                             1-4
    line1_employees                     line 1: number of employees paid
    line2_wages_tips_compensation       line 2: wages, tips and other compensation
    line3_federal_income_tax_withheld   line 3: federal income tax withheld
    line5a_taxable_ss_wages             line 5a column 1: taxable social security wages
    line5c_taxable_medicare_wages       line 5c column 1: taxable Medicare wages & tips

A row with a wrong field count, a bad EIN, year, quarter, count or amount, or a
second return for the same EIN and quarter in the file (amended returns are
filed on 941-X, which this layout does not carry) is quarantined with the
column at fault; the rest of the file loads. Rows are numbered 1-based after
the header; blank rows at the very end are padding, not rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa

from moneytrail.errors import FileFormatError
from moneytrail.ingest._context import LoadContext, shorten
from moneytrail.ingest._detect import first_line
from moneytrail.ingest._registry import Format
from moneytrail.privacy import mask

FORMAT = "form941"
FTI = "FTI"
COLUMNS = (
    "ein",
    "employer_name",
    "year",
    "quarter",
    "line1_employees",
    "line2_wages_tips_compensation",
    "line3_federal_income_tax_withheld",
    "line5a_taxable_ss_wages",
    "line5c_taxable_medicare_wages",
)
_MONEY_COLUMNS = COLUMNS[5:]
_STORED = ("wages", "federal_tax_withheld", "ss_wages", "medicare_wages")
_EIN = re.compile(r"\d{2}-?\d{7}")
_AMOUNT = re.compile(r"\d{1,15}(\.\d{1,2})?")
_FIELD_LIMIT = 200
_CENT = Decimal("0.01")
_FLUSH = 20_000
_SCHEMA = pa.schema(
    [
        ("source_row", pa.int64()),
        ("ein_token", pa.string()),
        ("tax_token", pa.string()),
        ("ein_masked", pa.string()),
        ("employer_name", pa.string()),
        ("tax_year", pa.int32()),
        ("quarter", pa.int32()),
        ("employees", pa.int64()),
        *[(c, pa.decimal128(38, 2)) for c in _STORED],
    ]
)


def header_matches(first_line: str) -> bool:
    return [c.strip().lower() for c in first_line.strip().split(",")] == list(COLUMNS)


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of data rows read."""
    text = io.TextIOWrapper(io.BufferedReader(ctx.stream), encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    try:
        return _read(ctx, reader)
    except csv.Error as exc:
        raise FileFormatError(
            ctx.path, f"not readable as CSV at line {reader.line_num}: {exc}"
        ) from exc
    finally:
        # the loader goes on hashing the stream; closing the wrappers would close it
        text.detach().detach()


def _read(ctx: LoadContext, rows: Iterator[list[str]]) -> int:
    header = next(rows, None)
    if header is None:
        raise FileFormatError(ctx.path, "the file is empty: expected a header line", row=0)
    if [c.strip().lower() for c in header] != list(COLUMNS):
        raise FileFormatError(
            ctx.path,
            f"header {shorten(','.join(header), 160)!r} is not the Form 941 layout; expected "
            + ",".join(COLUMNS),
            row=0,
        )
    seen: dict[tuple[str, int, int], int] = {}
    batch: list[dict[str, object]] = []
    vault: dict[str, str] = {}
    number = 0
    blank: list[int] = []  # blank rows are padding at the end of the file, faults before
    for number, row in enumerate(rows, start=1):
        if not any(v.strip() for v in row):
            blank.append(number)
            continue
        for empty in blank:
            ctx.quarantine(empty, "*", "row is empty", None)
        blank.clear()
        parsed = _parse(ctx, number, row)
        if parsed is None:
            continue
        ein = str(parsed.pop("ein"))
        key = (ein, int(str(parsed["tax_year"])), int(str(parsed["quarter"])))
        if key in seen:
            ctx.quarantine(
                number,
                "quarter",
                f"a second return for this EIN and quarter (first at row {seen[key]}); "
                "corrections are filed on Form 941-X",
                f"{mask(ein, 'ein')} {key[1]} Q{key[2]}",
            )
            continue
        seen[key] = number
        token = ctx.tokeniser.token("ein", ein)
        vault[token] = ein
        batch.append(
            {
                "source_row": number,
                "ein_token": token,
                "tax_token": ctx.tokeniser.token("tax", ein),
                "ein_masked": mask(ein, "ein"),
                **parsed,
            }
        )
        if len(batch) >= _FLUSH:
            _flush(ctx, batch, vault)
    _flush(ctx, batch, vault)
    return number - len(blank)


def _parse(ctx: LoadContext, number: int, row: list[str]) -> dict[str, object] | None:
    """The row's values, or None after quarantining it with the column at fault."""
    problem = _problem(row)
    if problem is not None:
        ctx.quarantine(number, *problem)
        return None
    values = dict(zip(COLUMNS, (v.strip() for v in row), strict=True))
    amounts = [Decimal(values[c].replace(",", "")).quantize(_CENT) for c in _MONEY_COLUMNS]
    return {
        "ein": values["ein"].replace("-", ""),
        "employer_name": values["employer_name"] or None,
        "tax_year": int(values["year"]),
        "quarter": int(values["quarter"]),
        "employees": int(values["line1_employees"]),
        **dict(zip(_STORED, amounts, strict=True)),
    }


def _problem(row: list[str]) -> tuple[str, str, str | None] | None:
    """(column, reason, value as shown) of the first fault of a row, or None."""
    if len(row) != len(COLUMNS):
        return "*", f"row has {len(row)} fields, expected {len(COLUMNS)}", ",".join(row)
    values = dict(zip(COLUMNS, (v.strip() for v in row), strict=True))
    ein = values["ein"]
    shown = {**values, "ein": mask(ein, "ein")}
    checks = [
        (name, len(value) > _FIELD_LIMIT, f"value is longer than {_FIELD_LIMIT} characters")
        for name, value in values.items()
    ]
    checks += [
        (
            "ein",
            not _EIN.fullmatch(ein) or ein.replace("-", "") == "000000000",
            "not an EIN (NN-NNNNNNN)",
        ),
        (
            "year",
            not (values["year"].isdigit() and len(values["year"]) == 4),
            "not a four-digit tax year",
        ),
        ("quarter", values["quarter"] not in ("1", "2", "3", "4"), "quarter must be 1, 2, 3 or 4"),
        ("line1_employees", not values["line1_employees"].isdigit(), "not a count of employees"),
    ]
    checks += [
        (
            name,
            not _AMOUNT.fullmatch(values[name].replace(",", "")),
            "not a non-negative amount in dollars with at most two decimals",
        )
        for name in _MONEY_COLUMNS
    ]
    for name, bad, reason in checks:
        if bad:
            return name, reason, shown[name]
    return None


def _flush(ctx: LoadContext, batch: list[dict[str, object]], vault: dict[str, str]) -> None:
    if batch:
        ctx.append(
            "form941_batch",
            pa.Table.from_pylist(batch, _SCHEMA),
            "INSERT INTO form941_filings SELECT $sid, source_row, ein_token, tax_token, "
            "ein_masked, employer_name, tax_year, quarter, employees, "
            f"{', '.join(_STORED)}, '{FTI}' FROM form941_batch",
        )
        batch.clear()
    if vault:
        ctx.vault.store(ctx.con, ((tok, "ein", raw) for tok, raw in vault.items()))
        vault.clear()


def _looks_like(head: bytes) -> bool:
    return header_matches(first_line(head))


READER = Format(
    FORMAT,
    read,
    _looks_like,
    "Form 941 quarterly employer filings (CSV extract)",
    "moneytrail ingest form941.csv",
)
