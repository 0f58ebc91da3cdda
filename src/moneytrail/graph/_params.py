"""Parameters of feature mining, checked once before any kernel runs.

Every per-transaction feature is evaluated in a sliding window that ends at the
transaction's own time: for a transaction at time t and a window of W seconds,
the window holds the transactions with timestamps in (t - W, t]. The left end
is open and the right end closed, as in IBM's Graph Feature Preprocessor, so
transactions booked at the same second as t are inside it. Several windows
(time scales) are mined in one call, one output row per transaction and window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from moneytrail.errors import GraphParamsError

HOUR = 3_600
DAY = 86_400
WEEK = 7 * DAY

PATTERNS: tuple[str, ...] = (
    "fan",
    "degree",
    "scatter_gather",
    "gather_scatter",
    "temporal_cycle",
    "simple_cycle",
    "structuring",
    "pass_through",
)
"""Feature families that can be switched on or off (all on by default)."""


@dataclass(frozen=True)
class FeatureParams:
    """What to mine, and at which time scales.

    windows: window lengths in seconds (default 1 hour, 1 day, 1 week), because
        real patterns unfold over minutes to weeks.
    patterns: the feature families of PATTERNS to compute; the others are 0.
    cycle_len: the longest cycle counted, in transactions (default 10, as in
        the Graph Feature Preprocessor paper).
    cycle_budget: search steps (transactions looked at) allowed per
        transaction and window when counting its cycles (default 10,000);
        past it the count is a lower bound. Dense windows have exponentially
        many paths, and one busy account must not stall the run.
    threshold / margin: a cash deposit is near the reporting threshold when
        threshold * (1 - margin) <= amount < threshold, in the transaction's
        own currency (default 10,000 and 10 %: the US currency-transaction
        report threshold).
    pass_through_tolerance: an outgoing amount passes money through when it is
        within this fraction of an earlier incoming amount (default 10 %).
    night_start_hour / night_end_hour: night is [start, end) o'clock of the
        booking timestamp (default 0-6).
    """

    windows: tuple[int, ...] = (HOUR, DAY, WEEK)
    patterns: frozenset[str] = field(default_factory=lambda: frozenset(PATTERNS))
    cycle_len: int = 10
    cycle_budget: int = 10_000
    threshold: Decimal = Decimal(10_000)
    margin: Decimal = Decimal("0.1")
    pass_through_tolerance: Decimal = Decimal("0.1")
    night_start_hour: int = 0
    night_end_hour: int = 6

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.windows:
            problems.append("windows: give at least one window")
        if any(w <= 0 for w in self.windows):
            problems.append(
                f"windows: every window must be a positive number of seconds, got {self.windows}"
            )
        if len(set(self.windows)) != len(self.windows):
            problems.append(f"windows: each window at most once, got {self.windows}")
        unknown = sorted(set(self.patterns) - set(PATTERNS))
        if unknown:
            problems.append(f"patterns: unknown {unknown}; choose from {', '.join(PATTERNS)}")
        if not 2 <= self.cycle_len <= 64:
            problems.append(f"cycle_len: must be between 2 and 64, got {self.cycle_len}")
        if self.cycle_budget < 1:
            problems.append(f"cycle_budget: must be at least 1, got {self.cycle_budget}")
        if self.threshold <= 0:
            problems.append(f"threshold: must be positive, got {self.threshold}")
        if not 0 < self.margin < 1:
            problems.append(f"margin: must be between 0 and 1, got {self.margin}")
        if not 0 <= self.pass_through_tolerance < 1:
            problems.append(
                f"pass_through_tolerance: must be in [0, 1), got {self.pass_through_tolerance}"
            )
        for name in ("night_start_hour", "night_end_hour"):
            if not 0 <= getattr(self, name) <= 24:
                problems.append(f"{name}: must be an hour 0-24, got {getattr(self, name)}")
        if problems:
            raise GraphParamsError(problems)

    def wants(self, pattern: str) -> bool:
        return pattern in self.patterns

    @property
    def near_threshold_low(self) -> Decimal:
        return self.threshold * (1 - self.margin)
