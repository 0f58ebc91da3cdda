"""Column and Table: how the canonical tables are declared (see model.tables)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    since: int = 1
    not_null: bool = False
    sequence: str | None = None
    """A sequence (created with the column) whose next value is the column's default:
    every row gets one, whichever stage inserts it, rows present at migration too."""
    dropped: int | None = None
    """Schema version that removed the column (its table is rebuilt then)."""

    def ddl(self) -> str:
        default = f" DEFAULT nextval('{self.sequence}')" if self.sequence else ""
        return f"{self.name} {self.type}{default}{' NOT NULL' if self.not_null else ''}"

    def present(self, version: int) -> bool:
        return self.since <= version and (self.dropped is None or version < self.dropped)


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    declared: tuple[Column, ...]
    """Every column ever declared, dropped ones included, in order."""
    since: int = 1
    primary_key: tuple[str, ...] = field(default=())
    key_dropped: int | None = None
    """Schema version that dropped the primary key (the table is rebuilt then): a
    table a stage replaces in bulk gains nothing from an index it must maintain."""
    rebuild_select: str | None = None
    """For the rebuild: a SELECT of the new columns, in order, from the old table
    named `{old}`; None copies the columns both versions have."""

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns of the current schema, in order."""
        return tuple(c for c in self.declared if c.dropped is None)

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def keyed(self, version: int) -> bool:
        """Whether the table has its primary key at schema `version`."""
        return bool(self.primary_key) and (self.key_dropped is None or version < self.key_dropped)

    def rebuilt_in(self) -> int | None:
        """The schema version that rebuilds the table (drops its key or a column)."""
        versions = [v for v in (self.key_dropped, *(c.dropped for c in self.declared)) if v]
        return max(versions) if versions else None

    def names_at(self, version: int) -> list[str]:
        return [c.name for c in self.declared if c.present(version)]

    def create_ddl(self, version: int) -> str:
        cols = [c.ddl() for c in self.declared if c.present(version)]
        if self.keyed(version):
            cols.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE {self.name} (\n  " + ",\n  ".join(cols) + "\n)"


def provenance() -> tuple[Column, ...]:
    """source_id and source_row: where a fact came from."""
    return (
        Column(
            "source_id",
            "INTEGER",
            "The file this fact came from (sources.source_id).",
            not_null=True,
        ),
        Column(
            "source_row", "BIGINT", "1-based data row or record number in that file.", not_null=True
        ),
    )
