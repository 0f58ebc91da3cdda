"""Keyed-HMAC tokens and masked display forms of identifiers.

A token is HMAC-SHA256(key, "scheme:normalised value"), hex, truncated to 128
bits. The same value gets the same token in Python and in DuckDB SQL (the
`mt_token` macro), so bulk tokenising runs vectorised inside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import duckdb

TOKEN_HEX = 32
# Accounts are keyed by 60 bits of their token: a positive BIGINT that graph
# kernels can index, with collisions checked at insert (accounts' primary key).
ACCOUNT_KEY_HEX = 15

_DIGIT_SCHEMES = frozenset({"ssn", "itin", "ein", "tin"})
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def normalise(scheme: str, value: str) -> str:
    """The canonical text of an identifier: what equal values share."""
    if scheme in _DIGIT_SCHEMES:
        return re.sub(r"\D", "", value)
    return _NON_ALNUM.sub("", value).upper()


def mask(value: str, scheme: str = "account") -> str:
    """Display form showing only the last four characters."""
    clean = normalise(scheme, value)
    last = clean[-4:]
    if scheme in ("ssn", "itin"):
        return f"***-**-{last.rjust(4, '*')}"
    if scheme == "ein":
        return f"**-***{last.rjust(4, '*')}"
    return "****" + last


def account_key(token: str) -> int:
    """The numeric account key carried by transactions for an account token."""
    return int(token[:ACCOUNT_KEY_HEX], 16)


class Tokeniser:
    """Turns identifiers into keyed tokens, in Python or inside DuckDB."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the tokenisation key must be at least 32 bytes")
        self._key = key

    def token(self, scheme: str, value: str) -> str:
        return self._hmac(f"{scheme}:{normalise(scheme, value)}")

    def account_token(self, bank: str, number: str) -> str:
        """Token of an account: the bank and the number together name it."""
        return self._hmac(f"account:{normalise('bank', bank)}|{normalise('account', number)}")

    def _hmac(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()[:TOKEN_HEX]

    def token_sql(self, message: str) -> str:
        """The token of the text that SQL expression `message` gives, as DuckDB SQL.

        Written once: DuckDB runs it as a macro (install_sql), Spark as rendered
        by moneytrail.spark._sql. HMAC spelled out over SHA-256, with the key's
        inner and outer pads as constants.
        """
        block = self._key if len(self._key) <= 64 else hashlib.sha256(self._key).digest()
        block = block.ljust(64, b"\0")
        ipad = bytes(b ^ 0x36 for b in block).hex()
        opad = bytes(b ^ 0x5C for b in block).hex()
        return (
            f"substr(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || "
            f"encode({message})))), 1, {TOKEN_HEX})"
        )

    def account_sql(self, bank: str, number: str) -> str:
        """account_token() of SQL expressions `bank` and `number`, as DuckDB SQL."""
        return self.token_sql(f"'account:' || {_alnum_sql(bank)} || '|' || {_alnum_sql(number)}")

    def install_sql(self, con: duckdb.DuckDBPyConnection) -> None:
        """Define `mt_token(message)` and `mt_account(bank, number)` for this connection.

        The macros are TEMP: they live in the connection, never in the file.
        """
        con.execute(
            f"CREATE OR REPLACE TEMP MACRO mt_token(message) AS {self.token_sql('message')}"
        )
        # Mirrors account_token(): letters and digits of bank and number, upper-cased.
        con.execute(f"CREATE OR REPLACE TEMP MACRO mt_alnum(v) AS {_alnum_sql('v')}")
        con.execute(
            "CREATE OR REPLACE TEMP MACRO mt_account(bank, number) AS "
            "mt_token('account:' || mt_alnum(bank) || '|' || mt_alnum(number))"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP MACRO mt_account_key(token) AS {account_key_sql('token')}"
        )


def _alnum_sql(value: str) -> str:
    return f"upper(regexp_replace({value}, '[^0-9A-Za-z]', '', 'g'))"


def account_key_sql(token: str) -> str:
    """account_key() of SQL expression `token`, as DuckDB SQL."""
    return f"('0x' || substr({token}, 1, {ACCOUNT_KEY_HEX}))::BIGINT"
