"""Opening the warehouse of a workspace, migrated and ready for a stage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import duckdb

from moneytrail._sql import scalar
from moneytrail.errors import WorkspaceError
from moneytrail.model.tables import FACT_TABLES
from moneytrail.privacy import Tokeniser, Vault
from moneytrail.warehouse._migrations import migrate
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
        try:
            self.con = duckdb.connect(str(workspace.warehouse_path), read_only=read_only)
        except duckdb.Error as exc:
            raise WorkspaceError(f"cannot open {workspace.warehouse_path}: {exc}") from exc
        # Row order inside a table carries no meaning (source_row does); keeping
        # it would serialise bulk inserts. Queries that need an order say so.
        self.con.execute("SET preserve_insertion_order = false")
        # DuckDB's own progress bar writes to stdout, which --json keeps for JSON.
        self.con.execute("SET enable_progress_bar = false")
        if not read_only:
            migrate(self.con)
        self.tokeniser = Tokeniser(workspace.token_key())
        self.tokeniser.install_sql(self.con)
        self._vault_key = workspace.vault_key() if not read_only else None

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
