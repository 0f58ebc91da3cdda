"""What a detector returns (`Hit`) and the small helpers every detector shares."""

from __future__ import annotations

import math
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


PAIRS = "detect_pairs"
"""Temp table of movements per payer and payee (both known; from_account, to_account, n),
built once per run by `count_pairs`: the one-off tests of most detectors read it, and each
counting the ledger again cost a full grouping of it (about 2 s at 5 M transactions).
It holds one row per pair, yet a detector looking a pair up in a scalar subquery writes
`(SELECT max(r.n) FROM detect_pairs r WHERE ...)`: without the aggregate, Spark plans the
lookup as a single-row join it can only broadcast, and past the broadcast threshold
(892,445 pairs at 5 M) as a nested loop over every transaction."""


def count_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build `PAIRS` from the transactions as they are now."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PAIRS} AS SELECT from_account, to_account, count(*) AS n "
        "FROM transactions WHERE from_account IS NOT NULL AND to_account IS NOT NULL GROUP BY ALL"
    )


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


def _width_us(seconds: float) -> int:
    # at least the window, and at least 1 µs (time_bucket refuses an empty bucket)
    return max(1, math.ceil(seconds * 1_000_000))


def time_key(ts: str, seconds: float) -> str:
    """SQL for the time bucket of `ts`, buckets `seconds` wide (see `time_keys`)."""
    return f"time_bucket(to_microseconds({_width_us(seconds)}), {ts})"


def time_keys(ts: str, seconds: float, *, before: bool = False) -> str:
    """SQL that repeats a row for its own time bucket and the next (`before`: the one
    before): the buckets that events from `ts` to `seconds` after it (before it) fall in.

    A windowed self-join on an account alone pairs every one of a busy account's
    receipts with every one of its payments over the whole ledger, and filters by time
    only afterwards: the cost grows with the square of its activity, so with the
    ledger. Joined also on `time_keys` of one side = `time_key` of the other, an event
    pairs only with those at most two buckets from it; each pair within the window
    still meets exactly once (the other event's bucket is one of the two), so the
    result is the same."""
    key = time_key(ts, seconds)
    step = f"to_microseconds({_width_us(seconds)})"
    return f"unnest([{key} - {step}, {key}])" if before else f"unnest([{key}, {key} + {step}])"
