"""Detectors relative to an account's own dealings: one-off counterparties, similar splits.

Layering moves money between accounts that are strangers to each other, in similar
chunks, and gathers before it scatters; a trading business's customers and suppliers
come back, its payments differ in size and its receipts and payments interleave.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from moneytrail.detect import run_detect
from moneytrail.detect._strangers import strangers_monthly
from moneytrail.errors import CatalogueError
from moneytrail.warehouse import Warehouse
from tests.detect.ledger import Ledger, background

H = timedelta(hours=1)
D = timedelta(days=1)


def _hub(ledger: Ledger, hub: str, start: timedelta) -> None:
    """Two strangers pay the hub similar sums over two days; it pays two others two days on."""
    ledger.pay(start, f"{hub}-SRC1", hub, "5000.00", "wire")
    ledger.pay(start + 30 * H, f"{hub}-SRC2", hub, "5400.00", "wire")
    ledger.pay(start + 3 * D, hub, f"{hub}-DST1", "5100.00", "wire")
    ledger.pay(start + 3 * D + 5 * H, hub, f"{hub}-DST2", "5100.00")


def _business(ledger: Ledger) -> None:
    """A trader: receipts and payments interleave, regular customers come back."""
    for week in range(3):
        t = week * 7 * D
        ledger.pay(t + 9 * H, "REGULAR", "TRADER", "5000.00")
        ledger.pay(t + 10 * H, "TRADER", f"SUPPLIER{week}", "5200.00")
        ledger.pay(t + D + 9 * H, f"NEWCUST{week}", "TRADER", "5300.00")
        ledger.pay(t + 2 * D + 9 * H, "TRADER", f"SUPPLIER{week}B", "5000.00")


def test_a_hub_among_strangers_is_flagged_and_a_trader_is_not(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ledger = Ledger()
    _hub(ledger, "HUB", 2 * D)
    _business(ledger)
    background(ledger)
    ledger.load(warehouse, tmp_path / "tx.csv")
    report = run_detect(warehouse, only=["MT-L012"], overrides=["growth.rounds=0"])
    (alert,) = report.alerts
    assert alert.score >= 0.6
    assert alert.reason.startswith("Account ****")
    assert alert.reason.endswith(
        "received 10,400.00 from 2 accounts new to it and paid 10,200.00 on to 2 other new "
        "accounts within 28 days (1 time(s))."
    )
    assert len(alert.evidence) == 4


def test_repeated_counterparties_do_not_make_a_hub(tmp_path: Path, warehouse: Warehouse) -> None:
    ledger = Ledger()
    _hub(ledger, "HUB", 2 * D)
    # SRC1 deals with the hub again, long after (outside the 4-week window)
    ledger.pay(40 * D, "HUB-SRC1", "HUB", "300.00")
    ledger.load(warehouse, tmp_path / "tx.csv")
    assert run_detect(warehouse, only=["MT-L012"]).per_typology == {"MT-L012": 0}
    again = run_detect(warehouse, ["MT-L012.max_repeat=2"], ["MT-L012"])
    assert again.per_typology == {"MT-L012": 1}


def _split(ledger: Ledger, acct: str, amounts: list[str]) -> None:
    ledger.pay(2 * D, f"{acct}-FUNDER", acct, "9000.00", "wire")
    for i, amount in enumerate(amounts):
        ledger.pay(3 * D + i * D, acct, f"{acct}-PAYEE{i}", amount, "wire")


def test_a_split_over_days_is_flagged_only_in_similar_sums(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ledger = Ledger()
    _split(ledger, "EVEN", ["3000.00", "2900.00", "2950.00"])
    _split(ledger, "UNEVEN", ["7000.00", "800.00", "1000.00"])
    ledger.load(warehouse, tmp_path / "tx.csv")
    report = run_detect(warehouse, only=["MT-L010"])
    (alert,) = report.alerts
    assert "paid 3 distinct accounts 8,850.00 within 1 week of receiving it" in alert.reason
    # the uneven one is found when the spread limit is lifted (0 = off)
    assert run_detect(warehouse, ["MT-L010.max_spread=0"], ["MT-L010"]).per_typology == {
        "MT-L010": 2
    }


def test_rapid_pass_through_counts_one_off_counterparties_only(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ledger = Ledger()
    for day in range(4):  # an agent that forwards its principal's takings to the same account
        ledger.pay(day * D + 9 * H, "PRINCIPAL", "AGENT", "1000.00")
        ledger.pay(day * D + 11 * H, "AGENT", "OWNER", "1000.00")
    for i in range(2):  # money from strangers passed on to strangers
        ledger.pay(10 * D + i * H, f"SRC{i}", "MULE", "2000.00", "wire")
        ledger.pay(10 * D + (i + 2) * H, "MULE", f"DST{i}", "1990.00", "wire")
    ledger.load(warehouse, tmp_path / "tx.csv")
    (hit,) = [h for a in run_detect(warehouse, only=["MT-L001"]).alerts for h in a.hits]
    assert "passed on money it had just received in 2 transaction(s) within 1 day" in hit.reason
    assert run_detect(warehouse, ["MT-L001.max_repeat=0"], ["MT-L001"]).per_typology == {
        "MT-L001": 2
    }


def test_small_one_off_payments_do_not_hide_a_split(tmp_path: Path, warehouse: Warehouse) -> None:
    ledger = Ledger()
    _split(ledger, "BUSY", ["3000.00", "2900.00", "2950.00"])
    ledger.pay(6 * D, "BUSY", "NEWSHOP", "11.69", "card")  # a first visit to a shop, same week
    ledger.load(warehouse, tmp_path / "tx.csv")
    (alert,) = run_detect(warehouse, only=["MT-L010"]).alerts
    assert "paid 3 distinct accounts 8,850.00 within 1 week" in alert.reason
    assert "NEWSHOP" not in str(alert.evidence)
    # counted in (min_part 0), the coffee makes the sums dissimilar and the split is lost
    assert run_detect(warehouse, ["MT-L010.min_part=0"], ["MT-L010"]).per_typology == {"MT-L010": 0}


def test_an_account_paid_by_strangers_every_week_is_not_a_layer(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ledger = Ledger()
    for acct in ("SHOP", "PERSON"):
        for month in range(2):  # the person's salary, the shop's rent: regular dealings
            ledger.pay(month * 30 * D, f"{acct}-REGULAR", acct, "2500.00")
        # a one-off receipt split at once over two new counterparties
        ledger.pay(10 * D, f"{acct}-FUNDER", acct, "6000.00", "wire")
        ledger.pay(10 * D + 3 * H, acct, f"{acct}-PAYEE0", "3000.00", "wire")
        ledger.pay(10 * D + 5 * H, acct, f"{acct}-PAYEE1", "2950.00", "wire")
    for i in range(80):  # walk-in customers, each paying the shop once over four months
        ledger.pay(i * 36 * H, f"WALKIN{i}", "SHOP", "45.00", "card")
    ledger.load(warehouse, tmp_path / "tx.csv")
    (alert,) = run_detect(warehouse, only=["MT-L009"]).alerts
    # masked: the last four characters; the alert grows to the two payees (moneytrail.detect._grow)
    assert [h.subject for h in alert.hits if h.typology == "MT-L009"] == ["account:****RSON"]
    # the limit off (0), the shop's split is flagged as well
    relaxed = run_detect(warehouse, ["MT-L009.max_strangers_monthly=0"], ["MT-L009"])
    assert relaxed.per_typology == {"MT-L009": 2}


def test_strangers_are_counted_only_over_enough_history(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    """Over a few weeks nearly every counterparty is new: a young account is not judged."""
    ledger = Ledger()
    ledger.pay(0 * D, "SHOP-FUNDER", "SHOP", "6000.00", "wire")
    ledger.pay(3 * H, "SHOP", "SHOP-PAYEE0", "3000.00", "wire")
    ledger.pay(5 * H, "SHOP", "SHOP-PAYEE1", "2950.00", "wire")
    for i in range(40):  # forty strangers in two months
        ledger.pay(i * 36 * H, f"WALKIN{i}", "SHOP", "45.00", "card")
    ledger.load(warehouse, tmp_path / "tx.csv")
    assert strangers_monthly(warehouse.con, 0.0) == {}
    assert run_detect(warehouse, only=["MT-L009"]).per_typology == {"MT-L009": 1}


def _relayed_gathering(ledger: Ledger, collector: str, funded_every: timedelta) -> None:
    """Each layer gets a large sum from a stranger and pays part of it on to the collector
    days later; the layers' payments reach the collector over three weeks."""
    for i, days in enumerate([2, 9, 19]):
        layer = f"{collector}-LAYER{i}"
        ledger.pay(D + i * funded_every, f"{collector}-SRC{i}", layer, "20000.00", "wire")
        ledger.pay(D + days * D, layer, collector, f"{8000 + 300 * i}.00", "wire")


def test_gathering_of_relayed_money_over_weeks(tmp_path: Path, warehouse: Warehouse) -> None:
    ledger = Ledger()
    _relayed_gathering(ledger, "COLL", funded_every=2 * H)  # money placed in three accounts at once
    _relayed_gathering(ledger, "APART", funded_every=4 * D)  # unrelated transfers, days apart
    # a merchant paid once each by customers who had each just been paid by their employer:
    # most of what it receives is one-off, so three of them are its ordinary business
    for i in range(3):
        ledger.pay(D + i * H, f"EMPLOYER{i}", f"CUST{i}", "9000.00", "wire")
        ledger.pay(3 * D + i * 6 * D, f"CUST{i}", "MERCHANT", f"{8100 + 100 * i}.00", "wire")
    for i in range(4):
        ledger.pay(4 * D + i * 4 * D, f"WALKIN{i}", "MERCHANT", "7000.00", "wire")
    background(ledger)
    ledger.load(warehouse, tmp_path / "tx.csv")
    (alert,) = run_detect(warehouse, only=["MT-L015"]).alerts
    assert alert.reason.endswith(
        "received 24,900.00 from 3 accounts new to it, each paying on part of a larger sum it "
        "had received from a stranger within 1 day of the others, within 28 days."
    )
    # the collector is the subject; its layers are linked (masked: the last four characters)
    assert [h.subject for h in alert.hits] == ["account:****COLL"]
    assert len(alert.evidence) == 6  # the three payments in and the receipts they relay
    # the one-week pass-through of MT-L011 sees only the first layer
    assert run_detect(warehouse, only=["MT-L011"]).per_typology == {"MT-L011": 0}
    # relative to the account: counting the merchant's one-off customers in, it is flagged
    relaxed = run_detect(warehouse, ["MT-L015.min_share=0"], ["MT-L015"])
    assert relaxed.per_typology == {"MT-L015": 2}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("MT-L010.max_spread=0.5", "max_spread 0.5 must be 0"),
        ("MT-L012.max_repeat=0", "max_repeat 0 must be at least 1"),
        ("MT-L010.min_part=1", "min_part 1.0 must be in"),
        ("MT-L015.max_repeat=0", "max_repeat 0 must be at least 1"),
        ("MT-L015.relay_span=0", "relay_span 0 must be more than 0"),
        ("MT-L009.max_strangers_monthly=-1", "max_strangers_monthly -1.0 must be 0"),
    ],
)
def test_bad_relative_parameters_are_refused(
    tmp_path: Path, warehouse: Warehouse, override: str, message: str
) -> None:
    ledger = Ledger()
    _split(ledger, "EVEN", ["3000.00", "2900.00", "2950.00"])
    ledger.load(warehouse, tmp_path / "tx.csv")
    with pytest.raises(CatalogueError, match=message):
        run_detect(warehouse, [override], [override.split(".", maxsplit=1)[0]])
