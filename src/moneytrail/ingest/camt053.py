"""Reader for ISO 20022 camt.053 bank-to-customer statements (camt.053.001.02 to .13).

Elements are matched on local names under any `camt.053.001.NN` namespace, so
every version reads the same way. The file is streamed with lxml's iterparse and
each entry (`Ntry`) is cleared once read, so memory stays bounded however large
the file. A row is an entry: entries are numbered 1-based in document order
across all statements, and that number is `source_row`.

Safety: the prolog is scanned before lxml sees it and any DTD (`<!DOCTYPE`,
hence any `<!ENTITY`) refuses the file, so no entity is ever expanded or
fetched; the parser is hardened as well (no entities, network, DTD or huge
trees).

Mapping choices:
- The statement account is the receiving account of a credit (CRDT) and the
  paying account of a debit (DBIT); the counterparty (debtor of a credit,
  creditor of a debit) is the other side, NULL when the entry names no account.
- An IBAN is tokenised without its bank (`account_token('', iban)`): the IBAN
  already names the bank, and BICs are written in 8- and 11-character forms,
  so this keeps one key per account across files and banks. Other account ids
  are tokenised with the BIC of their servicing bank (BIC8 form), or '' if none.
- An entry with several `TxDtls` (a batch booking) becomes one transaction of
  the entry amount with no counterparty; with one `TxDtls` its parties,
  references and remittance text are used.
- txn_id is AcctSvcrRef, else NtryRef, else 'file:entry'; a repeated id in the
  same file gets '#2', '#3', ... in document order.
- Entries with status PDNG are stored and reported as a source issue; other
  statuses (INFO, ...) are quarantined.
- The balance check adds the booked (BOOK) entries whose amount, currency and
  credit/debit indicator could be read, quarantined or not: a bank's balances
  count entries this reader refuses for other reasons (a long text, say).
- DtTm values with a UTC offset are stored as UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from lxml import etree

from moneytrail.errors import FileFormatError, HostileInputError
from moneytrail.ingest._codes import ISO_CURRENCIES
from moneytrail.ingest._context import HashingReader, LoadContext, shorten
from moneytrail.privacy import account_key, mask

FORMAT = "camt053"
TEXT_LIMIT = 1000
ID_LIMIT = 64
BATCH_ROWS = 5000
_PROLOG_LIMIT = 1 << 20
_CHUNK = 64 << 10

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d+")
_AMOUNT = re.compile(r"[0-9]{1,30}(\.[0-9]{1,8})?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_ALNUM = re.compile(r"[0-9A-Za-z]")
# XML 1.0 admits C1 controls and DEL as characters; ids admit no control at all.
_TEXT_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ID_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NO_REF = frozenset({"NONREF", "NOTPROVIDED"})

_CASH = frozenset({"CWDL", "CDPT", "FCDP", "FCWD"})
_CHEQUE_SUB = frozenset({"CCHQ", "BCHQ", "CCCH", "CRCQ", "ORCQ", "OPCQ", "URCQ", "UPCQ", "CQRV"})
_CARD_SUB = frozenset({"POSD", "POSC", "SMRT"})

Problem = tuple[str, str, str | None]
"""(field, reason, original) of a refused entry."""

_TXN_SCHEMA = pa.schema(
    [
        ("txn_id", pa.string()),
        ("ts", pa.timestamp("us")),
        ("from_account", pa.int64()),
        ("to_account", pa.int64()),
        ("amount", pa.decimal128(38, 8)),
        ("currency", pa.string()),
        ("channel", pa.string()),
        ("reference", pa.string()),
        ("description", pa.string()),
        ("from_party", pa.string()),
        ("to_party", pa.string()),
        ("source_row", pa.int64()),
    ]
)
_ACCOUNT_SCHEMA = pa.schema(
    [
        ("account_key", pa.int64()),
        ("account_token", pa.string()),
        ("bank_id", pa.string()),
        ("masked", pa.string()),
        ("currency", pa.string()),
        ("record_id", pa.string()),
        ("source_row", pa.int64()),
    ]
)
_BALANCE_SCHEMA = pa.schema(
    [
        ("account_key", pa.int64()),
        ("kind", pa.string()),
        ("balance_date", pa.date32()),
        ("amount", pa.decimal128(38, 8)),
        ("currency", pa.string()),
        ("statement_id", pa.string()),
        ("source_row", pa.int64()),
    ]
)
_PARTY_SCHEMA = pa.schema(
    [
        ("party_id", pa.string()),
        ("name", pa.string()),
        ("account_key", pa.int64()),
        ("source_row", pa.int64()),
    ]
)
_IDENT_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("scheme", pa.string()),
        ("token", pa.string()),
        ("masked", pa.string()),
        ("source_row", pa.int64()),
    ]
)


@dataclass
class _Account:
    key: int
    token: str
    scheme: str
    raw: str
    bank_id: str | None

    @property
    def masked(self) -> str:
        return mask(self.raw)


@dataclass
class _Statement:
    n: int
    label: str
    stmt_id: str | None
    first_row: int
    problem: Problem | None
    account: _Account | None = None
    currency: str | None = None
    owner: str | None = None
    entries: int = 0
    balances: list[tuple[str, date, Decimal, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    sums: dict[str, list[Decimal]] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)


def read(ctx: LoadContext) -> int:
    """Load the file; return the number of entries read."""
    reader = _Reader(ctx)
    source = _Prefixed(_read_prolog(ctx), ctx.stream)
    events = etree.iterparse(
        source,
        events=("start", "end"),
        tag=["{*}Document", "{*}Stmt", "{*}Acct", "{*}Bal", "{*}Ntry"],
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for event, elem in events:
            reader.handle(event, elem)
    except etree.XMLSyntaxError as exc:
        raise FileFormatError(ctx.path, _syntax_message(exc), row=reader.open_entry) from exc
    if not reader.seen_root:
        raise FileFormatError(ctx.path, "no camt.053 Document element found", row=0)
    reader.finish()
    return reader.rows


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    msg = str(exc.msg).replace("\n", " ").strip()
    if "encoding" in msg or "UTF-8" in msg:
        return (
            f"the file is not valid UTF-8 (nor in the encoding its XML declaration names): "
            f"{msg}; save it as UTF-8"
        )
    if "Char 0x0 " in msg:
        return f"the file contains NUL bytes, which XML does not allow: {msg}"
    return f"not well-formed XML: {msg}"


def _read_prolog(ctx: LoadContext) -> bytes:
    """The file's bytes up to its root element, refused if they hold a DTD."""
    buf = b""
    while True:
        chunk = ctx.stream.read(_CHUNK) or b""
        buf += chunk
        if _prolog_complete(ctx, buf):
            return buf
        if not chunk:
            if not buf.strip():
                raise FileFormatError(ctx.path, "the file is empty", row=0)
            return buf
        if len(buf) > _PROLOG_LIMIT:
            raise FileFormatError(
                ctx.path, f"no root element in the first {_PROLOG_LIMIT} bytes", row=0
            )


def _prolog_complete(ctx: LoadContext, buf: bytes) -> bool:
    """Whether `buf` reaches the root element; raise on a DTD or a non-UTF-8 byte order."""
    if buf.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in buf[:4]:
        raise FileFormatError(
            ctx.path, "the file is UTF-16 or UTF-32 encoded; save it as UTF-8", row=0
        )
    i = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
    n = len(buf)
    while True:
        while i < n and buf[i] in b" \t\r\n":
            i += 1
        rest = buf[i : i + 4]
        if not rest or (len(rest) < 4 and b"<!--".startswith(rest)):
            return False
        if rest.startswith(b"<?"):
            end = buf.find(b"?>", i + 2)
        elif rest.startswith(b"<!--"):
            end = buf.find(b"-->", i + 4)
        elif rest.startswith(b"<!"):
            raise HostileInputError(
                ctx.path,
                "the file declares a DTD (<!DOCTYPE ...>); camt.053 statements never need one, "
                "and DTD entities are how XXE and entity-expansion attacks work, so the file "
                "is refused unread",
                row=0,
            )
        else:
            return True
        if end < 0:
            return False
        i = end + (2 if rest.startswith(b"<?") else 3)


class _Prefixed:
    """The already-read prolog, then the rest of the stream."""

    def __init__(self, head: bytes, rest: HashingReader) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            cut = len(self._head) if size < 0 else size
            out, self._head = self._head[:cut], self._head[cut:]
            return out
        return self._rest.read(size) or b""


def _local(elem: Any) -> str:
    return str(elem.tag).rpartition("}")[2]


def _check(
    field_name: str, value: str, limit: int, *, ident: bool = False, identifier: bool = False
) -> Problem | None:
    """Length and control-character checks; identifiers are kept masked in quarantine."""
    original = mask(value) if identifier else value
    if len(value) > limit:
        return field_name, f"value is {len(value)} characters long; the limit is {limit}", original
    bad = (_ID_CTRL if ident or identifier else _TEXT_CTRL).search(value)
    if bad:
        return (
            field_name,
            f"value contains the control character U+{ord(bad.group()):04X}",
            original,
        )
    return None


def _amount_problem(field_name: str, text: str | None) -> Problem | None:
    if text is None:
        return field_name, "amount is missing", None
    if text.startswith("-") and _AMOUNT.fullmatch(text[1:]):
        return field_name, "amount is negative; camt.053 gives the direction in CdtDbtInd", text
    if not _AMOUNT.fullmatch(text):
        return (
            field_name,
            f"'{shorten(text, 40)}' is not an amount (digits, '.' and at most 8 decimals)",
            text,
        )
    return None


def _currency_problem(field_name: str, ccy: str | None) -> Problem | None:
    if not ccy:
        return field_name, "currency (Ccy attribute) is missing", None
    if ccy not in ISO_CURRENCIES:
        return field_name, f"'{shorten(ccy, 40)}' is not a known ISO 4217 currency", ccy
    return None


def _when(text: str, with_time: bool) -> datetime | None:
    if with_time:
        if not _DATETIME.fullmatch(text):
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _fmt(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    places = min(-2, exponent) if isinstance(exponent, int) else -2
    return f"{value.quantize(Decimal(1).scaleb(places)):f}"


def _bic8(bic: str | None) -> str:
    code = (bic or "").upper()
    return code[:8] if len(code) == 11 and code.endswith("XXX") else code


class _Reader:
    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.rows = 0
        self.open_entry: int | None = None
        self.seen_root = False
        self.stmt: _Statement | None = None
        self.statements = 0
        self._paths: dict[str, str] = {}
        self._ns = ""
        self._txns: list[tuple[Any, ...]] = []
        self._accounts: dict[int, tuple[Any, ...]] = {}
        self._vault: dict[str, tuple[str, str]] = {}
        self._balances: list[tuple[Any, ...]] = []
        self._parties: list[tuple[Any, ...]] = []
        self._idents: list[tuple[Any, ...]] = []

    def _p(self, path: str) -> str:
        full = self._paths.get(path)
        if full is None:
            full = "/".join(f"{{{self._ns}}}{part}" for part in path.split("/"))
            self._paths[path] = full
        return full

    def _find(self, elem: Any, *paths: str) -> tuple[str, str] | None:
        """(path, stripped text) of the first path with a non-empty value."""
        for path in paths:
            value = elem.findtext(self._p(path))
            if value is not None and value.strip():
                return path, value.strip()
        return None

    def handle(self, event: str, elem: Any) -> None:
        name = _local(elem)
        if event == "start":
            if not self.seen_root:
                self._root(elem, name)
            elif name == "Stmt":
                self._begin_statement()
            elif name == "Ntry":
                self.open_entry = self.rows + 1
            return
        parent = elem.getparent()
        in_stmt = parent is not None and _local(parent) == "Stmt"
        if name == "Ntry":
            self._entry(elem)
            self.open_entry = None
            self._drop(elem)
        elif name == "Acct" and in_stmt:
            self._account(elem)
        elif name == "Bal" and in_stmt:
            self._balance(elem)
        elif name == "Stmt":
            self._end_statement()
            self._drop(elem)

    def _root(self, elem: Any, name: str) -> None:
        self.seen_root = True
        ns = etree.QName(elem).namespace or ""
        if name != "Document" or elem.getparent() is not None:
            raise FileFormatError(
                self.ctx.path, "the root element is not a camt.053 Document", row=0
            )
        if not _NAMESPACE.fullmatch(ns):
            raise FileFormatError(
                self.ctx.path,
                f"root element is in namespace {shorten(ns, 80)!r}, not a camt.053 statement "
                "(urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)",
                row=0,
            )
        docinfo = elem.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise HostileInputError(self.ctx.path, "the file declares a DTD; refused unread", row=0)
        self._ns = ns

    @staticmethod
    def _drop(elem: Any) -> None:
        """Free a handled element and the siblings before it, keeping memory bounded."""
        elem.clear(keep_tail=False)
        parent = elem.getparent()
        if parent is not None:
            while elem.getprevious() is not None:
                del parent[0]

    # Statements

    def _begin_statement(self) -> None:
        if self.stmt is not None:
            raise FileFormatError(self.ctx.path, "a statement (Stmt) inside another", row=self.rows)
        self.statements += 1
        n = self.statements
        self.stmt = _Statement(
            n,
            f"#{n}",
            None,
            self.rows + 1,
            ("Stmt/Acct/Id", "the statement names no account before its entries", None),
        )

    def _account(self, acct: Any) -> None:
        st = self.stmt
        if st is None:
            return
        stmt_id = self._find(acct.getparent(), "Id")
        if stmt_id is not None:
            st.stmt_id = shorten(stmt_id[1], ID_LIMIT)
            st.label = st.stmt_id or st.label
        number = self._find(acct, "Id/IBAN", "Id/Othr/Id")
        bic = self._find(acct, "Svcr/FinInstnId/BIC", "Svcr/FinInstnId/BICFI")
        ccy = self._find(acct, "Ccy")
        owner = self._find(acct, "Ownr/Nm")
        problem: Problem | None = None
        if bic:
            problem = _check(f"Stmt/Acct/{bic[0]}", bic[1], ID_LIMIT, ident=True)
        if problem is None and ccy:
            problem = _currency_problem("Stmt/Acct/Ccy", ccy[1])
        if problem is None and owner:
            problem = _check("Stmt/Acct/Ownr/Nm", owner[1], TEXT_LIMIT)
        account = None
        if problem is None and number is None:
            problem = (
                "Stmt/Acct/Id",
                "the statement's account has no IBAN or other id (Acct/Id/IBAN or Acct/Id/Othr/Id)",
                None,
            )
        elif problem is None and number is not None:
            account, problem = self._make_account("Stmt/Acct/", number, bic[1] if bic else None)
        st.problem = problem
        if account is not None and problem is None:
            st.account = account
            st.currency = ccy[1] if ccy else None
            st.owner = owner[1] if owner else None

    def _make_account(
        self, prefix: str, number: tuple[str, str], bic: str | None
    ) -> tuple[_Account | None, Problem | None]:
        path, raw = number
        field_name = prefix + path
        problem = _check(field_name, raw, ID_LIMIT, identifier=True)
        if problem:
            return None, problem
        if path.endswith("IBAN"):
            if not _IBAN.fullmatch(re.sub(r"\s", "", raw).upper()):
                return None, (
                    field_name,
                    "not an IBAN (two letters, two check digits, up to 30 letters or digits)",
                    mask(raw),
                )
            token = self.ctx.tokeniser.account_token("", raw)
            return _Account(account_key(token), token, "iban", raw, bic), None
        if not _ALNUM.search(raw):
            return None, (field_name, "account id has no letters or digits", raw)
        token = self.ctx.tokeniser.account_token(_bic8(bic), raw)
        return _Account(account_key(token), token, "account", raw, bic), None

    def _balance(self, bal: Any) -> None:
        st = self.stmt
        if st is None:
            return
        code = self._find(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        amt = bal.find(self._p("Amt"))
        text = (amt.text or "").strip() or None if amt is not None else None
        ccy = (amt.get("Ccy") or "").strip() if amt is not None else None
        ind = self._find(bal, "CdtDbtInd")
        when = self._find(bal, "Dt/Dt", "Dt/DtTm")
        kind = shorten(code[1], ID_LIMIT) if code else None
        sign = ind[1] if ind else None
        moment = _when(when[1], when[0].endswith("DtTm")) if when else None
        problem = (
            _amount_problem("Bal/Amt", text)
            or _currency_problem("Bal/Amt/@Ccy", ccy)
            or (
                None
                if sign in ("CRDT", "DBIT")
                else ("Bal/CdtDbtInd", "credit/debit indicator is not CRDT or DBIT", sign)
            )
            or (None if moment else ("Bal/Dt", "balance date is missing or not a date", None))
            or (None if kind else ("Bal/Tp", "balance type is missing", None))
        )
        if problem or kind is None or moment is None or text is None or ccy is None:
            where, reason = problem[:2] if problem else ("Bal", "incomplete")
            st.notes.append(
                (
                    "balance_invalid",
                    f"statement {st.label}: a balance ({kind or '?'}) "
                    f"was left out: {where}: {reason}",
                )
            )
            return
        amount = Decimal(text) * (-1 if sign == "DBIT" else 1)
        kind = {"OPBD": "opening", "CLBD": "closing"}.get(kind, kind)
        st.balances.append((kind, moment.date(), amount, ccy))

    def _end_statement(self) -> None:
        st, self.stmt = self.stmt, None
        if st is None:
            return
        row = st.first_row if st.entries else 0
        for kind, message in st.notes:
            self.ctx.issue(row, kind, message)
        account = st.account
        if account is None:
            reason = st.problem[1] if st.problem else "no account"
            self.ctx.issue(
                row, "statement_invalid", f"statement {st.label} was not stored: {reason}"
            )
            return
        record = f"{self.ctx.name}:stmt{st.n}:account"
        self._add_account(account, st.currency, record, row)
        self._idents.append((record, account.scheme, account.token, account.masked, row))
        if st.owner:
            self._parties.append((f"{self.ctx.name}:stmt{st.n}:owner", st.owner, account.key, row))
        kinds = [b[0] for b in st.balances]
        if "opening" not in kinds and "PRCD" in kinds:
            i = kinds.index("PRCD")
            st.balances[i] = ("opening", *st.balances[i][1:])
        for kind, day, amount, ccy in st.balances:
            self._balances.append((account.key, kind, day, amount, ccy, st.stmt_id, row))
        if st.pending:
            shown = ", ".join(map(str, st.pending[:10])) + (", ..." if len(st.pending) > 10 else "")
            self.ctx.issue(
                row,
                "pending_entries",
                f"statement {st.label} of account {account.masked}: {len(st.pending)} "
                f"pending (PDNG) entries (rows {shown}) were stored but are not booked, "
                "so the balance check leaves them out",
            )
        self._check_balances(st, account, row)
        self._maybe_flush()

    def _check_balances(self, st: _Statement, account: _Account, row: int) -> None:
        opening = next((b for b in st.balances if b[0] == "opening"), None)
        closing = next((b for b in st.balances if b[0] == "closing"), None)
        where = f"statement {st.label} of account {account.masked}"
        if opening is None or closing is None:
            missing = " and ".join(
                name
                for name, b in (("opening (OPBD)", opening), ("closing (CLBD)", closing))
                if b is None
            )
            self.ctx.issue(
                row,
                "balance_missing",
                f"{where} has no {missing} balance; its entries "
                "cannot be checked against the balances",
            )
            return
        credits, debits = st.sums.get(opening[3], [Decimal(0), Decimal(0)])
        expected = opening[2] + credits - debits
        if expected == closing[2] and opening[3] == closing[3]:
            return
        others = sum(1 for ccy in st.sums if ccy != opening[3])
        extra = f"; entries in {others} other currencies were left out" if others else ""
        self.ctx.issue(
            row,
            "balance_mismatch",
            f"{where}: opening {_fmt(opening[2])} + credits {_fmt(credits)} - debits "
            f"{_fmt(debits)} = {_fmt(expected)}, but closing balance is {_fmt(closing[2])} "
            f"(difference {_fmt(closing[2] - expected)}){extra}",
        )

    # Entries

    def _entry(self, ntry: Any) -> None:
        self.rows += 1
        row = self.rows
        st = self.stmt
        if st is None:
            raise FileFormatError(self.ctx.path, "an entry (Ntry) outside a statement", row=row)
        st.entries += 1
        amt = ntry.find(self._p("Amt"))
        text = (amt.text or "").strip() or None if amt is not None else None
        ccy = (amt.get("Ccy") or "").strip() if amt is not None else None
        ind = self._find(ntry, "CdtDbtInd")
        sts = self._find(ntry, "Sts/Cd", "Sts/Prtry", "Sts")
        direction = ind[1] if ind else None
        status = sts[1] if sts else None
        valid_amount = _amount_problem("Ntry/Amt", text) is None
        if valid_amount and ccy and direction in ("CRDT", "DBIT") and status == "BOOK":
            sums = st.sums.setdefault(ccy, [Decimal(0), Decimal(0)])
            sums[1 if direction == "DBIT" else 0] += Decimal(text or 0)
        problem = (
            st.problem
            or _amount_problem("Ntry/Amt", text)
            or _currency_problem("Ntry/Amt/@Ccy", ccy)
            or (
                None
                if direction in ("CRDT", "DBIT")
                else (
                    "Ntry/CdtDbtInd",
                    "credit/debit indicator is missing"
                    if direction is None
                    else f"credit/debit indicator '{shorten(direction, 40)}' is neither CRDT nor DBIT",
                    direction,
                )
            )
            or (
                None
                if status in ("BOOK", "PDNG")
                else (
                    "Ntry/Sts",
                    "entry status is missing"
                    if status is None
                    else f"entry status '{shorten(status, 40)}' is neither booked (BOOK) nor pending "
                    "(PDNG), so it is no movement of money",
                    status,
                )
            )
        )
        if problem is None:
            problem = self._build(ntry, row, st, Decimal(text or 0), ccy or "", direction or "")
        if problem is not None:
            self.ctx.quarantine(row, *problem)
            return
        if status == "PDNG":
            st.pending.append(row)
        self._maybe_flush()

    def _build(
        self, ntry: Any, row: int, st: _Statement, amount: Decimal, ccy: str, direction: str
    ) -> Problem | None:
        """Check the remaining fields and queue the transaction; the problem if refused."""
        when = self._find(ntry, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")
        if when is None:
            return "Ntry/BookgDt", "booking date is missing (neither BookgDt nor ValDt)", None
        ts = _when(when[1], when[0].endswith("DtTm"))
        if ts is None:
            return (
                f"Ntry/{when[0]}",
                f"'{shorten(when[1], 40)}' is not a date (YYYY-MM-DD) or "
                "date-time (YYYY-MM-DDThh:mm:ss)",
                when[1],
            )
        checks: list[tuple[str, str, int, bool]] = []
        refs: dict[str, str] = {}
        for path in ("AcctSvcrRef", "NtryRef"):
            found = self._find(ntry, path)
            if found:
                checks.append((f"Ntry/{path}", found[1], ID_LIMIT, True))
                refs[path] = found[1]
        info = self._find(ntry, "AddtlNtryInf")
        texts = [info[1]] if info else []
        if info:
            checks.append(("Ntry/AddtlNtryInf", info[1], TEXT_LIMIT, False))
        details = ntry.findall(self._p("NtryDtls/TxDtls"))
        side = "Dbtr" if direction == "CRDT" else "Cdtr"
        name: tuple[str, str] | None = None
        number = bic = e2e = name
        if len(details) == 1:
            tx = details[0]
            pre = "Ntry/NtryDtls/TxDtls/"
            name = self._find(tx, f"RltdPties/{side}/Nm", f"RltdPties/{side}/Pty/Nm")
            number = self._find(
                tx, f"RltdPties/{side}Acct/Id/IBAN", f"RltdPties/{side}Acct/Id/Othr/Id"
            )
            bic = self._find(
                tx, f"RltdAgts/{side}Agt/FinInstnId/BIC", f"RltdAgts/{side}Agt/FinInstnId/BICFI"
            )
            e2e = self._find(tx, "Refs/EndToEndId")
            lines = (str(u.text or "").strip() for u in tx.findall(self._p("RmtInf/Ustrd")))
            ustrd = [line for line in lines if line]
            extra = self._find(tx, "AddtlTxInf")
            for found, limit, ident in (
                (name, TEXT_LIMIT, False),
                (bic, ID_LIMIT, True),
                (e2e, ID_LIMIT, True),
                (extra, TEXT_LIMIT, False),
            ):
                if found:
                    checks.append((pre + found[0], found[1], limit, ident))
            checks.extend((pre + "RmtInf/Ustrd", u, TEXT_LIMIT, False) for u in ustrd)
            texts += [" ".join(ustrd)] if ustrd else []
            texts += [extra[1]] if extra else []
        elif details:
            texts.insert(0, f"batch of {len(details)} transactions")
        for field_name, value, limit, ident in checks:
            problem = _check(field_name, value, limit, ident=ident)
            if problem:
                return problem
        other: _Account | None = None
        if number is not None:
            other, problem = self._make_account(
                "Ntry/NtryDtls/TxDtls/", number, bic[1] if bic else None
            )
            if problem:
                return problem
        assert st.account is not None  # st.problem is None here
        mine = st.account.key
        theirs = other.key if other else None
        if other:
            self._add_account(other, None, None, row)
        ref = refs.get("AcctSvcrRef")
        ref = ref if ref and ref.upper() not in _NO_REF else refs.get("NtryRef")
        txn_id = ref if ref and ref.upper() not in _NO_REF else f"{self.ctx.name}:{row}"
        reference = e2e[1] if e2e and e2e[1].upper() not in _NO_REF else None
        counterparty = name[1] if name else None
        credit = direction == "CRDT"
        self._txns.append(
            (
                txn_id,
                ts,
                theirs if credit else mine,
                mine if credit else theirs,
                amount,
                ccy,
                self._channel(ntry),
                reference,
                "; ".join(texts) or None,
                counterparty if credit else st.owner,
                st.owner if credit else counterparty,
                row,
            )
        )
        return None

    def _channel(self, ntry: Any) -> str:
        family = self._find(ntry, "BkTxCd/Domn/Fmly/Cd")
        sub = self._find(ntry, "BkTxCd/Domn/Fmly/SubFmlyCd")
        fam = family[1].upper() if family else ""
        subfam = sub[1].upper() if sub else ""
        if subfam in _CASH:
            return "cash"
        if subfam in _CHEQUE_SUB or fam in ("RCHQ", "ICHQ"):
            return "cheque"
        if (
            fam in ("CCRD", "MCRD")
            or subfam in _CARD_SUB
            or ntry.find(self._p("CardTx")) is not None
        ):
            return "card"
        return "transfer"

    # Writing

    def _add_account(
        self, acct: _Account, currency: str | None, record: str | None, row: int
    ) -> None:
        if acct.key not in self._accounts or record is not None:
            self._accounts[acct.key] = (
                acct.key,
                acct.token,
                acct.bank_id,
                acct.masked,
                currency,
                record,
                row,
            )
        self._vault.setdefault(acct.token, (acct.scheme, acct.raw))

    def _maybe_flush(self) -> None:
        if len(self._txns) + len(self._accounts) + len(self._balances) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        ctx = self.ctx
        if self._accounts:
            ctx.append(
                "_camt_accounts",
                _arrow(list(self._accounts.values()), _ACCOUNT_SCHEMA),
                "INSERT INTO accounts (account_key, account_token, bank_id, masked, currency, "
                "record_id, source_id, source_row) SELECT b.account_key, b.account_token, "
                "b.bank_id, b.masked, b.currency, b.record_id, $sid, b.source_row "
                "FROM _camt_accounts b ANTI JOIN accounts a ON a.account_key = b.account_key",
            )
            ctx.vault.store(
                ctx.con, ((tok, scheme, raw) for tok, (scheme, raw) in self._vault.items())
            )
        if self._txns:
            ctx.append(
                "_camt_txns",
                _arrow(self._txns, _TXN_SCHEMA),
                "INSERT INTO transactions (txn_id, ts, from_account, to_account, amount, "
                "currency, channel, reference, description, from_party, to_party, source_id, "
                "source_row) SELECT txn_id, ts, from_account, to_account, amount, currency, "
                "channel, reference, description, from_party, to_party, $sid, source_row "
                "FROM _camt_txns",
            )
        if self._balances:
            ctx.append(
                "_camt_balances",
                _arrow(self._balances, _BALANCE_SCHEMA),
                "INSERT INTO balances SELECT account_key, kind, balance_date, amount, "
                "currency, statement_id, $sid, source_row FROM _camt_balances",
            )
        if self._idents:
            ctx.append(
                "_camt_idents",
                _arrow(self._idents, _IDENT_SCHEMA),
                "INSERT INTO identifiers SELECT record_id, scheme, token, masked, $sid, "
                "source_row FROM _camt_idents",
            )
        if self._parties:
            batch = _arrow(self._parties, _PARTY_SCHEMA)
            ctx.append(
                "_camt_parties",
                batch,
                "INSERT INTO parties (party_id, kind, name, source_id, source_row) "
                "SELECT party_id, 'legal_entity', name, $sid, source_row FROM _camt_parties",
            )
            ctx.append(
                "_camt_parties",
                batch,
                "INSERT INTO account_holders SELECT account_key, party_id, 'holder', $sid, "
                "source_row FROM _camt_parties",
            )
        for pending in (self._txns, self._balances, self._idents, self._parties):
            pending.clear()
        self._accounts.clear()
        self._vault.clear()

    def finish(self) -> None:
        if self.stmt is not None:
            raise FileFormatError(self.ctx.path, "the last statement is not closed", row=self.rows)
        self._flush()
        # Ids repeated within the file get '#2', '#3', ... in document order.
        self.ctx.con.execute(
            "UPDATE transactions SET txn_id = transactions.txn_id || '#' || d.n "
            "FROM (SELECT source_row, row_number() OVER (PARTITION BY txn_id ORDER BY source_row) "
            "AS n FROM transactions WHERE source_id = $sid) d "
            "WHERE transactions.source_id = $sid AND transactions.source_row = d.source_row "
            "AND d.n > 1",
            {"sid": self.ctx.source_id},
        )


def _arrow(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.table(
        [pa.array(col, f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
    )
