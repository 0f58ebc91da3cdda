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
