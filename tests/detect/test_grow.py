"""Alerts grow from their flagged core to the accounts that carried the money, not to the
honest accounts around it (a landlord, a busy shop, a foreign account many pay, an employer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from moneytrail.detect import run_detect
from moneytrail.detect._grow import Core, Growth, grow
from moneytrail.errors import CatalogueError
from moneytrail.warehouse import Warehouse
from tests.detect.ledger import START, Ledger, background

D = timedelta(days=1)
H = timedelta(hours=1)
NETWORK = {"SRC", "M1", "M2", "M3"}
HONEST = {"EMPLOYER", "LANDLORD", "BIGSHOP", "FOREIGN", "FUNDER", "FRIEND"}


def _world(ledger: Ledger) -> None:
    """SRC splits a wire over two mules at once; M1 passes its share on through M3.

    Around it, honest dealings of the same size in the same days: SRC's salary and
    rent (monthly), a shop that walk-in strangers pay every day, and a foreign
    account that many pay and that never pays anyone in this ledger.
    """
    for month in range(4):
        ledger.pay(month * 20 * D, "EMPLOYER", "SRC", "2500.00")
        ledger.pay(month * 20 * D + D, "SRC", "LANDLORD", "2800.00")
        ledger.pay(month * 20 * D + 5 * D, "LANDLORD", "MORTGAGE", "900.00")
    ledger.pay(40 * D, "FUNDER", "SRC", "6000.00", "wire")
    ledger.pay(40 * D + 3 * H, "SRC", "M1", "3000.00", "wire")
    ledger.pay(40 * D + 5 * H, "SRC", "M2", "2950.00", "wire")
    ledger.pay(41 * D, "M1", "M3", "2900.00", "wire")
    ledger.pay(41 * D + 6 * H, "M3", "M3-OUT", "2850.00", "wire")
    ledger.pay(41 * D + 2 * H, "SRC", "BIGSHOP", "2600.00")
    ledger.pay(41 * D + 4 * H, "SRC", "FOREIGN", "2500.00", "wire")
    ledger.pay(10 * D, "FRIEND", "SHOP0", "35.00", "card")
    ledger.pay(41 * D + H, "SRC", "FRIEND", "2600.00")  # kept, not passed on
    for i in range(80):  # walk-in customers, each paying the shop once over four months
        ledger.pay(i * 36 * H, f"WALKIN{i}", "BIGSHOP", "45.00", "card")
    for week in range(16):  # the shop pays its wholesaler
        ledger.pay(week * 7 * D + 3 * D, "BIGSHOP", "WHOLESALER", "600.00")
    for i in range(10):  # the foreign account's other payers
        ledger.pay(i * 9 * D + 7 * H, f"SENDER{i}", "FOREIGN", "2000.00", "wire")
    background(ledger, days=100)


def _keys(wh: Warehouse, names: set[str]) -> dict[str, int]:
    rows = wh.con.execute(
        "SELECT n, mt_account_key(mt_account('B1', n)) FROM unnest(?::VARCHAR[]) AS u(n)",
        [sorted(names)],
    ).fetchall()
    return {n: int(k) for n, k in rows}


@pytest.fixture
def world(tmp_path: Path, warehouse: Warehouse) -> dict[str, int]:
    ledger = Ledger()
    _world(ledger)
    ledger.load(warehouse, tmp_path / "tx.csv")
    return _keys(warehouse, NETWORK | HONEST)


def _core(wh: Warehouse, keys: dict[str, int], but: str = "FRIEND") -> dict[str, Core]:
    """SRC alone, every movement it made in days 40-41 (but those with `but`) as the evidence:
    no rule but growth's own keeps an honest counterparty out."""
    lo, hi = START + 40 * D, START + 41 * D + 5 * H
    ids = [
        r[0]
        for r in wh.con.execute(
            "SELECT txn_id FROM transactions WHERE ? IN (from_account, to_account) "
            "AND ts BETWEEN ? AND ? AND ? NOT IN (from_account, to_account)",
            [keys["SRC"], lo, hi, keys[but]],
        ).fetchall()
    ]
    return {"A-1": Core([keys["SRC"]], ids, {keys["SRC"]: (lo, hi)})}


def _grown(wh: Warehouse, keys: dict[str, int], growth: Growth) -> set[str]:
    names = {v: k for k, v in keys.items()}
    found = grow(wh.con, _core(wh, keys), growth)
    return {names.get(g.account_key, str(g.account_key)) for g in found.get("A-1", [])}


def test_the_alert_grows_to_the_mules_and_not_to_honest_neighbours(
    world: dict[str, int], warehouse: Warehouse
) -> None:
    report = run_detect(warehouse, only=["MT-L009"])
    (alert,) = report.alerts
    assert set(alert.accounts) == {world[n] for n in NETWORK}
    grown = {h.account_key: h for h in alert.hits if h.typology == "growth"}
    assert set(grown) == {world[n] for n in ("M1", "M2", "M3")}
    assert "received 1 payment of 3,000.00 in all from the network" in grown[world["M1"]].reason
    assert "in the alert's evidence" in grown[world["M1"]].reason
    assert "passed the money on" in grown[world["M3"]].reason
    assert alert.subject.startswith("network:4 accounts")
    assert "Grown to 3 accounts that carried its money" in alert.reason
    stored = warehouse.con.execute(
        "SELECT account_key, score, evidence FROM alert_hits WHERE typology = 'growth'"
    ).fetchall()
    assert {r[0] for r in stored} == set(grown) and all(0 < r[1] <= 1 and r[2] for r in stored)
    off = run_detect(warehouse, ["growth.rounds=0"], ["MT-L009"])
    assert off.alerts[0].accounts == [world["SRC"]]


def test_each_rule_keeps_its_honest_neighbour_out(
    world: dict[str, int], warehouse: Warehouse
) -> None:
    """With every movement of SRC as evidence, only the mules join; relaxing one rule at a
    time lets in exactly the neighbour it kept out."""
    base = _grown(warehouse, world, Growth())
    assert base == {"M1", "M2", "M3"}
    # rent and wages recur: the landlord is out by max_repeat
    assert _grown(warehouse, world, Growth(max_repeat=10)) - base == {"LANDLORD"}
    # walk-in strangers pay the shop every day
    assert _grown(warehouse, world, Growth(max_strangers_monthly=0)) - base == {"BIGSHOP"}
    # the foreign account and the wire's originator stay out whatever the shares
    loose = _grown(warehouse, world, Growth(min_core_share=0, max_repeat=10))
    assert not loose & {"FOREIGN", "FUNDER", "EMPLOYER"}
    assert _grown(warehouse, world, Growth(rounds=1)) == {"M1", "M2"}


def test_a_movement_the_scorer_labels_is_evidence(
    world: dict[str, int], warehouse: Warehouse
) -> None:
    """FRIEND kept the 2,600.00 SRC paid it, and the movement is not in the evidence: it stays
    out until the scorer labels that movement; a labelled rent payment changes nothing."""
    assert "FRIEND" not in _grown(warehouse, world, Growth())
    labelled = warehouse.con.execute(
        "SELECT txn_id FROM transactions WHERE from_account = ? AND to_account IN (?, ?) "
        "AND ts BETWEEN ? AND ?",
        [world["SRC"], world["FRIEND"], world["LANDLORD"], START + 39 * D, START + 42 * D],
    ).fetchall()
    assert len(labelled) == 2
    warehouse.con.executemany(
        "INSERT INTO txn_scores VALUES (?, 1, 0.97, 1, '{}')", [[t] for (t,) in labelled]
    )
    assert _grown(warehouse, world, Growth()) == {"M1", "M2", "M3", "FRIEND"}
    (friend,) = [
        g
        for g in grow(warehouse.con, _core(warehouse, world))["A-1"]
        if g.account_key == world["FRIEND"]
    ]
    assert "the trained scorer labels 1 of them suspicious" in friend.hit.reason


def test_bad_growth_parameters_are_refused(world: dict[str, int], warehouse: Warehouse) -> None:
    with pytest.raises(CatalogueError, match=r"growth\.min_own_share must be between 0 and 1"):
        run_detect(warehouse, ["growth.min_own_share=1.5"], ["MT-L009"])
    with pytest.raises(CatalogueError, match=r"growth\.rounds must be 0 or more"):
        run_detect(warehouse, ["growth.rounds=-1"], ["MT-L009"])


def test_nothing_to_grow_from(warehouse: Warehouse) -> None:
    assert grow(warehouse.con, {}) == {}
    empty = {"A-1": Core([1], [], {1: (datetime(2024, 1, 1), datetime(2024, 1, 2))})}
    assert grow(warehouse.con, empty, Growth(rounds=0)) == {}
