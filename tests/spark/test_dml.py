"""DuckDB's INSERT, DELETE and CREATE TEMP TABLE (columns) over a SparkConnection's views:
the rows DuckDB's statements leave, and refusals by name of what is not run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from moneytrail.errors import EngineUnsupportedError
from moneytrail.spark._connection import SparkConnection
from moneytrail.spark._warehouse import SparkWarehouse
from moneytrail.workspace import Workspace

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

STATEMENTS: list[tuple[str, dict[str, object] | None]] = [
    ("CREATE OR REPLACE TEMP TABLE s (kind VARCHAR, n BIGINT)", None),
    ("INSERT INTO s SELECT 'a', 1 UNION ALL SELECT 'b', 2", None),
    ("INSERT INTO s VALUES ($kind, $n)", {"kind": "c", "n": 3}),
    ("INSERT OR REPLACE INTO entities SELECT 'e' || n, kind, n, 1, 1 FROM s", None),
    ("INSERT OR REPLACE INTO entities SELECT 'e1', 'z', 9, 2, 2", None),
    ("INSERT INTO entity_members SELECT 'e' || n, kind, 'm' || n, 1 FROM s", None),
    ("DELETE FROM entity_members m USING s WHERE m.member_id = 'm' || s.n AND s.n > 2", None),
    ("DELETE FROM entities WHERE members IN (SELECT n FROM s WHERE kind = 'b')", None),
    ("DELETE FROM s", None),
]


def test_writes_leave_the_rows_duckdb_leaves(tmp_path: Path, spark: SparkSession) -> None:
    ws = Workspace(tmp_path / "ws")
    con = SparkConnection(SparkWarehouse(ws, spark), ["entities", "entity_members"])
    local = duckdb.connect()
    local.execute(
        "CREATE TABLE entities (entity_id VARCHAR PRIMARY KEY, kind VARCHAR, members BIGINT, "
        "created_run INTEGER, updated_run INTEGER)"
    )
    local.execute(
        "CREATE TABLE entity_members (entity_id VARCHAR, kind VARCHAR, member_id VARCHAR, "
        "run_id INTEGER)"
    )
    try:
        for sql, params in STATEMENTS:
            con.execute(sql, params)
            local.execute(sql, params or {})
        for table in ("entities", "entity_members", "s"):
            query = f"SELECT * FROM {table} ORDER BY ALL"
            assert con.execute(query).fetchall() == local.execute(query).fetchall(), table
        assert con.execute("SELECT * FROM entities ORDER BY ALL").fetchall() == [
            ("e1", "z", 9, 2, 2),
            ("e3", "c", 3, 1, 1),
        ]
        assert con.changed == {"s", "entities", "entity_members"}
    finally:
        con.close()
        local.close()


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE entities SET members = 0", "UPDATE"),
        ("INSERT INTO entities (entity_id) SELECT 'x'", "column list"),
        ("INSERT OR REPLACE INTO entity_events SELECT * FROM entity_events", "primary key"),
        ("INSERT INTO entities SELECT 'x'", "1 columns"),
        ("DROP TABLE entities", "IF EXISTS"),
    ],
)
def test_what_is_not_run_is_refused_by_name(
    tmp_path: Path, spark: SparkSession, sql: str, named: str
) -> None:
    ws = Workspace(tmp_path / "ws")
    con = SparkConnection(SparkWarehouse(ws, spark), ["entities", "entity_events"])
    try:
        with pytest.raises(EngineUnsupportedError, match=named):
            con.execute(sql)
    finally:
        con.close()
