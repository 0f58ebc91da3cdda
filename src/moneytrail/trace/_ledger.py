"""The ledger a trace runs over: every movement in booking order, as arrays.

Order: booking time, then the order the source file recorded the movements
(source_id, source_row), then txn_id; a statement's own order breaks ties
within a minute, which is as precise as most bank exports are.

Amounts become integers in units of 1e-8 of their currency (the warehouse
keeps DECIMAL(38,8)), so nothing is lost. A debit takes `amount` from the
paying account; a credit gives `amount_received` (else `amount`) to the
receiving one. A movement from an account to itself moves nothing and is left
out.

Where each account starts: a camt.053 opening balance (the earliest statement's)
fixes the balance at that date, and movements before it are subtracted. An
account with no known opening balance is assumed to start with the least
balance that never goes overdrawn in the data, all of it clean; results flag
such accounts (`opening_known` false) so that an expert can say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from moneytrail.errors import TraceError

SCALE = 100_000_000
"""Ledger units per currency unit (the warehouse keeps 8 decimal places)."""

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


class WarehouseView(Protocol):
    """What tracing reads through: a connection speaking DuckDB's SQL and API, a DuckDB
    Warehouse's or, on Spark, moneytrail.spark's SparkConnection (docs/spark.md)."""

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...


@dataclass
class Ledger:
    """Movements in booking order, accounts as dense indices (-1: not known)."""

    ts: I64  # microseconds since the epoch
    src: I64
    dst: I64
    out_units: I64
    in_units: I64
    txn_key: I64  # the movement's transactions.txn_key (its id is in `txn_ids`, if kept)
    account_keys: I64  # dense index -> accounts.account_key
    start: I64  # balance of each account before its first movement
    opening_known: Bools
    offsets: I64  # CSR: movements of account a are events[offsets[a]:offsets[a+1]]
    events: I64  # movement indices, in booking order within each account
    signed_prefix: I64  # balance change of the account up to and including that event
    out_prefix: I64  # money paid out by the account up to and including that event
    block_low: I64  # min of signed_prefix over each BLOCK events (see first_below)
    txn_ids: list[str] | None = None  # for ledgers built in memory

    def __len__(self) -> int:
        return len(self.ts)

    def first_below(self, pos: int, hi: int, limit: int) -> int:
        """First position in [pos, hi) whose signed_prefix is below limit; hi if none."""
        return int(_first_below(self.signed_prefix, self.block_low, pos, hi, limit))

    def first_above_paid(self, pos: int, hi: int, limit: int) -> int:
        """First position in [pos, hi) whose out_prefix is above limit (it never falls)."""
        return pos + int(np.searchsorted(self.out_prefix[pos:hi], limit, side="right"))

    def paid_before(self, account: int, pos: int) -> int:
        """What the account paid out before the event at `pos` of its events."""
        return int(self.out_prefix[pos - 1]) if pos > int(self.offsets[account]) else 0

    def balance_before(self, account: int, k: int) -> tuple[int, int]:
        """The account's balance just before movement k, and where k sits in its events."""
        lo, hi = int(self.offsets[account]), int(self.offsets[account + 1])
        pos = lo + int(np.searchsorted(self.events[lo:hi], k, side="left"))
        change = int(self.signed_prefix[pos - 1]) if pos > lo else 0
        return int(self.start[account]) + change, pos


BLOCK = 64


@njit(cache=True)
def _first_below(values: I64, block_low: I64, pos: int, hi: int, limit: int) -> int:
    """Skip whole blocks whose minimum is not below limit: a busy account's search for
    the next debit that matters costs its events / BLOCK steps, not its events."""
    while pos < hi:
        if pos % BLOCK == 0 and pos + BLOCK <= hi and block_low[pos // BLOCK] >= limit:
            pos += BLOCK
            continue
        if values[pos] < limit:
            return pos
        pos += 1
    return hi


def _block_low(values: I64) -> I64:
    padded = np.full(-(-len(values) // BLOCK) * BLOCK, np.iinfo(np.int64).max, np.int64)
    padded[: len(values)] = values
    return padded.reshape(-1, BLOCK).min(axis=1) if len(values) else np.zeros(0, np.int64)


@njit(cache=True)
def _account_events(  # noqa: PLR0912 - one compiled pass; splitting it would read 5 M rows twice
    src: I64,
    dst: I64,
    out_units: I64,
    in_units: I64,
    ts: I64,
    n_accounts: int,
    anchor_ts: I64,
    anchor_balance: I64,
    known: Bools,
) -> tuple[I64, I64, I64, I64, I64]:
    """CSR of each account's movements, running balance changes and payments, start balances."""
    counts = np.zeros(n_accounts + 1, np.int64)
    for k in range(len(src)):
        s, d = src[k], dst[k]
        if s == d:
            continue
        if s >= 0:
            counts[s + 1] += 1
        if d >= 0:
            counts[d + 1] += 1
    offsets = np.cumsum(counts)
    fill = offsets[:-1].copy()
    events = np.empty(offsets[-1], np.int64)
    prefix = np.empty(offsets[-1], np.int64)
    outs = np.empty(offsets[-1], np.int64)
    paid = np.zeros(n_accounts, np.int64)
    run = np.zeros(n_accounts, np.int64)
    low = np.zeros(n_accounts, np.int64)
    before_anchor = np.zeros(n_accounts, np.int64)
    anchored = np.zeros(n_accounts, np.bool_)
    for k in range(len(src)):
        s, d = src[k], dst[k]
        if s == d:
            continue
        for side in range(2):
            a = s if side == 0 else d
            if a < 0:
                continue
            change = -out_units[k] if side == 0 else in_units[k]
            if known[a] and not anchored[a] and ts[k] >= anchor_ts[a]:
                anchored[a] = True
                before_anchor[a] = run[a]
            run[a] += change
            if side == 0:
                paid[a] += out_units[k]
            low[a] = min(low[a], run[a])
            events[fill[a]] = k
            prefix[fill[a]] = run[a]
            outs[fill[a]] = paid[a]
            fill[a] += 1
    start = np.empty(n_accounts, np.int64)
    for a in range(n_accounts):
        if known[a]:
            start[a] = anchor_balance[a] - (before_anchor[a] if anchored[a] else run[a])
        else:
            start[a] = -low[a]
    return offsets, events, prefix, outs, start


def build_ledger(
    ts: I64,
    src_keys: I64,
    dst_keys: I64,
    out_units: I64,
    in_units: I64,
    txn_key: I64,
    openings: Mapping[int, tuple[int, int]],
    *,
    txn_ids: list[str] | None = None,
) -> Ledger:
    """A ledger from movements already in booking order; keys < 0 mean 'not known'.

    `openings` maps an account key to (timestamp in microseconds, balance in
    units): the balance the account held at that moment.
    """
    both = np.concatenate([src_keys[src_keys >= 0], dst_keys[dst_keys >= 0]])
    keys = np.unique(both).astype(np.int64)

    def dense(k: I64) -> I64:
        idx = np.searchsorted(keys, k).astype(np.int64)
        return np.where(k >= 0, idx, -1).astype(np.int64)

    src, dst = dense(src_keys), dense(dst_keys)
    n = len(keys)
    anchor_ts = np.zeros(n, np.int64)
    anchor_balance = np.zeros(n, np.int64)
    known = np.zeros(n, np.bool_)
    for key, (when, balance) in openings.items():
        i = int(np.searchsorted(keys, key))
        if i < n and keys[i] == key:
            anchor_ts[i], anchor_balance[i], known[i] = when, balance, True
    offsets, events, prefix, outs, start = _account_events(
        src, dst, out_units, in_units, ts, n, anchor_ts, anchor_balance, known
    )
    return Ledger(
        ts, src, dst, out_units, in_units, txn_key, keys, start, known, offsets, events, prefix, outs,
        _block_low(prefix),
        txn_ids,
    )  # fmt: skip


def units(amount: Decimal | str | int) -> int:
    """An amount in ledger units, refusing anything finer than 1e-8."""
    value = Decimal(amount) * SCALE
    if value != value.to_integral_value():
        raise TraceError(f"amount {amount} has more than 8 decimal places")
    return int(value)


def ledger_from_rows(
    rows: Sequence[tuple[str, datetime, int | None, int | None, Decimal | str]],
    openings: Mapping[int, tuple[datetime, Decimal | str]] | None = None,
) -> Ledger:
    """A ledger from (txn_id, ts, from_key, to_key, amount) rows, for tests and small inputs."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i][1], i))
    ordered = [rows[i] for i in order]
    amounts = np.array([units(r[4]) for r in ordered], np.int64)
    return build_ledger(
        np.array([_micros(r[1]) for r in ordered], np.int64),
        np.array([-1 if r[2] is None else r[2] for r in ordered], np.int64),
        np.array([-1 if r[3] is None else r[3] for r in ordered], np.int64),
        amounts,
        amounts.copy(),
        np.arange(len(ordered), dtype=np.int64),
        {k: (_micros(when), units(b)) for k, (when, b) in (openings or {}).items()},
        txn_ids=[r[0] for r in ordered],
    )


def _micros(when: datetime) -> int:
    return int(np.datetime64(when.replace(tzinfo=None), "us").astype(np.int64))


_MOVEMENTS = """
SELECT txn_key AS rid, epoch_us(ts) AS t,
       coalesce(from_account, -1) AS s, coalesce(to_account, -1) AS d,
       CAST(amount * 100000000 AS BIGINT) AS o,
       CAST(coalesce(amount_received, amount) * 100000000 AS BIGINT) AS i
FROM transactions
ORDER BY ts, source_id, source_row, txn_id
"""

_ALIASES = """
WITH stmts AS (
  SELECT account_key, statement_id,
         min(balance_date) FILTER (WHERE kind = 'opening') AS d0,
         max(balance_date) FILTER (WHERE kind = 'closing') AS d1,
         any_value(amount) FILTER (WHERE kind = 'opening') AS ob,
         any_value(amount) FILTER (WHERE kind = 'closing') AS cb
  FROM balances WHERE statement_id IS NOT NULL GROUP BY ALL),
orphans AS (
  SELECT DISTINCT account_key FROM stmts s
  WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.from_account = s.account_key)
    AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.to_account = s.account_key)),
candidates AS (
  SELECT o.account_key AS bkey, a.account_key AS lkey
  FROM orphans o JOIN accounts ao ON ao.account_key = o.account_key
  JOIN accounts a ON a.masked = ao.masked AND a.account_key <> o.account_key),
moves AS (
  SELECT c.bkey, c.lkey, t.ts, -t.amount AS change FROM candidates c
  JOIN transactions t ON t.from_account = c.lkey AND t.to_account IS DISTINCT FROM c.lkey
  UNION ALL
  SELECT c.bkey, c.lkey, t.ts, coalesce(t.amount_received, t.amount) FROM candidates c
  JOIN transactions t ON t.to_account = c.lkey AND t.from_account IS DISTINCT FROM c.lkey),
nets AS (
  SELECT c.bkey, c.lkey, s.statement_id, any_value(s.ob) AS ob, any_value(s.cb) AS cb,
         coalesce(sum(m.change), 0) AS net
  FROM candidates c JOIN stmts s ON s.account_key = c.bkey
  LEFT JOIN moves m ON m.bkey = c.bkey AND m.lkey = c.lkey
   AND CAST(m.ts AS DATE) BETWEEN s.d0 AND s.d1
  GROUP BY ALL),
reconciled AS (
  SELECT bkey, lkey FROM nets GROUP BY ALL
  HAVING bool_and(ob + net = cb) AND sum(abs(net)) > 0)
SELECT bkey, any_value(lkey) FROM reconciled GROUP BY bkey HAVING count(*) = 1
"""
"""Accounts known only from statements (and records naming the same key) that
are the same as a ledger account. A statement whose account has no movements of
its own - its entries were already loaded from another file, which names the
bank differently (a bank number, not a BIC) - belongs to the one account with
the same masked number whose movements reconcile every statement: opening
balance plus the period's movements equals the closing balance."""

_OPENINGS = """
SELECT account_key, epoch_us(CAST(balance_date AS TIMESTAMP)),
       CAST(amount * 100000000 AS BIGINT)
FROM (SELECT *, row_number() OVER (PARTITION BY account_key
                                   ORDER BY balance_date, source_id, source_row) AS n
      FROM balances WHERE kind = 'opening')
WHERE n = 1
"""


def account_aliases(wh: WarehouseView) -> dict[int, int]:
    """Statement-only account key -> the ledger account it reconciles with (see _ALIASES)."""
    try:
        return {int(b): int(a) for b, a in wh.con.execute(_ALIASES).fetchall()}
    except duckdb.Error as exc:
        raise TraceError(f"cannot match statements to accounts: {exc}") from exc


def load_ledger(wh: WarehouseView, aliases: Mapping[int, int]) -> Ledger:
    """Every movement of the warehouse, in booking order; `aliases` from account_aliases."""
    try:
        table: pa.Table = wh.con.sql(_MOVEMENTS).to_arrow_table()
        openings: dict[int, tuple[int, int]] = {}
        rows = wh.con.execute(_OPENINGS).fetchall()
        # an account's own statement wins over one attached to it by reconciliation
        for key, when, balance in sorted(rows, key=lambda r: int(r[0]) not in aliases):
            openings[aliases.get(int(key), int(key))] = (int(when), int(balance))
    except duckdb.Error as exc:
        raise TraceError(f"cannot read the ledger from the warehouse: {exc}") from exc

    def col(name: str) -> I64:
        return np.asarray(table.column(name).to_numpy(), dtype=np.int64)

    if len(table) and (np.any(col("o") < 0) or np.any(col("i") < 0)):
        raise TraceError("the transactions table holds negative amounts; tracing needs payments")
    return build_ledger(col("t"), col("s"), col("d"), col("o"), col("i"), col("rid"), openings)


def txn_ids_of(wh: WarehouseView, ledger: Ledger, ks: Sequence[int]) -> dict[int, str]:
    """The txn_id of each movement index in `ks`."""
    if ledger.txn_ids is not None:
        return {k: ledger.txn_ids[k] for k in ks}
    wanted = pa.table({"k": pa.array(list(ks), pa.int64())})
    wanted = wanted.append_column("rid", pa.array(ledger.txn_key[list(ks)], pa.int64()))
    wh.con.register("_trace_wanted", wanted)
    try:
        rows = wh.con.execute(
            "SELECT w.k, t.txn_id FROM _trace_wanted w JOIN transactions t ON t.txn_key = w.rid"
        ).fetchall()
    finally:
        wh.con.unregister("_trace_wanted")
    return {int(k): str(txn) for k, txn in rows}


def indices_of(wh: WarehouseView, ledger: Ledger, txn_ids: Sequence[str]) -> list[int]:
    """Movement indices of the named transactions; every id must exist."""
    if ledger.txn_ids is not None:
        where = {t: k for k, t in enumerate(ledger.txn_ids)}
        found = {t: where[t] for t in txn_ids if t in where}
    else:
        rows = wh.con.execute(
            "SELECT txn_id, txn_key FROM transactions WHERE txn_id IN (SELECT unnest(?))",
            [list(txn_ids)],
        ).fetchall()
        by_key = {int(r): str(t) for t, r in rows}
        hits = np.flatnonzero(np.isin(ledger.txn_key, np.array(list(by_key), np.int64)))
        found = {by_key[int(ledger.txn_key[k])]: int(k) for k in hits}
    missing = [t for t in txn_ids if t not in found]
    if missing:
        raise TraceError(f"no transaction with id {', '.join(map(repr, missing))} in the warehouse")
    return sorted({found[t] for t in txn_ids})
