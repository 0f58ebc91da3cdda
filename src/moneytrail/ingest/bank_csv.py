"""Reader for any bank's CSV or XLSX export, through a mapping profile (`--format bank-csv`).

Every bank exports its own columns, so a profile (ingest._profile) says which
column is the date and in which format, the amount (one signed column, one
column and a debit/credit indicator, or debit and credit columns), the decimal
mark, the currency, the balance, the account, counterparty, reference and text.
`moneytrail profile suggest FILE` proposes one from the file's header and first
rows; without `--profile`, the suggested profile is used and a warning says so
(with the mapping it used), since a guess should never pass unseen.

A row is a data row: its number is the line of the file where it starts (CSV)
or its row in the sheet (XLSX, first sheet), so a quarantined row is easy to
find. CSV is streamed line by line (memory bounded by one row); an XLSX file is
a zip that must be read whole (limit XLSX_LIMIT), through openpyxl's read-only
mode with defusedxml guarding its XML.

The export's account is a column (`account_column`) or given on the command
line (`--account NUMBER [--bank BANK]`). Rows of one account in a run form a
statement; with a balance column the balance before the first row plus the
movements must give the balance after the last, whichever order the bank
sorted them in (newest first is common).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from moneytrail.errors import FileFormatError
from moneytrail.ingest._bank import Movement, Statement, StatementWriter
from moneytrail.ingest._context import HashingReader, LoadContext, shorten
from moneytrail.ingest._detect import SNIFF_BYTES
from moneytrail.ingest._profile import Profile, Suggestion, load_profile, sample_rows, suggest
from moneytrail.ingest._registry import Format

FORMAT = "bank-csv"
XLSX_LIMIT = 256 << 20
ROW_LIMIT = 1 << 20
_ZIP = b"PK\x03\x04"

Cell = str | datetime
Problem = tuple[str, str, str | None]
_NONE: Problem = ("", "", None)
CellOf = Callable[[str | None], Cell]


def looks_like(head: bytes) -> bool:
    """An XLSX workbook, or delimited text whose header names a date and an amount."""
    if head.startswith(_ZIP):
        return b"xl/" in head
    if b"\x00" in head[:1024]:
        return False
    rows, delimiter, encoding = sample_rows(head[:SNIFF_BYTES], limit=20)
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return False
    p = suggest(rows, delimiter, encoding).profile
    return bool(p.date_column and p.date_format and (p.amount_column or p.debit_column))


def read(ctx: LoadContext) -> int:
    """Load the export; return the number of data rows read."""
    stream = io.BufferedReader(ctx.stream, 1 << 20)
    head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    xlsx = head.startswith(_ZIP)
    rows = _xlsx(ctx.path, stream.read(XLSX_LIMIT + 1)) if xlsx else None
    profile = _profile(ctx, head, rows)
    nul_rows = [0]
    source = iter(rows) if rows is not None else _csv(ctx, stream, profile, nul_rows)
    read_rows = _Reader(ctx, profile).run(source)
    return read_rows + nul_rows[0]


def _profile(ctx: LoadContext, head: bytes, rows: list[tuple[int, list[Cell]]] | None) -> Profile:
    if ctx.options.profile is not None:
        return load_profile(ctx.options.profile)
    if rows is not None:
        sample = [[_text(c) for c in r] for _, r in rows[:60]]
        found = suggest(sample, ",", "utf-8")
    else:
        sample, delimiter, encoding = sample_rows(head)
        found = suggest(sample, delimiter, encoding)
    p = found.profile
    if not p.date_column or not p.date_format or not (p.amount_column or p.debit_column):
        raise FileFormatError(
            ctx.path,
            "no profile given and none could be suggested (no date or amount column found); "
            "write one with `moneytrail profile suggest FILE --out PROFILE.yaml`, edit it and "
            "pass --profile PROFILE.yaml",
            row=0,
        )
    mapping = ", ".join(
        f"{k}={v!r}"
        for k, v in vars(p).items()
        if v not in (None, [], "", False) and k != "encoding"
    )
    ctx.issue(
        0,
        "profile_suggested",
        f"no --profile given: read with the suggested profile ({mapping}); save and check it "
        "with `moneytrail profile suggest`",
    )
    return p


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return f"{cell:%Y-%m-%d}" if cell.time() == datetime.min.time() else cell.isoformat(sep=" ")
    if isinstance(cell, float):
        return repr(cell)
    return str(cell)


def _xlsx(path: Path, data: bytes) -> list[tuple[int, list[Cell]]]:
    import openpyxl  # noqa: PLC0415 - loaded on use

    if len(data) > XLSX_LIMIT:
        raise FileFormatError(
            path, f"the workbook is over {XLSX_LIMIT >> 20} MB; save it as CSV", row=0
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike on a bad file
        raise FileFormatError(
            path, f"not a readable XLSX workbook: {shorten(str(exc), 200)}", row=0
        ) from exc
    out: list[tuple[int, list[Cell]]] = []
    try:
        # Read-only sheets parse lazily (through defusedxml): their errors come here.
        for n, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            out.append((n, [c if isinstance(c, datetime) else _text(c) for c in values]))
    except Exception as exc:  # as above: any parse error refuses the workbook
        raise FileFormatError(
            path, f"not a readable XLSX workbook: {shorten(str(exc), 200)}", row=len(out) + 1
        ) from exc
    finally:
        book.close()
    return out


def _csv(
    ctx: LoadContext,
    stream: io.BufferedReader[HashingReader],
    profile: Profile,
    nul_rows: list[int],
) -> Iterator[tuple[int, list[Cell]]]:
    """Rows with the line they start on; a line with a NUL byte is quarantined, not parsed."""
    decoder = codecs.getincrementaldecoder(profile.encoding)("replace")
    number = 0

    def physical() -> Iterator[str]:
        nonlocal number
        first = True
        for raw in stream:
            number += 1
            if len(raw) > ROW_LIMIT:
                raise FileFormatError(
                    ctx.path, f"a line is over {ROW_LIMIT >> 10} KB long", row=number
                )
            text = decoder.decode(raw)
            if first:
                text, first = text.removeprefix("\ufeff"), False
            if "\x00" in text:
                ctx.quarantine(number, "*", "row contains a NUL byte", text)
                nul_rows[0] += 1
                continue
            yield text

    start = 1
    reader = csv.reader(physical(), delimiter=profile.delimiter)
    try:
        for cells in reader:
            yield start, list(cells)
            start = number + 1
    except csv.Error as exc:
        raise FileFormatError(ctx.path, f"not readable as CSV: {exc}", row=number) from exc


@dataclass
class _Run:
    account: str
    bank: str
    first: tuple[date, Decimal, Decimal] | None = None
    last: tuple[date, Decimal, Decimal] | None = None


class _Reader:
    def __init__(self, ctx: LoadContext, profile: Profile) -> None:
        self.ctx, self.p = ctx, profile
        fields = {
            "account": profile.account_column or "--account",
            "currency": profile.currency_column or "currency",
            "reference": profile.reference_column or "reference",
            "counterparty": profile.counterparty_column or "counterparty",
            "text": ", ".join(profile.text_columns) or "text",
        }
        self.writer = StatementWriter(ctx, fields)
        self.run_: _Run | None = None

    def run(self, rows: Iterator[tuple[int, list[Cell]]]) -> int:
        p = self.p
        header: dict[str, int] | None = None
        skipped = 0
        for number, cells in rows:
            if header is None:
                if skipped < p.skip_rows:
                    skipped += 1
                    continue
                header = self._header(number, cells)
                continue
            if not any(_text(c).strip() for c in cells):
                continue
            self._row(number, cells, header)
        if header is None:
            raise FileFormatError(self.ctx.path, "the file has no header row", row=0)
        self._end_run()
        return self.writer.finish()

    def _header(self, number: int, cells: list[Cell]) -> dict[str, int]:
        names = {_text(c).strip(): i for i, c in reversed(list(enumerate(cells)))}
        missing = [c for c in self.p.columns() if c not in names]
        if missing:
            raise FileFormatError(
                self.ctx.path,
                f"the profile names columns the file's header (line {number}) does not have: "
                f"{', '.join(repr(m) for m in missing)}; the header is "
                f"{shorten(', '.join(names), 300)}",
                row=number,
            )
        if not self.p.account_column and not self.ctx.options.account:
            raise FileFormatError(
                self.ctx.path,
                "the export does not name its account (no account_column in the profile); "
                "give it with --account NUMBER [--bank BANK]",
                row=0,
            )
        return names

    def _row(self, row: int, cells: list[Cell], header: dict[str, int]) -> None:
        p, w = self.p, self.writer

        def cell(name: str | None) -> Cell:
            if name is None:
                return ""
            i = header[name]
            return cells[i] if i < len(cells) else ""

        account = (
            _text(cell(p.account_column)).strip()
            if p.account_column
            else self.ctx.options.account or ""
        )
        bank = self.ctx.options.bank or ""
        if self.run_ is None or self.run_.account != account:
            self._end_run()
            self.run_ = _Run(account, bank)
            ccy = p.currency or _text(cell(p.currency_column)).strip().upper() or None
            w.begin(Statement(account=account, bank=bank, first_row=row, currency=ccy))
        amount, problem = amount_of(p, cell)
        if amount is None:
            field, reason, original = problem
            w.refuse(row, field, reason, original)
            return
        currency = (
            _text(cell(p.currency_column)).strip().upper() if p.currency_column else p.currency
        ) or ""
        w.seen(amount, currency)
        raw_date = cell(p.date_column)
        when = raw_date if isinstance(raw_date, datetime) else _date(raw_date, p.date_format)
        if when is None:
            text = _text(raw_date)
            reason = (
                "date is missing"
                if not text.strip()
                else f"'{shorten(text, 40)}' is not a date in the format {p.date_format}"
            )
            w.refuse(row, p.date_column, reason, text or None)
            return
        balance = p.amount(_text(cell(p.balance_column))) if p.balance_column else None
        run = self.run_
        if balance is not None and run is not None:
            point = (when.date(), amount, balance)
            run.first = run.first or point
            run.last = point
        texts = [_text(cell(c)).strip() for c in p.text_columns]
        w.movement(
            Movement(
                row=row,
                booked=when,
                amount=amount,
                currency=currency,
                reference=_text(cell(p.reference_column)).strip() or None,
                counterparty=_text(cell(p.counterparty_column)).strip() or None,
                counterparty_account=_text(cell(p.counterparty_account_column)).strip() or None,
                text="; ".join(t for t in texts if t) or None,
            )
        )

    def _end_run(self) -> None:
        run, self.run_ = self.run_, None
        if run is None:
            return
        opening = closing = None
        if run.first and run.last:
            ascending = run.first[0] <= run.last[0]
            first, last = (run.first, run.last) if ascending else (run.last, run.first)
            opening = (first[0], first[2] - first[1])
            closing = (last[0], last[2])
        st = self.writer._stmt
        if st is not None:
            st.opening = opening
            st.interim = opening is None  # without a balance column there is nothing to check
        self.writer.end(closing)


def amount_of(p: Profile, get: CellOf) -> tuple[Decimal | None, Problem]:
    """A row's signed amount under the profile, or None and (field, reason, original)."""
    if not p.amount_column:
        return _two_columns(p, get)
    text = _text(get(p.amount_column))
    value = p.amount(text)
    if value is None:
        reason = (
            "amount is missing" if not text.strip() else f"'{shorten(text, 40)}' is not an amount"
        )
        return None, (p.amount_column, reason, text or None)
    if not p.direction_column:
        return value, _NONE
    mark = _text(get(p.direction_column)).strip()
    if mark in p.debit_values or mark in p.credit_values:
        return (-abs(value) if mark in p.debit_values else abs(value)), _NONE
    reason = (
        f"'{shorten(mark, 40)}' is neither a debit ({', '.join(p.debit_values)}) "
        f"nor a credit ({', '.join(p.credit_values)})"
    )
    return None, (p.direction_column, reason, mark or None)


def _two_columns(p: Profile, get: CellOf) -> tuple[Decimal | None, Problem]:
    assert p.debit_column and p.credit_column  # the profile check vouched for both
    both = f"{p.debit_column}/{p.credit_column}"
    values: list[Decimal | None] = []
    for column in (p.debit_column, p.credit_column):
        text = _text(get(column))
        value = p.amount(text) if text.strip() else None
        if text.strip() and value is None:
            return None, (column, f"'{shorten(text, 40)}' is not an amount", text)
        values.append(value)
    debit, credit = values
    if debit and credit:
        return None, (both, "the row has both a debit and a credit amount", f"{debit} / {credit}")
    if debit or credit is None:
        if debit is None:
            return None, (both, "neither a debit nor a credit amount", None)
        return -abs(debit), _NONE
    return abs(credit), _NONE


def suggest_file(path: Path, currency: str | None = None) -> tuple[Suggestion, list[list[Cell]]]:
    """A profile proposed from a file's header and first rows, and those rows."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
        if head.startswith(_ZIP):
            rows = [r for _, r in _xlsx(path, head + fh.read(XLSX_LIMIT + 1))[:60]]
            found = suggest([[_text(c) for c in r] for r in rows], ",", "utf-8", currency=currency)
            return found, rows
    sample, delimiter, encoding = sample_rows(head)
    return suggest(sample, delimiter, encoding, currency=currency), [list(r) for r in sample]


def preview(
    found: Suggestion, rows: list[list[Cell]], limit: int = 5
) -> list[dict[str, str | None]]:
    """What the profile reads from the first data rows (or why it refuses them)."""
    p = found.profile
    header = (
        {_text(c).strip(): i for i, c in reversed(list(enumerate(rows[p.skip_rows])))}
        if len(rows) > p.skip_rows
        else {}
    )
    shown: list[dict[str, str | None]] = []
    for cells in rows[p.skip_rows + 1 :]:
        if len(shown) >= limit:
            break
        if not any(_text(c).strip() for c in cells):
            continue

        def get(name: str | None, cells: list[Cell] = cells) -> Cell:
            i = header.get(name or "", -1)
            return cells[i] if 0 <= i < len(cells) else ""

        amount, problem = amount_of(p, get) if header else (None, ("", "no header", None))
        raw = get(p.date_column)
        when = raw if isinstance(raw, datetime) else _date(raw, p.date_format)
        texts = [_text(get(c)).strip() for c in p.text_columns]
        shown.append(
            {
                "date": f"{when:%Y-%m-%d}" if when else f"(not a date: {_text(raw)!r})",
                "amount": f"{amount:f}" if amount is not None else f"({problem[0]}: {problem[1]})",
                "currency": p.currency or _text(get(p.currency_column)),
                "counterparty": _text(get(p.counterparty_column)) or None,
                "text": "; ".join(t for t in texts if t) or None,
            }
        )
    return shown


def _date(cell: Cell, fmt: str) -> datetime | None:
    text = _text(cell).strip()
    if not text:
        return None
    # An export's rows share a few dates each and strptime costs more than the rest
    # of a row's reading: short dates are parsed once (a datetime is immutable).
    return _cached_date(text, fmt) if len(text) <= _CACHED_DATE else _parse_date(text, fmt)


_CACHED_DATE = 40


def _parse_date(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


_cached_date = functools.lru_cache(maxsize=4096)(_parse_date)


READER = Format(
    FORMAT,
    read,
    looks_like,
    "any bank's CSV or XLSX export, through a mapping profile (`moneytrail profile suggest`)",
    "moneytrail ingest export.csv --format bank-csv --profile mybank.yaml --account NL91ABNA0417164300",
    statement=True,
    date_field="date column",
)
