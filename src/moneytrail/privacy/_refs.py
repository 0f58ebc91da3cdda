"""How moneytrail names an account to a person, and how any such name finds it again.

An account is shown as its bank, its masked number and a tag:

    NWBKGB2L ****0001 #k3f9

The tag is four base-32 characters of SHA-256 over the account's token. The
token is a keyed HMAC of bank and number (`Tokeniser.account_token`), so the
tag is the same on every run and machine that shares the workspace's token key,
and says nothing about the number to whoever lacks that key. Two accounts whose
numbers end in the same digits at the same bank get the same tag with a chance
of one in 2**20 (about a million).

`find_account` takes any reference moneytrail prints for an account: its key
(`trace --json`, `alerts`), the display above (or only its tag), the trace's
`****0001 (KEY)` label, its token, or the id of the account entity resolution
made of it; and returns the account. A reference that names nothing, or two
different accounts, is an UnknownReferenceError saying so.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

import duckdb

from moneytrail.errors import UnknownReferenceError
from moneytrail.privacy._tokens import TOKEN_HEX

TAG_CHARS = 4
_TOKEN = re.compile(rf"^[0-9a-f]{{{TOKEN_HEX}}}$")
_TAG = re.compile(rf"#([a-z2-7]{{{TAG_CHARS}}})\b")
_KEY_IN_LABEL = re.compile(r"\((\d{1,19})\)\s*$")
_MASKED = re.compile(r"(\*{4}[0-9A-Z]{0,4})")


def account_tag(token: str) -> str:
    """The short tag that tells apart accounts with the same masked number."""
    digest = hashlib.sha256(f"moneytrail account tag|{token}".encode()).digest()
    return base64.b32encode(digest).decode()[:TAG_CHARS].lower()


def account_display(bank: str | None, masked: str, token: str) -> str:
    """`BANK ****1234 #tag` (the bank left out where no source names it)."""
    parts = [bank.strip()] if bank and bank.strip() else []
    return " ".join([*parts, masked, f"#{account_tag(token)}"])


@dataclass(frozen=True)
class AccountRef:
    """One account as references name it; `ref` is the canonical one (its key)."""

    account_key: int
    token: str
    bank: str | None
    masked: str
    scheme: str  # "account" (bank + number) or "iban" (tokenised without a bank)

    @property
    def ref(self) -> str:
        return str(self.account_key)

    @property
    def display(self) -> str:
        return account_display(self.bank, self.masked, self.token)

    def as_json(self) -> dict[str, str]:
        return {"ref": self.ref, "display": self.display}


_COLUMNS = (
    "a.account_key, a.account_token, any_value(a.bank_id), any_value(a.masked), any_value(v.scheme)"
)
_FROM = "accounts a LEFT JOIN vault v ON v.token = a.account_token"


def accounts_by_key(con: duckdb.DuckDBPyConnection, keys: list[int]) -> dict[int, AccountRef]:
    """account_key -> AccountRef for each key that names an account."""
    found = _where(con, "a.account_key IN (SELECT unnest(?))", [sorted(set(keys))])
    return {r.account_key: r for r in found}


def displays(con: duckdb.DuckDBPyConnection, keys: list[int]) -> dict[int, str]:
    """account_key -> display for each key that names an account."""
    return {k: r.display for k, r in accounts_by_key(con, keys).items()}


def find_account(con: duckdb.DuckDBPyConnection, reference: str) -> AccountRef:
    """The account any printed reference names; UnknownReferenceError otherwise."""
    text = reference.strip()
    found = _candidates(con, text)
    keys = sorted({r.account_key for r in found})
    if not keys:
        raise UnknownReferenceError(
            f"no account {text!r}: give the key (as `trace --json` and `alerts` print it), "
            "the display (BANK ****1234 #tag), the token or the account entity's id"
        )
    if len(keys) > 1:
        shown = "; ".join(f"{r.display} (key {r.account_key})" for r in found[:5])
        raise UnknownReferenceError(
            f"{text!r} names {len(keys)} accounts ({shown}); give one of their keys"
        )
    return found[0]


def _candidates(con: duckdb.DuckDBPyConnection, text: str) -> list[AccountRef]:
    label_key = _KEY_IN_LABEL.search(text)
    if text.isdigit() or label_key:
        key = int(label_key.group(1) if label_key else text)
        return list(accounts_by_key(con, [key]).values()) if key < 2**63 else []
    if _TOKEN.match(text.lower()):
        return _where(con, "a.account_token = ?", [text.lower()])
    tag = _TAG.search(text)
    if tag:
        masked = _MASKED.search(text.upper())
        rows = _where(con, "a.masked = ?", [masked.group(1)]) if masked else _where(con, "TRUE", [])
        return [r for r in rows if account_tag(r.token) == tag.group(1)]
    return _entity_accounts(con, text)


def _where(
    con: duckdb.DuckDBPyConnection, condition: str, params: list[object]
) -> list[AccountRef]:
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM {_FROM} WHERE {condition} "
        "GROUP BY a.account_key, a.account_token ORDER BY a.account_key",
        params,
    ).fetchall()
    return [_ref(r) for r in rows]


def _entity_accounts(con: duckdb.DuckDBPyConnection, entity_id: str) -> list[AccountRef]:
    """The accounts an account entity is made of (none before resolution has run)."""
    try:
        return _where(
            con,
            "a.account_token IN (SELECT r.id_token FROM entity_members m "
            "JOIN resolve_records r ON r.record_id = m.member_id AND r.kind = 'account' "
            "WHERE m.entity_id = ? AND m.kind = 'account')",
            [entity_id],
        )
    except duckdb.CatalogException:
        return []


def _ref(row: tuple[object, ...]) -> AccountRef:
    key, token, bank, masked, scheme = row
    return AccountRef(
        account_key=int(str(key)),
        token=str(token),
        bank=None if bank is None else str(bank),
        masked=str(masked),
        scheme=str(scheme) if scheme else "account",
    )
