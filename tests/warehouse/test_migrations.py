from __future__ import annotations

import duckdb
import pytest

from moneytrail.errors import MigrationError
from moneytrail.model.tables import TABLES
from moneytrail.warehouse import SCHEMA_VERSION, Warehouse
from moneytrail.warehouse._migrations import migrate, statements_for
from moneytrail.workspace import Workspace


def test_fresh_warehouse_has_every_table_with_every_column(warehouse: Warehouse) -> None:
    for t in TABLES:
        cols = [r[0] for r in warehouse.con.execute(f"DESCRIBE {t.name}").fetchall()]
        assert cols == t.column_names()
    assert warehouse.scalar("SELECT max(version) FROM schema_migrations") == SCHEMA_VERSION


def test_migrating_twice_changes_nothing(workspace: Workspace) -> None:
    with Warehouse(workspace) as wh:
        wh.con.execute("INSERT INTO source_issues VALUES (1, 1, 'k', 'm')")
    with Warehouse(workspace) as wh:
        assert wh.scalar("SELECT count(*) FROM schema_migrations") == SCHEMA_VERSION
        assert wh.scalar("SELECT count(*) FROM source_issues") == 1


def test_a_newer_warehouse_is_refused() -> None:
    con = duckdb.connect()
    migrate(con)
    con.execute("INSERT INTO schema_migrations VALUES (?, now())", [SCHEMA_VERSION + 1])
    with pytest.raises(MigrationError, match="newer than this moneytrail"):
        migrate(con)


def test_every_table_and_column_is_documented() -> None:
    for t in TABLES:
        assert t.doc.strip(), t.name
        for c in t.columns:
            assert c.doc.strip(), f"{t.name}.{c.name}"
    assert statements_for(SCHEMA_VERSION + 1) == []


def test_no_table_records_protected_traits() -> None:
    banned = ("nationality", "ethnic", "religion", "immigration", "citizenship", "race")
    for t in TABLES:
        for c in t.columns:
            assert not any(b in c.name for b in banned), f"{t.name}.{c.name}"


def test_version_4_keys_transactions_and_rebuilds_txn_features_by_txn_key() -> None:
    con = duckdb.connect()
    for v in (1, 2, 3):
        for stmt in statements_for(v):
            con.execute(stmt)
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    con.execute("INSERT INTO schema_migrations VALUES (1, now()), (2, now()), (3, now())")
    key = (
        "SELECT count(*) FROM duckdb_constraints() "
        "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'"
    )
    assert con.execute(key, ["txn_features"]).fetchall() == [(1,)]
    for txn in ("t1", "t2"):
        con.execute(
            "INSERT INTO transactions (txn_id, ts, amount, currency, source_id, source_row) "
            "VALUES (?, '2024-01-01', 1, 'USD', 1, 1)",
            [txn],
        )
    con.execute("INSERT INTO txn_features VALUES ('t2', 86400, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1)")
    assert migrate(con) == SCHEMA_VERSION >= 4
    keys = dict(con.execute("SELECT txn_id, txn_key FROM transactions").fetchall())
    assert sorted(keys.values()) == [1, 2]
    assert con.execute(key, ["txn_features"]).fetchall() == [(0,)]
    assert con.execute("SELECT * FROM txn_features").fetchall() == [
        (keys["t2"], 86400, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1)
    ]
    cols = [r[0] for r in con.execute("DESCRIBE txn_features").fetchall()]
    assert cols == next(t for t in TABLES if t.name == "txn_features").column_names()
    assert con.execute(key, ["account_features"]).fetchall() == [(1,)]
    # every later insert draws its own key, whichever stage writes it
    con.execute(
        "INSERT INTO transactions (txn_id, ts, amount, currency, source_id, source_row) "
        "VALUES ('t3', '2024-01-02', 1, 'USD', 1, 2)"
    )
    assert con.execute("SELECT txn_key FROM transactions WHERE txn_id = 't3'").fetchall() == [(3,)]


def test_version_5_lists_loads_under_way_and_attributes_vault_values() -> None:
    con = duckdb.connect()
    for v in (1, 2, 3, 4):
        for stmt in statements_for(v):
            con.execute(stmt)
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    con.execute("INSERT INTO schema_migrations SELECT range, now() FROM range(1, 5)")
    con.execute("INSERT INTO vault VALUES ('t1', 'ssn', 'x'::BLOB)")
    assert migrate(con) == SCHEMA_VERSION >= 5
    # a value stored before version 5 belongs to no load, so no failed load deletes it
    assert con.execute("SELECT token, source_id FROM vault").fetchall() == [("t1", None)]
    assert con.execute("SELECT count(*) FROM loads_in_progress").fetchall() == [(0,)]
