"""The vault: raw identifier values, encrypted at rest, revealed only on record.

The record is the audit chain of the case store, written by `moneytrail.reveal`.

Values are encrypted with AES-GCM under a per-workspace key; the token is bound
as associated data, so a ciphertext copied onto another token does not decrypt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import duckdb
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from moneytrail._sql import first_row, scalar
from moneytrail.errors import VaultError

_NONCE = 12


class Vault:
    """Encrypts, stores and reads vault values.

    `source_id` names the load that stores through this vault (see `for_load`):
    the values it stores first carry it, so that a failed load can delete them.
    """

    def __init__(self, key: bytes, source_id: int | None = None) -> None:
        if len(key) != 32:
            raise VaultError("the vault key must be 32 bytes (AES-256)")
        self._key = key
        self._aead = AESGCM(key)
        self.source_id = source_id

    def for_load(self, source_id: int) -> Vault:
        """The same vault, storing values on behalf of the load of `source_id`."""
        return Vault(self._key, source_id)

    def encrypt(self, token: str, raw: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, raw.encode(), token.encode())

    def decrypt(self, token: str, blob: bytes) -> str:
        try:
            return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], token.encode()).decode()
        except InvalidTag as exc:
            raise VaultError(
                f"vault entry for token {token} does not decrypt: wrong workspace key "
                "or a tampered entry"
            ) from exc

    def store(self, con: duckdb.DuckDBPyConnection, entries: Iterable[tuple[str, str, str]]) -> int:
        """Store (token, scheme, raw) entries not yet in the vault; return how many were new."""
        tokens: list[str] = []
        schemes: list[str] = []
        blobs: list[bytes] = []
        seen: set[str] = set()
        for token, scheme, raw in entries:
            if token in seen:
                continue
            seen.add(token)
            tokens.append(token)
            schemes.append(scheme)
            blobs.append(self.encrypt(token, raw))
        if not tokens:
            return 0
        # Arrow (with numpy) only when something is stored: a command that opens the
        # warehouse to read it (status, quarantine) starts 0.15 s sooner without it
        import pyarrow as pa  # noqa: PLC0415

        from moneytrail import _arrow as arrow  # noqa: PLC0415

        batch = arrow.table(
            {
                "token": arrow.bytes_array([t.encode() for t in tokens], pa.string()),
                "scheme": arrow.bytes_array([t.encode() for t in schemes], pa.string()),
                "ciphertext": arrow.bytes_array(blobs, pa.binary()),
            }
        )
        before = _count(con)
        con.register("_vault_batch", batch)
        try:
            con.execute(
                "INSERT INTO vault (token, scheme, ciphertext, source_id)"
                " SELECT b.token, b.scheme, b.ciphertext, ? FROM _vault_batch b"
                " ANTI JOIN vault v ON v.token = b.token",
                [self.source_id],
            )
        finally:
            con.unregister("_vault_batch")
        return _count(con) - before

    def read(self, con: duckdb.DuckDBPyConnection, token: str) -> tuple[str, str]:
        """(scheme, raw value) behind a token.

        Not a reveal by itself: the one caller outside tests is the audited reveal
        (`moneytrail.reveal`), which decides on a case's legal basis and writes the
        audit chain before it hands a value to anyone.
        """
        row = first_row(con, "SELECT scheme, ciphertext FROM vault WHERE token = ?", [token])
        if row is None:
            raise VaultError(f"no vault entry for token {token}")
        return str(row[0]), self.decrypt(token, bytes(row[1]))


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "SELECT count(*) FROM vault"))
