"""Planted laundering: the eight AMLworld patterns, unpatterned laundering, shell companies.

Each case funds its first accounts with dirty money from outside (a wire from
an external or foreign account, or cash deposits), then moves it in its
pattern. Mules are ordinary people's accounts, so their normal life continues
around the laundering, as it does in real data.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import numpy as np

from moneytrail.synth._calendar import SECONDS_PER_DAY
from moneytrail.synth._ledger import ACH, CASH, WIRE, Ledger
from moneytrail.synth._truth import Truth
from moneytrail.synth._world import (
    BUSINESS,
    COMPANY,
    EXTERNAL,
    FOREIGN,
    Ints,
    Population,
    add_account,
    add_party,
)

PATTERNS = (
    "fan_out",
    "fan_in",
    "cycle",
    "scatter_gather",
    "gather_scatter",
    "bipartite",
    "stack",
    "random",
)
SPANS = {"hours": 8 * 3600, "days": 4 * SECONDS_PER_DAY, "weeks": 21 * SECONDS_PER_DAY}
FEE = 0.985  # what each hop passes on

Edge = tuple[int, int, float, float]  # local src, local dst, dollars, stage (0..1 of span)
Builder = Callable[[np.random.Generator, int, float], tuple[int, list[Edge]]]


def _fan_out(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    return k + 1, [
        (0, i, amount * rng.uniform(0.8, 1.2), rng.uniform(0, 1)) for i in range(1, k + 1)
    ]


def _fan_in(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    return k + 1, [
        (i, 0, amount * rng.uniform(0.8, 1.2), rng.uniform(0, 1)) for i in range(1, k + 1)
    ]


def _cycle(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    k = max(k, 3)
    return k, [(i, (i + 1) % k, amount * FEE**i, i / k) for i in range(k)]


def _scatter_gather(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    edges: list[Edge] = []
    for i in range(1, k + 1):
        x = amount * rng.uniform(0.8, 1.2)
        edges += [(0, i, x, rng.uniform(0, 0.45)), (i, k + 1, x * FEE, rng.uniform(0.55, 1))]
    return k + 2, edges


def _gather_scatter(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    hub = k + 1
    ins = [(i, 0, amount * rng.uniform(0.8, 1.2), rng.uniform(0, 0.45)) for i in range(1, k + 1)]
    total = sum(e[2] for e in ins) * FEE
    outs = [(0, hub + j, total / k, rng.uniform(0.55, 1)) for j in range(k)]
    return hub + k, ins + outs


def _bipartite(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    left = max(2, k // 2)
    right = max(2, k - left)
    edges = [
        (a, left + b, amount * rng.uniform(0.5, 1.0), rng.uniform(0, 1))
        for a in range(left)
        for b in range(right)
        if rng.random() < 0.7 or b == a % right
    ]
    return left + right, edges


def _stack(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    width = max(2, k // 3)
    edges: list[Edge] = []
    for layer in range(2):
        for a in range(width):
            for b in range(width):
                edges.append(
                    (
                        layer * width + a,
                        (layer + 1) * width + b,
                        amount * FEE**layer / width,
                        layer / 2 + rng.uniform(0, 0.5),
                    )
                )
    return 3 * width, edges


def _random_walk(rng: np.random.Generator, k: int, amount: float) -> tuple[int, list[Edge]]:
    nodes = max(3, k)
    edges: list[Edge] = []
    here = 0
    for step in range(k + 2):
        there = int(rng.integers(0, nodes - 1))
        there += there >= here
        edges.append((here, there, amount * FEE**step, step / (k + 2)))
        here = there
    return nodes, edges


BUILDERS: dict[str, Builder] = {
    "fan_out": _fan_out,
    "fan_in": _fan_in,
    "cycle": _cycle,
    "scatter_gather": _scatter_gather,
    "gather_scatter": _gather_scatter,
    "bipartite": _bipartite,
    "stack": _stack,
    "random": _random_walk,
}


class MulePool:
    """Ordinary people's accounts handed out to cases, each at most once."""

    def __init__(self, rng: np.random.Generator, pop: Population, avoid: Ints) -> None:
        n_people = int(np.sum(pop.parties.kind == 0))
        candidates = np.setdiff1d(pop.person_account[:n_people], avoid)
        self._accounts: list[int] = [int(a) for a in rng.permutation(candidates)]

    def take(self, n: int) -> list[int]:
        if len(self._accounts) < n:
            raise ValueError(
                "the world has too few people for its planted cases; ask for more transactions"
            )
        taken, self._accounts = self._accounts[:n], self._accounts[n:]
        return taken


def plant_patterns(
    rng: np.random.Generator,
    pop: Population,
    ledger: Ledger,
    truth: Truth,
    mules: MulePool,
    per_pattern: int,
) -> None:
    cal = pop.calendar
    period = (cal.days[-1] - cal.days[0]) * SECONDS_PER_DAY
    sources = np.flatnonzero(np.isin(pop.accounts.kind, [EXTERNAL, FOREIGN]))
    sizes = [3, 5, 8, 12, 20]
    for pattern in PATTERNS:
        for c in range(per_pattern):
            k = sizes[c % len(sizes)] if per_pattern > 1 else 5
            span_name = list(SPANS)[(c // len(sizes) + c) % len(SPANS)]
            span = SPANS[span_name]
            amount = float(rng.lognormal(np.log(9_000), 0.5))
            n_nodes, edges = BUILDERS[pattern](rng, k, amount)
            accounts = np.array(mules.take(n_nodes))
            case = truth.new_case(
                pattern,
                f"{pattern.replace('_', '-')} laundering among {n_nodes} accounts over {span_name}",
                size=n_nodes,
                span=span_name,
                span_seconds=span,
            )
            t0 = cal.days[0] * SECONDS_PER_DAY + int(
                rng.integers(2 * SECONDS_PER_DAY, period - span - SECONDS_PER_DAY)
            )
            src = accounts[[e[0] for e in edges]]
            dst = accounts[[e[1] for e in edges]]
            cents = np.maximum(np.round(np.array([e[2] for e in edges]) * 100), 100).astype(
                np.int64
            )
            ts = (
                t0
                + SECONDS_PER_DAY // 4
                + (np.array([e[3] for e in edges]) * span).astype(np.int64)
            )
            # dirty money arrives first at every account that sends before it receives
            first_out: dict[int, int] = {}
            for s, t in sorted(zip(src.tolist(), ts.tolist(), strict=True), key=lambda x: x[1]):
                first_out.setdefault(s, t)
            first_in: dict[int, int] = {}
            for d, t in zip(dst.tolist(), ts.tolist(), strict=True):
                first_in[d] = min(first_in.get(d, t), t)
            need = [a for a, t in first_out.items() if first_in.get(a, t + 1) > t]
            outflow = {a: int(cents[src == a].sum()) for a in need}
            fund_src = rng.choice(sources, len(need))
            ledger.add(
                np.array([t0 - int(rng.integers(600, 6 * 3600)) for _ in need], np.int64),
                fund_src,
                np.array(need, np.int64),
                np.array([int(outflow[a] * 1.02) + 100 for a in need], np.int64),
                WIRE,
                typology=pattern,
                case=case,
            )
            channel = np.where(rng.random(len(edges)) < 0.6, WIRE, ACH)
            ledger.add(ts, src, dst, cents, channel, typology=pattern, case=case)
            for a in accounts.tolist():
                truth.account(case, a, "source" if a in need else "mule")


def plant_unpatterned(
    rng: np.random.Generator,
    pop: Population,
    ledger: Ledger,
    truth: Truth,
    mules: MulePool,
    cases: int,
) -> None:
    """Dirty accounts that pay out with no shape: varied sums to varied people over weeks."""
    cal = pop.calendar
    n_people = int(np.sum(pop.parties.kind == 0))
    others = pop.person_account[:n_people]
    for _ in range(cases):
        (dirty,) = mules.take(1)
        case = truth.new_case(
            "laundering_unpatterned", "dirty funds paid out in no recognisable pattern"
        )
        n = int(rng.integers(6, 15))
        window = cal.days[7 : max(8, cal.n_days - 28)]
        start = int(rng.choice(window)) * SECONDS_PER_DAY + 9 * 3600
        ts = np.sort(start + rng.integers(0, 28 * SECONDS_PER_DAY, n))
        cents = (rng.lognormal(np.log(2_500), 0.8, n) * 100).astype(np.int64) + 100
        cash_in = np.full(3, pop.branch_cash[int(rng.integers(0, len(pop.branch_cash)))])
        ledger.add(
            start - np.array([7, 5, 2]) * SECONDS_PER_DAY + rng.integers(0, 6 * 3600, 3),
            cash_in,
            np.full(3, dirty),
            np.full(3, int(cents.sum() // 3) + 5_000),
            CASH,
            typology="laundering_unpatterned",
            case=case,
        )
        ledger.add(ts, np.full(n, dirty), rng.choice(others, n), cents, np.where(rng.random(n) < 0.5, ACH, WIRE),
                   typology="laundering_unpatterned", case=case)  # fmt: skip
        truth.account(case, dirty, "source")


def plant_shells(
    rng: np.random.Generator, pop: Population, ledger: Ledger, truth: Truth, groups: int
) -> list[int]:
    """Groups of recently registered companies sharing an address or a director that pass money through.

    Returns the shells' account indices.
    """
    cal = pop.calendar
    start = int(cal.days[0])
    n_people = int(np.sum(pop.parties.kind == 0))
    external = np.flatnonzero(np.isin(pop.accounts.kind, [EXTERNAL]))
    foreign = np.flatnonzero(pop.accounts.kind == FOREIGN)
    shell_accounts: list[int] = []
    for g in range(groups):
        case = truth.new_case(
            "shell_pass_through",
            "recently registered companies sharing an address or director that pass funds straight through",
        )
        size = int(rng.integers(3, 6))
        shared_address = (
            f"{int(rng.integers(100, 999))} Commerce Plaza Suite {int(rng.integers(100, 999))}"
        )
        director = int(rng.integers(0, n_people))
        branch = int(rng.integers(0, len(pop.branch_city)))
        city = int(pop.branch_city[branch])
        accts: list[int] = []
        for s in range(size):
            party = add_party(
                pop,
                kind=COMPANY,
                name=f"{['Apex', 'Nova', 'Orion', 'Vertex', 'Zenith', 'Helix'][s % 6]} "
                f"{['Trading', 'Consulting', 'Ventures', 'Global', 'Imports'][(g + s) % 5]} {g + 1} LLC",
                registered=start - int(rng.integers(10, 180)),
                street=shared_address
                if s % 2 == 0 or g % 2 == 0
                else f"{int(rng.integers(1, 999))} Harbor St",
                city=city,
                tax_id=f"{int(rng.integers(10, 99))}-{int(rng.integers(1_000_000, 9_999_999))}",
                industry="consulting",
                director=director,
            )
            accts.append(add_account(pop, party, BUSINESS, branch, rng))
            truth.party(case, party, "shell")
        truth.party(case, director, "director")
        # money passes down the chain, a day or two per hop, minus a small cut
        hops = int(rng.integers(2, 6))
        for _ in range(hops):
            amount = int(rng.lognormal(np.log(40_000), 0.6) * 100)
            t = (int(rng.choice(cal.days[: -10 - size])) * SECONDS_PER_DAY) + 10 * 3600
            chain = [int(rng.choice(external)), *accts, int(rng.choice(foreign))]
            for a, b in pairwise(chain):
                ledger.add(np.array([t]), np.array([a]), np.array([b]), np.array([amount]), WIRE,
                           typology="shell_pass_through", case=case)  # fmt: skip
                amount = int(amount * 0.98)
                t += int(rng.integers(3 * 3600, 40 * 3600))
        for a in accts:
            truth.account(case, a, "shell")
        shell_accounts += accts
    return shell_accounts
