"""Reader for OFX and QFX downloads, 1.x (SGML) and 2.x (XML) (`--format ofx`).

Real files break the OFX specification in many ways (no header, leaf elements
left unclosed in 2.x, empty required elements, a '$' in an amount), which
strict parsers such as ofxtools' refuse as a whole. The investigator still
needs their transactions, so this reader tokenises tags itself, tolerantly and
in one streaming pass (memory bounded by the largest statement transaction),
and converts dates and amounts with ofxtools' OFX types, so the value rules are
the library's. Each `STMTTRN` is a row, numbered by the line of its opening tag.

- Bank (`STMTRS`) and credit-card (`CCSTMTRS`) statements, any number per file.
- A transaction without a usable `DTPOSTED` or `TRNAMT` is quarantined with the
  field and the reason; the rest of the file is read.
- OFX gives a closing balance (`LEDGERBAL`) and no opening one, so it is
  stored and the statement period (DTSTART..DTEND) kept; there is no
  opening + movements = closing check to make.
- A DTD or entity declaration (`<!DOCTYPE`, `<!ENTITY`) refuses the file
  unread: no OFX needs one, and they are how XXE and entity-expansion attacks
  work. No entity is ever expanded except XML's five predefined ones and
  character references.
- Text is decoded as the header says (CHARSET 1252, or UTF-8 for 2.x); a
  byte that is not valid there is read as Windows-1252.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from moneytrail.errors import FileFormatError, HostileInputError
from moneytrail.ingest._bank import Movement, Statement, StatementWriter
from moneytrail.ingest._context import LoadContext, shorten
from moneytrail.ingest._registry import Format

FORMAT = "ofx"
CHUNK = 1 << 20
ELEMENT_LIMIT = 1 << 20
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_.]*)\s*/?>")
_HOSTILE = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|nbsp|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": " "}
_STATEMENTS = frozenset({"STMTRS", "CCSTMTRS"})
_AGGREGATES = frozenset(
    {
        "BANKACCTFROM",
        "CCACCTFROM",
        "BANKACCTTO",
        "CCACCTTO",
        "LEDGERBAL",
        "AVAILBAL",
        "BANKTRANLIST",
        "STMTTRN",
        "PAYEE",
        "CURRENCY",
        "ORIGCURRENCY",
    }
)
_FIELDS = {
    "account": "BANKACCTFROM/ACCTID",
    "currency": "CURDEF",
    "bank_ref": "STMTTRN/FITID",
    "reference": "STMTTRN/REFNUM",
    "counterparty": "STMTTRN/NAME",
    "text": "STMTTRN/MEMO",
}
_CHANNELS = {
    "CHECK": "cheque",
    "ATM": "cash",
    "CASH": "cash",
    "POS": "card",
    "DIRECTDEP": "ach",
    "DIRECTDEBIT": "ach",
    "REPEATPMT": "transfer",
    "XFER": "transfer",
    "PAYMENT": "transfer",
}


def looks_like(head: bytes) -> bool:
    text = head[:4096].lstrip()
    return text.startswith(b"OFXHEADER") or b"<?OFX" in text or text.upper().startswith(b"<OFX>")


@dataclass
class _Open:
    row: int
    values: dict[str, str] = field(default_factory=dict)


class _Reader:
    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.writer = StatementWriter(ctx, _FIELDS)
        self.path: list[str] = []
        self.stmt: _Open | None = None
        self.stmt_started = False
        self.txn: _Open | None = None
        self.leaf: str | None = None
        self.statements = 0
        self.line = 1

    def tag(self, closing: bool, name: str) -> None:
        name = name.upper()
        if not closing:
            if name in _STATEMENTS:
                self.stmt, self.stmt_started = _Open(self.line), False
                self.statements += 1
                self.path = [name]
            elif name in _AGGREGATES:
                self.path.append(name)
                if name == "STMTTRN" and self.stmt is not None:
                    self._begin()
                    self.txn = _Open(self.line)
            self.leaf = name
            return
        self.leaf = None
        if name in _STATEMENTS and self.stmt is not None:
            self._begin()
            self._end()
        elif name in _AGGREGATES:
            if name == "STMTTRN" and self.txn is not None:
                self._transaction(self.txn)
                self.txn = None
            while self.path and self.path[-1] != name:
                self.path.pop()  # an SGML leaf's implied close, or a stray tag
            if self.path:
                self.path.pop()

    def text(self, value: str) -> None:
        if self.leaf is None or self.leaf in _AGGREGATES or self.leaf in _STATEMENTS:
            return
        value = _ENTITY.sub(_entity, value).strip()
        target = self.txn if self.txn is not None else self.stmt
        inner = (
            self.path[self.path.index("STMTTRN") + 1 :] if "STMTTRN" in self.path else self.path[1:]
        )
        key = "/".join([*inner, self.leaf])
        if target is not None and key not in target.values:
            target.values[key] = value
        self.leaf = None

    def _begin(self) -> None:
        st = self.stmt
        if st is None or self.stmt_started:
            return
        self.stmt_started = True
        v = st.values
        acct = v.get("BANKACCTFROM/ACCTID") or v.get("CCACCTFROM/ACCTID") or ""
        bank = v.get("BANKACCTFROM/BANKID") or ""
        period = [p for p in (v.get("BANKTRANLIST/DTSTART"), v.get("BANKTRANLIST/DTEND")) if p]
        self.writer.begin(
            Statement(
                account=acct,
                bank=bank,
                first_row=st.row,
                currency=v.get("CURDEF") or None,
                statement_id=shorten("..".join(p[:8] for p in period), 64) or None,
                interim=True,
            )
        )

    def _end(self) -> None:
        st, self.stmt = self.stmt, None
        if st is None:
            return
        v = st.values
        closing = None
        amount, when = _decimal(v.get("LEDGERBAL/BALAMT")), _date(v.get("LEDGERBAL/DTASOF"))
        if amount is not None and when is not None:
            closing = (when.date(), amount)
        elif v.get("LEDGERBAL/BALAMT") is not None or v.get("LEDGERBAL/DTASOF") is not None:
            self.ctx.issue(
                st.row,
                "balance_invalid",
                f"statement at line {st.row}: the closing balance (LEDGERBAL) was left out: "
                f"amount {v.get('LEDGERBAL/BALAMT')!r}, date {v.get('LEDGERBAL/DTASOF')!r}",
            )
        self.writer.end(closing)

    def _transaction(self, txn: _Open) -> None:
        v, row = txn.values, txn.row
        st_ccy = self.stmt.values.get("CURDEF") if self.stmt else None
        currency = v.get("CURRENCY/CURSYM") or v.get("ORIGCURRENCY/CURSYM") or st_ccy or ""
        raw_amount = v.get("TRNAMT")
        amount = _decimal(raw_amount)
        if amount is None:
            reason = (
                "amount is missing"
                if not raw_amount
                else f"'{shorten(raw_amount, 40)}' is not an amount"
            )
            self.writer.refuse(row, "STMTTRN/TRNAMT", reason, raw_amount)
            return
        self.writer.seen(amount, currency)
        posted = v.get("DTPOSTED") or v.get("DTUSER")
        when = _date(posted)
        if when is None:
            reason = (
                "posting date is missing (neither DTPOSTED nor DTUSER)"
                if not posted
                else f"'{shorten(posted, 40)}' is not an OFX date (YYYYMMDD[HHMMSS[.XXX]][[tz]])"
            )
            self.writer.refuse(row, "STMTTRN/DTPOSTED", reason, posted)
            return
        if not currency:
            self.writer.refuse(
                row,
                "CURDEF",
                "the statement gives no currency (CURDEF) and the transaction none (CURRENCY/CURSYM)",
                None,
            )
            return
        memo = v.get("MEMO") or None
        check = v.get("CHECKNUM")
        text = "; ".join(t for t in (memo, check and f"cheque {check}") if t) or None
        trntype = (v.get("TRNTYPE") or "").upper()
        self.writer.movement(
            Movement(
                row=row,
                booked=when,
                amount=amount,
                currency=currency,
                bank_ref=v.get("FITID") or None,
                reference=v.get("REFNUM") or None,
                counterparty=v.get("NAME") or v.get("PAYEE/NAME") or None,
                counterparty_account=v.get("BANKACCTTO/ACCTID") or v.get("CCACCTTO/ACCTID") or None,
                counterparty_bank=v.get("BANKACCTTO/BANKID") or None,
                text=text,
                channel="cheque" if check else _CHANNELS.get(trntype, "transfer"),
            )
        )


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16)) if int(name[2:], 16) < 0x110000 else ""
    if name.startswith("#"):
        return chr(int(name[1:])) if int(name[1:]) < 0x110000 else ""
    return _PREDEFINED[name]


@functools.cache
def _converters() -> tuple[Any, Any]:
    """ofxtools' Decimal and DateTime types (loaded on first use: ofxtools starts slowly)."""
    from ofxtools.Types import DateTime  # noqa: PLC0415
    from ofxtools.Types import Decimal as OfxDecimal  # noqa: PLC0415

    return OfxDecimal(), DateTime()


# A statement's dates and amounts repeat (one date per day's transactions), and
# ofxtools' converters cost more than the rest of a transaction's reading: short
# values are converted once. Both results are immutable, so sharing them is safe.
_CACHED_TEXT = 40


def _decimal(text: str | None) -> Decimal | None:
    if text is not None and len(text) <= _CACHED_TEXT:
        return _cached_decimal(text)
    return _parse_decimal(text)


def _date(text: str | None) -> datetime | None:
    if text is not None and len(text) <= _CACHED_TEXT:
        return _cached_date(text)
    return _parse_date(text)


def _parse_decimal(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = _converters()[0].convert(text.strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or abs(value) >= Decimal(10) ** 29:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        return None
    return value


def _parse_date(text: str | None) -> datetime | None:
    if text is None or not text.strip():
        return None
    clean = text.strip()
    if re.fullmatch(r"\d{14}:\d{3}", clean):
        clean = clean.replace(":", ".")  # '20180804093914:014', a common slip for '.014'
    try:
        value = _converters()[1].convert(clean)
    except (ValueError, TypeError, OverflowError) as _:
        return None
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC).replace(tzinfo=None)


_cached_decimal = functools.lru_cache(maxsize=4096)(_parse_decimal)
_cached_date = functools.lru_cache(maxsize=4096)(_parse_date)


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of STMTTRN aggregates read."""
    reader = _Reader(ctx)
    stream = io.BufferedReader(ctx.stream, CHUNK)
    head = stream.peek(4096)[:4096]
    if b"\x00" in head[:4]:
        raise FileFormatError(ctx.path, "the file is UTF-16 or UTF-32; save it as UTF-8", row=0)
    encoding = "utf-8" if (b"<?xml" in head or b"UTF-8" in head.upper()) else "cp1252"
    rest = ""
    seen_root = False
    while True:
        chunk = stream.read(CHUNK)
        text = rest + (_decode(chunk, encoding) if chunk else "")
        if "\x00" in text:
            row = reader.line + text[: text.index("\x00")].count("\n")
            raise FileFormatError(ctx.path, "the file contains a NUL byte; OFX is text", row=row)
        if _HOSTILE.search(text):
            raise HostileInputError(
                ctx.path,
                "the file declares a DTD or an entity (<!DOCTYPE or <!ENTITY); OFX never needs "
                "one, and they are how XXE and entity-expansion attacks work, so it is refused unread",
                row=0,
            )
        cut = len(text) if not chunk else text.rfind("<")
        cut = max(cut, 0)
        if chunk and len(text) - cut > ELEMENT_LIMIT:
            raise FileFormatError(
                ctx.path,
                f"an element is over {ELEMENT_LIMIT >> 10} KB long; not an OFX file",
                row=reader.line,
            )
        work, rest = text[:cut], text[cut:]
        pos = 0
        for m in _TAG.finditer(work):
            if m.start() > pos:
                between = work[pos : m.start()]
                reader.text(between)
                reader.line += between.count("\n")
            if m.group(2).upper() == "OFX":
                seen_root = True
            reader.tag(bool(m.group(1)), m.group(2))
            pos = m.end()
        if pos < len(work):
            reader.text(work[pos:])
            reader.line += work[pos:].count("\n")
        if not chunk:
            break
    if not seen_root:
        raise FileFormatError(ctx.path, "no <OFX> element found; not an OFX file", row=0)
    if reader.stmt is not None:
        raise FileFormatError(
            ctx.path,
            f"the statement opened at line {reader.stmt.row} is not closed: the file is "
            "truncated; ask the bank for the whole file",
            row=reader.stmt.row,
        )
    return reader.writer.finish()


def _decode(chunk: bytes, encoding: str) -> str:
    try:
        return chunk.decode(encoding)
    except UnicodeDecodeError:
        return chunk.decode("cp1252", "replace")


READER = Format(
    FORMAT,
    read,
    looks_like,
    "OFX/QFX downloads, 1.x (SGML) and 2.x (XML): bank and credit-card statements",
    "moneytrail ingest download.qfx",
    statement=True,
    date_field="STMTTRN/DTPOSTED",
)
