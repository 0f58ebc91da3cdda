"""Grouping of hits into alerts: hubs are not merged through, networks stay workable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from moneytrail.detect import catalogue, run_detect
from moneytrail.detect._group import Grouping, group_hits
from moneytrail.detect._hits import Hit
from moneytrail.errors import CatalogueError
from moneytrail.warehouse import Warehouse
from tests.detect.ledger import Ledger

SPOKES = 15


def _load(tmp_path: Path, wh: Warehouse, ledger: Ledger) -> dict[str, int]:
    ledger.load(wh, tmp_path / "tx.csv")
    numbers = {r.split(",")[2] for r in ledger.rows} | {r.split(",")[4] for r in ledger.rows}
    rows = wh.con.execute(
        "SELECT n, mt_account_key(mt_account('B1', n)) FROM unnest(?::VARCHAR[]) AS u(n)",
        [sorted(numbers)],
    ).fetchall()
    return dict(rows)


def _evidence(wh: Warehouse, key: int) -> list[str]:
    return [
        r[0]
        for r in wh.con.execute(
            "SELECT txn_id FROM transactions WHERE ? IN (from_account, to_account) ORDER BY txn_id",
            [key],
        ).fetchall()
    ]


def _hit(wh: Warehouse, key: int, typology: str = "MT-L002") -> Hit:
    return Hit(key, f"account:{key}", 1.0, _evidence(wh, key), "Moved money.", typology=typology)


def _star(tmp_path: Path, wh: Warehouse) -> tuple[dict[str, int], list[Hit]]:
    """A hub that pays 15 accounts, each of which passes the money on: all flagged."""
    ledger = Ledger()
    for i in range(SPOKES):
        ledger.pay(timedelta(days=1, minutes=i), "HUB", f"X{i:02d}", "900.00")
        ledger.pay(timedelta(days=1, hours=2, minutes=i), f"X{i:02d}", f"Y{i:02d}", "850.00")
    keys = _load(tmp_path, wh, ledger)
    hits = [_hit(wh, keys[n]) for n in ["HUB", *(f"X{i:02d}" for i in range(SPOKES))]]
    return keys, hits


def test_a_hub_is_its_own_alert_and_is_not_merged_through(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    keys, hits = _star(tmp_path, warehouse)
    by_id = {t.id: t for t in catalogue()}
    merged = group_hits(warehouse.con, hits, by_id, Grouping(hub_links=SPOKES, max_accounts=100))
    assert len(merged) == 1 and len(merged[0].accounts) == SPOKES + 1
    split = group_hits(warehouse.con, hits, by_id, Grouping(hub_links=12, max_accounts=100))
    assert len(split) == SPOKES + 1
    (hub,) = [a for a in split if keys["HUB"] in a.accounts]
    assert hub.accounts == [keys["HUB"]]
    assert f"A hub: it is linked to {SPOKES} flagged accounts" in hub.reason
    assert all(len(a.accounts) == 1 and "A hub" not in a.reason for a in split if a is not hub)


def test_oversized_networks_split_at_their_weakest_links(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ledger = Ledger()
    for d in range(3):  # A and B trade three times; B and C once
        ledger.pay(timedelta(days=d, hours=1), "A", "B", "500.00")
    ledger.pay(timedelta(days=4, hours=1), "B", "C", "400.00")
    keys = _load(tmp_path, warehouse, ledger)
    hits = [_hit(warehouse, keys[n]) for n in ("A", "B", "C")]
    by_id = {t.id: t for t in catalogue()}
    assert len(group_hits(warehouse.con, hits, by_id, Grouping(12, 3))) == 1
    alerts = group_hits(warehouse.con, hits, by_id, Grouping(12, 2))
    assert sorted(sorted(a.accounts) for a in alerts) == sorted(
        [sorted([keys["A"], keys["B"]]), [keys["C"]]]
    )


def test_grouping_limits_are_parameters(tmp_path: Path, warehouse: Warehouse) -> None:
    _star(tmp_path, warehouse)
    with pytest.raises(CatalogueError, match=r"grouping\.max_accounts must be at least 1"):
        run_detect(warehouse, ["grouping.max_accounts=0"])
    (warehouse.workspace.root / "typologies.yaml").write_text("grouping: {hub_links: 3}\n")
    report = run_detect(warehouse, ["grouping.max_accounts=40"])
    stored = warehouse.scalar("SELECT params FROM detect_runs ORDER BY run_id DESC LIMIT 1")
    assert '"grouping": {"hub_links": 3, "max_accounts": 40}' in str(stored)
    assert all(len(a.accounts) <= 40 for a in report.alerts)
