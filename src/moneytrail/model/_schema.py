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

    def ddl(self) -> str:
        return f"{self.name} {self.type}{' NOT NULL' if self.not_null else ''}"


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    since: int = 1
    primary_key: tuple[str, ...] = field(default=())
    key_dropped: int | None = None
    """Schema version that dropped the primary key (the table is rebuilt then): a
    table a stage replaces in bulk gains nothing from an index it must maintain."""

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def keyed(self, version: int) -> bool:
        """Whether the table has its primary key at schema `version`."""
        return bool(self.primary_key) and (self.key_dropped is None or version < self.key_dropped)

    def create_ddl(self, version: int) -> str:
        cols = [c.ddl() for c in self.columns if c.since <= version]
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
