"""What a detector returns (`Hit`) and the small helpers every detector shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from moneytrail.detect._catalogue import Value

MAX_EVIDENCE = 500
"""Evidence ids kept per hit: enough to review, bounded for a hub that matches thousands."""


def first_ids(ids: str) -> str:
    """SQL for a hit's evidence: the list expression `ids`, sorted, its first MAX_EVIDENCE.

    Sorted before it is cut: a list aggregate's order follows DuckDB's threads, so an
    unsorted cut kept different transactions from run to run, and the alerts they link
    (a 5 M world grouped one network as 55 accounts in one run, 46 and 9 in the next)."""
    return f"list_sort({ids})[1:{MAX_EVIDENCE}]"


@dataclass
class Hit:
    """One typology matched on one subject."""

    account_key: int | None
    subject: str  # account:<masked> or employer:<masked EIN>
    strength: float  # 0-1: how far past the thresholds
    evidence: list[str]
    reason: str
    linked: list[int] = field(default_factory=list)  # accounts the hit ties to the subject
    filings: list[str] = field(default_factory=list)
    typology: str = ""


Detector = Callable[[duckdb.DuckDBPyConnection, dict[str, Value]], list[Hit]]


def int_param(params: dict[str, Value], name: str) -> int:
    return int(params[name])


def float_param(params: dict[str, Value], name: str) -> float:
    return float(params[name])


def span_text(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return "1 day" if days == 1 else ("1 week" if days == 7 else f"{days} days")
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    return f"{seconds} seconds"


def money_text(value: Any) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):,}"


def strength(count: float, threshold: float) -> float:
    return min(1.0, count / max(2.0 * threshold, 1.0))


def query_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object]
) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()
