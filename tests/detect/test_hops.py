"""hop_pairs: the pairs the plain SQL join of the ledger with itself makes, found in numba."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from moneytrail.detect._hops import hop_pairs, shared_sides
from moneytrail.ingest import ingest_file
from moneytrail.warehouse import Warehouse
from tests.detect.ledger import HEADER, START

_JOIN = """
    SELECT i.txn_key, o.txn_key FROM transactions i JOIN transactions o
      ON o.from_account = i.to_account AND o.currency = i.currency
     AND o.ts {op} i.ts AND o.ts <= i.ts + to_seconds(?)
     AND o.amount BETWEEN ? * i.amount AND ? * i.amount
    WHERE {receipts} AND {payments}
"""


def _row(minutes: int, src: str, dst: str, amount: str, currency: str = "US Dollar") -> str:
    ts = (START + timedelta(minutes=minutes)).strftime("%Y/%m/%d %H:%M")
    return f"{ts},B1,{src},B1,{dst},{amount},{currency},{amount},{currency},Wire,0"


def _load(wh: Warehouse, path: Path, rows: list[str]) -> None:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ingest_file(wh, path)


def _expected(
    wh: Warehouse,
    seconds: float,
    ratio: tuple[float, float],
    strict: bool,
    receipts: str = "true",
    payments: str = "true",
) -> set[tuple[int, int]]:
    qualified = [
        c.replace("from_account", f"{side}.from_account")
        .replace("to_account", f"{side}.to_account")
        .replace("channel", f"{side}.channel")
        for c, side in ((receipts, "i"), (payments, "o"))
    ]
    sql = _JOIN.format(op=">" if strict else ">=", receipts=qualified[0], payments=qualified[1])
    rows = wh.con.execute(sql, [seconds, *ratio]).fetchall()
    return {(int(a), int(b)) for a, b in rows}


def _found(
    wh: Warehouse, seconds: float, ratio: tuple[float, float], **kw: object
) -> set[tuple[int, int]]:
    table = hop_pairs(wh.con, seconds, ratio, **kw)  # type: ignore[arg-type]
    return set(
        zip(table.column("in_key").to_pylist(), table.column("out_key").to_pylist(), strict=True)
    )


def test_window_ends_ratios_and_currencies_are_the_sql_joins(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    rows = [
        _row(0, "A", "M", "100.00"),
        _row(0, "M", "X", "90.00"),  # same minute: a hop only when not strict
        _row(60, "M", "Y", "50.00"),  # exactly the lower ratio
        _row(120, "M", "Z", "100.00"),  # exactly the upper ratio, at the window's end
        _row(121, "M", "W", "80.00"),  # a minute past the window
        _row(30, "M", "V", "80.00", "Euro"),  # another currency
        _row(40, "M", "U", "49.99"),  # under the ratio
    ]
    _load(warehouse, tmp_path / "t.csv", rows)
    for strict in (True, False):
        found = _found(warehouse, 7200.0, (0.5, 1.0), strict=strict)
        assert found == _expected(warehouse, 7200.0, (0.5, 1.0), strict)
        assert len(found) == (2 if strict else 3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_ledger_gives_the_sql_joins_pairs(
    tmp_path: Path, warehouse: Warehouse, seed: int
) -> None:
    rnd = random.Random(seed)
    accounts = [f"A{i}" for i in range(7)]
    rows = []
    for _ in range(400):
        src, dst = rnd.sample(accounts, 2)
        currency = "US Dollar" if rnd.random() < 0.9 else "Euro"
        rows.append(
            _row(rnd.randrange(0, 3 * 24 * 60, 7), src, dst, f"{rnd.uniform(1, 500):.2f}", currency)
        )
    _load(warehouse, tmp_path / "r.csv", rows)
    receipts = "from_account IS NOT NULL AND from_account <> to_account"
    payments = "to_account IS NOT NULL AND from_account <> to_account"
    with shared_sides():  # the second call reuses the first one's load
        for hours, ratio, strict in ((8.0, (0.8, 0.99), True), (24.0, (0.5, 1.0), False)):
            found = _found(
                warehouse, hours * 3600, ratio, strict=strict, receipts=receipts, payments=payments
            )
            assert found == _expected(warehouse, hours * 3600, ratio, strict, receipts, payments)
            assert found
