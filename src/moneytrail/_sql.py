"""Small helpers over DuckDB connections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def first_row(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[object] | dict[str, object] | None = None,
) -> tuple[Any, ...] | None:
    """The first row of a query, with the result fully consumed.

    DuckDB 2 keeps a connection busy until a result is read to the end, so a
    bare fetchone() would block the next statement.
    """
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None


def scalar(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[object] | dict[str, object] | None = None,
) -> Any:
    row = first_row(con, sql, params)
    return row[0] if row else None
