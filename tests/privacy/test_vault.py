from __future__ import annotations

import pytest

from moneytrail.errors import VaultError
from moneytrail.privacy import Vault
from moneytrail.warehouse import Warehouse


def test_store_and_read(warehouse: Warehouse) -> None:
    vault = warehouse.vault
    assert (
        vault.store(warehouse.con, [("t1", "ssn", "123-45-6789"), ("t1", "ssn", "123-45-6789")])
        == 1
    )
    assert (
        vault.store(warehouse.con, [("t1", "ssn", "123-45-6789"), ("t2", "ein", "12-3456789")]) == 1
    )
    blob = warehouse.scalar("SELECT ciphertext FROM vault WHERE token = 't1'")
    assert b"123-45-6789" not in bytes(blob)
    assert vault.read(warehouse.con, "t1") == ("ssn", "123-45-6789")


def test_read_needs_the_right_key(warehouse: Warehouse) -> None:
    warehouse.vault.store(warehouse.con, [("t1", "ssn", "123-45-6789")])
    with pytest.raises(VaultError, match="no vault entry"):
        warehouse.vault.read(warehouse.con, "nope")
    with pytest.raises(VaultError, match="does not decrypt"):
        Vault(bytes(32)).read(warehouse.con, "t1")
    # a ciphertext moved onto another token does not decrypt either
    warehouse.con.execute(
        "INSERT INTO vault (token, scheme, ciphertext) SELECT 't2', scheme, ciphertext"
        " FROM vault WHERE token = 't1'"
    )
    with pytest.raises(VaultError, match="tampered"):
        warehouse.vault.read(warehouse.con, "t2")
