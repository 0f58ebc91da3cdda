"""Reader for SWIFT MT940 statements and MT942 interim reports (`--format mt940`).

The file is read line by line and cut into messages at each `:20:` tag, so
memory is bounded by one message however large the file; each message is
parsed with the `mt-940` package. A row is a line: a movement's row is the line
number of its `:61:` tag, a statement's the line of its `:20:`.

- Each `:61:` is first checked on its own with the package's tag parser; one
  that does not parse is quarantined (field `:61:`) and the rest of the message
  is read; the balance check still counts it when its amount could be read.
- The booking date is the `:61:` entry date when given (else the value date).
- `:86:` is used structured where the bank structures it: SEPA subfields
  (`/EREF/`, `/NAME/`, `/IBAN/`, `/REMI/`, ...; ING, Rabobank, ABN AMRO) or
  German `?20`-style subfields (through the package's details processor);
  otherwise it is kept as free text.
- MT942 (no `:60F:`/`:62F:`) is an interim report: its movements are stored
  and no balance check is asked of it.
- The text is UTF-8 when it decodes as such, else Latin-1 (many banks' exports).
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from moneytrail.errors import FileFormatError
from moneytrail.ingest._bank import Movement, Statement, StatementWriter
from moneytrail.ingest._context import LoadContext, shorten
from moneytrail.ingest._registry import Format

FORMAT = "mt940"
MESSAGE_LIMIT = 16 << 20
DETAILS_LIMIT = 4000
_TAG = re.compile(r"^:(\d{2}[A-Z]?):")
_SEPA = re.compile(
    r"/(EREF|MARF|CSID|CNTP|BENM|ORDP|NAME|REMI|IBAN|BIC|ADDR|ISDT|RTRN|PURP|TRCD|ULTD|ULTC|"
    r"ULTB|PREF|SVWZ|CDTRREF|CDTRREFTP|CD|USTD|STRD|ID)/"
)
_FIELDS = {
    "account": ":25:",
    "currency": ":60F: currency",
    "bank_ref": ":61: bank reference",
    "reference": ":86: EREF",
    "counterparty": ":86: NAME",
    "text": ":86:",
}


def looks_like(head: bytes) -> bool:
    text = head[:8192]
    return (b"\n:20:" in text or text.startswith(b":20:")) and b":25:" in text and b":61:" in text


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of movements (`:61:` lines) read."""
    writer = StatementWriter(ctx, _FIELDS)
    messages = 0
    for lines in _messages(ctx):
        messages += 1
        _message(ctx, writer, lines)
    if messages == 0:
        raise FileFormatError(
            ctx.path, "no MT940/MT942 message found (no :20: tag at the start of a line)", row=0
        )
    return writer.finish()


def _messages(ctx: LoadContext) -> Any:
    """Each message as [(line number, text)], from its :20: line to the next."""
    current: list[tuple[int, str]] = []
    size = 0
    stream = io.BufferedReader(ctx.stream, 1 << 20)
    for number, raw in enumerate(stream, start=1):
        line = _decode(raw).rstrip("\r\n")
        if "\x00" in line:
            raise FileFormatError(
                ctx.path, "the file contains a NUL byte; it is not MT940 text", row=number
            )
        if line.startswith(":20:"):
            if current:
                yield current
            current, size = [], 0
        if not current and not line.startswith(":20:"):
            continue  # headers before a message ({1:...} blocks, a BIC, '940') and '-' trailers
        if line.strip() == "-":
            yield current
            current, size = [], 0
            continue
        size += len(line)
        if size > MESSAGE_LIMIT:
            raise FileFormatError(
                ctx.path,
                f"a message is over {MESSAGE_LIMIT >> 20} MB; not an MT940 statement",
                row=number,
            )
        current.append((number, line))
    if current:
        yield current


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _fields(lines: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(line, tag, value) with continuation lines joined to their tag by newlines."""
    out: list[tuple[int, str, str]] = []
    for number, line in lines:
        m = _TAG.match(line)
        if m:
            out.append((number, m.group(1), line[m.end() :]))
        elif out:
            n, tag, value = out[-1]
            out[-1] = (n, tag, value + "\n" + line)
    return out


def _message(ctx: LoadContext, writer: StatementWriter, lines: list[tuple[int, str]]) -> None:
    fields = _fields(lines)
    kept, bad = _set_aside_long(fields)
    try:
        parsed = _parse(kept)
    except (RuntimeError, ValueError, ArithmeticError, KeyError):
        # Some :61: line breaks the message: find each one, set it aside, read the rest.
        kept, more, dropped = _set_aside_broken(kept)
        bad += more
        for number, tag, why in dropped:
            ctx.issue(
                number,
                "balance_invalid",
                f"line {number}: :{tag}: could not be read ({why}); left out",
            )
        try:
            parsed = _parse(kept)
        except (RuntimeError, ValueError, ArithmeticError, KeyError) as exc:
            raise FileFormatError(
                ctx.path, f"the message does not parse as MT940: {_why(exc)}", row=lines[0][0]
            ) from exc
    data = parsed.data
    # A statement sent in parts (:28C: n/1, n/2) opens and closes each part with
    # intermediate balances (:60M:, :62M:); the check holds per part.
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
    reference = data.get("transaction_reference")
    seq = data.get("statement_number")
    stmt_id = " ".join(
        str(p)
        for p in (reference, seq and f"{seq}/{data.get('sequence_number') or ''}".rstrip("/"))
        if p
    )
    account = str(data.get("account_identification") or "").strip()
    bank, _, acct = account.rpartition("/")
    currency = parsed.currency or (opening.amount.currency if opening else None)
    if currency and acct.endswith(currency) and acct[: -len(currency)].strip().isdigit():
        acct = acct[: -len(currency)]  # old Rabobank style: the currency after the number
    st = Statement(
        account=acct.strip() or account,
        bank=bank.strip(),
        first_row=lines[0][0],
        currency=currency,
        statement_id=shorten(stmt_id, 64) or None,
        opening=(opening.date, opening.amount.amount) if opening else None,
        closing=(closing.date, closing.amount.amount) if closing else None,
        interim=opening is None and closing is None,
    )
    writer.begin(st)
    rows = [number for number, tag, _ in kept if tag == "61"]
    movements = iter(zip(rows, parsed.transactions, strict=False))
    pending = sorted(
        [(n, None, why, amt) for n, why, amt in bad] + [(n, t, "", None) for n, t in movements],
        key=lambda x: x[0],
    )
    for row, txn, why, amount in pending:
        if txn is None:
            if amount is not None:
                writer.seen(amount, currency)
            field = ":86:" if why.startswith(":86:") else ":61:"
            writer.refuse(row, field, why, _line(fields, row))
            continue
        _movement(writer, row, txn.data, currency)
    writer.end()


Field = tuple[int, str, str]
Refused = tuple[int, str, Decimal | None]


def _parse(kept: list[Field]) -> Any:
    import mt940  # noqa: PLC0415

    parsed = mt940.models.Transactions(
        processors={
            "post_transaction_details": [mt940.processors.transaction_details_post_processor]
        },
        options=mt940.options.Options(applicant_iban=True),
    )
    parsed.parse("\n".join(f":{tag}:{value}" for _, tag, value in kept))
    return parsed


def _set_aside_long(fields: list[Field]) -> tuple[list[Field], list[Refused]]:
    """Movements whose :86: the parser would cut short silently are set aside whole."""
    kept: list[Field] = []
    bad: list[Refused] = []
    for number, tag, value in fields:
        if tag == "86" and len(value) > DETAILS_LIMIT and kept and kept[-1][1] == "61":
            line, _, owner = kept.pop()
            reason = f":86: is {len(value)} characters long; the limit is {DETAILS_LIMIT}"
            bad.append((line, reason, _loose_amount(owner)))
            continue
        kept.append((number, tag, value))
    return kept, bad


def _set_aside_broken(fields: list[Field]) -> tuple[list[Field], list[Refused], list[Field]]:
    """Each tag checked alone with the package's tag parser. A :61: that fails is a
    movement set aside; another tag that fails (a balance) is left out and returned."""
    import mt940  # noqa: PLC0415

    checker = mt940.models.Transactions()
    tags: dict[Any, Any] = dict(checker.tags)
    kept: list[Field] = []
    bad: list[Refused] = []
    dropped: list[Field] = []
    for number, tag, value in fields:
        parser = tags.get(tag) or (tags.get(int(tag[:2])) if tag[:2].isdigit() else None)
        if parser is not None:
            try:
                parser.parse(checker, value)
            except (RuntimeError, ValueError, ArithmeticError) as exc:
                if tag == "61":
                    reason = f"not a valid :61: statement line ({_why(exc)})"
                    bad.append((number, reason, _loose_amount(value)))
                else:
                    dropped.append((number, tag, _why(exc)))
                continue
        kept.append((number, tag, value))
    return kept, bad, dropped


def _line(fields: list[tuple[int, str, str]], row: int) -> str | None:
    return next((f":{t}:{v}" for n, t, v in fields if n == row), None)


def _why(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    text = re.sub(r"<mt940\.tags\.(\w+) object at 0x[0-9a-f]+>", r"\1", text)
    return shorten(text.split("\n")[0], 160) or type(exc).__name__


def _loose_amount(value: str) -> Decimal | None:
    m = re.match(r"\d{6}(\d{4})?R?([DC])[A-Z]?(\d{1,12}(,\d{0,4})?)", value)
    if not m:
        return None
    amount = Decimal(m.group(3).replace(",", ".").rstrip("."))
    return -amount if m.group(2) == "D" else amount


def _movement(
    writer: StatementWriter, row: int, data: dict[str, Any], currency: str | None
) -> None:
    amount_obj = data["amount"]
    amount: Decimal = amount_obj.amount
    ccy = str(getattr(amount_obj, "currency", None) or currency or "")
    writer.seen(amount, ccy)
    day = data.get("entry_date") or data.get("date")
    if day is None:
        writer.refuse(row, ":61: date", "the value date is missing", None)
        return
    booked = datetime(day.year, day.month, day.day)
    details = data.get("transaction_details") or ""
    sepa = _sepa(details)
    counterparty = data.get("applicant_name") or sepa.get("NAME")
    other = data.get("applicant_iban") or sepa.get("IBAN") or _cntp_account(sepa)
    extra = (data.get("extra_details") or "").strip()
    if not other and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", extra):
        other = extra  # Rabobank puts the counterparty IBAN in the :61: supplementary details
    if data.get("purpose") is not None:
        text = data.get("purpose")
    elif sepa:
        text = sepa.get("REMI") or sepa.get("SVWZ") or " ".join(details.split())
    else:
        text = " ".join(details.split()) or None
    writer.movement(
        Movement(
            row=row,
            booked=booked,
            amount=amount,
            currency=ccy,
            bank_ref=data.get("bank_reference"),
            reference=sepa.get("EREF")
            or data.get("end_to_end_reference")
            or data.get("customer_reference"),
            counterparty=(counterparty or "").strip() or None,
            counterparty_account=(other or "").strip() or None,
            counterparty_bank=data.get("applicant_bin") or sepa.get("BIC"),
            text=text or None,
        )
    )


def _sepa(details: str) -> dict[str, str]:
    """SEPA subfields of a structured :86: ('/CODE/value/CODE/value...')."""
    flat = details.replace("\n", "")
    if not flat.startswith("/") or not _SEPA.match(flat):
        return {}
    out: dict[str, str] = {}
    parts = _SEPA.split(flat)
    for code, raw in zip(parts[1::2], parts[2::2], strict=False):
        value = raw.strip("/").strip()
        if value and code not in out:
            out[code] = value
    return out


def _cntp_account(sepa: dict[str, str]) -> str | None:
    cntp = sepa.get("CNTP")
    return cntp.split("/")[0] if cntp else None


READER = Format(
    FORMAT,
    read,
    looks_like,
    "SWIFT MT940 statements and MT942 interim reports (structured :86: where the bank uses it)",
    "moneytrail ingest statement.sta --format mt940",
    statement=True,
    date_field=":61: entry date",
)
