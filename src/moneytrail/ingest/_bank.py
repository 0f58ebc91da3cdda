"""Writing bank statements read by the mt940, ofx, bai2, bank-csv and pdf readers.

A reader parses its format into `Statement`s and `Movement`s; this module turns
them into canonical rows, the same way for every format:

- the statement's account is tokenised (an IBAN without a bank, since it names
  its bank; another number with the bank id the file gives, or '' when none);
  its raw number goes to the vault only, and `identifiers` gets its token;
- a movement is a transaction between the statement's account and the
  counterparty's (NULL when the file names none): a credit (positive amount) is
  paid into the statement's account, a debit out of it; amounts are stored
  positive, the direction is in from/to and in `statement_entries`;
- txn_id is the bank's own id for the movement (FITID, bank reference) when
  the file gives one, else 'file:row'; an id repeated within the file gets
  '#2', '#3', ...;
- opening and closing balances are stored, and opening + movements = closing is
  checked per statement, counting every movement whose amount could be read
  (quarantined for another reason or not: the bank's balance includes it);
- a movement that cannot be stored is quarantined with the record (row: the
  line number in the file, or the reader's record number) and the field at
  fault; the rest of the statement is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from moneytrail.ingest._codes import ISO_CURRENCIES
from moneytrail.ingest._context import LoadContext, shorten
from moneytrail.model.tables import table
from moneytrail.privacy import account_key, mask

TEXT_LIMIT = 1000
ID_LIMIT = 64
BATCH_ROWS = 5000
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_ALNUM = re.compile(r"[0-9A-Za-z]")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NO_REF = frozenset({"", "NONREF", "NOTPROVIDED", "NONE"})

_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "DECIMAL(38,8)": pa.decimal128(38, 8),
}
_COLUMNS = {
    "accounts": "account_key account_token bank_id masked currency record_id source_row",
    "transactions": "txn_id ts from_account to_account amount currency channel reference "
    "description from_party to_party source_row",
    "balances": "account_key kind balance_date amount currency statement_id source_row",
    "identifiers": "record_id scheme token masked source_row",
    "statement_entries": "account_key statement_id entry_ref direction counterparty description "
    "reference txn_source_row source_row",
}


def fmt_amount(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    places = min(-2, exponent) if isinstance(exponent, int) else -2
    return f"{value.quantize(Decimal(1).scaleb(places)):f}"


def clean_ref(value: str | None) -> str | None:
    """A reference, or None for the placeholders banks write when there is none."""
    if value is None:
        return None
    value = value.strip()
    return None if value.upper() in _NO_REF else value


@dataclass
class Movement:
    """One booked movement as a statement shows it; amount signed (credit positive)."""

    row: int
    booked: datetime
    amount: Decimal
    currency: str
    bank_ref: str | None = None
    reference: str | None = None
    counterparty: str | None = None
    counterparty_account: str | None = None
    counterparty_bank: str | None = None
    text: str | None = None
    channel: str = "transfer"


@dataclass
class Statement:
    """A statement (or an account's section of a report) and its balances."""

    account: str
    bank: str
    first_row: int
    currency: str | None = None
    statement_id: str | None = None
    owner: str | None = None
    opening: tuple[date, Decimal] | None = None
    closing: tuple[date, Decimal] | None = None
    interim: bool = False
    label: str = ""
    # Running totals, kept by the writer.
    read_sum: Decimal = Decimal(0)
    movements: int = 0
    other_currencies: set[str] = field(default_factory=set)
    key: int | None = None


class StatementWriter:
    """Queues a file's statements and movements and writes them in batches."""

    def __init__(self, ctx: LoadContext, field_names: dict[str, str]) -> None:
        self.ctx = ctx
        self.fields = field_names  # our field -> the format's name for it, for quarantine
        self.rows = 0
        self._batch: dict[str, list[tuple[Any, ...]]] = {n: [] for n in _COLUMNS}
        self._accounts: dict[int, tuple[Any, ...]] = {}
        self._vault: dict[str, tuple[str, str]] = {}
        self._stmt: Statement | None = None
        self._statements = 0
        self._given_ids = 0  # movements with the bank's own id

    # Statements

    def begin(self, st: Statement) -> None:
        """Start a statement; its movements follow, then `end`."""
        self._statements += 1
        st.label = st.label or st.statement_id or f"#{self._statements}"
        self._stmt = st
        problem = self._account_problem(st.account)
        if problem is None:
            token, scheme = self._token(st.bank, st.account)
            st.key = account_key(token)
            record = f"{self.ctx.name}:stmt{self._statements}:account"
            self._add_account(
                st.key, token, scheme, st.account, st.bank, st.currency, record, st.first_row
            )
            self._batch["identifiers"].append(
                (record, scheme, token, mask(st.account), st.first_row)
            )
        else:
            self.ctx.issue(
                st.first_row,
                "statement_invalid",
                f"statement {st.label}: its movements were not stored: {self.fields['account']}: {problem}",
            )

    def end(self, closing: tuple[date, Decimal] | None = None) -> None:
        """Close the statement: store its balances and check them."""
        st, self._stmt = self._stmt, None
        if st is None:
            return
        if closing is not None:
            st.closing = closing
        if st.key is not None:
            ccy = st.currency or ""
            for kind, bal in (("opening", st.opening), ("closing", st.closing)):
                if bal is not None and ccy:
                    row = (st.key, kind, bal[0], bal[1], ccy, st.statement_id, st.first_row)
                    self._batch["balances"].append(row)
        self._check(st)
        self._maybe_flush()

    def _check(self, st: Statement) -> None:
        where = f"statement {st.label}" + (f" of account {mask(st.account)}" if st.account else "")
        if st.opening is None or st.closing is None:
            if st.interim:
                return  # an interim report (MT942) carries no balances to check
            missing = (
                "neither an opening nor a closing balance"
                if st.opening is None and st.closing is None
                else f"no {'opening' if st.opening is None else 'closing'} balance"
            )
            self.ctx.issue(
                st.first_row,
                "balance_missing",
                f"{where} has {missing}, so its movements cannot be checked against them",
            )
            return
        expected = st.opening[1] + st.read_sum
        if expected == st.closing[1]:
            return
        extra = (
            f"; movements in {', '.join(sorted(st.other_currencies))} were left out"
            if st.other_currencies
            else ""
        )
        self.ctx.issue(
            st.first_row,
            "balance_mismatch",
            f"{where}: opening {fmt_amount(st.opening[1])} + movements {fmt_amount(st.read_sum)}"
            f" = {fmt_amount(expected)}, but the closing balance is {fmt_amount(st.closing[1])}"
            f" (difference {fmt_amount(st.closing[1] - expected)}){extra}",
        )

    # Movements

    def seen(self, amount: Decimal, currency: str | None) -> None:
        """Count a movement's amount in the balance check (called for every readable amount)."""
        st = self._stmt
        if st is None:
            return
        st.movements += 1
        if currency and st.currency and currency != st.currency:
            st.other_currencies.add(currency)
            return
        st.read_sum += amount

    def refuse(self, row: int, our_field: str, reason: str, original: str | None) -> None:
        self.rows += 1
        self.ctx.quarantine(row, self.fields.get(our_field, our_field), reason, original)

    def movement(self, m: Movement) -> None:
        """Store a movement of the open statement, or quarantine it with the field at fault."""
        st = self._stmt
        self.rows += 1
        if st is None or st.key is None:
            reason = "the statement it belongs to names no usable account"
            self.ctx.quarantine(m.row, self.fields["account"], reason, None)
            return
        if m.currency not in ISO_CURRENCIES:
            self.ctx.quarantine(
                m.row,
                self.fields["currency"],
                f"'{shorten(m.currency, 40)}' is not an ISO 4217 currency",
                m.currency,
            )
            return
        checks = (
            ("bank_ref", m.bank_ref, ID_LIMIT),
            ("reference", m.reference, TEXT_LIMIT),
            ("counterparty", m.counterparty, TEXT_LIMIT),
            ("text", m.text, TEXT_LIMIT * 4),
        )
        for name, value, limit in checks:
            problem = _text_problem(value, limit)
            if problem:
                self.ctx.quarantine(m.row, self.fields.get(name, name), problem, value)
                return
        other = None
        if m.counterparty_account and self._account_problem(m.counterparty_account) is None:
            token, scheme = self._token(m.counterparty_bank or "", m.counterparty_account)
            other = account_key(token)
            self._add_account(
                other,
                token,
                scheme,
                m.counterparty_account,
                m.counterparty_bank,
                None,
                None,
                m.row,
            )
        credit = m.amount >= 0
        mine = st.key
        payer, payee = (other, mine) if credit else (mine, other)
        payer_name, payee_name = (
            (m.counterparty, st.owner) if credit else (st.owner, m.counterparty)
        )
        given = clean_ref(m.bank_ref)
        self._given_ids += given is not None
        txn_id = given or f"{self.ctx.name}:{m.row}"
        reference = clean_ref(m.reference)
        self._batch["transactions"].append(
            (
                txn_id,
                m.booked,
                payer,
                payee,
                abs(m.amount),
                m.currency,
                m.channel,
                reference,
                m.text,
                payer_name,
                payee_name,
                m.row,
            )
        )
        self._batch["statement_entries"].append(
            (
                mine,
                st.statement_id,
                txn_id,
                "credit" if credit else "debit",
                m.counterparty,
                m.text,
                reference,
                m.row,
                m.row,
            )
        )
        self._maybe_flush()

    # Accounts

    def _account_problem(self, number: str) -> str | None:
        if not number or not _ALNUM.search(number):
            return "the account number is missing or has no letters or digits"
        if len(number) > ID_LIMIT:
            return f"the account number is {len(number)} characters long; the limit is {ID_LIMIT}"
        if _CTRL.search(number):
            return "the account number contains a control character"
        return None

    def _token(self, bank: str, number: str) -> tuple[str, str]:
        compact = re.sub(r"\s", "", number).upper()
        if _IBAN.fullmatch(compact):
            return self.ctx.tokeniser.account_token("", compact), "iban"
        return self.ctx.tokeniser.account_token(bank or "", number), "account"

    def _add_account(
        self,
        key: int,
        token: str,
        scheme: str,
        raw: str,
        bank: str | None,
        currency: str | None,
        record: str | None,
        row: int,
    ) -> None:
        if key not in self._accounts or record is not None:
            bank_id = shorten(bank, ID_LIMIT) if bank else None
            self._accounts[key] = (key, token, bank_id, mask(raw), currency, record, row)
        self._vault.setdefault(token, (scheme, raw))

    # Writing

    def _maybe_flush(self) -> None:
        if sum(map(len, self._batch.values())) + len(self._accounts) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        ctx = self.ctx
        self._batch["accounts"] = list(self._accounts.values())
        for name, rows in self._batch.items():
            if not rows:
                continue
            cols = _COLUMNS[name].split()
            view, picked = f"_bank_{name}", ", ".join(f"b.{c}" for c in cols)
            entries = name == "statement_entries"
            sid_cols = "source_id, txn_source_id" if entries else "source_id"
            sids = "$sid, $sid" if entries else "$sid"
            sql = f"INSERT INTO {name} ({', '.join(cols)}, {sid_cols}) SELECT {picked}, {sids}"
            sql += f" FROM {view} b"
            if name == "accounts":
                sql += " ANTI JOIN accounts a ON a.account_key = b.account_key"
            ctx.append(view, _arrow(rows, name, cols), sql)
            rows.clear()
        ctx.vault.store(ctx.con, ((tok, scheme, raw) for tok, (scheme, raw) in self._vault.items()))
        self._accounts.clear()
        self._vault.clear()

    def finish(self) -> int:
        """Write what is queued and make ids unique within the file; return rows read."""
        self.flush()
        if not self._given_ids:
            return self.rows  # 'file:row' ids are unique
        # An id the bank repeated gets '#2', '#3', ... in file order. The repeated ids
        # are found by an aggregate over the file's stored rows, which DuckDB spills
        # to disk under the load's memory limit, and only their rows are numbered
        # and rewritten: memory follows the repeats, not the file.
        self.ctx.con.execute(
            "UPDATE transactions SET txn_id = transactions.txn_id || '#' || d.n "
            "FROM (SELECT source_row, row_number() OVER (PARTITION BY txn_id ORDER BY source_row)"
            " AS n FROM transactions WHERE source_id = $sid AND txn_id IN (SELECT txn_id"
            " FROM transactions WHERE source_id = $sid GROUP BY txn_id HAVING count(*) > 1)) d "
            "WHERE transactions.source_id = $sid AND transactions.source_row = d.source_row "
            "AND d.n > 1",
            {"sid": self.ctx.source_id},
        )
        return self.rows


def _text_problem(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    if len(value) > limit:
        return f"value is {len(value)} characters long; the limit is {limit}"
    bad = _CTRL.search(value)
    if bad:
        return f"value contains the control character U+{ord(bad.group()):04X}"
    return None


def _arrow(rows: list[tuple[Any, ...]], name: str, cols: list[str]) -> pa.Table:
    types = {c.name: c.type for c in table(name).columns}
    columns = zip(*rows, strict=True)
    return pa.table(
        {c: pa.array(values, _ARROW[types[c]]) for c, values in zip(cols, columns, strict=True)}
    )
