"""Following tainted money through the ledger, one movement at a time.

Only the part of the ledger the taint reaches is visited. The named tainted
movements start it; an account becomes traced the first time a movement brings
it tainted money (its balance at that moment comes from the ledger's running
balances, all of it clean), and from then on its movements are applied to its
state under the chosen rule, in booking order - all of them, or only those that
can move taint where the rule allows skipping the rest (see `_Walk`); an account
left with no taint rests until more arrives. A movement whose
receiving account is not known, or lies beyond `max_hops` transfers from a
named movement, takes its tainted money out of the trace ("left").

A named movement is tainted in full. If its paying account is itself traced,
the taint that its rule says the payment carried is absorbed into the named
amount rather than counted twice.

Money is conserved, exactly, under every rule:
    sum(named) - sum(absorbed) = sum(tainted now held) + sum(dissipated) + sum(left)
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from moneytrail.errors import TraceError
from moneytrail.trace._ledger import Ledger
from moneytrail.trace._rules import RULES, ZERO, AccountState, Amount, Lots, new_state


@dataclass
class TracedAccount:
    index: int  # dense ledger index
    hop: int  # transfers from a named movement when the taint first arrived
    start_balance: int  # balance when the taint first arrived, in ledger units
    state: AccountState
    # (movement, balance after, tainted after) for each movement that changed the
    # tainted balance: the tainted balance over time is the step function they draw
    timeline: list[tuple[int, int, Amount]] = field(default_factory=list)
    active: bool = True  # holds taint; an account whose taint is gone rests until more comes
    paid_mark: int = 0  # what it had paid out (ledger.out_prefix) when its state was last current


@dataclass(frozen=True)
class Transfer:
    """A movement that carried tainted money (or was named as tainted)."""

    k: int
    tainted_out: Amount  # taken from the paying account, in its units
    tainted_in: Amount  # given to the receiving account, in its units
    named: bool
    left: bool  # the receiving side is outside the trace


@dataclass
class Trace:
    rule: str
    named: list[int]
    accounts: dict[int, TracedAccount]
    transfers: dict[int, Transfer]
    absorbed: Amount
    left: Amount
    max_hops: int | None

    def tainted_held(self) -> Amount:
        return sum((a.state.tainted for a in self.accounts.values()), ZERO)

    def dissipated(self) -> Amount:
        return sum((a.state.dissipated for a in self.accounts.values()), ZERO)


def run_trace(
    ledger: Ledger,
    named: Sequence[int],
    rule: str,
    *,
    max_hops: int | None = None,
    skip: bool = True,
) -> Trace:
    """Trace the taint of the `named` movements (ledger indices) under `rule`.

    `skip=False` applies every movement of a traced account instead of skipping
    those that only touch clean money (see `_Walk`); the figures are the same,
    which the tests check."""
    if rule not in RULES:
        raise TraceError(f"unknown tracing rule {rule!r}; choose one of {', '.join(RULES)}")
    if max_hops is not None and max_hops < 1:
        raise TraceError(f"max_hops must be at least 1, not {max_hops}")
    named_set = set(named)
    walk = _Walk(ledger, Trace(rule, sorted(named_set), {}, {}, ZERO, ZERO, max_hops), skip=skip)
    heap = walk.heap
    heap.extend((k, -1) for k in sorted(named_set))
    heapq.heapify(heap)
    last = -1
    while heap:
        k, a = heapq.heappop(heap)
        if a >= 0:
            if walk.next_of.get(a) != k:
                continue  # superseded: the account was rescheduled or rests
            del walk.next_of[a]
        if k != last:
            last = k
            walk.apply(k, k in named_set)
        if a >= 0 and walk.trace.accounts[a].active and a not in walk.next_of:
            walk.schedule(a, walk.position[a] + 1)
    return walk.trace


class _Walk:
    """The walk's moving parts: a heap of (movement, account) holding the next
    movement each traced account must apply, in booking order.

    Most movements of a busy account touch only its clean money, and the ledger's
    running balances and payments say what they did. So an account holding taint
    is only woken for the first debit that can carry taint - under LIBR one that
    takes the balance below the tainted amount; under LIFO one that takes it below
    the newest tainted lot; under FIFO one that pays out more than the clean money
    in front of the oldest tainted lot - or when more tainted money arrives; its
    state then catches up (`sync`). Pro rata debits all carry taint: no skipping.
    """

    def __init__(self, ledger: Ledger, trace: Trace, *, skip: bool) -> None:
        self.ledger = ledger
        self.trace = trace
        self.heap: list[tuple[int, int]] = []
        self.next_of: dict[int, int] = {}  # account -> movement it is scheduled for
        self.position: dict[int, int] = {}  # account -> position of that movement in its events
        self.lazy = skip and trace.rule in ("libr", "fifo", "lifo")

    def schedule(self, a: int, pos: int) -> None:
        """Schedule account a's next movement that matters, from position pos on."""
        ledger = self.ledger
        hi = int(ledger.offsets[a + 1])
        account = self.trace.accounts[a]
        if self.lazy and pos < hi and account.state.tainted:
            pos = self._first_that_matters(account, pos, hi)
        if pos < hi:
            k = int(ledger.events[pos])
            if self.next_of.get(a) != k:
                self.next_of[a] = k
                self.position[a] = pos
                heapq.heappush(self.heap, (k, a))
        else:
            self.next_of.pop(a, None)

    def _first_that_matters(self, account: TracedAccount, pos: int, hi: int) -> int:
        ledger, state, a = self.ledger, account.state, account.index
        if isinstance(state, Lots) and not state.newest_first:
            return ledger.first_above_paid(pos, hi, account.paid_mark + state.clean_ahead())
        # balance < floor  <=>  balance < ceil(floor), balances being whole units
        floor = state.tainted_floor() if isinstance(state, Lots) else -(-state.tainted // 1)
        return ledger.first_below(pos, hi, int(floor) - int(ledger.start[a]))

    def _sync(self, account: TracedAccount, k: int) -> None:
        """Bring a lazily followed account up to just before movement k."""
        if not self.lazy:
            return
        ledger, a = self.ledger, account.index
        balance, pos = ledger.balance_before(a, k)
        account.state.sync(balance, ledger.paid_before(a, pos) - account.paid_mark)
        account.paid_mark = int(ledger.out_prefix[pos])  # movement k is applied next

    def apply(self, k: int, named: bool) -> None:
        ledger, trace = self.ledger, self.trace
        s, d = int(ledger.src[k]), int(ledger.dst[k])
        if s == d:
            return
        out_units, in_units = int(ledger.out_units[k]), int(ledger.in_units[k])
        accounts = trace.accounts
        payer = accounts.get(s) if s >= 0 else None
        carried = self._debit(payer, k, out_units) if payer is not None else ZERO
        if named:
            trace.absorbed += carried
            given: Amount = in_units
        elif carried and in_units != out_units:
            given = Fraction(carried * in_units, out_units) if out_units else ZERO
        else:
            given = carried
        payee = accounts.get(d) if d >= 0 else None
        if not given:
            if payee is not None and payee.active and not (self.lazy and payee.state.tainted):
                self._sync(payee, k)
                _credit(payee, k, in_units, ZERO)
            return
        if d >= 0 and (payee is None or not payee.active):
            payee = self._wake(k, d, payee, named, payer)
        elif payee is not None:
            self._sync(payee, k)
        if payee is None:
            trace.left += given
        else:
            _credit(payee, k, in_units, given)
            if self.lazy:  # more taint: a debit that was harmless may now carry some
                self.schedule(d, ledger.balance_before(d, k)[1] + 1)
        trace.transfers[k] = Transfer(k, carried, given, named, payee is None)

    def _debit(self, payer: TracedAccount, k: int, amount: int) -> Amount:
        if not payer.active:
            return ZERO
        self._sync(payer, k)
        state = payer.state
        carried = state.debit(amount)
        if carried:
            payer.timeline.append((k, state.balance, state.tainted))
        if not state.tainted and state.balance >= 0:
            # Nothing tainted is left and nothing is owed: the state is what the
            # ledger's running balance would rebuild, so stop following it.
            payer.active = False
            self.next_of.pop(payer.index, None)
        return carried

    def _wake(
        self,
        k: int,
        d: int,
        resting: TracedAccount | None,
        named: bool,
        payer: TracedAccount | None,
    ) -> TracedAccount | None:
        """Start (or restart) following account d, whose movement k brings it taint."""
        trace = self.trace
        balance, pos = self.ledger.balance_before(d, k)
        if resting is None:
            hop = 1 if named or payer is None else payer.hop + 1
            if trace.max_hops is not None and hop > trace.max_hops:
                return None
            account = TracedAccount(d, hop, balance, new_state(trace.rule, balance))
            trace.accounts[d] = account
            account.paid_mark = self.ledger.paid_before(d, pos)
        else:
            account = resting
            dissipated = account.state.dissipated
            account.state = new_state(trace.rule, balance)
            account.state.dissipated = dissipated
            account.active = True
            account.paid_mark = self.ledger.paid_before(d, pos)
        if not self.lazy:  # a lazy account is scheduled once the credit is applied
            self.schedule(d, pos + 1)
        return account


def _credit(account: TracedAccount, k: int, amount: int, tainted: Amount) -> None:
    account.state.credit(amount, tainted)
    if tainted:  # clean money never changes the tainted balance
        account.timeline.append((k, account.state.balance, account.state.tainted))
