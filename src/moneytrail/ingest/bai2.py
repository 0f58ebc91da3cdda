"""Reader for BAI2 cash-management files (`--format bai2`).

The file is cut into groups (`02` ... `98`) as it is read, so memory is bounded
by one group; each group is parsed by the `bai2` package, framed by the file's
own `01` header and a `99` trailer made for that group, with the package's
integrity checks on: an account's or group's control total or record count
that does not add up is reported (kind `bai2_totals`) and the group is read
again without the checks, so its movements are still stored. A row is a line
of the file; a movement's row is the line of its `16` record.

- A movement's date is its group's as-of date; amounts are in the currency's
  minor unit (cents), scaled by its decimals; the currency is the account's,
  else the group's, else USD (BAI2's default).
- Type codes 100-399 are credits, 400-699 debits; another code (900-999, a
  bank's own) gives no direction and the movement is quarantined.
- Summary codes 010/015 are the opening and closing ledger balances, checked
  against the movements per account.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from moneytrail.errors import FileFormatError
from moneytrail.ingest._bank import Movement, Statement, StatementWriter
from moneytrail.ingest._context import LoadContext, shorten
from moneytrail.ingest._registry import Format

FORMAT = "bai2"
GROUP_LIMIT = 1_000_000
_MINOR = {
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
    "VND": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}
_FIELDS = {
    "account": "03 account number",
    "currency": "03 currency",
    "bank_ref": "16 bank reference",
    "reference": "16 customer reference",
    "counterparty": "16 text",
    "text": "16 text",
}


def looks_like(head: bytes) -> bool:
    text = head.lstrip()
    return text.startswith(b"01,") and b"\n02," in text[:4096]


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of `16` (transaction detail) records read."""
    writer = StatementWriter(ctx, _FIELDS)
    header: str | None = None
    groups = 0
    for kind, lines in _sections(ctx):
        if kind == "01":
            header = lines[0][1]
            continue
        if header is None:
            raise FileFormatError(
                ctx.path, "no 01 file header before the first group", row=lines[0][0]
            )
        groups += 1
        _group(ctx, writer, header, lines)
    if header is None:
        raise FileFormatError(ctx.path, "no 01 file header; not a BAI2 file", row=0)
    return writer.finish()


def _sections(ctx: LoadContext) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    group: list[tuple[int, str]] = []
    stream = io.BufferedReader(ctx.stream, 1 << 20)
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8-sig").strip()
        except UnicodeDecodeError:
            line = raw.decode("latin-1").strip()
        if "\x00" in line:
            raise FileFormatError(
                ctx.path, "the file contains a NUL byte; BAI2 is text", row=number
            )
        if not line:
            continue
        code = line[:2]
        if code == "01":
            yield "01", [(number, line)]
        elif code == "02":
            if group:
                raise FileFormatError(
                    ctx.path, "a group (02) begins before the last one ended (98)", row=number
                )
            group = [(number, line)]
        elif group:
            group.append((number, line))
            if len(group) > GROUP_LIMIT:
                raise FileFormatError(
                    ctx.path, f"a group is over {GROUP_LIMIT} records", row=number
                )
            if code == "98":
                yield "02", group
                group = []
        elif code not in ("99",):
            raise FileFormatError(
                ctx.path, f"record {shorten(code, 4)!r} outside a group (02 ... 98)", row=number
            )
    if group:
        raise FileFormatError(
            ctx.path,
            f"the group opened at line {group[0][0]} has no 98 trailer: the file is truncated",
            row=group[0][0],
        )


def _group(
    ctx: LoadContext, writer: StatementWriter, header: str, lines: list[tuple[int, str]]
) -> None:
    from bai2 import bai2  # noqa: PLC0415 - loaded on use
    from bai2.exceptions import IntegrityException, NotSupportedYetException, ParsingException  # noqa: PLC0415

    total = lines[-1][1].split(",")[1].rstrip("/") if lines[-1][1].count(",") >= 1 else ""
    framed = [header, *(text for _, text in lines), f"99,{total},1,{len(lines) + 2}/"]
    first = lines[0][0]
    try:
        parsed = bai2.parse_from_lines(iter(framed), check_integrity=True)
    except IntegrityException as exc:
        ctx.issue(
            first,
            "bai2_totals",
            f"group at line {first}: {shorten(str(exc), 300)}; its movements were read all the same",
        )
        parsed = _parse_loose(ctx, framed, first)
    except (
        ParsingException,
        NotSupportedYetException,
        ValueError,
        IndexError,
        KeyError,
        AttributeError,
    ) as exc:
        raise FileFormatError(
            ctx.path, f"the group does not parse as BAI2: {shorten(str(exc), 300)}", row=first
        ) from exc
    details = [n for n, text in lines if text.startswith("16,")]
    accounts = [n for n, text in lines if text.startswith("03,")]
    rows = iter(details)
    for g in parsed.children:
        for n, account in zip(accounts, g.children, strict=False):
            _account(writer, g.header, account, n, rows)


def _parse_loose(ctx: LoadContext, framed: list[str], first: int) -> Any:
    from bai2 import bai2  # noqa: PLC0415

    try:
        return bai2.parse_from_lines(iter(framed), check_integrity=False)
    except Exception as exc:
        raise FileFormatError(
            ctx.path, f"the group does not parse as BAI2: {shorten(str(exc), 300)}", row=first
        ) from exc


def _account(
    writer: StatementWriter, group: Any, account: Any, row: int, rows: Iterator[int]
) -> None:
    head = account.header
    currency = (head.currency or group.currency or "USD").upper()
    scale = Decimal(10) ** -_MINOR.get(currency, 2)
    as_of: date | None = group.as_of_date
    balances = {
        s.type_code.code: s.amount
        for s in head.summary_items
        if s.type_code and s.amount is not None
    }
    opening = (as_of, Decimal(balances["010"]) * scale) if "010" in balances and as_of else None
    closing = (as_of, Decimal(balances["015"]) * scale) if "015" in balances and as_of else None
    writer.begin(
        Statement(
            account=str(head.customer_account_number or ""),
            bank=str(group.originator_id or ""),
            first_row=row,
            currency=currency,
            statement_id=f"{as_of:%Y-%m-%d}" if as_of else None,
            opening=opening,
            closing=closing,
        )
    )
    for txn in account.children:
        n = next(rows, row)
        code = txn.type_code.code if txn.type_code else None
        if txn.amount is None:
            writer.refuse(n, "16 amount", "amount is missing", None)
            continue
        amount = Decimal(txn.amount) * scale
        direction = txn.type_code.transaction.value if txn.type_code else None
        if direction not in ("credit", "debit"):
            writer.refuse(
                n,
                "16 type code",
                f"type code {code} gives no direction (credit 100-399, debit 400-699)",
                code,
            )
            continue
        signed = amount if direction == "credit" else -amount
        writer.seen(signed, currency)
        if as_of is None:
            writer.refuse(n, "02 as-of date", "the group has no as-of date", None)
            continue
        text = " ".join(str(txn.text or "").split()) or None
        writer.movement(
            Movement(
                row=n,
                booked=datetime(as_of.year, as_of.month, as_of.day),
                amount=signed,
                currency=currency,
                bank_ref=txn.bank_reference or None,
                reference=txn.customer_reference or None,
                text=f"{code} {txn.type_code.description}: {text}"
                if text
                else f"{code} {txn.type_code.description}",
            )
        )
    writer.end()


READER = Format(
    FORMAT,
    read,
    looks_like,
    "BAI2 cash-management balance and transaction reports (group and account totals checked)",
    "moneytrail ingest PREVDAY.bai2",
    statement=True,
    date_field="02 as-of date",
)
