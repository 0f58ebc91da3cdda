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

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def create_ddl(self, version: int) -> str:
        cols = [c.ddl() for c in self.columns if c.since <= version]
        if self.primary_key:
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
