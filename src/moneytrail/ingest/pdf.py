"""Reader for text PDF bank statements, through a layout profile (`--format pdf`).

A PDF statement has no columns, only text laid out on pages. pdfplumber gives
each page's text in reading order, line by line; a layout profile (YAML) says
which lines are movements, with a regular expression whose named groups are
`date`, `amount` (signed, or `debit` and `credit` groups), and optionally
`text`, `counterparty`, `reference`, `balance`; and where the account and the
opening and closing balances are printed:

    line: '^(?P<date>\\d{2}/\\d{2}/\\d{4})\\s+(?P<text>.+?)\\s+(?P<amount>-?[\\d,]+\\.\\d{2})\\s+(?P<balance>-?[\\d,]+\\.\\d{2})$'
    date_format: '%d/%m/%Y'
    decimal_comma: false
    currency: USD
    account: 'Account (?:number|no\\.?):?\\s*(?P<account>[A-Z0-9 -]+\\d)'
    opening: 'Opening balance\\s+(?P<amount>-?[\\d,]+\\.\\d{2})'
    closing: 'Closing balance\\s+(?P<amount>-?[\\d,]+\\.\\d{2})'

Without `--profile` the layout above is used (and a warning says so). A row is
a line of text, numbered through the document; a line that the `line`
expression matches but whose date or amount cannot be read is quarantined
with its page and line; lines it does not match (headers, footers, page
numbers) are not movements. The balance check (opening + movements = closing)
is what shows that a layout missed a movement.

A scanned statement has no text layer: it is refused with a message that says
so (run OCR first, or ask the bank for an electronic export). The whole file
is read into memory (limit PDF_LIMIT) because a PDF's index is at its end.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import yaml

from moneytrail.errors import FileFormatError, ProfileError
from moneytrail.ingest._bank import Movement, Statement, StatementWriter
from moneytrail.ingest._codes import ISO_CURRENCIES
from moneytrail.ingest._context import LoadContext, shorten
from moneytrail.ingest._profile import parse_amount
from moneytrail.ingest._registry import Format

FORMAT = "pdf"
PDF_LIMIT = 256 << 20
_AMT = r"-?[\d,]+\.\d{2}-?"


@dataclass(frozen=True)
class Layout:
    line: re.Pattern[str]
    date_format: str = "%d/%m/%Y"
    decimal_comma: bool = False
    currency: str = "USD"
    account: re.Pattern[str] | None = None
    opening: re.Pattern[str] | None = None
    closing: re.Pattern[str] | None = None


DEFAULT = Layout(
    line=re.compile(
        rf"^(?P<date>\d{{2}}/\d{{2}}/\d{{4}})\s+(?P<text>.+?)\s+(?P<amount>{_AMT})\s+(?P<balance>{_AMT})$"
    ),
    account=re.compile(r"Account (?:number|no\.?):?\s*(?P<account>[A-Z0-9][A-Z0-9 -]*[0-9])"),
    opening=re.compile(rf"Opening balance:?\s+(?P<amount>{_AMT})"),
    closing=re.compile(rf"Closing balance:?\s+(?P<amount>{_AMT})"),
)
_FIELDS = {
    "account": "account",
    "currency": "currency",
    "bank_ref": "reference",
    "reference": "reference",
    "counterparty": "counterparty",
    "text": "text",
}


def looks_like(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def load_layout(path: Path) -> Layout:
    """Read and check a layout profile; every problem is listed in one ProfileError."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(path, f"cannot read the layout profile: {exc}") from exc
    if not isinstance(doc, dict):
        raise ProfileError(path, "a layout profile is a YAML mapping (line: ..., date_format: ...)")
    problems = [f"{k}: unknown setting" for k in doc if k not in Layout.__dataclass_fields__]
    patterns: dict[str, re.Pattern[str] | None] = {}
    for key in ("line", "account", "opening", "closing"):
        text = doc.get(key)
        if text is None:
            patterns[key] = None
            continue
        try:
            patterns[key] = re.compile(str(text))
        except re.error as exc:
            problems.append(f"{key}: not a regular expression ({exc})")
            patterns[key] = None
    line = patterns["line"]
    if line is None:
        problems.append("line: required (a regular expression for a movement's line)")
    elif "date" not in line.groupindex or not (
        "amount" in line.groupindex or {"debit", "credit"} <= set(line.groupindex)
    ):
        problems.append("line: needs the named groups date and amount (or debit and credit)")
    currency = str(doc.get("currency", "USD"))
    if currency not in ISO_CURRENCIES:
        problems.append(f"currency: {currency!r} is not an ISO 4217 code")
    if problems or line is None:
        raise ProfileError(path, "invalid layout profile: " + "; ".join(problems))
    return Layout(
        line=line,
        date_format=str(doc.get("date_format", DEFAULT.date_format)),
        decimal_comma=bool(doc.get("decimal_comma", False)),
        currency=currency,
        account=patterns["account"],
        opening=patterns["opening"],
        closing=patterns["closing"],
    )


def _lines(ctx: LoadContext) -> list[tuple[int, int, str]]:
    """(page, row, text) of every text line; refuses a PDF without a text layer."""
    import pdfplumber  # noqa: PLC0415 - loaded on use
    from pdfminer.pdfparser import PDFSyntaxError  # noqa: PLC0415

    data = ctx.stream.read(PDF_LIMIT + 1) or b""
    if len(data) > PDF_LIMIT:
        raise FileFormatError(ctx.path, f"the PDF is over {PDF_LIMIT >> 20} MB", row=0)
    out: list[tuple[int, int, str]] = []
    chars = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for p, page in enumerate(pdf.pages, start=1):
                chars += len(page.chars)
                for text in (page.extract_text() or "").splitlines():
                    out.append((p, len(out) + 1, text.strip()))
                page.flush_cache()
    except (PDFSyntaxError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FileFormatError(
            ctx.path, f"not a readable PDF: {shorten(str(exc), 200)}", row=0
        ) from exc
    except Exception as exc:  # pdfminer raises its own types for damaged files
        if "PDF" not in type(exc).__name__ and "pdf" not in type(exc).__module__:
            raise
        raise FileFormatError(
            ctx.path, f"not a readable PDF: {shorten(str(exc), 200)}", row=0
        ) from exc
    if chars == 0:
        raise FileFormatError(
            ctx.path,
            "the PDF has no text layer: it is a scanned image, which moneytrail does not read; "
            "run OCR on it first (e.g. ocrmypdf) or ask the bank for an electronic export "
            "(MT940, camt.053, OFX or CSV)",
            row=0,
        )
    return out


def read(ctx: LoadContext) -> int:
    """Load the statement; return the number of movement lines read."""
    if ctx.options.profile is not None:
        layout = load_layout(ctx.options.profile)
    else:
        layout = DEFAULT
        ctx.issue(
            0,
            "profile_suggested",
            "no --profile given: read with the default PDF layout "
            "(date, text, amount, balance on one line; see moneytrail.ingest.pdf)",
        )
    lines = _lines(ctx)
    full = "\n".join(t for _, _, t in lines)

    def amount_in(pattern: re.Pattern[str] | None) -> Decimal | None:
        m = pattern.search(full) if pattern else None
        return parse_amount(m.group("amount"), layout.decimal_comma) if m else None

    found = layout.account.search(full) if layout.account else None
    account = (found.group("account").strip() if found else None) or ctx.options.account
    if not account:
        raise FileFormatError(
            ctx.path,
            "the statement's account number was not found by the layout's account "
            "expression; give it with --account NUMBER",
            row=0,
        )
    writer = StatementWriter(ctx, _FIELDS)
    st = Statement(
        account=account, bank=ctx.options.bank or "", first_row=1, currency=layout.currency
    )
    opening, closing = amount_in(layout.opening), amount_in(layout.closing)
    writer.begin(st)
    days: list[datetime] = []
    for page, row, text in lines:
        m = layout.line.search(text)
        when = _movement(writer, layout, page, row, m) if m is not None else None
        if when is not None:
            days.append(when)
    if opening is not None and days:
        st.opening = (min(days).date(), opening)
    writer.end((max(days).date(), closing) if closing is not None and days else None)
    return writer.finish()


def _movement(
    writer: StatementWriter, layout: Layout, page: int, row: int, m: re.Match[str]
) -> datetime | None:
    groups = m.groupdict()
    where = f"page {page} line"
    if groups.get("amount") is not None:
        amount = parse_amount(groups["amount"], layout.decimal_comma)
        raw = groups["amount"]
    else:
        debit = parse_amount(groups.get("debit") or "", layout.decimal_comma)
        credit = parse_amount(groups.get("credit") or "", layout.decimal_comma)
        amount = -abs(debit) if debit else (abs(credit) if credit is not None else None)
        raw = f"{groups.get('debit')}/{groups.get('credit')}"
    if amount is None:
        writer.refuse(row, f"{where}: amount", f"'{shorten(raw, 40)}' is not an amount", m.group(0))
        return None
    writer.seen(amount, layout.currency)
    try:
        when = datetime.strptime(groups["date"] or "", layout.date_format)
    except ValueError:
        reason = f"'{shorten(groups['date'], 40)}' is not a date in the format {layout.date_format}"
        writer.refuse(row, f"{where}: date", reason, m.group(0))
        return None
    writer.movement(
        Movement(
            row=row,
            booked=when,
            amount=amount,
            currency=layout.currency,
            reference=groups.get("reference"),
            counterparty=groups.get("counterparty"),
            text=(groups.get("text") or "").strip() or None,
        )
    )
    return when


READER = Format(
    FORMAT,
    read,
    looks_like,
    "text PDF statements, through a layout profile (scanned PDFs are refused: OCR them first)",
    "moneytrail ingest statement.pdf --format pdf --profile mybank-pdf.yaml",
    statement=True,
    date_field="page line: date",
)
