"""The seam between entity resolution and the engine Splink runs on.

Only DuckDB is implemented: Splink works in a private in-memory DuckDB
database, so its scratch tables never land in the warehouse file. A Spark
backend plugs in here (Splink's SparkAPI) when one machine is outgrown.
"""

from __future__ import annotations

import os

import duckdb
from splink.internals.database_api import DatabaseAPI
from splink.internals.duckdb.database_api import DuckDBAPI

from moneytrail.errors import ResolveBackendError

BACKENDS = ("duckdb",)
PLANNED_BACKENDS = ("spark",)


def database_api(backend: str) -> DatabaseAPI[object]:
    """A fresh Splink database API for `backend`."""
    if backend == "duckdb":
        con = duckdb.connect(":memory:")
        con.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
        con.execute("SET enable_progress_bar = false")
        return DuckDBAPI(con)  # type: ignore[return-value]
    if backend in PLANNED_BACKENDS:
        raise ResolveBackendError(
            f"Backend {backend!r} is not implemented for entity resolution yet "
            f"(the seam is moneytrail.resolve._backend.database_api); use 'duckdb'"
        )
    raise ResolveBackendError(
        f"unknown entity-resolution backend {backend!r}; choose one of {', '.join(BACKENDS)}"
    )


def duckdb_connection(api: DatabaseAPI[object]) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection behind a DuckDB database API."""
    if not isinstance(api, DuckDBAPI):
        raise ResolveBackendError(
            f"Backend {type(api).__name__!r} does not have a DuckDB connection"
        )
    return api.duckdb_con


__all__ = ["BACKENDS", "database_api", "duckdb_connection"]
