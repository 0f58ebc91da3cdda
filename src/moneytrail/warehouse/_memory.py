"""DuckDB's memory bounded while a file loads.

A load commits and checkpoints its rows in chunks, yet DuckDB keeps the blocks it
wrote in its buffer cache (duckdb_memory()'s BASE_TABLE) until memory runs
short, and by default "short" is 80 % of the machine's RAM: a 1.4 GB export held
about a GiB more than a small one. Under a memory limit DuckDB evicts those
blocks (they are on disk already) and spills what a query needs beyond it to its
temporary directory (by default the warehouse file's name + '.tmp', in the
workspace), so the peak stays flat however large the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from moneytrail._sql import scalar


def memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(scalar(con, "SELECT current_setting('memory_limit')"))


@contextmanager
def memory_bounded(con: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """Run the block with DuckDB's memory_limit set to `limit`, then restore the setting.

    The limit is the database's, not the connection's: another connection of this
    process shares it meanwhile.
    """
    before = memory_limit(con)
    con.execute("SET memory_limit = ?", [limit])
    try:
        yield
    finally:
        # The setting reads back rounded ('18.8 GiB'): where it was DuckDB's default,
        # RESET gives the exact value back.
        con.execute("RESET memory_limit")
        if memory_limit(con) != before:
            con.execute("SET memory_limit = ?", [before])
