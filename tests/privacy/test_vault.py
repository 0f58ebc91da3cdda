from __future__ import annotations

import pytest

from moneytrail.errors import VaultError
from moneytrail.privacy import Vault
from moneytrail.warehouse import Warehouse


def test_store_reveal_and_audit(warehouse: Warehouse) -> None:
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
    assert vault.reveal(warehouse.con, "t1", actor="ana", purpose="case 7") == "123-45-6789"
    assert warehouse.con.execute("SELECT token, actor, purpose FROM vault_reads").fetchall() == [
        ("t1", "ana", "case 7")
    ]


def test_reveal_needs_actor_purpose_and_the_right_key(warehouse: Warehouse) -> None:
    warehouse.vault.store(warehouse.con, [("t1", "ssn", "123-45-6789")])
    with pytest.raises(VaultError, match="actor and a purpose"):
        warehouse.vault.reveal(warehouse.con, "t1", actor="", purpose="x")
    with pytest.raises(VaultError, match="no vault entry"):
        warehouse.vault.reveal(warehouse.con, "nope", actor="a", purpose="b")
    with pytest.raises(VaultError, match="does not decrypt"):
        Vault(bytes(32)).reveal(warehouse.con, "t1", actor="a", purpose="b")
    # a ciphertext moved onto another token does not decrypt either
    warehouse.con.execute(
        "INSERT INTO vault SELECT 't2', scheme, ciphertext FROM vault WHERE token = 't1'"
    )
    with pytest.raises(VaultError, match="tampered"):
        warehouse.vault.reveal(warehouse.con, "t2", actor="a", purpose="b")
