"""The four tracing rules as exact per-account state machines.

An account's state knows its balance and how much of it is tainted. `credit`
adds money that carries a given tainted amount; `debit` removes money and says
how much tainted money left with it. Amounts are integers in the ledger's
smallest unit (1e-8 of the currency); tainted amounts are exact: integers,
or `Fraction`s once pro rata or a mixed lot divides. Nothing is rounded here: rounding to the
cent happens only when a result is written out.

Rules (the issue's definitions):

* ``libr`` - lowest intermediate balance: tainted money leaves last, so a debit
  carries taint only once the clean money is gone, and the claim never rises
  above the lowest balance since; later clean deposits do not restore it.
* ``fifo`` / ``lifo`` - money leaves in lots, oldest first / newest first. An
  incoming lot keeps the tainted share it arrived with.
* ``pro-rata`` - each debit carries the account's current tainted share.

Overdrafts: when a debit takes more than the balance, the account owes the
bank; a later credit first repays that debt, and any taint in the repayment is
`dissipated` (it went to the bank, not to anything traceable). The tainted
amount therefore never exceeds the balance, under every rule.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from typing import Protocol

RULES: tuple[str, ...] = ("libr", "fifo", "lifo", "pro-rata")
Amount = Fraction | int
"""A tainted amount: an int while no division has made it a fraction (much faster)."""
ZERO: Amount = 0


class AccountState(Protocol):
    balance: int
    tainted: Amount
    dissipated: Amount

    def credit(self, amount: int, tainted: Amount) -> None: ...

    def debit(self, amount: int) -> Amount: ...

    def sync(self, balance: int, paid: int) -> None:
        """Catch up on skipped movements: now `balance`, `paid` out since the last one."""
        ...


class Libr:
    """Lowest intermediate balance: the clean money is spent first."""

    __slots__ = ("balance", "dissipated", "tainted")

    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.tainted: Amount = ZERO
        self.dissipated: Amount = ZERO

    def credit(self, amount: int, tainted: Amount) -> None:
        self.balance += amount
        self.tainted += tainted
        room = max(self.balance, 0)
        if self.tainted > room:  # part of it repaid an overdraft
            self.dissipated += self.tainted - room
            self.tainted = room

    def sync(self, balance: int, paid: int) -> None:
        # skipped movements changed the balance only: the tainted money never moved
        self.balance = balance

    def debit(self, amount: int) -> Amount:
        before = self.tainted
        self.balance -= amount
        if self.balance < before:
            self.tainted = max(self.balance, 0)
        return before - self.tainted


class ProRata:
    """Every debit carries the account's tainted share at that moment."""

    __slots__ = ("balance", "dissipated", "tainted")

    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.tainted: Amount = ZERO
        self.dissipated: Amount = ZERO

    def credit(self, amount: int, tainted: Amount) -> None:
        self.balance += amount
        self.tainted += tainted
        room = max(self.balance, 0)
        if self.tainted > room:
            self.dissipated += self.tainted - room
            self.tainted = room

    def sync(self, balance: int, paid: int) -> None:
        # every debit carries a share, so only a clean account may skip movements
        if self.tainted:
            raise ValueError("a pro rata account holding taint cannot skip movements")
        self.balance = balance

    def debit(self, amount: int) -> Amount:
        if not self.tainted:
            self.balance -= amount
            return ZERO
        share = (
            self.tainted
            if amount >= self.balance
            else Fraction(self.tainted * amount, self.balance)
        )
        self.tainted -= share
        self.balance -= amount
        return share


class Lots:
    """FIFO or LIFO: money sits in lots, each with the tainted share it came with.

    Neighbouring lots with the same share are merged; that changes nothing
    about which money leaves, and keeps busy clean accounts at one lot.
    """

    __slots__ = ("balance", "debt", "dissipated", "lots", "newest_first", "tainted")

    def __init__(self, balance: int, *, newest_first: bool) -> None:
        self.balance = balance
        self.tainted: Amount = ZERO
        self.dissipated: Amount = ZERO
        self.newest_first = newest_first
        self.lots: deque[list[Amount]] = deque()
        self.debt = max(-balance, 0)
        if balance > 0:
            self.lots.append([balance, ZERO])

    def credit(self, amount: int, tainted: Amount) -> None:
        self.balance += amount
        if amount <= 0:
            return
        share: Amount = tainted // amount if tainted in (0, amount) else Fraction(tainted) / amount
        if self.debt:
            repaid = min(self.debt, amount)
            self.debt -= repaid
            self.dissipated += share * repaid
            amount -= repaid
            if not amount:
                return
        self.tainted += share * amount
        if self.lots and self.lots[-1][1] == share:
            self.lots[-1][0] += amount
        else:
            self.lots.append([amount, share])

    def debit(self, amount: int) -> Amount:
        self.balance -= amount
        need, carried = amount, ZERO
        lots = self.lots
        while need and lots:
            lot = lots[-1] if self.newest_first else lots[0]
            size, share = int(lot[0]), lot[1]
            take = min(need, size)
            if share:
                carried += share * take
            need -= take
            if take == size:
                if self.newest_first:
                    lots.pop()
                else:
                    lots.popleft()
            else:
                lot[0] = size - take
        self.debt += need
        self.tainted -= carried
        return carried

    def clean_ahead(self) -> int:
        """Clean money that leaves before any tainted money does (FIFO: from the front)."""
        ahead = 0
        for size, share in self.lots:
            if share:
                break
            ahead += int(size)
        return ahead

    def tainted_floor(self) -> int:
        """The balance below which tainted money starts to leave (LIFO: the lots up to
        and including the newest one that holds taint)."""
        floor = self.balance
        for size, share in reversed(self.lots):
            if share:
                break
            floor -= int(size)
        return floor

    def sync(self, balance: int, paid: int) -> None:
        """Skipped movements only touched clean money: FIFO's debits took from the clean
        lots in front and its credits joined the back; LIFO's took and added at the top."""
        if self.newest_first:
            floor = self.tainted_floor()
            while self.lots and not self.lots[-1][1]:
                self.lots.pop()
            top = balance - floor
        else:
            while paid:
                take = min(paid, int(self.lots[0][0]))
                paid -= take
                if take == self.lots[0][0]:
                    self.lots.popleft()
                else:
                    self.lots[0][0] = int(self.lots[0][0]) - take
            top = balance - sum(int(lot[0]) for lot in self.lots)
        if top > 0:
            if self.lots and not self.lots[-1][1]:
                self.lots[-1][0] = int(self.lots[-1][0]) + top
            else:
                self.lots.append([top, ZERO])
        self.balance = balance


def new_state(rule: str, balance: int) -> AccountState:
    """A clean account holding `balance` under `rule`."""
    if rule == "libr":
        return Libr(balance)
    if rule == "pro-rata":
        return ProRata(balance)
    if rule in ("fifo", "lifo"):
        return Lots(balance, newest_first=rule == "lifo")
    raise ValueError(f"unknown tracing rule {rule!r}; choose one of {', '.join(RULES)}")
