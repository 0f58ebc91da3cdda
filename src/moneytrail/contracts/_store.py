"""Compiled releases into the ocds_* warehouse tables, in Arrow batches.

Amounts are stored exactly: releases are parsed with Decimal numbers, and an
amount that is not a number (a string such as "1,000") is stored as NULL and
counted in one source issue per file and field. Identifiers (identifier.id)
and bank accounts (details.bankAccount) are tokenised; their raw values go to
the vault and never into a table.

Each distinct organisation of a file also becomes one row of the shared
`parties` table (party_id 'ocds:<id>'), with its identifier in `identifiers`,
so entity resolution and the money graph see buyers and suppliers too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import pyarrow as pa

from moneytrail.contracts import _release as r
from moneytrail.contracts._ocds import Compiled
from moneytrail.ingest._context import LoadContext
from moneytrail.model.tables import table
from moneytrail.privacy._tokens import mask

_BATCH = 20_000
_MONEY = pa.decimal128(38, 8)
_TAX_SCHEMES = ("EIN", "TIN", "RFC", "RUC", "NIT", "CUIT", "VAT")
_BUYER_ROLES = frozenset({"buyer", "procuringEntity", "payer", "funder"})
_TABLES = (
    "ocds_processes", "ocds_parties", "ocds_tenders", "ocds_bids", "ocds_awards",
    "ocds_contracts", "ocds_amendments", "ocds_transactions",
)  # fmt: skip
_DECIMALS = frozenset({"amount"})
_INTS = frozenset({"releases_merged", "number_of_tenderers"})


@lru_cache(maxsize=256)
def identifier_scheme(ocds_scheme: str | None) -> str:
    """The moneytrail scheme of an OCDS identifier: tax numbers share FtM's 'tax' tokens."""
    upper = (ocds_scheme or "").upper()
    return "tax" if any(k in upper for k in _TAX_SCHEMES) else "registration"


def one_line_address(address: object) -> str | None:
    """'street, locality, region postcode, country', the form the other readers record."""
    if not isinstance(address, dict):
        return None
    street = r.text(address, "streetAddress")
    locality = r.text(address, "locality")
    tail = " ".join(x for x in (r.text(address, "region"), r.text(address, "postalCode")) if x)
    parts = [x for x in (street, locality, tail or None, r.text(address, "countryName")) if x]
    return ", ".join(parts) or None


@dataclass
class Store:
    """Buffers the rows of one file's compiled releases and appends them in batches."""

    ctx: LoadContext
    _rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    _bad_amounts: Counter[str] = field(default_factory=Counter)
    _parties_seen: set[str] = field(default_factory=set)
    _vault: list[tuple[str, str, str]] = field(default_factory=list)
    _tokens: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def add(self, item: Compiled) -> None:
        rel, ocid, row = item.release, item.ocid, item.row
        buyer = r.obj(rel, "buyer")
        self._put(
            "ocds_processes", ocid, r.text(rel, "id"), r.text(rel, "date"),
            r.text(rel, "initiationType"), _id(buyer), r.text(buyer, "name"), item.merged, row,
        )  # fmt: skip
        self._parties(rel, ocid, row)
        tender = r.obj(rel, "tender")
        if tender is not None:
            self._tender(tender, ocid, row)
        for bid in r.bid_details(rel) or []:
            amount, currency = self._money(bid, "bids.details.value")
            tenderers: list[str | None] = [*r.ids_of(r.arr(bid, "tenderers"))] or [None]
            for tenderer in tenderers:
                self._put(
                    "ocds_bids", ocid, _id(bid), r.text(bid, "status"), r.text(bid, "date"),
                    tenderer, amount, currency, row,
                )  # fmt: skip
        for award in r.arr(rel, "awards"):
            amount, currency = self._money(award, "awards.value")
            suppliers = [s for s in r.arr(award, "suppliers") if isinstance(s, dict)] or [{}]
            for supplier in suppliers:
                self._put(
                    "ocds_awards", ocid, _id(award), r.text(award, "status"),
                    r.text(award, "date"), _id(supplier), r.text(supplier, "name"),
                    amount, currency, row,
                )  # fmt: skip
            self._amendments(award, "award", ocid, row)
        for contract in r.arr(rel, "contracts"):
            self._contract(contract, ocid, row)
        if sum(len(v) for v in self._rows.values()) >= _BATCH:
            self.flush()

    def _tender(self, tender: r.Obj, ocid: str, row: int) -> None:
        amount, currency = self._money(tender, "tender.value")
        period = r.obj(tender, "tenderPeriod")
        count = tender.get("numberOfTenderers")
        self._put(
            "ocds_tenders", ocid, _id(tender), r.text(tender, "title"), r.text(tender, "status"),
            r.text(tender, "procurementMethod"), r.text(tender, "procurementMethodDetails"),
            r.text(tender, "mainProcurementCategory"), _id(r.obj(tender, "procuringEntity")),
            amount, currency, r.text(period, "startDate"), r.text(period, "endDate"),
            count if type(count) is int and 0 <= count < 2**31 else None, row,
        )  # fmt: skip
        self._amendments(tender, "tender", ocid, row)

    def _contract(self, contract: object, ocid: str, row: int) -> None:
        if not isinstance(contract, dict):
            return
        amount, currency = self._money(contract, "contracts.value")
        period = r.obj(contract, "period")
        self._put(
            "ocds_contracts", ocid, _id(contract), _text_or_number(contract.get("awardID")),
            r.text(contract, "status"), r.text(contract, "dateSigned"),
            r.text(period, "startDate"), r.text(period, "endDate"), amount, currency, row,
        )  # fmt: skip
        self._amendments(contract, "contract", ocid, row)
        for txn in r.arr(r.obj(contract, "implementation"), "transactions"):
            # OCDS 1.1 names the money `value`; 1.0 named it `amount`.
            key = "value" if isinstance(r.obj(txn, "value"), dict) else "amount"
            amount, currency = self._money(txn, f"contracts.implementation.transactions.{key}", key)
            self._put(
                "ocds_transactions", ocid, _id(contract), _id(txn), r.text(txn, "date"),
                _id(r.obj(txn, "payer")), _id(r.obj(txn, "payee")), amount, currency, row,
            )  # fmt: skip

    def _amendments(self, parent: r.Obj, stage: str, ocid: str, row: int) -> None:
        amendments = r.arr(parent, "amendments") or (
            [parent["amendment"]] if isinstance(parent.get("amendment"), dict) else []
        )
        for amendment in amendments:
            if isinstance(amendment, dict):
                self._put(
                    "ocds_amendments", ocid, stage, None if stage == "tender" else _id(parent),
                    _id(amendment), r.text(amendment, "date"), r.text(amendment, "rationale"),
                    r.text(amendment, "description"), row,
                )  # fmt: skip

    def _parties(self, rel: r.Release, ocid: str, row: int) -> None:
        for party in r.arr(rel, "parties"):
            if not isinstance(party, dict):
                continue
            pid = _id(party)
            roles = [x for x in r.arr(party, "roles") if isinstance(x, str)]
            ident = r.obj(party, "identifier")
            raw_id = _text_or_number(ident.get("id")) if ident else None
            id_scheme = r.text(ident, "scheme")
            id_token = id_masked = None
            scheme = identifier_scheme(id_scheme)
            if raw_id:
                id_token, id_masked = self._token(scheme, raw_id)
            bank = _text_or_number(r.obj(party, "details") and party["details"].get("bankAccount"))
            bank_token = bank_masked = None
            if bank:
                bank_token, bank_masked = self._token("account_number", bank)
            address = one_line_address(party.get("address"))
            contact = r.text(r.obj(party, "contactPoint"), "name")
            self._put(
                "ocds_parties", ocid, pid or "", r.text(party, "name"), "; ".join(roles) or None,
                id_scheme, id_token, id_masked, address, contact, bank_token, bank_masked, row,
            )  # fmt: skip
            if pid and pid not in self._parties_seen:
                self._parties_seen.add(pid)
                record = f"ocds:{pid}"
                kind = "organization" if _BUYER_ROLES & set(roles) else "company"
                self._put(
                    "parties", record, kind, r.text(party, "name"), address,
                    id_token if scheme == "registration" else None,
                    id_token if scheme == "tax" else None, row,
                )  # fmt: skip
                if id_token:
                    self._put("identifiers", record, scheme, id_token, id_masked, row)
                if bank_token:
                    self._put("identifiers", record, "account_number", bank_token, bank_masked, row)

    def _token(self, scheme: str, raw: str) -> tuple[str, str]:
        """Token and masked form; a supplier recurs in many processes, so each value is
        tokenised and sent to the vault once per file."""
        key = (scheme, raw)
        found = self._tokens.get(key)
        if found is None:
            token = self.ctx.tokeniser.token(scheme, raw)
            found = self._tokens[key] = (token, mask(raw, scheme))
            self._vault.append((token, scheme, raw))
        return found

    def _money(self, parent: object, where: str, key: str = "value") -> tuple[Any, Any]:
        value = r.obj(parent, key)
        if value is None:
            return None, None
        amount = value.get("amount")
        currency = r.text(value, "currency")
        if amount is None or isinstance(amount, bool):
            return None, currency
        if isinstance(amount, int | Decimal):
            return _fits(Decimal(amount)), currency
        if isinstance(amount, float):
            return _fits(Decimal(str(amount))), currency
        if isinstance(amount, str):
            try:
                return _fits(Decimal(amount.strip())), currency
            except InvalidOperation:
                pass
        self._bad_amounts[where] += 1
        return None, currency

    def _put(self, name: str, *values: Any) -> None:
        self._rows.setdefault(name, []).append(values)

    def flush(self) -> None:
        if self._vault:
            self.ctx.vault.store(self.ctx.con, self._vault)
            self._vault.clear()
        for name in (*_TABLES, "parties", "identifiers"):
            rows = self._rows.pop(name, None)
            if rows:
                self._append(name, rows)

    def _append(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        columns = _columns(name)
        arrays = {}
        for i, col in enumerate(columns):
            values = [row[i] for row in rows]
            arrays[col] = pa.array(values, _arrow_type(col))
        arrays["source_row"] = pa.array([row[-1] for row in rows], pa.int64())
        batch = pa.table(arrays)
        names = ", ".join(columns)
        self.ctx.append(
            f"_ocds_{name}",
            batch,
            f"INSERT INTO {name} ({names}, source_id, source_row) "
            f"SELECT {names}, $sid, source_row FROM _ocds_{name}",
        )

    def finish(self) -> None:
        self.flush()
        for where, count in sorted(self._bad_amounts.items()):
            self.ctx.issue(
                0,
                "bad_amount",
                f"{count} amount(s) in {where}.amount are not numbers; stored as NULL",
            )


# Shared tables other stages may widen: name the columns filled here.
_SHARED = {
    "parties": ["party_id", "kind", "name", "address", "registration_token", "tax_token"],
    "identifiers": ["record_id", "scheme", "token", "masked"],
}


def _columns(name: str) -> list[str]:
    """The columns this module fills, in the order of its row tuples (provenance last)."""
    if name in _SHARED:
        return _SHARED[name]
    return [c for c in table(name).column_names() if c not in ("source_id", "source_row")]


def _arrow_type(column: str) -> pa.DataType:
    if column in _DECIMALS or column == "value":
        return _MONEY
    if column in _INTS:
        return pa.int32()
    return pa.string()


def _fits(amount: Decimal) -> Decimal | None:
    """Amounts DECIMAL(38,8) can hold, rounded to 8 places; others are not stored."""
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 30:
        return None
    return amount.quantize(Decimal("1e-8"))


def _id(value: object) -> str | None:
    return _text_or_number(value.get("id")) if isinstance(value, dict) else None


def _text_or_number(value: object) -> str | None:
    """OCDS ids are strings, but publishers often write numbers."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        return str(value)
    return None


def store_all(ctx: LoadContext, items: Iterable[Compiled]) -> int:
    store = Store(ctx)
    n = 0
    for item in items:
        store.add(item)
        n += 1
    store.finish()
    return n
