"""Worked examples, from public sources and by hand, for every rule.

Amounts are written in currency units; the engine works in 1e-8 units and the
report rounds half-up to the cent. Account keys: 1 = the commingled account,
9 = outside money (only sends), 2, 3 = later hops, 7 = a sink.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from moneytrail.errors import TraceError
from moneytrail.trace._engine import Trace, run_trace
from moneytrail.trace._ledger import SCALE, Ledger, ledger_from_rows
from moneytrail.trace._report import cents

T0 = datetime(2024, 1, 1, 9, 0)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def held(trace: Trace, ledger: Ledger, key: int) -> Decimal:
    index = int(list(ledger.account_keys).index(key))
    account = trace.accounts.get(index)
    return cents(account.state.tainted) if account else Decimal("0.00")


def carried(trace: Trace, ledger: Ledger, txn_id: str) -> Decimal:
    assert ledger.txn_ids is not None
    k = ledger.txn_ids.index(txn_id)
    moved = trace.transfers.get(k)
    return cents(moved.tainted_out) if moved else Decimal("0.00")


def named(ledger: Ledger, *txn_ids: str) -> list[int]:
    assert ledger.txn_ids is not None
    return [ledger.txn_ids.index(t) for t in txn_ids]


def test_roscoe_v_winder_libr() -> None:
    """Roscoe (James) (Bolton) Ltd v Winder [1915] 1 Ch 62.

    Wigham collected £455 18s 11d of book debts held for the company and paid
    them into his own account; the balance later fell to £25 18s; he then paid
    in money of his own, and at his death the account held £358 5s 5d. The
    company's claim was limited to £25 18s, the lowest intermediate balance:
    the later deposits did not restore it. In pence: 109,427; 6,216; 85,985.
    """
    ledger = ledger_from_rows(
        [
            ("collected", day(0), 9, 1, "109427"),
            ("spent", day(1), 1, 7, str(109427 - 6216)),
            ("own money", day(2), 8, 1, str(85985 - 6216)),
        ],
        {1: (day(0), "0")},
    )
    trace = run_trace(ledger, named(ledger, "collected"), "libr")
    assert held(trace, ledger, 1) == Decimal("6216.00")
    assert cents(ledger.balance_before(0, len(ledger))[0]) == Decimal("85985.00")


@pytest.mark.parametrize(
    ("rule", "investor_a_left"),
    [("fifo", "0.00"), ("lifo", "1000.00"), ("pro-rata", "500.00"), ("libr", "1000.00")],
)
def test_barlow_clowes_v_vaughan_illustration(rule: str, investor_a_left: str) -> None:
    """Barlow Clowes International v Vaughan [1992] 4 All ER 22 weighed the rule in
    Clayton's Case (Devaynes v Noble, 1816: first in, first out) against pro rata
    sharing among investors whose money was pooled and partly dissipated. The usual
    illustration: investor A pays in 1000, then B pays in 1000, then 1000 is lost.
    Under FIFO A's money left first and A recovers nothing; pro rata, each keeps 500;
    LIFO (and LIBR, which presumes the wrongdoer spent other money first) leaves A's
    1000 in the pool. Here A's money is the traced ("tainted") money.
    """
    ledger = ledger_from_rows(
        [
            ("A", day(1), 9, 1, "1000"),
            ("B", day(2), 8, 1, "1000"),
            ("lost", day(3), 1, None, "1000"),
        ],
        {1: (day(0), "0")},
    )
    trace = run_trace(ledger, named(ledger, "A"), rule)
    assert held(trace, ledger, 1) == Decimal(investor_a_left)
    assert cents(trace.left) == Decimal("1000.00") - Decimal(investor_a_left)


# The hand example: opening 0; +100 tainted; +300 clean; pay 200; +50 clean; pay 180.
HAND = [
    ("T", day(0), 9, 1, "100"),
    ("C1", day(1), 8, 1, "300"),
    ("P1", day(2), 1, 7, "200"),
    ("C2", day(3), 8, 1, "50"),
    ("P2", day(4), 1, 7, "180"),
]


@pytest.mark.parametrize(
    ("rule", "p1", "p2", "left_in_account"),
    [
        # clean money goes first: P1 leaves 200 >= 100 tainted; P2 drops the balance to 70
        ("libr", "0.00", "30.00", "70.00"),
        # oldest first: P1 takes the 100 tainted lot and 100 of the clean one
        ("fifo", "100.00", "0.00", "0.00"),
        # newest first: P1 takes 200 clean; C2 is newest for P2 (50), then 100 clean, then 30 tainted
        ("lifo", "0.00", "30.00", "70.00"),
        # a quarter of 200 is 50; then 50 of 250 tainted, 180 * 1/5 = 36
        ("pro-rata", "50.00", "36.00", "14.00"),
    ],
)
def test_hand_example_every_rule(rule: str, p1: str, p2: str, left_in_account: str) -> None:
    ledger = ledger_from_rows(HAND, {1: (day(0), "0")})
    trace = run_trace(ledger, named(ledger, "T"), rule)
    assert carried(trace, ledger, "P1") == Decimal(p1)
    assert carried(trace, ledger, "P2") == Decimal(p2)
    assert held(trace, ledger, 1) == Decimal(left_in_account)
    # everything that left went to account 7, which is traced in turn
    assert held(trace, ledger, 7) == Decimal(p1) + Decimal(p2)


@pytest.mark.parametrize(
    ("rule", "a_left", "b_left", "c_got"),
    [
        # A: 50 clean + 100 tainted, pays 120 -> LIBR keeps 30; B gets 70 tainted of 120,
        # pays 100 -> keeps 20, C gets 50
        ("libr", "30.00", "20.00", "50.00"),
        # A's lots [50 clean][100 tainted]: the 120 takes 50 + 70; B's one lot of 120 keeps
        # its mix 70/120, so the 100 carries 58.33 (175/3) and 11.67 (35/3) stays
        ("fifo", "30.00", "11.67", "58.33"),
        # A: newest first takes 100 tainted + 20 clean; B's lot is 100/120 tainted
        ("lifo", "0.00", "16.67", "83.33"),
        # A: 120 * 100/150 = 80; B: 100 * 80/120 = 66.67 (200/3)
        ("pro-rata", "20.00", "13.33", "66.67"),
    ],
)
def test_two_hops_mixed_transfer_keeps_its_mix(
    rule: str, a_left: str, b_left: str, c_got: str
) -> None:
    ledger = ledger_from_rows(
        [
            ("T", day(1), 9, 1, "100"),
            ("AB", day(2), 1, 2, "120"),
            ("BC", day(3), 2, 3, "100"),
        ],
        {1: (day(0), "50"), 2: (day(0), "0"), 3: (day(0), "0")},
    )
    trace = run_trace(ledger, named(ledger, "T"), rule)
    assert held(trace, ledger, 1) == Decimal(a_left)
    assert held(trace, ledger, 2) == Decimal(b_left)
    assert held(trace, ledger, 3) == Decimal(c_got)
    # exact conservation across hops (rounded figures can differ by a cent; the exact ones not)
    total = sum((a.state.tainted for a in trace.accounts.values()), Fraction(0))
    assert total == 100 * SCALE
    assert [trace.accounts[i].hop for i in sorted(trace.accounts)] == [1, 2, 3]


def test_two_tainted_sources_commingled() -> None:
    """Two frauds' proceeds (40 and 60) and 100 clean in one account, then 150 paid out.

    LIBR: 50 stays, all of it tainted, so 50 of the 100 tainted left. FIFO: the 150
    takes T1 (40), the clean 100, then 10 of T2. LIFO: T2 (60), then 90 of the clean
    lot. Pro rata: half of the 200 is tainted, so 75 leaves tainted.
    """
    rows = [
        ("T1", day(1), 9, 1, "40"),
        ("C", day(2), 8, 1, "100"),
        ("T2", day(3), 6, 1, "60"),
        ("P", day(4), 1, 7, "150"),
    ]
    ledger = ledger_from_rows(rows, {1: (day(0), "0")})
    expected = {"libr": "50.00", "fifo": "50.00", "lifo": "60.00", "pro-rata": "75.00"}
    for rule, out in expected.items():
        trace = run_trace(ledger, named(ledger, "T1", "T2"), rule)
        assert carried(trace, ledger, "P") == Decimal(out), rule
        assert held(trace, ledger, 1) + Decimal(out) == Decimal("100.00"), rule


def test_later_clean_deposits_do_not_restore_libr() -> None:
    ledger = ledger_from_rows(
        [
            ("T", day(1), 9, 1, "1000"),
            ("P", day(2), 1, 7, "900"),
            ("C", day(3), 8, 1, "5000"),
        ],
        {1: (day(0), "0")},
    )
    trace = run_trace(ledger, named(ledger, "T"), "libr")
    assert held(trace, ledger, 1) == Decimal("100.00")


def test_unknown_opening_is_the_least_that_never_overdraws() -> None:
    # the account pays 70 before any money arrives: it must have held at least 70
    ledger = ledger_from_rows(
        [("P0", day(0), 1, 7, "70"), ("T", day(1), 9, 1, "100"), ("P", day(2), 1, 7, "60")]
    )
    index = int(list(ledger.account_keys).index(1))
    assert not ledger.opening_known[index]
    assert ledger.start[index] == 70 * SCALE
    trace = run_trace(ledger, named(ledger, "T"), "libr")
    # balance 0 + 100 = 100 when the taint arrives; paying 60 leaves 40, all tainted
    assert trace.accounts[index].start_balance == 0
    assert held(trace, ledger, 1) == Decimal("40.00")


def test_known_opening_balance_is_honoured_and_earlier_movements_subtracted() -> None:
    ledger = ledger_from_rows(
        [("early", day(0), 8, 1, "30"), ("T", day(2), 9, 1, "100"), ("P", day(3), 1, 7, "150")],
        {1: (day(1), "500")},  # 500 on day 1, after the early deposit
    )
    index = int(list(ledger.account_keys).index(1))
    assert ledger.opening_known[index]
    assert ledger.start[index] == 470 * SCALE
    trace = run_trace(ledger, named(ledger, "T"), "pro-rata")
    # 100 of 600 tainted; 150 carries 25
    assert carried(trace, ledger, "P") == Decimal("25.00")


def test_overdraft_repayment_dissipates_taint() -> None:
    ledger = ledger_from_rows(
        [("P", day(1), 1, 7, "80"), ("T", day(2), 9, 1, "100")],
        {1: (day(0), "0")},  # overdrawn by 80 when 100 tainted arrives
    )
    for rule in ("libr", "fifo", "lifo", "pro-rata"):
        trace = run_trace(ledger, named(ledger, "T"), rule)
        index = int(list(ledger.account_keys).index(1))
        state = trace.accounts[index].state
        assert cents(state.tainted) == Decimal("20.00"), rule
        assert cents(state.dissipated) == Decimal("80.00"), rule


def test_named_payment_from_a_traced_account_is_not_counted_twice() -> None:
    ledger = ledger_from_rows(
        [("T1", day(1), 9, 1, "100"), ("T2", day(2), 1, 2, "100")], {1: (day(0), "0")}
    )
    trace = run_trace(ledger, named(ledger, "T1", "T2"), "fifo")
    assert trace.absorbed == 100 * SCALE
    assert held(trace, ledger, 2) == Decimal("100.00")
    assert held(trace, ledger, 1) == Decimal("0.00")


def test_hop_limit_and_unknown_receiver_take_taint_out_of_the_trace() -> None:
    ledger = ledger_from_rows(
        [
            ("T", day(1), 9, 1, "100"),
            ("AB", day(2), 1, 2, "100"),
            ("BC", day(3), 2, 3, "40"),
            ("BX", day(4), 2, None, "60"),
        ],
        {1: (day(0), "0")},
    )
    trace = run_trace(ledger, named(ledger, "T"), "libr", max_hops=2)
    assert {int(ledger.account_keys[i]) for i in trace.accounts} == {1, 2}
    assert cents(trace.left) == Decimal("100.00")
    assert all(t.left for k, t in trace.transfers.items() if k >= 2)


def test_untainted_money_never_starts_a_trace() -> None:
    ledger = ledger_from_rows([("T", day(1), 9, 1, "100"), ("C", day(2), 8, 2, "100")])
    trace = run_trace(ledger, named(ledger, "T"), "pro-rata")
    assert set(trace.accounts) == {int(list(ledger.account_keys).index(1))}


def test_bad_rule_and_hops_are_refused() -> None:
    ledger = ledger_from_rows([("T", day(1), 9, 1, "100")])
    with pytest.raises(TraceError, match="unknown tracing rule 'hallett'"):
        run_trace(ledger, [0], "hallett")
    with pytest.raises(TraceError, match="max_hops"):
        run_trace(ledger, [0], "libr", max_hops=0)


def test_amounts_finer_than_the_ledger_unit_are_refused() -> None:
    with pytest.raises(TraceError, match="more than 8 decimal places"):
        ledger_from_rows([("T", day(1), 9, 1, "0.000000001")])


@pytest.mark.parametrize(
    ("units", "text"),
    [
        (Fraction(5, 10**3) * SCALE, "0.01"),  # half a cent rounds up
        (Fraction(4999, 10**6) * SCALE, "0.00"),
        (Fraction(-5, 10**3) * SCALE, "-0.01"),  # away from zero
        (Fraction(200, 3) * SCALE, "66.67"),
        (12345 * SCALE, "12345.00"),
    ],
)
def test_cents_round_half_up_only_at_output(units: Fraction, text: str) -> None:
    assert str(cents(units)) == text
