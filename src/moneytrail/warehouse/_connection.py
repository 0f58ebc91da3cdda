"""Opening the warehouse of a workspace, migrated and ready for a stage."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import duckdb

from moneytrail._sql import scalar
from moneytrail.errors import WarehouseBusyError, WorkspaceError
from moneytrail.model.tables import FACT_TABLES
from moneytrail.privacy import Tokeniser, Vault
from moneytrail.warehouse._busy import busy_error, is_lock_conflict
from moneytrail.warehouse._loads import discard_unfinished, unfinished_loads
from moneytrail.warehouse._migrations import SCHEMA_VERSION, migrate
from moneytrail.workspace import Workspace


class Warehouse:
    """A migrated DuckDB connection plus the workspace's tokeniser and vault."""

    def __init__(self, workspace: Workspace, *, read_only: bool = False) -> None:
        self.workspace = workspace
        if read_only:
            if not workspace.warehouse_path.exists():
                raise WorkspaceError(
                    f"no warehouse at {workspace.warehouse_path}; ingest a file first"
                )
        else:
            workspace.ensure()
        self.read_only = read_only
        self.con = self._connect()
        if not read_only:
            migrate(self.con)
            # A load a crash cut off left rows committed in chunks: undo it first.
            discard_unfinished(self.con)
        elif unfinished_loads(self.con):
            # Read-only cannot undo it: open once to write, which does. When another
            # process holds the warehouse that cannot be done here: a writer undid
            # it when it opened; a reader (the API) opened before it could, and the
            # leftover rows are visible until the next opening to write.
            self.con.close()
            with contextlib.suppress(WarehouseBusyError):
                Warehouse(workspace).close()
            self.con = self._connect()
        self.tokeniser = Tokeniser(workspace.token_key())
        self.tokeniser.install_sql(self.con)
        self._vault_key = workspace.vault_key() if not read_only else None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        path = self.workspace.warehouse_path
        try:
            con = duckdb.connect(str(path), read_only=self.read_only)
        except duckdb.Error as exc:
            if is_lock_conflict(str(exc)):
                raise busy_error(self.workspace, str(exc), read_only=self.read_only) from None
            raise WorkspaceError(f"cannot open {path}: {exc}") from exc
        # Row order inside a table carries no meaning (source_row does); keeping
        # it would serialise bulk inserts. Queries that need an order say so.
        con.execute("SET preserve_insertion_order = false")
        # DuckDB's own progress bar writes to stdout, which --json keeps for JSON.
        con.execute("SET enable_progress_bar = false")
        return con

    @classmethod
    def for_reading(cls, workspace: Workspace) -> Warehouse:
        """The warehouse opened read-only, so that it can be read while the API serves.

        A warehouse whose schema is older than this moneytrail is migrated first
        when nothing else holds it; while the API holds it, it is read as it is.
        """
        wh = cls(workspace, read_only=True)
        if _version(wh.con) >= SCHEMA_VERSION:
            return wh
        wh.close()
        # Busy: read what is there (the holder, the API, only reads it too).
        with contextlib.suppress(WarehouseBusyError):
            cls(workspace).close()
        return cls(workspace, read_only=True)

    @property
    def vault(self) -> Vault:
        key = self._vault_key if self._vault_key is not None else self.workspace.vault_key()
        return Vault(key)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commit when the block ends, roll back on any exception."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def scalar(self, sql: str, params: list[object] | None = None) -> Any:
        return scalar(self.con, sql, params)

    def table_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name in FACT_TABLES:
            counts[name] = int(self.scalar(f"SELECT count(*) FROM {name}"))
        return counts


def _version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of a warehouse opened read-only (0 when none is recorded)."""
    try:
        version = scalar(con, "SELECT max(version) FROM schema_migrations")
    except duckdb.CatalogException:
        return 0
    return int(version) if version is not None else 0
