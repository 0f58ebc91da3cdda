"""Money passed on: a receipt of an account paired with its payments soon after, in numba.

The chain and sweep detectors pair each payment into an account with the account's
payments out in the same currency within a window after it, of a share of the amount
received. As a join on the account that is then filtered by time, it pairs every one of
a busy account's receipts with every one of its payments over the whole ledger (a
processor with 66,000 receipts a year), and even joined on time buckets the hash join of
the ledger with itself cost seconds at 5 M transactions. Here each account's payments
are sorted by time once, and each receipt scans only those in its window: the work is
the pairs looked at, not the ledger squared.

The figures compared are DuckDB's: times in microseconds, the window as DuckDB's
`to_seconds` gives it, and amounts as the DOUBLE that SQL's `ratio * amount` (a DOUBLE
parameter times a DECIMAL) compares in; the pairs are those the SQL join made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from moneytrail.errors import DetectError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

ROWS = """
    SELECT txn_key, from_account, to_account, epoch_us(ts) AS us, amount::DOUBLE AS amount,
           currency, coalesce(({receipts}), false) AS receipt,
           coalesce(({payments}), false) AS payment
    FROM transactions
"""
"""The ledger's rows as a connection that pairs per account partition reads them
(moneytrail.spark's, with `sides_of` and `pairs_of` on each partition): `receipts` and
`payments` (SQL conditions on `transactions`) say which side each may be. DuckDB's path
loads the ledger once per run instead (`_LEDGER`) and picks each side's rows by key."""

_LEDGER = """
    WITH acct AS (
        -- accounts numbered 0.. (-1: none): the payments of account k form one slice
        SELECT acct, (row_number() OVER (ORDER BY acct) - 1)::BIGINT AS k FROM (
            SELECT from_account AS acct FROM transactions WHERE from_account IS NOT NULL
            UNION SELECT to_account FROM transactions WHERE to_account IS NOT NULL
        )
    ), cur AS (
        SELECT currency, (row_number() OVER (ORDER BY currency) - 1)::BIGINT AS c
        FROM (SELECT DISTINCT currency FROM transactions)
    )
    SELECT t.txn_key, coalesce(f.k, -1) AS payer, coalesce(r.k, -1) AS payee,
           epoch_us(t.ts) AS us, t.amount::DOUBLE AS amount, cur.c AS cur
    FROM transactions t JOIN cur USING (currency)
    LEFT JOIN acct f ON f.acct = t.from_account LEFT JOIN acct r ON r.acct = t.to_account
    ORDER BY t.txn_key
"""
_SIDE = "SELECT txn_key FROM transactions WHERE coalesce(({condition}), false)"


@dataclass(frozen=True)
class _Ledger:
    """Every transaction once, whatever the side conditions, in txn_key order: row i of
    each array is one transaction; accounts and currencies numbered 0.. (-1: no account)."""

    key: I64
    payer: I64
    payee: I64
    us: I64
    amount: F64
    cur: I64
    by_payer: I64  # the rows that may pay (all with a payer), by payer then time (ties: row order)


@dataclass(frozen=True)
class _Sides:
    """Receipts and payments, ready for `_pairs`: payments sorted by account, then time."""

    in_acct: I64
    in_us: I64
    in_amount: F64
    in_cur: I64
    in_key: I64
    out_ptr: I64
    out_us: I64
    out_amount: F64
    out_cur: I64
    out_key: I64


@dataclass
class _Run:
    ledger: _Ledger | None = None
    sides: dict[tuple[str, str], _Sides] = field(default_factory=dict)


_shared: _Run | None = None


@contextmanager
def shared_sides() -> Iterator[None]:
    """Within it, `hop_pairs` loads the ledger once and reuses its last sides.

    `run_detect` runs two chain and two sweep typologies: they differ in their side
    conditions (which transactions count as receipts, as payments), window and ratios;
    the ledger does not change while they run. Outside it every call loads the ledger
    as it is then."""
    global _shared  # noqa: PLW0603 - one run's cache, reset when it ends
    _shared = _Run()
    try:
        yield
    finally:
        _shared = None


def _load_ledger(con: duckdb.DuckDBPyConnection) -> _Ledger:
    table = con.sql(_LEDGER).to_arrow_table()

    def column(name: str, dtype: type[np.generic]) -> npt.NDArray[Any]:
        return np.asarray(table.column(name).combine_chunks().to_numpy(), dtype=dtype)

    key, payer, payee, us, cur = (
        column(c, np.int64) for c in ("txn_key", "payer", "payee", "us", "cur")
    )
    amount = column("amount", np.float64)
    return _Ledger(key, payer, payee, us, amount, cur, _by_payer(us, payer, payer >= 0))


def _by_payer(us: I64, payer: I64, paid: npt.NDArray[np.bool_]) -> I64:
    """The `paid` rows by account, then time: a stable sort by time (a ledger mostly is in
    time order already), then a stable one by account."""
    out = np.flatnonzero(paid & (payer >= 0))
    out = out[np.argsort(us[out], kind="stable")]
    return out[np.argsort(payer[out], kind="stable")]


def sides_of(
    key: I64,
    us: I64,
    amount: F64,
    cur: I64,
    payer: I64,
    payee: I64,
    paid: npt.NDArray[np.bool_],
    received: npt.NDArray[np.bool_],
) -> _Sides:
    """The sides of a ledger whose accounts (payer, payee; -1: none) and currencies are
    numbered from 0: its receipts, and its payments sorted by account, then time."""
    ledger = _Ledger(key, payer, payee, us, amount, cur, _by_payer(us, payer, paid))
    return _assemble(ledger, ledger.by_payer, np.flatnonzero(received & (payee >= 0)))


def _rows(con: duckdb.DuckDBPyConnection, ledger: _Ledger, condition: str) -> npt.NDArray[np.bool_]:
    """Which ledger rows meet the SQL `condition`."""
    meets = np.zeros(len(ledger.key), dtype=np.bool_)
    if condition.strip().lower() == "true":
        meets[:] = True
        return meets
    keys = con.sql(_SIDE.format(condition=condition)).to_arrow_table().column(0)
    found = np.asarray(keys.combine_chunks().to_numpy(), dtype=np.int64)
    # the keys come back mostly in ascending order, which keeps the binary searches short
    meets[np.searchsorted(ledger.key, found)] = True
    return meets


def _sides(con: duckdb.DuckDBPyConnection, ledger: _Ledger, receipts: str, payments: str) -> _Sides:
    paid = _rows(con, ledger, payments)
    # filtering keeps by_payer's order: payments by account, then time
    out = ledger.by_payer[paid[ledger.by_payer]]
    return _assemble(
        ledger, out, np.flatnonzero(_rows(con, ledger, receipts) & (ledger.payee >= 0))
    )


def _assemble(ledger: _Ledger, out: I64, rec: I64) -> _Sides:
    """Sides of the receipts at rows `rec` and the payments at rows `out` (by account, then
    time)."""
    accounts = int(max(ledger.payer.max(initial=-1), ledger.payee.max(initial=-1))) + 1
    ptr = np.zeros(accounts + 1, dtype=np.int64)
    np.cumsum(np.bincount(ledger.payer[out], minlength=accounts), out=ptr[1:])
    return _Sides(
        ledger.payee[rec],
        ledger.us[rec],
        ledger.amount[rec],
        ledger.cur[rec],
        ledger.key[rec],
        ptr,
        ledger.us[out],
        ledger.amount[out],
        ledger.cur[out],
        ledger.key[out],
    )


def _cached_sides(con: duckdb.DuckDBPyConnection, receipts: str, payments: str) -> _Sides:
    if _shared is None:
        return _sides(con, _load_ledger(con), receipts, payments)
    sides = _shared.sides.get((receipts, payments))
    if sides is None:
        if _shared.ledger is None:
            _shared.ledger = _load_ledger(con)
        sides = _sides(con, _shared.ledger, receipts, payments)
        # the last sides only: the catalogue runs its chains, then its sweeps
        _shared.sides = {(receipts, payments): sides}
    return sides


def hop_pairs(
    con: duckdb.DuckDBPyConnection,
    seconds: float,
    ratio: tuple[float, float],
    *,
    strict: bool,
    receipts: str = "true",
    payments: str = "true",
) -> pa.Table:
    """(in_key, out_key): txn_keys of a receipt into an account and of a payment out of it in
    the same currency, `seconds` or less after it (later than it when `strict`, else at the
    same time too), of ratio[0] to ratio[1] times the amount received.

    `receipts` and `payments` are SQL conditions on the transactions each side may be
    (columns of `transactions`, unqualified)."""
    found = con.execute(
        "SELECT epoch_us(TIMESTAMP '2000-01-01' + to_seconds(?::DOUBLE))"
        " - epoch_us(TIMESTAMP '2000-01-01')",
        [seconds],
    ).fetchall()
    if not found:
        raise DetectError("DuckDB gave no width for the window")
    window = int(found[0][0])
    # a connection that holds the ledger elsewhere pairs each account partition where it
    # lies (moneytrail.spark._connection), with `pairs_of` on `ROWS`: the same pairs
    by_account = getattr(con, "hop_pairs_by_account", None)
    if by_account is not None:
        paired: pa.Table = by_account(
            ROWS.format(receipts=receipts, payments=payments), window, ratio, strict
        )
        return paired
    first, second = pairs_of(_cached_sides(con, receipts, payments), window, ratio, strict=strict)
    return pa.table({"in_key": first, "out_key": second})


def pairs_of(
    sides: _Sides, window: int, ratio: tuple[float, float], *, strict: bool
) -> tuple[I64, I64]:
    """(in_key, out_key) of the pairs `hop_pairs` describes, from one ledger's sides."""
    args = (
        sides.in_acct,
        sides.in_us,
        sides.in_amount,
        sides.in_cur,
        sides.out_ptr,
        sides.out_us,
        sides.out_amount,
        sides.out_cur,
        window,
        float(ratio[0]),
        float(ratio[1]),
        strict,
    )
    none = np.empty(0, dtype=np.int64)
    n = _pairs(*args, False, none, none)
    first, second = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    _pairs(*args, True, first, second)
    return sides.in_key[first], sides.out_key[second]


@njit(cache=True)
def _pairs(  # pragma: no cover - numba
    in_acct: I64,
    in_us: I64,
    in_amount: F64,
    in_cur: I64,
    out_ptr: I64,
    out_us: I64,
    out_amount: F64,
    out_cur: I64,
    window: int,
    lo: float,
    hi: float,
    strict: bool,
    emit: bool,
    first: I64,
    second: I64,
) -> int:
    """Count (emit=False) or write (emit=True) the pairs; out_* are in account, time order,
    out_ptr[a]..out_ptr[a + 1] the payments of account a; in_acct is an index into out_ptr
    (-1: the account pays nothing)."""
    n = 0
    for r in range(len(in_acct)):
        a = in_acct[r]
        if a < 0:
            continue
        start, end = out_ptr[a], out_ptr[a + 1]
        t = in_us[r]
        # first payment at (or, strict, after) the receipt's time
        if strict:
            k = start + np.searchsorted(out_us[start:end], t, side="right")
        else:
            k = start + np.searchsorted(out_us[start:end], t, side="left")
        last = t + window
        low, high = lo * in_amount[r], hi * in_amount[r]
        c = in_cur[r]
        while k < end and out_us[k] <= last:
            if out_cur[k] == c and low <= out_amount[k] <= high:
                if emit:
                    first[n] = r
                    second[n] = k
                n += 1
            k += 1
    return n
