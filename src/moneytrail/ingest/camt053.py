"""Reader for ISO 20022 camt.053 bank-to-customer statements (camt.053.001.02 to .13).

Elements are matched on local names under any `camt.053.001.NN` namespace, so
every version reads the same way. The file is streamed with lxml's iterparse and
each entry (`Ntry`) is freed once read, so memory stays bounded however large
the file. A row is an entry: entries are numbered 1-based in document order
across all statements, and that number is `source_row` (statement-level facts
carry the number of the statement's first entry, 0 if it has none).

Safety: the prolog is scanned before lxml sees it and any markup declaration
(`<!DOCTYPE`, hence any `<!ENTITY`) refuses the file, so no entity is ever
expanded or fetched; the parser is hardened as well.

Mapping choices:
- A credit (CRDT) is paid by the counterparty (the debtor) into the statement
  account, a debit (DBIT) from it to the creditor; the counterparty account is
  NULL when the entry names none.
- An IBAN is tokenised without a bank (`account_token('', iban)`): the IBAN
  names its bank, and BICs come in 8- and 11-character forms, so this keeps one
  key per account across files and banks. Other account ids are tokenised with
  their bank's BIC (8-character form), or '' when none is given.
- An entry with several `TxDtls` (a batch booking) becomes one transaction of
  the entry amount with no counterparty; with one, its parties, references and
  remittance text are used.
- txn_id is AcctSvcrRef, else NtryRef, else 'file:entry'; an id repeated within
  the file gets '#2', '#3', ... in document order.
- Entries with status PDNG are stored and reported as a source issue; other
  statuses (INFO, ...) are quarantined.
- The balance check adds the booked (BOOK) entries in the balances' currency
  whose amount and credit/debit indicator could be read, quarantined or not:
  the bank's balances include entries this reader refuses for other reasons.
- Booking date-times with a UTC offset are stored in UTC; balance dates as written.
- Every stored entry also gets a `statement_entries` row (statement account,
  counterparty name, text). An entry whose movement another file already stored
  (same id, amount, currency and minute) is merged into that transaction, which
  keeps its row and gains the names and text it lacked (see ingest._statements).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
from lxml import etree

from moneytrail.errors import FileFormatError, HostileInputError
from moneytrail.ingest._camt053_fields import (
    _AMOUNT,
    Flat,
    Problem,
    _amount_problem,
    _bic8,
    _channel,
    _check,
    _currency_problem,
    _find,
    _flat,
    _fmt,
    _head_problem,
    _local,
    _value,
    _when,
)
from moneytrail.ingest._context import HashingReader, LoadContext, shorten
from moneytrail.ingest._registry import Format
from moneytrail.ingest._statements import absorb_entries
from moneytrail.model.tables import table
from moneytrail.privacy import account_key, mask

FORMAT = "camt053"
TEXT_LIMIT = 1000
ID_LIMIT = 64
BATCH_ROWS = 5000
_PROLOG_LIMIT = 1 << 20
_CHUNK = 64 << 10

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d+")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_ALNUM = re.compile(r"[0-9A-Za-z]")
_NO_REF = frozenset({"NONREF", "NOTPROVIDED"})

_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "DECIMAL(38,8)": pa.decimal128(38, 8),
}
# Columns each batch carries, in order; source_id is added when inserting.
_BATCH_COLUMNS = {
    "accounts": "account_key account_token bank_id masked currency record_id source_row",
    "transactions": "txn_id ts from_account to_account amount currency channel reference "
    "description from_party to_party source_row",
    "balances": "account_key kind balance_date amount currency statement_id source_row",
    "identifiers": "record_id scheme token masked source_row",
    "parties": "party_id kind name source_row",
    "account_holders": "account_key party_id role source_row",
    "statement_entries": "account_key statement_id entry_ref direction counterparty description "
    "reference txn_source_row source_row",
}


@dataclass
class _Account:
    key: int
    token: str
    scheme: str
    raw: str
    bank_id: str | None


@dataclass
class _Statement:
    n: int
    label: str
    first_row: int
    problem: Problem | None
    stmt_id: str | None = None
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
    etree.clear_error_log()  # the log is per thread; keep only this file's errors in it
    events = etree.iterparse(
        _Prefixed(_read_prolog(ctx), ctx.stream),
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
    reader.finish()
    return reader.rows


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    msg = str(exc.msg)
    if not exc.lineno:
        # iterparse reports some errors (an undefined entity) only in the log.
        log: Any = exc.error_log  # lxml-stubs declare no members of the log
        last = log.last_error
        msg = f"{last.message}, line {last.line}, column {last.column}" if last else msg
    msg = msg.replace("\n", " ").strip()
    if "encoding" in msg or "UTF-8" in msg:
        return f"the file is not UTF-8 (nor in the encoding it declares): {msg}; save it as UTF-8"
    if "Char 0x0 " in msg:
        return f"the file contains a NUL byte, which XML does not allow: {msg}"
    return f"not well-formed XML: {msg}"


def _read_prolog(ctx: LoadContext) -> bytes:
    """The file's bytes up to its root element, refused if they declare a DTD."""
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
            raise FileFormatError(ctx.path, f"no root element in the first {len(buf)} bytes", row=0)


def _prolog_complete(ctx: LoadContext, buf: bytes) -> bool:
    """Whether `buf` reaches the root element; raises on a DTD or a UTF-16/32 file."""
    if buf.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in buf[:4]:
        raise FileFormatError(ctx.path, "the file is UTF-16 or UTF-32; save it as UTF-8", row=0)
    i = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while i < len(buf) and buf[i] in b" \t\r\n":
            i += 1
        head = buf[i : i + 4]
        if not head or (len(head) < 4 and b"<!--".startswith(head)):
            return False
        if head.startswith(b"<?"):
            end, skip = buf.find(b"?>", i + 2), 2
        elif head.startswith(b"<!--"):
            end, skip = buf.find(b"-->", i + 4), 3
        elif head.startswith(b"<!"):
            raise HostileInputError(
                ctx.path,
                "the file declares a DTD (<!DOCTYPE ...>); camt.053 statements never need one "
                "and DTD entities are how XXE and entity-expansion attacks work, so it is "
                "refused unread",
                row=0,
            )
        else:
            return True
        if end < 0:
            return False
        i = end + skip


class _Prefixed:
    """The prolog already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest: HashingReader) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            cut = len(self._head) if size < 0 else size
            out, self._head = self._head[:cut], self._head[cut:]
            return out
        return self._rest.read(size) or b""


def _drop(elem: Any) -> None:
    """Free a handled element and the siblings before it, so memory stays bounded."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


class _Reader:
    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.rows = 0
        self.open_entry: int | None = None
        self.stmt: _Statement | None = None
        self._statements = 0
        self._ns: str | None = None
        self._batch: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _BATCH_COLUMNS}
        self._accounts: dict[int, tuple[Any, ...]] = {}
        self._vault: dict[str, tuple[str, str]] = {}

    def handle(self, event: str, elem: Any) -> None:
        name = _local(elem)
        if event == "start":
            if self._ns is None:
                self._root(elem, name)
            elif name == "Stmt":
                self._begin_statement()
            elif name == "Ntry":
                self.open_entry = self.rows + 1
            return
        parent = elem.getparent()
        in_stmt = parent is not None and _local(parent) == "Stmt"
        if name == "Ntry":
            self._entry(_flat(elem))
            self.open_entry = None
            _drop(elem)
        elif name == "Acct" and in_stmt:
            self._account(_flat(elem), parent.findtext(f"{{{self._ns}}}Id"))
        elif name == "Bal" and in_stmt:
            self._balance(_flat(elem))
        elif name == "Stmt":
            self._end_statement()
            _drop(elem)

    def _root(self, elem: Any, name: str) -> None:
        ns = etree.QName(elem).namespace or ""
        if name != "Document" or elem.getparent() is not None or not _NAMESPACE.fullmatch(ns):
            raise FileFormatError(
                self.ctx.path,
                f"the root element is not a camt.053 Document (namespace {shorten(ns, 80)!r}, "
                "expected urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)",
                row=0,
            )
        docinfo = elem.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise HostileInputError(self.ctx.path, "the file declares a DTD; refused unread", row=0)
        self._ns = ns

    # Statements

    def _begin_statement(self) -> None:
        if self.stmt is not None:
            raise FileFormatError(self.ctx.path, "a statement inside another", row=self.rows)
        self._statements += 1
        n = self._statements
        missing = ("Stmt/Acct", "the statement names no account before its entries", None)
        self.stmt = _Statement(n, f"#{n}", self.rows + 1, missing)

    def _account(self, acct: Flat, stmt_id: str | None) -> None:
        st = self.stmt
        if st is None:
            return
        if stmt_id and stmt_id.strip():
            st.stmt_id = st.label = shorten(stmt_id.strip(), ID_LIMIT) or st.label
        number = _find(acct, "Id/IBAN", "Id/Othr/Id")
        bic = _find(acct, "Svcr/FinInstnId/BIC", "Svcr/FinInstnId/BICFI")
        ccy = _value(acct, "Ccy")
        owner = _value(acct, "Ownr/Nm")
        problem = (
            (bic and _check(f"Stmt/Acct/{bic[0]}", bic[1], ID_LIMIT, ident=True))
            or (ccy and _currency_problem("Stmt/Acct/Ccy", ccy))
            or (owner and _check("Stmt/Acct/Ownr/Nm", owner, TEXT_LIMIT))
            or None
        )
        account = None
        if number is None:
            problem = problem or ("Stmt/Acct/Id", "the account has no IBAN nor other id", None)
        elif problem is None:
            account, problem = self._make_account("Stmt/Acct/", number, bic[1] if bic else None)
        st.problem, st.account, st.currency, st.owner = problem, account, ccy, owner

    def _make_account(
        self, prefix: str, number: tuple[str, str], bic: str | None
    ) -> tuple[_Account | None, Problem | None]:
        path, raw = number
        where = prefix + path
        problem = _check(where, raw, ID_LIMIT, masked=True)
        if problem:
            return None, problem
        if path.endswith("IBAN"):
            if not _IBAN.fullmatch(re.sub(r"\s", "", raw).upper()):
                reason = "not an IBAN (2 letters, 2 check digits, up to 30 letters or digits)"
                return None, (where, reason, mask(raw))
            token = self.ctx.tokeniser.account_token("", raw)
            return _Account(account_key(token), token, "iban", raw, bic), None
        if not _ALNUM.search(raw):
            return None, (where, "account id has no letters or digits", raw)
        token = self.ctx.tokeniser.account_token(_bic8(bic), raw)
        return _Account(account_key(token), token, "account", raw, bic), None

    def _balance(self, bal: Flat) -> None:
        st = self.stmt
        if st is None:
            return
        kind = _value(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        text, ccy, sign = _value(bal, "Amt"), _value(bal, "Amt/@Ccy"), _value(bal, "CdtDbtInd")
        when = _find(bal, "Dt/Dt", "Dt/DtTm")
        valid = when is not None and _when(when[1], when[0].endswith("DtTm")) is not None
        day = _when(when[1][:10], False) if when and valid else None
        problem = (
            _amount_problem("Bal/Amt", text)
            or _currency_problem("Bal/Amt/@Ccy", ccy)
            or (None if sign in ("CRDT", "DBIT") else ("Bal/CdtDbtInd", "not CRDT or DBIT", None))
            or (None if day else ("Bal/Dt", "date is missing or not a date", None))
            or (None if kind else ("Bal/Tp", "type is missing", None))
        )
        if problem or not kind or day is None or text is None or ccy is None:
            where, reason = problem[:2] if problem else ("Bal", "incomplete")
            message = (
                f"statement {st.label}: a balance ({kind or '?'}) was left out: {where}: {reason}"
            )
            st.notes.append(("balance_invalid", message))
            return
        amount = Decimal(text) * (-1 if sign == "DBIT" else 1)
        kind = {"OPBD": "opening", "CLBD": "closing"}.get(kind, shorten(kind, ID_LIMIT) or kind)
        st.balances.append((kind, day.date(), amount, ccy))

    def _end_statement(self) -> None:
        st, self.stmt = self.stmt, None
        if st is None:
            return
        row = st.first_row if st.entries else 0
        for kind, message in st.notes:
            self.ctx.issue(row, kind, message)
        account = st.account
        if account is None:
            reason = f"{st.problem[0]}: {st.problem[1]}" if st.problem else "no account"
            self.ctx.issue(
                row, "statement_invalid", f"statement {st.label} was not stored: {reason}"
            )
            return
        record = f"{self.ctx.name}:stmt{st.n}:account"
        masked = mask(account.raw)
        self._add_account(account, st.currency, record, row)
        self._batch["identifiers"].append((record, account.scheme, account.token, masked, row))
        if st.owner:
            # Whether the owner is a person or an organisation, the statement does not say.
            party = f"{self.ctx.name}:stmt{st.n}:owner"
            self._batch["parties"].append((party, "legal_entity", st.owner, row))
            self._batch["account_holders"].append((account.key, party, "holder", row))
        kinds = [b[0] for b in st.balances]
        if "opening" not in kinds and "PRCD" in kinds:
            # The previous statement's closing balance opens this one.
            i = kinds.index("PRCD")
            st.balances[i] = ("opening", *st.balances[i][1:])
        for kind, day, amount, ccy in st.balances:
            self._batch["balances"].append((account.key, kind, day, amount, ccy, st.stmt_id, row))
        where = f"statement {st.label} of account {masked}"
        if st.pending:
            shown = ", ".join(map(str, st.pending[:10])) + (", ..." if len(st.pending) > 10 else "")
            message = (
                f"{where}: pending (PDNG) entries, stored but not booked yet and so left out of "
                f"the balance check: {len(st.pending)} (rows {shown})"
            )
            self.ctx.issue(row, "pending_entries", message)
        self._check_balances(st, where, row)
        self._maybe_flush()

    def _check_balances(self, st: _Statement, where: str, row: int) -> None:
        opening = next((b for b in st.balances if b[0] == "opening"), None)
        closing = next((b for b in st.balances if b[0] == "closing"), None)
        if opening is None or closing is None:
            if opening is None and closing is None:
                missing = "neither an opening (OPBD) nor a closing (CLBD) balance"
            else:
                missing = f"no {'opening (OPBD)' if opening is None else 'closing (CLBD)'} balance"
            message = f"{where} has {missing}, so its entries cannot be checked against them"
            self.ctx.issue(row, "balance_missing", message)
            return
        credits, debits = st.sums.get(opening[3], [Decimal(0), Decimal(0)])
        expected = opening[2] + credits - debits
        if expected == closing[2] and opening[3] == closing[3]:
            return
        others = [ccy for ccy in st.sums if ccy != opening[3]]
        extra = f"; entries in {', '.join(others)} were left out" if others else ""
        message = (
            f"{where}: opening {_fmt(opening[2])} + credits {_fmt(credits)} - debits {_fmt(debits)}"
            f" = {_fmt(expected)}, but closing balance is {_fmt(closing[2])}"
            f" (difference {_fmt(closing[2] - expected)}){extra}"
        )
        self.ctx.issue(row, "balance_mismatch", message)

    # Entries

    def _entry(self, ntry: Flat) -> None:
        self.rows += 1
        row, st = self.rows, self.stmt
        if st is None:
            raise FileFormatError(self.ctx.path, "an entry (Ntry) outside a statement", row=row)
        st.entries += 1
        text, ccy = _value(ntry, "Amt"), _value(ntry, "Amt/@Ccy")
        direction = _value(ntry, "CdtDbtInd")
        status = _value(ntry, "Sts/Cd", "Sts/Prtry", "Sts")
        amount = Decimal(text) if text and _AMOUNT.fullmatch(text) else None
        if amount is not None and ccy and direction in ("CRDT", "DBIT") and status == "BOOK":
            st.sums.setdefault(ccy, [Decimal(0), Decimal(0)])[int(direction == "DBIT")] += amount
        problem = st.problem or _head_problem(text, ccy, direction, status)
        if problem is None:
            assert amount is not None and ccy is not None  # _head_problem vouched for both
            credit = direction == "CRDT"
            problem = self._build(ntry, st, row=row, amount=amount, ccy=ccy, credit=credit)
        if problem is not None:
            self.ctx.quarantine(row, *problem)
            return
        if status == "PDNG":
            st.pending.append(row)
        self._maybe_flush()

    def _build(
        self, ntry: Flat, st: _Statement, *, row: int, amount: Decimal, ccy: str, credit: bool
    ) -> Problem | None:
        """Check the rest of an entry and queue its transaction; the problem if refused."""
        when = _find(ntry, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")
        if when is None:
            return "Ntry/BookgDt", "booking date is missing (neither BookgDt nor ValDt)", None
        ts = _when(when[1], when[0].endswith("DtTm"))
        if ts is None:
            reason = f"'{shorten(when[1], 40)}' is not a date (YYYY-MM-DD) or date-time"
            return f"Ntry/{when[0]}", reason, when[1]
        batch = len(ntry.get("NtryDtls/TxDtls", ()))
        # A batch booking's TxDtls are not used, so not checked either: an empty view.
        tx, side = "NtryDtls/TxDtls/", "Dbtr" if credit else "Cdtr"
        details = ntry if batch == 1 else {}
        name = _find(details, f"{tx}RltdPties/{side}/Nm", f"{tx}RltdPties/{side}/Pty/Nm")
        acct, agent = f"{tx}RltdPties/{side}Acct/Id/", f"{tx}RltdAgts/{side}Agt/FinInstnId/"
        number = _find(details, acct + "IBAN", acct + "Othr/Id")
        bic = _find(details, agent + "BIC", agent + "BICFI")
        e2e = _find(details, f"{tx}Refs/EndToEndId")
        extra = _find(details, f"{tx}AddtlTxInf")
        ustrd = [line for line in details.get(f"{tx}RmtInf/Ustrd", ()) if line]
        refs = {p: v for p in ("AcctSvcrRef", "NtryRef") if (v := _value(ntry, p))}
        info = _find(ntry, "AddtlNtryInf")
        checks = [(path, v, ID_LIMIT) for path, v in refs.items()]
        texts = [(info, TEXT_LIMIT), (name, TEXT_LIMIT), (extra, TEXT_LIMIT)]
        for found, limit in (*texts, (bic, ID_LIMIT), (e2e, ID_LIMIT)):
            if found:
                checks.append((found[0], found[1], limit))
        checks += [(f"{tx}RmtInf/Ustrd", line, TEXT_LIMIT) for line in ustrd]
        for path, value, limit in checks:
            problem = _check(f"Ntry/{path}", value, limit, ident=limit == ID_LIMIT)
            if problem:
                return problem
        other = None
        if number is not None:
            other, problem = self._make_account("Ntry/", number, bic[1] if bic else None)
            if other is None:
                return problem
            self._add_account(other, None, None, row)
        assert st.account is not None  # entries of a statement without one were refused
        mine, theirs = st.account.key, other.key if other else None
        ref = refs.get("AcctSvcrRef")
        ref = ref if ref and ref.upper() not in _NO_REF else refs.get("NtryRef")
        txn_id = ref if ref and ref.upper() not in _NO_REF else f"{self.ctx.name}:{row}"
        reference = e2e[1] if e2e and e2e[1].upper() not in _NO_REF else None
        parts = [f"batch of {batch} transactions"] if batch > 1 else []
        parts += [t for t in (info and info[1], " ".join(ustrd), extra and extra[1]) if t]
        counterparty = name[1] if name else None
        payer, payee = (theirs, mine) if credit else (mine, theirs)
        payer_name, payee_name = (counterparty, st.owner) if credit else (st.owner, counterparty)
        description = "; ".join(parts) or None
        txn = (txn_id, ts, payer, payee, amount, ccy, _channel(ntry), reference, description)
        self._batch["transactions"].append((*txn, payer_name, payee_name, row))
        direction = "credit" if credit else "debit"
        entry = (mine, st.stmt_id, txn_id, direction, counterparty, description, reference)
        self._batch["statement_entries"].append((*entry, row, row))
        return None

    # Writing

    def _add_account(
        self, acct: _Account, currency: str | None, record: str | None, row: int
    ) -> None:
        if acct.key not in self._accounts or record is not None:
            masked = mask(acct.raw)
            self._accounts[acct.key] = (
                acct.key,
                acct.token,
                acct.bank_id,
                masked,
                currency,
                record,
                row,
            )
        self._vault.setdefault(acct.token, (acct.scheme, acct.raw))

    def _maybe_flush(self) -> None:
        if sum(map(len, self._batch.values())) + len(self._accounts) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        ctx = self.ctx
        self._batch["accounts"] = list(self._accounts.values())
        for name, rows in self._batch.items():
            if not rows:
                continue
            cols = _BATCH_COLUMNS[name].split()
            view, picked = f"_camt_{name}", ", ".join(f"b.{c}" for c in cols)
            # Entries are stored as this file's transactions first; finish() merges them.
            sid_cols = "source_id, txn_source_id" if name == "statement_entries" else "source_id"
            sids = "$sid, $sid" if name == "statement_entries" else "$sid"
            sql = f"INSERT INTO {name} ({', '.join(cols)}, {sid_cols}) SELECT {picked}, {sids}"
            sql += f" FROM {view} b"
            if name == "accounts":
                sql += " ANTI JOIN accounts a ON a.account_key = b.account_key"
            ctx.append(view, _arrow(rows, name, cols), sql)
            rows.clear()
        ctx.vault.store(ctx.con, ((tok, scheme, raw) for tok, (scheme, raw) in self._vault.items()))
        self._accounts.clear()
        self._vault.clear()

    def finish(self) -> None:
        if self._ns is None:
            raise FileFormatError(self.ctx.path, "no camt.053 Document element found", row=0)
        if self.stmt is not None:
            raise FileFormatError(self.ctx.path, "the last statement is not closed", row=self.rows)
        self._flush()
        self.ctx.end_chunks()
        merged = absorb_entries(self.ctx.con, self.ctx.source_id)
        if merged:
            self.ctx.issue(
                0,
                "duplicate_movements",
                f"{merged} entries are movements already loaded from other files "
                "(same reference, amount, currency and minute); each is kept once, and what "
                "the statement adds (names, text) fills that transaction's empty fields",
            )
        self.ctx.con.execute(
            "UPDATE transactions SET txn_id = transactions.txn_id || '#' || d.n "
            "FROM (SELECT source_row, row_number() OVER (PARTITION BY txn_id ORDER BY source_row) "
            "AS n FROM transactions WHERE source_id = $sid) d "
            "WHERE transactions.source_id = $sid AND transactions.source_row = d.source_row "
            "AND d.n > 1",
            {"sid": self.ctx.source_id},
        )


def _arrow(rows: list[tuple[Any, ...]], name: str, cols: list[str]) -> pa.Table:
    types = {c.name: c.type for c in table(name).columns}
    columns = zip(*rows, strict=True)
    return pa.table(
        {c: pa.array(values, _ARROW[types[c]]) for c, values in zip(cols, columns, strict=True)}
    )


def _looks_like(head: bytes) -> bool:
    return (
        head.lstrip().startswith(b"<")
        and _NAMESPACE.search(head.decode("utf-8", "replace")) is not None
    )


READER = Format(
    FORMAT,
    read,
    _looks_like,
    "ISO 20022 camt.053 bank-to-customer statements, versions .02 to .13",
    "moneytrail ingest statement.xml",
    statement=True,
    date_field="Ntry/BookgDt",
)
