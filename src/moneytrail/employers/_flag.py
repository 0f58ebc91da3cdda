"""What a detector gets (the warehouse and its parameters) and what it returns (flags)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from moneytrail._sql import scalar
from moneytrail.employers._defs import ParamValue


@dataclass(frozen=True)
class Flag:
    """One check raised for one employer and tax year, with its evidence and reason."""

    employer_key: str  # the employer's EIN token
    tax_year: int
    code: str
    count: int
    evidence: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Context:
    con: duckdb.DuckDBPyConnection
    params: dict[str, ParamValue]

    def integer(self, name: str) -> int:
        return int(self.params[name])

    def decimal(self, name: str) -> Decimal:
        return Decimal(self.params[name])

    def has_rows(self, table: str) -> bool:
        """Whether canonical table `table` holds at least one row (every warehouse has the
        canonical tables, empty where no stage wrote them, on either engine)."""
        return bool(scalar(self.con, f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)"))


def w2_ref(source_id: int, row: int) -> str:
    """Evidence id of a W-2 (RW) or employer (RE) record: its file and record number."""
    return f"w2:{source_id}:{row}"


def by_record(refs: list[str]) -> tuple[str, ...]:
    """Evidence ids in file and record order ('w2:1:10' after 'w2:1:9')."""

    def key(ref: str) -> tuple[str, list[int], str]:
        kind, *rest = ref.split(":")
        return kind, [int(p) for p in rest if p.isdigit()], ref

    return tuple(sorted(refs, key=key))


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def listed(items: list[str], limit: int = 3) -> str:
    """'a, b and c' or 'a, b, c and 4 more'."""
    if len(items) <= limit:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
