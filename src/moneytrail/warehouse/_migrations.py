"""Schema migrations, derived from the `since` versions in model.tables.

Version N creates the tables introduced in N, adds the columns introduced in
N to older tables (creating their sequences) and rebuilds, rows kept, the
tables whose primary key or columns N drops. Applied versions are recorded in
`schema_migrations`; each version runs in its own transaction, so a failure
leaves the previous version intact.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from moneytrail._sql import scalar
from moneytrail.errors import MigrationError
from moneytrail.model._schema import Table
from moneytrail.model.tables import TABLES

SCHEMA_VERSION = max(
    max(t.since, t.rebuilt_in() or 0, *(c.since for c in t.declared)) for t in TABLES
)


def statements_for(version: int) -> list[str]:
    """The DDL that takes a warehouse from version-1 to `version`."""
    stmts: list[str] = []
    for t in TABLES:
        if t.since == version:
            stmts.append(t.create_ddl(version))
        elif t.since < version:
            rebuilt = t.rebuilt_in() == version
            for c in t.declared:
                if c.since == version:
                    if c.sequence:
                        stmts.append(f"CREATE SEQUENCE IF NOT EXISTS {c.sequence}")
                    if not rebuilt:  # a rebuilt table is created with its new columns
                        stmts.append(f"ALTER TABLE {t.name} ADD COLUMN {c.ddl()}")
            if rebuilt:
                stmts.extend(_rebuild(t, version))
    return stmts


def _rebuild(t: Table, version: int) -> list[str]:
    """Recreate a table under its new definition, keeping its rows (DuckDB can drop
    neither a primary key nor an indexed column in place)."""
    old = f"{t.name}__before_rebuild"
    cols = ", ".join(t.names_at(version))
    if t.rebuild_select:
        select = t.rebuild_select.format(old=old)
    else:
        kept = ", ".join(n for n in t.names_at(version) if n in t.names_at(version - 1))
        cols, select = kept, f"SELECT {kept} FROM {old}"
    return [
        f"ALTER TABLE {t.name} RENAME TO {old}",
        t.create_ddl(version),
        f"INSERT INTO {t.name} ({cols}) {select}",
        f"DROP TABLE {old}",
    ]


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    version = scalar(con, "SELECT max(version) FROM schema_migrations")
    return int(version) if version is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the warehouse up to SCHEMA_VERSION; return the version it is at."""
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise MigrationError(
            f"the warehouse is at schema version {version}, newer than this moneytrail "
            f"understands ({SCHEMA_VERSION}); upgrade moneytrail"
        )
    for v in range(version + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            for stmt in statements_for(v):
                con.execute(stmt)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [v, datetime.now(UTC)])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise MigrationError(f"migration to schema version {v} failed: {exc}") from exc
    return SCHEMA_VERSION
